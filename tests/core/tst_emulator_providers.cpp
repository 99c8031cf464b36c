// The emulator speaking every provider profile (EmulatedCall on simulated time): the handshake and
// inbound media in the profile's format, arrival analytics and the buffer model through the
// profile's MediaFormat and limits (Vonage's 3072 messages, Exotel's 320 B multiples), the
// profile's violation codes for malformed messages, clear acknowledgements, mark echoes, dtmf,
// stop, and a recording that plays as a WAV for every format. Every time is chosen by the test,
// so every figure is exact on any machine. The last three functions use real sockets (listen,
// connect-to-bot, a load run) and assert only counts and order. Over 500 lines: one unit, every
// provider as data rows of each behaviour.
#include "audio/WavFile.h"
#include "emulator/EmulatedCall.h"
#include "emulator/TwilioEmulator.h"
#include "load/LoadEmulator.h"
#include "provider/Provider.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>
#include <QtTest>

using namespace pacelab;
using provider::Event;
using provider::Fault;
using provider::Id;

Q_DECLARE_METATYPE(pacelab::provider::Id)

namespace {

constexpr qint64 kT0 = 3'000'000; // session start on the simulated steady clock

struct Recorder final : EmulatedCall::Events
{
    struct Sent
    {
        qint64 atUs;
        provider::WireMessage m;
    };
    qint64 *clock = nullptr;
    QList<Sent> sent;
    QList<Violation> violations;
    QList<PerSecondRx> seconds;
    QStringList closes;
    qint64 mediaBytes = 0;

    void sendToBot(const provider::WireMessage &m) override { sent.append({*clock, m}); }
    void closeToBot(const QString &reason) override { closes.append(reason); }
    void violation(const Violation &v) override { violations.append(v); }
    void secondTick(const PerSecondRx &rx) override { seconds.append(rx); }
    void mediaReceived(const QByteArray &audio) override { mediaBytes += audio.size(); }
};

const provider::Profile &prof(Id id)
{
    return provider::profile(id);
}

} // namespace

class TestEmulatorProviders final : public QObject
{
    Q_OBJECT

    qint64 m_now = 0;
    Recorder m_rec;
    std::unique_ptr<EmulatedCall> m_call;

    void startCall(Id id, EmulatorOptions o = EmulatorOptions())
    {
        m_now = kT0;
        m_rec = Recorder();
        m_rec.clock = &m_now;
        m_call = std::make_unique<EmulatedCall>(&m_rec);
        o.provider = id;
        m_call->start(o, m_now);
    }
    void at(qint64 t)
    {
        m_now = t;
        m_call->advance(t);
    }
    void bot(qint64 t, const provider::WireMessage &m)
    {
        m_now = t;
        m_call->onMessage(t, m.data, m.binary);
    }
    const provider::Profile &p() const { return m_call->profile(); }
    QByteArray frame(int bytes = -1) const
    {
        const MediaFormat f = p().outboundFormat();
        return f.silence(bytes < 0 ? f.frameBytes() : bytes);
    }
    void botMedia(qint64 t, int bytes = -1) { bot(t, p().encodeMedia(m_call->streamSid(), frame(bytes))); }
    // Messages the emulator sent, as a bot reads them.
    QList<provider::Message> parsedSent(Event e) const
    {
        QList<provider::Message> out;
        for (const Recorder::Sent &s : m_rec.sent) {
            const provider::ParseResult r = p().parseFromProvider(s.m.data, s.m.binary, QString());
            if (r.ok() && r.message.event == e)
                out.append(r.message);
        }
        return out;
    }
    static void allProviders()
    {
        QTest::addColumn<Id>("id");
        for (Id id : provider::allIds())
            QTest::newRow(qPrintable(provider::name(id))) << id;
    }

private Q_SLOTS:
    void handshakeAndInboundInTheProfilesFormat_data() { allProviders(); }
    void handshakeAndInboundInTheProfilesFormat()
    {
        QFETCH(Id, id);
        EmulatorOptions o;
        o.caller = CallerAudio::tone(440.0, -12.0);
        startCall(id, o);
        const MediaFormat in = prof(id).inboundFormat();
        const int handshake = m_rec.sent.size();
        QVERIFY(handshake >= 1);
        // Everything before the first media parses as the provider's own messages.
        for (const Recorder::Sent &s : m_rec.sent) {
            const provider::ParseResult r = prof(id).parseFromProvider(s.m.data, s.m.binary, QString());
            QVERIFY2(r.ok(), qPrintable(r.detail));
        }
        for (int k = 1; k <= 10; ++k)
            at(kT0 + k * in.frameUs() - 1); // 10 frames on the profile's grid
        const QList<Recorder::Sent> after = m_rec.sent.mid(handshake);
        QCOMPARE(after.size(), 10);
        for (const Recorder::Sent &s : after) {
            QCOMPARE(s.m.binary, prof(id).inboundAudioIsBinary());
            const provider::ParseResult r = prof(id).parseFromProvider(s.m.data, s.m.binary, m_call->streamSid());
            QVERIFY2(r.ok(), qPrintable(r.detail));
            QCOMPARE(r.message.event, Event::Media);
            QCOMPARE(r.message.audio.size(), in.frameBytes());
            // A tone, not silence: the caller audio was encoded in the stream's format.
            const QVector<qint16> pcm = in.decode(r.message.audio);
            QVERIFY(*std::max_element(pcm.cbegin(), pcm.cend()) > 1000);
        }
        QCOMPARE(m_call->inboundFramesSent(), 10);
    }

