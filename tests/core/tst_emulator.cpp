// TwilioEmulator over real WebSockets on loopback: a healthy bot, listen mode, Twilio's
// validation (31950/31951/31924), payload sizes, signature header, recording, and bad input
// from a bot (garbage, 10 MB, invalid UTF-8, abrupt close). Timing assertions are generous.
#include "EmulatorTestBots.h"
#include "audio/WavFile.h"
#include "emulator/TwilioEmulator.h"

#include <QMessageAuthenticationCode>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace pacelab;
using testbots::FakeBot;
using testbots::RawBot;

class TestEmulator final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void healthyBot()
    {
        QTemporaryDir dir;
        FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](FakeBot &b) { b.startPacing(250, 20000, 160, 50); }; // 5 s, a mark each second

        TwilioEmulator emu;
        EmulatorOptions o;
        o.customParameters = {{QStringLiteral("lang"), QStringLiteral("en")}};
        o.caller = CallerAudio::tone(440.0);
        o.recordPath = dir.filePath(QStringLiteral("rx.wav"));
        QSignalSpy ticks(&emu, &TwilioEmulator::secondTick);
        QSignalSpy connectedSpy(&emu, &TwilioEmulator::clientConnected);
        QSignalSpy media(&emu, &TwilioEmulator::mediaReceived);
        QVERIFY(emu.connectToBot(bot.url(), o));
        QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.size(), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(bot.framesSent, 250, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(bot.markEchoes.size(), 5, 5000);

        const ArrivalStats s = emu.stats();
        QCOMPARE(s.frames, 250);
        QCOMPARE(media.size(), 250);
        QCOMPARE(emu.violationCount(), 0);
        QCOMPARE(s.nonStandardFrames, 0);
        QCOMPARE(bot.markEchoes, (QStringList{"m1", "m2", "m3", "m4", "m5"}));
        QCOMPARE(emu.marksEchoedInOrder(), bot.markEchoes);
        QVERIFY2(emu.playout().maxBufferedUs() < 200000, qPrintable(QString::number(emu.playout().maxBufferedUs())));
        // 0 expected; on a loaded 2-core CI box one stall of the receiving thread can exceed the
        // 40 ms jitter buffer, so one short underrun is tolerated (a drifting or starving sender
        // makes several, see tst_emulator_pacing).
        QVERIFY2(emu.playout().underrunCount() <= 1 && emu.playout().underrunTotalUs() <= 150000,
                 qPrintable(QStringLiteral("%1 underruns, %2 ms").arg(emu.playout().underrunCount())
                                .arg(emu.playout().underrunTotalUs() / 1000)));
        QVERIFY(s.deltaMeanMs > 18 && s.deltaMeanMs < 22);
        QVERIFY2(std::abs(s.driftPpm) < 5000, qPrintable(QString::number(s.driftPpm)));
        // steady-state seconds (not the first, partial one): ~50 fps
        QVERIFY(ticks.size() >= 4);
        for (int i = 1; i < 4; ++i) {
            const auto rx = ticks.at(i).at(0).value<PerSecondRx>();
            QVERIFY2(rx.fps >= 40 && rx.fps <= 60, qPrintable(rx.toLine()));
            QVERIFY2(rx.bufferedSec < 0.2, qPrintable(rx.toLine()));
            QCOMPARE(rx.violationsTotal, 0);
            QVERIFY(rx.toLine().startsWith(QStringLiteral("[RX] fps=")));
        }

        // What the bot saw: connected, start with our parameters, paced inbound tone.
        QVERIFY(bot.connectedSeen);
        QVERIFY(bot.startSeen);
        QCOMPARE(bot.streamSid, emu.streamSid());
        QVERIFY(bot.streamSid.startsWith(QStringLiteral("MZ")));
        QCOMPARE(bot.start.customParameters.value(QStringLiteral("lang")).toString(), QStringLiteral("en"));
        QCOMPARE(bot.start.tracks, QStringList{QStringLiteral("inbound")});
        QVERIFY(bot.start.callSid.startsWith(QStringLiteral("CA")));
        QVERIFY2(bot.inboundMedia >= 150 && bot.inboundMedia <= 400, qPrintable(QString::number(bot.inboundMedia)));
        QCOMPARE(bot.nonSilentInbound, bot.inboundMedia);
        for (int i = 1; i < bot.inboundSeq.size(); ++i)
            QVERIFY(bot.inboundSeq[i] > bot.inboundSeq[i - 1]);
        QVERIFY(bot.protocolErrors.isEmpty());

        QVERIFY(emu.sendDtmf(QStringLiteral("5")));
        QVERIFY(!emu.sendDtmf(QStringLiteral("x")));
        QTRY_COMPARE_WITH_TIMEOUT(bot.dtmf, QStringList{QStringLiteral("5")}, 3000);

        const QJsonObject sum = emu.summaryJson();
        QCOMPARE(sum.value("arrival").toObject().value("frames").toInt(), 250);
        QCOMPARE(sum.value("violations").toObject().value("total").toInt(), 0);
        QVERIFY(emu.summaryText().contains(QStringLiteral("Violations: 0")));

        QSignalSpy gone(&emu, &TwilioEmulator::clientDisconnected);
        emu.stop();
        QCOMPARE(gone.size(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(bot.stopSeen, 3000);
        const wav::ReadResult rec = wav::readFile(o.recordPath);
        QVERIFY2(rec.ok, qPrintable(rec.error));
        QCOMPARE(rec.info.encoding, wav::Encoding::Mulaw);
        QCOMPARE(rec.pcm.sampleRate, 8000);
        QCOMPARE(rec.pcm.frames(), 250 * 160);
        QString err;
        QVERIFY(emu.saveRecording(dir.filePath(QStringLiteral("rx16.wav")), EmulatorOptions::RecordEncoding::Pcm16, &err));
        QCOMPARE(wav::readFile(dir.filePath(QStringLiteral("rx16.wav"))).info.encoding, wav::Encoding::Pcm16);
        QVERIFY(!emu.saveRecording(dir.filePath(QStringLiteral("no/such/dir/x.wav")), EmulatorOptions::RecordEncoding::Mulaw, &err));
        QVERIFY(err.contains(QStringLiteral("no/such/dir")));
    }

    void listenModeClient()
    {
        TwilioEmulator emu;
        QVERIFY(emu.listen(QHostAddress::LocalHost, 0));
        QVERIFY(emu.serverPort() != 0);
        QCOMPARE(emu.mode(), TwilioEmulator::Mode::Listening);

        QWebSocket client;
        QString sid;
        QStringList echoes;
        bool stopSeen = false;
        QObject::connect(&client, &QWebSocket::textMessageReceived, &client, [&](const QString &t) {
            const auto r = twilio::parseFromTwilio(t.toUtf8());
            if (r.message.event == twilio::Event::Start)
                sid = r.message.streamSid;
            else if (r.message.event == twilio::Event::Mark)
                echoes << r.message.markName;
            else if (r.message.event == twilio::Event::Stop)
                stopSeen = true;
        });
        client.open(emu.serverUrl());
        QTRY_VERIFY_WITH_TIMEOUT(!sid.isEmpty(), 10000);
        QCOMPARE(sid, emu.streamSid());

        // 1 s of audio at once with marks, then a clear after 300 ms: pending marks come back at once.
        for (int i = 0; i < 50; ++i) {
            client.sendTextMessage(QString::fromUtf8(twilio::encodeMedia(sid, QByteArray(160, char(0x10)))));
            if (i % 10 == 9)
                client.sendTextMessage(QString::fromUtf8(twilio::encodeMark(sid, QStringLiteral("k%1").arg(i / 10))));
        }
        QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, 50, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(echoes.size() >= 1, 3000); // k0 after ~0.24 s
        QVERIFY(emu.playout().bufferedSec() > 0.3);
        client.sendTextMessage(QString::fromUtf8(twilio::encodeClear(sid)));
        QTRY_COMPARE_WITH_TIMEOUT(echoes.size(), 5, 3000);
        QCOMPARE(echoes, (QStringList{"k0", "k1", "k2", "k3", "k4"}));
        QCOMPARE(emu.playout().bufferedUs(), 0);
        QCOMPARE(emu.playout().clearCount(), 1);
        QVERIFY(emu.playout().discardedByClearUs() > 300000);
        QTRY_VERIFY_WITH_TIMEOUT(emu.playout().clears().first().clearToSilenceUs >= 0, 3000);
        QCOMPARE(emu.playout().clears().first().clearToSilenceUs, 0);

        // A second client is refused while one stream runs.
        QWebSocket second;
        QSignalSpy secondGone(&second, &QWebSocket::disconnected);
        second.open(emu.serverUrl());
        QTRY_COMPARE_WITH_TIMEOUT(secondGone.size(), 1, 5000);
        QCOMPARE(second.closeCode(), QWebSocketProtocol::CloseCodePolicyViolated);

        QVERIFY(emu.sendStop());
        QTRY_VERIFY_WITH_TIMEOUT(stopSeen, 3000);
        QSignalSpy gone(&emu, &TwilioEmulator::clientDisconnected);
        client.close();
        QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 5000);
        QCOMPARE(emu.mode(), TwilioEmulator::Mode::Listening);
        QCOMPARE(emu.violationCount(), 0);
    }

    void violationsAreCodedAndTimed()
    {
        FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](FakeBot &b) {
            b.sendBinary(QByteArray(320, char(0x7F)));
            b.sendText(twilio::encodeMedia(QStringLiteral("MZ00000000000000000000000000000000"), QByteArray(160, 'x')));
            b.sendText(QStringLiteral(R"({"event":"media","streamSid":"%1","media":{"payload":"AAAA","track":"outbound"}})")
                           .arg(b.streamSid).toUtf8());
            b.sendText(QStringLiteral(R"({"event":"media","streamSid":"%1","sequenceNumber":"3","media":{"payload":"AAAA"}})")
                           .arg(b.streamSid).toUtf8());
            b.sendText("{oops");
            b.sendText(QStringLiteral(R"({"event":"hello","streamSid":"%1"})").arg(b.streamSid).toUtf8());
            b.sendText(QStringLiteral(R"({"event":"mark","streamSid":"%1"})").arg(b.streamSid).toUtf8());
            b.sendMark(QStringLiteral("still-alive"));
        };
        TwilioEmulator emu;
        QSignalSpy spy(&emu, &TwilioEmulator::violation);
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_COMPARE_WITH_TIMEOUT(bot.markEchoes, QStringList{QStringLiteral("still-alive")}, 10000);
        QCOMPARE(emu.violationCount(), 7);
        QCOMPARE(spy.size(), 7);
        const QList<Violation> v = emu.violations();
        QCOMPARE(v[0].code, 31950);
        QVERIFY(v[0].message.contains(QStringLiteral("320")));
        for (int i = 1; i < 7; ++i)
            QCOMPARE(v[i].code, 31951);
        QVERIFY2(v[1].message.contains(QStringLiteral("does not match")), qPrintable(v[1].message));
        QVERIFY2(v[2].message.contains(QStringLiteral("media.track")), qPrintable(v[2].message));
        QVERIFY2(v[3].message.contains(QStringLiteral("sequenceNumber")), qPrintable(v[3].message));
        QVERIFY2(v[5].message.contains(QStringLiteral("hello")), qPrintable(v[5].message));
        QVERIFY2(v[6].message.contains(QStringLiteral("mark")), qPrintable(v[6].message));
        for (int i = 1; i < 7; ++i)
            QVERIFY(v[i].timeUs >= v[i - 1].timeUs && v[i].sessionSec >= 0 && v[i].sessionSec < 10);
        QCOMPARE(emu.stats().frames, 0); // nothing invalid reached the buffer
        QCOMPARE(emu.summaryJson().value("violations").toObject().value("byCode").toObject().value("31951").toInt(), 6);
    }

    void nonStandardFrameSizes()
    {
        FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](FakeBot &b) { b.startPacing(75, 40000, 320); }; // 3 s in 40 ms frames
        TwilioEmulator emu;
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, 75, 15000);
        const ArrivalStats s = emu.stats();
        QCOMPARE(s.nonStandardFrames, 75);
        QCOMPARE(s.sizeHistogram.value(320), 75);
        QCOMPARE(s.firstNonStandardFrame, 0);
        QCOMPARE(emu.violationCount(), 0); // flagged, not rejected: Twilio accepts any size
        QVERIFY(emu.playout().maxBufferedUs() < 250000);
        QVERIFY(emu.summaryText().contains(QStringLiteral("frames not 160 B: 75")));
    }

    void signatureAndExtraHeaders()
    {
        FakeBot bot;
        QVERIFY(bot.listen());
        TwilioEmulator emu;
        EmulatorOptions o;
        o.authToken = QStringLiteral("12345678901234567890123456789012");
        o.extraHeaders = {{"X-Test", "yes"}};
        const QUrl url = bot.url(QStringLiteral("/media?tenant=a"));
        QVERIFY(emu.connectToBot(url, o));
        QTRY_VERIFY_WITH_TIMEOUT(bot.startSeen, 10000);
        const QByteArray expected = QMessageAuthenticationCode::hash(url.toString(QUrl::FullyEncoded).toUtf8(),
                                                                     o.authToken.toUtf8(), QCryptographicHash::Sha1)
                                        .toBase64();
        QCOMPARE(bot.request.rawHeader("X-Twilio-Signature"), expected);
        QCOMPARE(bot.request.rawHeader("X-Test"), QByteArray("yes"));
    }

    void badUrlsAndUnreachableBot()
    {
        TwilioEmulator emu;
        QVERIFY(!emu.connectToBot(QUrl(QStringLiteral("http://127.0.0.1:1/x")), EmulatorOptions()));
        QVERIFY(emu.errorString().contains(QStringLiteral("ws://")));
        QVERIFY(!emu.connectToBot(QUrl(QStringLiteral("ws:///nohost")), EmulatorOptions()));

        QTcpServer closed; // grab a free port, then free it: nobody listens there
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        const quint16 port = closed.serverPort();
        closed.close();
        QSignalSpy err(&emu, &TwilioEmulator::errorOccurred);
        QVERIFY(emu.connectToBot(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port)), EmulatorOptions()));
        QTRY_COMPARE_WITH_TIMEOUT(err.size(), 1, 10000);
        QVERIFY2(err.at(0).at(0).toString().contains(QStringLiteral("cannot connect")), qPrintable(err.at(0).at(0).toString()));
        QCOMPARE(emu.mode(), TwilioEmulator::Mode::Idle);

        TwilioEmulator busy;
        QVERIFY(busy.listen(QHostAddress::LocalHost, 0));
        TwilioEmulator clash;
        QVERIFY(!clash.listen(QHostAddress::LocalHost, busy.serverPort()));
        QVERIFY(clash.errorString().contains(QString::number(busy.serverPort())));
    }

    void garbageIsReportedAndSurvived()
    {
        FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](FakeBot &b) {
            b.sendText(QByteArray("\x01\x02 garbage \x7f"));
            b.sendText(QByteArray());
            b.sendText("[1,2,3]");
            b.sendText("null");
            b.sendText(QByteArray(5000, '{'));
            b.sendMark(QStringLiteral("after-garbage"));
        };
        TwilioEmulator emu;
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_COMPARE_WITH_TIMEOUT(bot.markEchoes.size(), 1, 10000);
        QCOMPARE(emu.violationCount(), 5);
        for (const Violation &v : emu.violations()) {
            QCOMPARE(v.code, 31951);
            QVERIFY(v.message.size() < 600); // the offending text is quoted, but cut short
        }
        QVERIFY(emu.isStreaming());
    }

    void tenMegabyteMessageIsRefused()
    {
        FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](FakeBot &b) { b.sendText(QByteArray(10 * 1024 * 1024, 'a')); };
        TwilioEmulator emu;
        QSignalSpy gone(&emu, &TwilioEmulator::clientDisconnected);
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 20000);
        QCOMPARE(emu.violationCount(), 1);
        QCOMPARE(emu.violations().first().code, 31924);
        QVERIFY2(emu.violations().first().message.contains(QStringLiteral("4194304")), qPrintable(emu.violations().first().message));
        QVERIFY2(gone.at(0).at(0).toString().contains(QStringLiteral("1009")), qPrintable(gone.at(0).at(0).toString()));
    }

    void invalidUtf8IsReported()
    {
        RawBot bot;
        QVERIFY(bot.listen());
        bot.onHandshake = [](RawBot &b) {
            QTimer::singleShot(200, &b.ctx, [&b] { b.write(RawBot::frame(0x1, QByteArray("{\"event\":\"\xff\xfe\"}"))); });
        };
        TwilioEmulator emu;
        QSignalSpy gone(&emu, &TwilioEmulator::clientDisconnected);
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 10000);
        QVERIFY2(emu.violationCount() == 1, qPrintable(gone.at(0).at(0).toString()));
        QCOMPARE(emu.violations().first().code, 31924);
        QVERIFY2(gone.at(0).at(0).toString().contains(QStringLiteral("1007")), qPrintable(gone.at(0).at(0).toString()));
    }

    void abruptCloseIsReported()
    {
        RawBot bot;
        QVERIFY(bot.listen());
        bot.onHandshake = [](RawBot &b) {
            QTimer::singleShot(300, &b.ctx, [&b] {
                if (b.sock)
                    b.sock->abort(); // TCP gone, no close frame
            });
        };
        TwilioEmulator emu;
        QSignalSpy gone(&emu, &TwilioEmulator::clientDisconnected);
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 10000);
        const QString reason = gone.at(0).at(0).toString();
        QVERIFY2(reason.contains(QStringLiteral("without a close frame")) || reason.contains(QStringLiteral("lost")),
                 qPrintable(reason));
        QCOMPARE(emu.mode(), TwilioEmulator::Mode::Idle);
        QVERIFY(!emu.summaryJson().value("disconnectReason").toString().isEmpty());
        QVERIFY(!emu.sendDtmf(QStringLiteral("1")));
        QVERIFY(!emu.sendStop());
    }
};

QTEST_GUILESS_MAIN(TestEmulator)
#include "tst_emulator.moc"
