// TwilioEmulator over real WebSockets on loopback: a healthy bot, listen mode, Twilio's
// validation (31950/31951/31924), payload sizes, signature header, recording, and bad input
// from a bot (garbage, 10 MB, invalid UTF-8, abrupt close). Real time, so only what holds on a
// saturated machine is asserted (counts, order, codes, state); timeouts only catch a hang.
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
        // Real time on loopback, so only what holds on a saturated machine is asserted: every
        // frame arrives, in order, valid; marks come back in order; the live figures equal a
        // replay of the arrival times seen. What a paced sender's fps/underruns/drift *are* is
        // tested on simulated time (tst_emulator_pacing::simulated*).
        QTemporaryDir dir;
        FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](FakeBot &b) { b.startPacing(150, 20000, 160, 50); }; // 3 s, a mark each second

        TwilioEmulator emu;
        testbots::TapRecorder tap(emu);
        EmulatorOptions o;
        o.customParameters = {{QStringLiteral("lang"), QStringLiteral("en")}};
        o.caller = CallerAudio::tone(440.0);
        o.recordPath = dir.filePath(QStringLiteral("rx.wav"));
        QSignalSpy ticks(&emu, &TwilioEmulator::secondTick);
        QSignalSpy connectedSpy(&emu, &TwilioEmulator::clientConnected);
        QSignalSpy media(&emu, &TwilioEmulator::mediaReceived);
        QVERIFY(emu.connectToBot(bot.url(), o));
        QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.size(), 1, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(bot.framesSent, 150, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(bot.markEchoes.size(), 3, 60000);

        const ArrivalStats s = emu.stats();
        QCOMPARE(s.frames, 150);
        QCOMPARE(media.size(), 150);
        QCOMPARE(emu.violationCount(), 0);
        QCOMPARE(s.nonStandardFrames, 0);
        QCOMPARE(s.sizeHistogram.value(160), 150);
        QCOMPARE(bot.markEchoes, (QStringList{"m1", "m2", "m3"}));
        QCOMPARE(emu.marksEchoedInOrder(), bot.markEchoes);
        tap.compareWithLive(emu);
        QVERIFY(!QTest::currentTestFailed());
        // Per-second records: well formed, never more frames than arrived, no violations.
        QVERIFY(ticks.size() >= 1);
        int framesInSeconds = 0;
        for (const auto &args : std::as_const(ticks)) {
            const auto rx = args.at(0).value<PerSecondRx>();
            framesInSeconds += rx.fps;
            QCOMPARE(rx.violationsTotal, 0);
            QVERIFY(rx.bufferedSec >= 0.0);
            QVERIFY(rx.toLine().startsWith(QStringLiteral("[RX] fps=")));
        }
        QVERIFY2(framesInSeconds <= 150, qPrintable(QString::number(framesInSeconds)));

        // What the bot saw: connected, start with our parameters, paced inbound tone.
        QVERIFY(bot.connectedSeen);
        QVERIFY(bot.startSeen);
        QCOMPARE(bot.streamSid, emu.streamSid());
        QVERIFY(bot.streamSid.startsWith(QStringLiteral("MZ")));
        QCOMPARE(bot.start.customParameters.value(QStringLiteral("lang")).toString(), QStringLiteral("en"));
        QCOMPARE(bot.start.tracks, QStringList{QStringLiteral("inbound")});
        QVERIFY(bot.start.callSid.startsWith(QStringLiteral("CA")));
        QVERIFY(bot.inboundMedia > 0); // how many depends on the machine's speed, not their order
        QCOMPARE(bot.nonSilentInbound, bot.inboundMedia);
        for (int i = 1; i < bot.inboundSeq.size(); ++i)
            QVERIFY(bot.inboundSeq[i] > bot.inboundSeq[i - 1]);
        QVERIFY(bot.protocolErrors.isEmpty());

        QVERIFY(emu.sendDtmf(QStringLiteral("5")));
        QVERIFY(!emu.sendDtmf(QStringLiteral("x")));
        QTRY_COMPARE_WITH_TIMEOUT(bot.dtmf, QStringList{QStringLiteral("5")}, 30000);

        const QJsonObject sum = emu.summaryJson();
        QCOMPARE(sum.value("arrival").toObject().value("frames").toInt(), 150);
        QCOMPARE(sum.value("violations").toObject().value("total").toInt(), 0);
        QVERIFY(emu.summaryText().contains(QStringLiteral("Violations: 0")));

        QSignalSpy gone(&emu, &TwilioEmulator::clientDisconnected);
        emu.stop();
        QCOMPARE(gone.size(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(bot.stopSeen, 30000);
        const wav::ReadResult rec = wav::readFile(o.recordPath);
        QVERIFY2(rec.ok, qPrintable(rec.error));
        QCOMPARE(rec.info.encoding, wav::Encoding::Mulaw);
        QCOMPARE(rec.pcm.sampleRate, 8000);
        QCOMPARE(rec.pcm.frames(), 150 * 160);
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
        QTRY_VERIFY_WITH_TIMEOUT(!sid.isEmpty(), 30000);
        QCOMPARE(sid, emu.streamSid());

        // 5 s of audio at once with a mark after each second, then a clear as soon as it has all
        // arrived: later marks are echoed by the clear at once, in order. 5 s leaves the clear
        // ahead of playback even when a loaded machine delays this thread.
        for (int i = 0; i < 250; ++i) {
            client.sendTextMessage(QString::fromUtf8(twilio::encodeMedia(sid, QByteArray(160, char(0x10)))));
            if (i % 50 == 49)
                client.sendTextMessage(QString::fromUtf8(twilio::encodeMark(sid, QStringLiteral("k%1").arg(i / 50))));
        }
        QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, 250, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(emu.playout().marksEchoed() + emu.playout().marksPending(), 5, 30000);
        QVERIFY(emu.playout().bufferedUs() > 0);
        client.sendTextMessage(QString::fromUtf8(twilio::encodeClear(sid)));
        QTRY_COMPARE_WITH_TIMEOUT(echoes.size(), 5, 30000);
        QCOMPARE(echoes, (QStringList{"k0", "k1", "k2", "k3", "k4"}));
        QCOMPARE(emu.playout().bufferedUs(), 0);
        QCOMPARE(emu.playout().clearCount(), 1);
        QVERIFY(emu.playout().discardedByClearUs() > 0);
        QVERIFY(emu.playout().echoes().last().byClear); // k4 waited behind 5 s of audio
        QTRY_VERIFY_WITH_TIMEOUT(emu.playout().clears().first().clearToSilenceUs >= 0, 30000);
        QCOMPARE(emu.playout().clears().first().clearToSilenceUs, 0);

        // A second client is refused while one stream runs.
        QWebSocket second;
        QSignalSpy secondGone(&second, &QWebSocket::disconnected);
        second.open(emu.serverUrl());
        QTRY_COMPARE_WITH_TIMEOUT(secondGone.size(), 1, 30000);
        QCOMPARE(second.closeCode(), QWebSocketProtocol::CloseCodePolicyViolated);

        QVERIFY(emu.sendStop());
        QTRY_VERIFY_WITH_TIMEOUT(stopSeen, 30000);
        QSignalSpy gone(&emu, &TwilioEmulator::clientDisconnected);
        client.close();
        QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 30000);
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
        QTRY_COMPARE_WITH_TIMEOUT(bot.markEchoes, QStringList{QStringLiteral("still-alive")}, 30000);
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
            QVERIFY(v[i].timeUs >= v[i - 1].timeUs && v[i].sessionSec >= 0);
        QCOMPARE(emu.stats().frames, 0); // nothing invalid reached the buffer
        QCOMPARE(emu.summaryJson().value("violations").toObject().value("byCode").toObject().value("31951").toInt(), 6);
    }

    void nonStandardFrameSizes()
    {
        // Structure only (flagged, not rejected); what 40 ms frames do to the buffer is tested
        // on simulated time (tst_emulator_pacing::simulatedFortyMsFrames).
        FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](FakeBot &b) { b.startPacing(25, 40000, 320); }; // 1 s in 40 ms frames
        TwilioEmulator emu;
        testbots::TapRecorder tap(emu);
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, 25, 30000);
        const ArrivalStats s = emu.stats();
        QCOMPARE(s.nonStandardFrames, 25);
        QCOMPARE(s.sizeHistogram.value(320), 25);
        QCOMPARE(s.firstNonStandardFrame, 0);
        QCOMPARE(emu.violationCount(), 0); // flagged, not rejected: Twilio accepts any size
        QVERIFY(emu.summaryText().contains(QStringLiteral("frames not 160 B: 25")));
        tap.compareWithLive(emu);
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
        QTRY_VERIFY_WITH_TIMEOUT(bot.startSeen, 30000);
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
        QTRY_COMPARE_WITH_TIMEOUT(err.size(), 1, 30000);
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
        QTRY_COMPARE_WITH_TIMEOUT(bot.markEchoes.size(), 1, 30000);
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
        QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 30000);
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
        QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 30000);
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
        QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 30000);
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