    void pcmCallerAudioIsConvertedOnce_data() { allProviders(); }
    void pcmCallerAudioIsConvertedOnce()
    {
        QFETCH(Id, id);
        const MediaFormat in = prof(id).inboundFormat();
        PcmBuffer pcm; // 1 s of a tone at 8 kHz: resampled for a 16 kHz stream
        pcm.samples = signal::sine(8000, 1.0, 300.0, -6.0);
        CallerAudio enc;
        QString err;
        QVERIFY(CallerAudio::encoded(CallerAudio::fromPcm(pcm), &enc, &err, in));
        QVERIFY(enc.isEncodedFor(in));
        // 1 s in the stream's format (a resampler may add or drop a few samples at the ends)
        QVERIFY(std::abs(enc.encodedAudio.size() - in.sampleRate * in.bytesPerSample()) <= in.sampleRate / 100);
        EmulatorOptions o;
        o.caller = enc;
        startCall(id, o);
        const int handshake = m_rec.sent.size();
        for (int k = 1; k <= 3; ++k)
            at(kT0 + k * in.frameUs() - 1);
        QCOMPARE(m_rec.sent.size(), handshake + 3);
        const provider::ParseResult r = prof(id).parseFromProvider(m_rec.sent[handshake + 1].m.data,
                                                                   m_rec.sent[handshake + 1].m.binary, QString());
        QVERIFY(r.ok());
        QCOMPARE(r.message.audio, enc.encodedAudio.mid(in.frameBytes(), in.frameBytes()));
    }

    void wellPacedStream_data() { allProviders(); }
    void wellPacedStream()
    {
        QFETCH(Id, id);
        startCall(id);
        const MediaFormat out = prof(id).outboundFormat();
        const qint64 step = out.frameUs();
        const int fps = 1000 / out.frameMs;
        const int frames = 3 * fps;
        for (int i = 0; i < frames; ++i)
            botMedia(kT0 + 200'000 + i * step);
        at(kT0 + 200'000 + frames * step - 1);
        const ArrivalStats s = m_call->stats();
        QCOMPARE(m_call->violationCount(), 0);
        QCOMPARE(s.frames, qint64(frames));
        QCOMPARE(s.nonStandardFrames, 0);
        QCOMPARE(s.audioMs, 3000.0);
        QCOMPARE(s.fpsPerSecond.value(1), fps);
        QCOMPARE(s.fpsPerSecond.value(2), fps);
        QCOMPARE(s.jitterMs, 0.0);
        QCOMPARE(s.burstCount, 0);
        QCOMPARE(s.deltaMaxMs, double(out.frameMs));
        // Buffered: at most one frame plus the 40 ms jitter buffer, at every second's end.
        QVERIFY(m_call->playout().maxBufferedUs() <= step + 40'000);
        QCOMPARE(m_call->playout().underrunCount(), 0);
        QVERIFY(m_rec.seconds.size() >= 3);
        QCOMPARE(m_rec.seconds[1].fps, fps);
        QCOMPARE(m_rec.mediaBytes, qint64(frames) * out.frameBytes());
        QCOMPARE(m_call->receivedAudio().size(), qsizetype(frames) * out.frameBytes());
    }

    void twiceTooFastSender_data() { allProviders(); }
    void twiceTooFastSender()
    {
        QFETCH(Id, id);
        startCall(id);
        const MediaFormat out = prof(id).outboundFormat();
        const qint64 step = out.frameUs() / 2;
        const int frames = 3 * 1000 / out.frameMs * 2; // 6 s of audio in 3 s
        for (int i = 0; i < frames; ++i)
            botMedia(kT0 + i * step);
        at(kT0 + frames * step);
        const ArrivalStats s = m_call->stats();
        QCOMPARE(m_call->violationCount(), 0);
        QVERIFY(s.burstCount >= 1);
        QCOMPARE(s.fpsPerSecond.value(1), 2 * 1000 / out.frameMs);
        // 6 s received in 3 s: 3 s (+ the jitter buffer) still buffered, grown second by second.
        QVERIFY2(std::abs(m_call->playout().bufferedUs() - 3'040'000) <= out.frameUs(),
                 qPrintable(QString::number(m_call->playout().bufferedUs())));
        QVERIFY(m_rec.seconds.size() >= 2);
        QVERIFY(m_rec.seconds[1].bufferedSec > m_rec.seconds[0].bufferedSec + 0.8);
    }

    void vonageDiscardsBeyond3072Messages()
    {
        startCall(Id::Vonage);
        QCOMPARE(p().limits().maxBufferedMessages, qint64(3072));
        // 3100 frames of 20 ms within 3.1 ms (before anything plays): the limit is met by count
        // (61 s of audio), not by duration.
        for (int i = 0; i < 3100; ++i)
            botMedia(kT0 + i);
        const int code = p().codeFor(Fault::MediaDiscarded);
        QCOMPARE(code, provider::kPaceLabCodeBase + int(Fault::MediaDiscarded));
        QCOMPARE(m_call->stats().frames, qint64(3072));
        QCOMPARE(m_call->mediaDiscardedFrames(), qint64(28));
        QCOMPARE(m_call->playout().maxBufferedMessages(), qint64(3072));
        QCOMPARE(m_call->violationCount(), 1); // once per episode
        QCOMPARE(m_call->violations().first().code, code);
        QVERIFY2(m_call->violations().first().message.contains(QStringLiteral("3072 messages")),
                 qPrintable(m_call->violations().first().message));
        // Once some has played, media is accepted again.
        const qint64 before = m_call->stats().frames;
        botMedia(kT0 + 200'000); // 8 frames played by now
        QCOMPARE(m_call->stats().frames, before + 1);
        QVERIFY(m_call->summaryText(m_now).contains(QStringLiteral("of 3072 messages")));
    }

    void playoutModelCountsMessagesAndTime()
    {
        // The model on its own: 16 kHz L16 (640 B = 20 ms), at most 3 messages waiting.
        PlayoutConfig c;
        c.format = MediaFormat::l16(16000);
        c.jitterBufferUs = 0;
        c.maxBufferedMessages = 3;
        PlayoutModel pm(c);
        QList<MarkEcho> echoes;
        pm.setEchoCallback([&echoes](const MarkEcho &e) { echoes.append(e); });
        QVERIFY(pm.feed(1'000'000, 640));
        QCOMPARE(pm.bufferedUs(), 20'000);
        QVERIFY(pm.feed(1'000'000, 640));
        QVERIFY(pm.feed(1'000'000, 640));
        QCOMPARE(pm.bufferedMessages(), 3);
        QVERIFY(!pm.feed(1'000'000, 640));
        QCOMPARE(pm.lastRefusal(), PlayoutModel::Refusal::Messages);
        QCOMPARE(pm.discardedOverflowBytes(), 640);
        QVERIFY(pm.feed(1'020'000, 640)); // the first has played
        QCOMPARE(pm.lastRefusal(), PlayoutModel::Refusal::None);
        QCOMPARE(pm.bufferedMessages(), 3);
        QCOMPARE(pm.bufferedUs(), 60'000);
        pm.mark(1'020'000, QStringLiteral("m"));
        QCOMPARE(pm.clear(1'030'000, false), 0); // a provider that drops pending marks on clear
        QVERIFY(echoes.isEmpty());
        QCOMPARE(pm.marksDroppedByClear(), 1);
        QCOMPARE(pm.bufferedMessages(), 0);
        QCOMPARE(pm.bufferedUs(), 0);
        QCOMPARE(pm.maxBufferedMessages(), 3);
    }

    void twilioDiscardsBeyondTenMinutesAsBefore()
    {
        startCall(Id::Twilio);
        QCOMPARE(m_call->playout().config().maxBufferedMessages, qint64(-1));
        QCOMPARE(m_call->playout().config().maxBufferedUs, qint64(600'000'000));
    }

    void exotelChunkNotAMultipleOf320()
    {
        startCall(Id::Exotel);
        QCOMPARE(p().outboundFormat().frameBytes(), 1600); // 100 ms of 8 kHz L16
        botMedia(kT0 + 100'000);                          // 1600 B: fine
        botMedia(kT0 + 200'000, 1700);                    // not a multiple of 320
        botMedia(kT0 + 300'000, 3200);                    // 200 ms: fine, but not the standard chunk
        QCOMPARE(m_call->violationCount(), 1);
        const Violation v = m_call->violations().first();
        QCOMPARE(v.code, p().codeFor(Fault::BadAudioSize));
        QVERIFY2(v.message.contains(QStringLiteral("320")), qPrintable(v.message));
        const ArrivalStats s = m_call->stats();
        QCOMPARE(s.frames, 2); // the refused chunk reaches neither the buffer nor the statistics
        QCOMPARE(s.nonStandardFrames, 1);
        QCOMPARE(s.audioMs, 300.0);
    }

    void malformedMessagesGetTheProfilesCode_data()
    {
        QTest::addColumn<Id>("id");
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<bool>("binary");
        QTest::addColumn<int>("fault");
        QTest::addColumn<QString>("says");
        for (Id id : provider::allIds()) {
            const QString n = provider::name(id);
            QTest::newRow(qPrintable(n + "/bad json")) << id << QByteArray("{oops") << false << int(Fault::InvalidMessage) << QString();
            QTest::newRow(qPrintable(n + "/unknown event"))
                << id << QByteArray(R"({"event":"dance","action":"dance"})") << false << int(Fault::InvalidMessage) << QStringLiteral("dance");
        }
        for (Id id : {Id::Twilio, Id::Telnyx, Id::Plivo, Id::Exotel})
            QTest::newRow(qPrintable(provider::name(id) + "/binary frame"))
                << id << QByteArray(160, '\x7f') << true << int(Fault::RawOrBinaryAudio) << QStringLiteral("160");
        QTest::newRow("vonage/short binary frame") << Id::Vonage << QByteArray(100, '\0') << true << int(Fault::BadAudioSize) << QStringLiteral("640");
        QTest::newRow("vonage/base64 audio as text") << Id::Vonage << QByteArray(200, 'A') << false << int(Fault::RawOrBinaryAudio) << QStringLiteral("binary");
        QTest::newRow("twilio/foreign streamSid")
            << Id::Twilio << QByteArray(R"({"event":"media","streamSid":"MZ0","media":{"payload":"AAAA"}})") << false
            << int(Fault::InvalidMessage) << QStringLiteral("streamSid");
        QTest::newRow("plivo/twilio's media event")
            << Id::Plivo << QByteArray(R"({"event":"media","media":{"payload":"AAAA"}})") << false
            << int(Fault::InvalidMessage) << QStringLiteral("playAudio");
    }
    void malformedMessagesGetTheProfilesCode()
    {
        QFETCH(Id, id);
        QFETCH(QByteArray, data);
        QFETCH(bool, binary);
        QFETCH(int, fault);
        QFETCH(QString, says);
        startCall(id);
        bot(kT0 + 10'000, {data, binary});
        QCOMPARE(m_call->violationCount(), 1);
        const Violation v = m_call->violations().first();
        QCOMPARE(v.code, prof(id).codeFor(Fault(fault)));
        QVERIFY(v.message.size() > 10);
        if (!says.isEmpty())
            QVERIFY2(v.message.contains(says), qPrintable(v.message));
        QCOMPARE(m_call->stats().frames, 0); // ignored: the stream goes on
        botMedia(kT0 + 20'000);
        QCOMPARE(m_call->stats().frames, 1);
        QCOMPARE(m_call->violationCount(), 1);
    }

    void clearAckAndMarkEchoes_data() { allProviders(); }
    void clearAckAndMarkEchoes()
    {
        QFETCH(Id, id);
        startCall(id);
        const MediaFormat out = prof(id).outboundFormat();
        const QString sid = m_call->streamSid();
        // 1 s of audio at once, then a mark: echoed once that second has played.
        const int frames = 1000 / out.frameMs;
        for (int i = 0; i < frames; ++i)
            botMedia(kT0 + 100'000);
        bot(kT0 + 100'000, p().encodeMark(sid, QStringLiteral("played")));
        at(kT0 + 900'000);
        QCOMPARE(parsedSent(Event::Mark).size(), 0);
        at(kT0 + 1'200'000);
        QList<provider::Message> echoes = parsedSent(Event::Mark);
        QCOMPARE(echoes.size(), 1);
        QCOMPARE(echoes.first().markName, QStringLiteral("played"));

        // Another second, a mark pending behind it, then clear.
        for (int i = 0; i < frames; ++i)
            botMedia(kT0 + 1'300'000);
        bot(kT0 + 1'300'000, p().encodeMark(sid, QStringLiteral("pending")));
        const int sentBefore = m_rec.sent.size();
        bot(kT0 + 1'500'000, p().encodeClear(sid));
        QCOMPARE(m_call->violationCount(), 0);
        QCOMPARE(m_call->clearsReceived(), 1);
        QCOMPARE(m_call->playout().bufferedUs(), 0);
        echoes = parsedSent(Event::Mark);
        const bool echoOnClear = prof(id).clearEchoesPendingMarks();
        QCOMPARE(echoes.size(), echoOnClear ? 2 : 1);
        if (echoOnClear)
            QCOMPARE(echoes.last().markName, QStringLiteral("pending"));
        else
            QCOMPARE(m_call->playout().marksDroppedByClear(), 1);
        const QList<provider::Message> acks = parsedSent(Event::Cleared);
        const bool acked = id == Id::Plivo || id == Id::Vonage;
        qint64 seq = 0;
        QCOMPARE(prof(id).encodeClearAck(m_call->startParams(), &seq).has_value(), acked);
        QCOMPARE(acks.size(), acked ? 1 : 0);
        // The acknowledgement comes last, after any echo the clear released.
        if (acked) {
            const Recorder::Sent last = m_rec.sent.last();
            QCOMPARE(prof(id).parseFromProvider(last.m.data, last.m.binary, QString()).message.event, Event::Cleared);
        }
        QCOMPARE(m_rec.sent.size(), sentBefore + (echoOnClear ? 1 : 0) + (acked ? 1 : 0));
        // The pending mark is never echoed later either.
        at(kT0 + 4'000'000);
        QCOMPARE(parsedSent(Event::Mark).size(), echoOnClear ? 2 : 1);
    }

    void dtmfAndStop_data() { allProviders(); }
    void dtmfAndStop()
    {
        QFETCH(Id, id);
        EmulatorOptions o;
        o.sendInboundMedia = false;
        startCall(id, o);
        QVERIFY(m_call->sendDtmf(QStringLiteral("5")));
        QVERIFY(!m_call->sendDtmf(QStringLiteral("x")));
        const QList<provider::Message> dtmf = parsedSent(Event::Dtmf);
        QCOMPARE(dtmf.size(), 1);
        QCOMPARE(dtmf.first().digit, QStringLiteral("5"));
        QVERIFY(m_call->sendStop());
        QVERIFY(!m_call->sendStop());
        qint64 seq = 0;
        const bool hasStop = prof(id).encodeStop(m_call->startParams(), &seq).has_value();
        QCOMPARE(parsedSent(Event::Stop).size(), hasStop ? 1 : 0);
        QCOMPARE(m_rec.closes.size(), hasStop ? 0 : 1); // Plivo, Vonage: the socket closes
    }

    void recordingPlaysAsWav_data() { allProviders(); }
    void recordingPlaysAsWav()
    {
        QFETCH(Id, id);
        startCall(id);
        const MediaFormat out = prof(id).outboundFormat();
        const QVector<qint16> tone = signal::sine(out.sampleRate, 0.5, 500.0, -6.0);
        const QByteArray wire = out.encode(tone);
        for (qsizetype off = 0; off < wire.size(); off += out.frameBytes())
            bot(kT0 + off, p().encodeMedia(m_call->streamSid(), wire.mid(off, out.frameBytes())));
        QCOMPARE(m_call->receivedAudio(), wire);
        QCOMPARE(m_call->receivedPcm().size(), tone.size());
        QTemporaryDir dir;
        for (auto enc : {EmulatorOptions::RecordEncoding::Mulaw, EmulatorOptions::RecordEncoding::Pcm16}) {
            const QString path = dir.filePath(QStringLiteral("rec-%1.wav").arg(int(enc)));
            QString err;
            QVERIFY2(saveRecordingOf(*m_call, path, enc, &err), qPrintable(err));
            const wav::ReadResult r = wav::readFile(path);
            QVERIFY2(r.ok, qPrintable(r.error));
            QCOMPARE(r.pcm.sampleRate, out.sampleRate);
            QCOMPARE(r.pcm.channels, 1);
            QCOMPARE(r.pcm.samples.size(), tone.size());
        }
    }

    void summaryNamesTheProvider()
    {
        startCall(Id::Exotel);
        botMedia(kT0 + 100'000, 3200);
        const QJsonObject o = m_call->summaryJson(m_now);
        QCOMPARE(o.value(QStringLiteral("provider")).toString(), QStringLiteral("exotel"));
        QVERIFY(m_call->summaryText(m_now).contains(QStringLiteral("frames not 1600 B: 1")));
    }

    // Real sockets (counts and order only: they hold on a saturated machine).
    void listenModeSpeaksVonage()
    {
        TwilioEmulator emu;
        EmulatorOptions o;
        o.provider = Id::Vonage;
        emu.setOptions(o);
        QVERIFY(emu.listen());
        QWebSocket client;
        QList<provider::WireMessage> got;
        connect(&client, &QWebSocket::textMessageReceived, &client, [&got](const QString &t) { got.append({t.toUtf8(), false}); });
        connect(&client, &QWebSocket::binaryMessageReceived, &client, [&got](const QByteArray &b) { got.append({b, true}); });
        client.open(emu.serverUrl());
        QTRY_VERIFY_WITH_TIMEOUT(client.state() == QAbstractSocket::ConnectedState, 20000);
        QTRY_VERIFY_WITH_TIMEOUT(got.size() >= 3, 20000);
        const provider::Profile &v = prof(Id::Vonage);
        // websocket:connected first (text), then 640 B binary frames of caller audio.
        QVERIFY(!got.first().binary);
        QCOMPARE(v.parseFromProvider(got.first().data, false).message.event, Event::Connected);
        QVERIFY(got[1].binary);
        QCOMPARE(got[1].data.size(), 640);
        for (int i = 0; i < 20; ++i)
            client.sendBinaryMessage(QByteArray(640, '\0'));
        const provider::WireMessage notify = v.encodeMark(QString(), QStringLiteral("m1"));
        client.sendTextMessage(QString::fromUtf8(notify.data));
        client.sendTextMessage(QString::fromUtf8(v.encodeClear(QString()).data));
        QTRY_COMPARE_WITH_TIMEOUT(emu.call().clearsReceived(), 1, 20000);
        QCOMPARE(emu.stats().frames, 20);
        QCOMPARE(emu.call().marksReceived(), 1);
        QCOMPARE(emu.violationCount(), 0);
        auto texts = [&got, &v](Event e) {
            int n = 0;
            for (const provider::WireMessage &m : got)
                n += !m.binary && v.parseFromProvider(m.data, false).message.event == e ? 1 : 0;
            return n;
        };
        QTRY_COMPARE_WITH_TIMEOUT(texts(Event::Cleared), 1, 20000);
        QCOMPARE(texts(Event::Mark), 0); // Vonage does not echo a notify its clear dropped (assumption)
        emu.stop();
    }

    void connectToBotSpeaksExotel()
    {
        const provider::Profile &x = prof(Id::Exotel);
        QWebSocketServer server(QStringLiteral("exotel bot"), QWebSocketServer::NonSecureMode);
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QList<provider::Message> heard;
        QPointer<QWebSocket> sock;
        connect(&server, &QWebSocketServer::newConnection, &server, [&] {
            sock = server.nextPendingConnection();
            sock->setParent(&server); // QWebSocketServer hands sockets over unowned: go with the server
            connect(sock, &QWebSocket::textMessageReceived, sock, [&, s = sock.data()](const QString &t) {
                const provider::ParseResult r = x.parseFromProvider(t.toUtf8(), false);
                if (!r.ok())
                    return;
                heard.append(r.message);
                if (r.message.event == Event::Start) { // the bot answers with 5 chunks of 100 ms and a mark
                    for (int i = 0; i < 5; ++i)
                        s->sendTextMessage(QString::fromUtf8(x.encodeMedia(r.message.streamId, QByteArray(1600, '\0')).data));
                    s->sendTextMessage(QString::fromUtf8(x.encodeMark(r.message.streamId, QStringLiteral("done")).data));
                }
            });
        });
        TwilioEmulator emu;
        EmulatorOptions o;
        o.provider = Id::Exotel;
        QVERIFY(emu.connectToBot(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(server.serverPort())), o));
        QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, 5, 20000);
        // The mark is echoed once the 500 ms have played.
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(heard.cbegin(), heard.cend(), [](const provider::Message &m) {
            return m.event == Event::Mark && m.markName == QLatin1String("done");
        }), 20000);
        QCOMPARE(emu.violationCount(), 0);
        QCOMPARE(emu.stats().nonStandardFrames, 0);
        QVERIFY(heard.size() >= 2);
        QCOMPARE(heard.first().event, Event::Connected);
        QCOMPARE(heard[1].event, Event::Start);
        for (const provider::Message &m : heard)
            if (m.event == Event::Media)
                QCOMPARE(m.audio.size(), 1600);
        emu.stop();
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(heard.cbegin(), heard.cend(), [](const provider::Message &m) { return m.event == Event::Stop; }), 20000);
    }

    void loadRunSpeaksVonage()
    {
        // Two load calls against a bot that answers each with paced 640 B binary frames and,
        // on the emulator's dtmf, a notify.
        const provider::Profile &v = prof(Id::Vonage);
        QWebSocketServer server(QStringLiteral("vonage bot"), QWebSocketServer::NonSecureMode);
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QList<QPointer<QWebSocket>> socks;
        int connectedEvents = 0, dtmfs = 0;
        connect(&server, &QWebSocketServer::newConnection, &server, [&] {
            QWebSocket *s = server.nextPendingConnection();
            s->setParent(&server); // QWebSocketServer hands sockets over unowned: go with the server
            socks.append(s);
            connect(s, &QWebSocket::textMessageReceived, s, [&, s](const QString &t) {
                const provider::ParseResult r = v.parseFromProvider(t.toUtf8(), false);
                if (r.ok() && r.message.event == Event::Connected)
                    ++connectedEvents;
                if (r.ok() && r.message.event == Event::Dtmf) {
                    ++dtmfs;
                    s->sendTextMessage(QString::fromUtf8(v.encodeMark(QString(), QStringLiteral("dtmf")).data));
                }
            });
        });
        QTimer pace;
        pace.setTimerType(Qt::PreciseTimer);
        connect(&pace, &QTimer::timeout, &server, [&] {
            for (const QPointer<QWebSocket> &s : std::as_const(socks))
                if (s && s->state() == QAbstractSocket::ConnectedState)
                    s->sendBinaryMessage(QByteArray(640, '\0'));
        });
        pace.start(20);
        LoadOptions o;
        o.botUrl = QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(server.serverPort()));
        o.calls = 2;
        o.rampPerSec = 0;
        o.durationSec = 2.5; // long enough for two loopback connects on a saturated machine
        o.workers = 1;
        o.dtmfAtSec = 0.3;
        o.call.provider = Id::Vonage;
        LoadEmulator emu;
        QSignalSpy finished(&emu, &LoadEmulator::finished);
        QString error;
        QVERIFY2(emu.start(o, &error), qPrintable(error));
        QVERIFY(finished.wait(60'000));
        const LoadRun run = emu.run();
        QCOMPARE(run.steps.size(), 1);
        QCOMPARE(run.steps.first().calls.size(), 2);
        QCOMPARE(connectedEvents, 2);
        for (const CallResult &c : run.steps.first().calls) {
            QVERIFY2(c.connected, qPrintable(c.failReason));
            QVERIFY(c.frames > 0);
            QCOMPARE(c.violations, 0);
            QCOMPARE(c.nonStandardFrames, 0);
        }
        QTRY_COMPARE_WITH_TIMEOUT(dtmfs, 2, 20000);
    }
};

QTEST_GUILESS_MAIN(TestEmulatorProviders)
#include "tst_emulator_providers.moc"
