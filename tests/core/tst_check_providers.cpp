// The checklist's bot set per provider profile (Twilio, Telnyx, Vonage, Plivo, Exotel).
// Verdicts are judged on simulated arrivals fed through the real ArrivalAnalytics / PlayoutModel,
// set up for each profile (analyticsConfigFor / playoutConfigFor), as tst_check_judges does for
// Twilio: the well-behaved bot passes B2/B3/B5 and each broken twin (bursty, slow clock, glued
// frames) fails on the right criterion, with the fps target and frame size taken from the
// profile (50 fps of 640 B for Vonage, 10 fps of 1600 B for Exotel). Malformed media per profile
// is rejected with the provider's code (Twilio 31950/31951) or PaceLab's (9001/9002/9005) and
// a message naming the fault. The audio helpers the reference bots use (framing, level,
// numbered silence, start event) are checked per format. Real time, asserting only what holds
// on a saturated machine: B3 against PaceLab's reference bot speaking each profile (a judged
// verdict, every frame the profile's size, no media rejected) and its glued-frames twin, and a
// short load run per provider against the LoadReferenceBot (counts only).
// Over 500 lines on purpose: every case is data-driven over the five profiles and shares the
// simulated emulator below; one executable keeps the suite's process start-ups down.
#include "check/Judges.h"
#include "check/ProfileAudio.h"
#include "check/ScenarioRunner.h"
#include "check/SpeechSynth.h"
#include "tts/EspeakTts.h"
#include "emulator/PerSecondRxBuilder.h"
#include "engine/SenderConfig.h"
#include "emulator/ProfileModels.h"
#include "load/LoadEmulator.h"
#include "load/LoadReferenceBot.h"
#include "twilio/TwilioMessages.h"

#include <QSignalSpy>
#include <QtTest>

#include <cmath>
#include <type_traits>
#include <utility>

using namespace pacelab;
using namespace pacelab::check;

Q_DECLARE_METATYPE(pacelab::provider::Id)


namespace {

const provider::Profile &prof(provider::Id id)
{
    return provider::profile(id);
}

// The emulator's receive path for one profile on a simulated clock (TwilioEmulator's call order).
class Sim
{
public:
    explicit Sim(const provider::Profile &p)
        : m_a(analyticsConfigFor(p, ArrivalAnalyticsConfig())), m_p(playoutConfigFor(p, PlayoutConfig()))
    {
        m_a.setOriginUs(m_start);
    }
    void media(qint64 tUs, int bytes)
    {
        advance(tUs);
        m_p.feed(tUs, bytes);
        m_a.addFrame(tUs, bytes);
    }
    void mark(qint64 tUs, const QString &name)
    {
        advance(tUs);
        m_p.mark(tUs, name);
    }
    void advance(qint64 tUs)
    {
        while (tUs >= m_start + qint64(m_next + 1) * 1'000'000) {
            m_p.advance(m_start + qint64(m_next + 1) * 1'000'000);
            m_b.next(m_next++, m_a.stats(), m_p, 0);
        }
        m_p.advance(tUs);
    }
    PeerObservation finish(qint64 endUs)
    {
        advance(endUs);
        return PeerObservation::fromModels(m_a, m_p);
    }
    qint64 start() const { return m_start; }

private:
    qint64 m_start = 1'000'000;
    int m_next = 0;
    ArrivalAnalytics m_a;
    PlayoutModel m_p;
    PerSecondRxBuilder m_b;
};

// ±0.8 ms of deterministic jitter, as loopback shows it.
qint64 jitterUs(int i)
{
    return qint64((i * 7919) % 17 - 8) * 100;
}

enum class Twin { Healthy, Bursty, SlowClock, GluedFrames };

// `seconds` of a bot speaking the profile's format, starting 300 ms into the session:
// Healthy: one frame per frameMs on absolute deadlines, a mark after every second of audio.
// Bursty: each second's frames all at once, once a second. SlowClock: 2 % slow
// ("sleep(frameMs)" after each send on a loaded machine). GluedFrames: two frames per message.
struct Simulated
{
    PeerObservation peer;
    QStringList marksSent;
};
Simulated simulate(provider::Id id, Twin twin, double seconds = 10.0)
{
    const MediaFormat f = prof(id).outboundFormat();
    Sim sim(prof(id));
    Simulated out;
    const qint64 t0 = sim.start() + 300'000;
    const int perSec = 1000 / f.frameMs;
    const int frames = int(seconds * perSec);
    const int bytes = twin == Twin::GluedFrames ? 2 * f.frameBytes() : f.frameBytes();
    const double interval = twin == Twin::SlowClock ? f.frameUs() * 1.02 : twin == Twin::GluedFrames ? 2.0 * f.frameUs() : f.frameUs();
    const int messages = twin == Twin::GluedFrames ? frames / 2 : frames;
    qint64 t = t0;
    for (int i = 0; i < messages; ++i) {
        if (twin == Twin::Bursty)
            t = t0 + qint64(i / perSec) * 1'000'000 + (i % perSec) * 50; // a second's frames at once
        else
            t = t0 + qint64(std::llround(i * interval)) + jitterUs(i);
        sim.media(t, bytes);
        if (twin == Twin::Healthy && (i + 1) % perSec == 0) {
            const QString name = QStringLiteral("m%1").arg((i + 1) / perSec);
            sim.mark(t, name);
            out.marksSent << name;
        }
    }
    // Judged as the scenario does: at the end of the session, the last audio still playing out.
    out.peer = sim.finish(t + 200'000);
    return out;
}

ScenarioResult judge(provider::Id id, const QString &scenario, const Simulated &s, const Thresholds &th)
{
    BotObservation o;
    o.id = scenario;
    o.provider = id;
    o.sessionSec = 10.0;
    o.peer = s.peer;
    o.knowsMarksSent = !s.marksSent.isEmpty();
    o.marksSent = s.marksSent;
    Judgement j;
    judgeBot(o, th, j);
    ScenarioResult r;
    r.id = scenario;
    r.verdict = j.verdict(&r.reason);
    r.criteria = j.criteria;
    return r;
}

Thresholds thresholdsFor(provider::Id id)
{
    return Thresholds().forFormat(prof(id).outboundFormat());
}

const Criterion *criterion(const ScenarioResult &r, const QString &nameStart)
{
    for (const Criterion &c : r.criteria)
        if (c.name.startsWith(nameStart))
            return &c;
    return nullptr;
}

bool failedOn(const ScenarioResult &r, const QString &nameStart)
{
    const Criterion *c = criterion(r, nameStart);
    return r.verdict == Verdict::Fail && c && !c->pass && !c->informational;
}

QByteArray describe(const ScenarioResult &r)
{
    QString s = QStringLiteral("%1 %2: %3\n").arg(r.id, verdictName(r.verdict), r.reason);
    for (const Criterion &c : r.criteria)
        s += QStringLiteral("  %1 %2: %3 (limit %4)\n").arg(c.pass ? QStringLiteral("ok  ") : QStringLiteral("FAIL"), c.name, c.measured, c.limit);
    return s.toUtf8();
}

// A frame of the profile's format that is not silence (a quiet tone).
QByteArray toneFrame(const MediaFormat &f)
{
    QVector<qint16> pcm(f.samplesPerFrame());
    for (int i = 0; i < pcm.size(); ++i)
        pcm[i] = qint16(3000 * std::sin(2 * M_PI * 400.0 * i / f.sampleRate));
    return f.encode(pcm);
}

// The profile's media message with its base64 payload replaced by text that is not base64.
QByteArray badBase64Media(const provider::Profile &p, const QString &sid)
{
    const QByteArray audio = toneFrame(p.outboundFormat());
    QByteArray json = p.encodeMedia(sid, audio).data;
    const QByteArray b64 = audio.toBase64();
    Q_ASSERT(json.contains(b64));
    json.replace(b64, QByteArray("%%not*base64%%"));
    return json;
}

void addRows()
{
    QTest::addColumn<provider::Id>("id");
    for (provider::Id id : provider::allIds())
        QTest::newRow(qPrintable(provider::name(id))) << id;
}

} // namespace

class TestCheckProviders final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // ---- thresholds follow the profile's frame -----------------------------------------------

    void thresholdsFollowTheFrame_data() { addRows(); }
    void thresholdsFollowTheFrame()
    {
        QFETCH(provider::Id, id);
        const MediaFormat f = prof(id).outboundFormat();
        const Thresholds th = thresholdsFor(id);
        QCOMPARE(th.fpsTarget, 1000 / f.frameMs);
        QCOMPARE(th.frameBytes, f.frameBytes());
        QCOMPARE(th.e1Frames, 5000 / f.frameMs);
        // Bounds keep their duration, as SessionConfig::setProvider rescales the engine's.
        QCOMPARE(th.queueCapacity * f.frameMs, 120 * 20);
        QCOMPARE(th.sendQueueCapacity * f.frameMs, 120 * 20);
        QCOMPARE(th.steadyDepthLimit * f.frameMs, 60 * 20);
        QCOMPARE(th.callDepthLimit, f.frameMs == 20 ? 10 : 10 * 20 / f.frameMs + 1); // + room for a mark
        QCOMPARE(th.botFpsTolerance, f.frameMs == 20 ? 2 : 1);
        if (id == provider::Id::Twilio) { // Twilio's checklist is unchanged
            QCOMPARE(th.toJson(), Thresholds().toJson());
        }
        // An explicit override survives.
        Thresholds custom;
        custom.fpsTarget = 40;
        QCOMPARE(custom.forFormat(f).fpsTarget, 40);
    }

    void knownFrames()
    {
        QCOMPARE(thresholdsFor(provider::Id::Vonage).frameBytes, 640);   // 20 ms of 16 kHz L16
        QCOMPARE(thresholdsFor(provider::Id::Exotel).frameBytes, 1600);  // 100 ms of 8 kHz L16
        QCOMPARE(thresholdsFor(provider::Id::Exotel).fpsTarget, 10);
        QCOMPARE(thresholdsFor(provider::Id::Telnyx).frameBytes, 160);
        QCOMPARE(thresholdsFor(provider::Id::Plivo).fpsTarget, 50);
    }

    // ---- B2/B3/B5 on simulated arrivals, per profile --------------------------------------------

    void wellBehavedBotPasses_data() { addRows(); }
    void wellBehavedBotPasses()
    {
        QFETCH(provider::Id, id);
        const Simulated s = simulate(id, Twin::Healthy);
        const Thresholds th = thresholdsFor(id);
        for (const char *b : {"B2", "B3", "B5"}) {
            const ScenarioResult r = judge(id, QString::fromLatin1(b), s, th);
            QVERIFY2(r.verdict == Verdict::Pass, describe(r));
        }
        const ScenarioResult b3 = judge(id, QStringLiteral("B3"), s, th);
        QVERIFY2(criterion(b3, QStringLiteral("frames of %1 B").arg(th.frameBytes)), describe(b3));
        const ScenarioResult b2 = judge(id, QStringLiteral("B2"), s, th);
        QCOMPARE(criterion(b2, QStringLiteral("fps at the peer"))->limit,
                 QStringLiteral("%1 ± %2").arg(th.fpsTarget).arg(th.botFpsTolerance));
    }

    // Judged with Twilio's numbers, a well-behaved bot of 100 ms frames fails: the fps limits
    // really come from the profile. (Frame sizes are counted by the analytics against the
    // profile's format: analyticsConfigFor.)
    void twilioLimitsDoNotFitOtherFrames()
    {
        const Simulated exotel = simulate(provider::Id::Exotel, Twin::Healthy);
        const ScenarioResult r = judge(provider::Id::Exotel, QStringLiteral("B2"), exotel, Thresholds());
        QVERIFY2(failedOn(r, QStringLiteral("fps at the peer")), describe(r));
        QVERIFY2(r.reason.contains(QLatin1String("9 s outside")) && r.reason.contains(QStringLiteral("50 ± 2")), describe(r)); // ~10 fps measured
    }

    void burstyTwinFailsOnBursts_data() { addRows(); }
    void burstyTwinFailsOnBursts()
    {
        QFETCH(provider::Id, id);
        const ScenarioResult r = judge(id, QStringLiteral("B2"), simulate(id, Twin::Bursty), thresholdsFor(id));
        QVERIFY2(failedOn(r, QStringLiteral("bursts")), describe(r));
        QVERIFY2(failedOn(r, QStringLiteral("audio buffered at the peer")), describe(r));
    }

    void slowClockTwinFailsOnDrift_data() { addRows(); }
    void slowClockTwinFailsOnDrift()
    {
        QFETCH(provider::Id, id);
        const ScenarioResult r = judge(id, QStringLiteral("B2"), simulate(id, Twin::SlowClock), thresholdsFor(id));
        QVERIFY2(failedOn(r, QStringLiteral("clock drift at the peer")), describe(r));
        QVERIFY2(criterion(r, QStringLiteral("clock drift at the peer"))->measured.startsWith(QLatin1Char('-')), describe(r));
    }

    void gluedFramesTwinFailsFrames_data() { addRows(); }
    void gluedFramesTwinFailsFrames()
    {
        QFETCH(provider::Id, id);
        const Thresholds th = thresholdsFor(id);
        const ScenarioResult r = judge(id, QStringLiteral("B3"), simulate(id, Twin::GluedFrames), th);
        QVERIFY2(failedOn(r, QStringLiteral("frames of %1 B").arg(th.frameBytes)), describe(r));
        QVERIFY2(r.reason.contains(QStringLiteral("%1 B").arg(2 * th.frameBytes)), describe(r));
    }

    // ---- what the bot sends, judged with the profile --------------------------------------------

    void referenceMessagesAreAccepted_data() { addRows(); }
    void referenceMessagesAreAccepted()
    {
        QFETCH(provider::Id, id);
        const provider::Profile &p = prof(id);
        const QString sid = p.withIds({}).streamId;
        RejectedMedia rej;
        rej.provider = id;
        for (int i = 0; i < 25; ++i) {
            const provider::WireMessage m = p.encodeMedia(sid, toneFrame(p.outboundFormat()));
            rej.observe(m.binary, m.data, p.botMessagesCarryStreamId() ? sid : QString());
        }
        for (const provider::WireMessage &m : {p.encodeMark(sid, QStringLiteral("m1")), p.encodeClear(sid)})
            rej.observe(m.binary, m.data, p.botMessagesCarryStreamId() ? sid : QString());
        QCOMPARE(rej.mediaMessages, 25);
        QCOMPARE(rej.binaryFrames, 0);
        QVERIFY2(rej.rejected == 0, qPrintable(rej.firstReason()));
    }

    void malformedMediaGetsTheProvidersCode_data()
    {
        QTest::addColumn<provider::Id>("id");
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<bool>("binary");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("mentions"); // a word of the message that says what is wrong
        QTest::addColumn<QString>("sid");      // the stream's id
        using provider::Id;
        for (Id id : provider::allIds()) {
            const provider::Profile &p = prof(id);
            const QString sid = p.withIds({}).streamId;
            const QByteArray frame = toneFrame(p.outboundFormat());
            const QString n = provider::name(id);
            auto row = [&](const char *what, const QByteArray &data, bool binary, int code, const QString &mentions) {
                QTest::newRow(qPrintable(QStringLiteral("%1 %2").arg(n, QLatin1String(what)))) << id << data << binary << code << mentions << sid;
            };
            if (!p.outboundAudioIsBinary()) {
                const int raw = id == Id::Twilio ? 31950 : 9002;
                const int invalid = id == Id::Twilio ? 31951 : 9001;
                row("raw audio in a binary frame", frame, true, raw, QStringLiteral("binary"));
                row("payload not base64", badBase64Media(p, sid), false, invalid, QStringLiteral("base64"));
            }
            // Only where the bot's media names the stream (Plivo's playAudio does not).
            if (p.botMessagesCarryStreamId() && p.encodeMedia(sid, frame).data.contains(sid.toUtf8()))
                row("another stream's id", p.encodeMedia(sid + QStringLiteral("x"), frame).data, false,
                    id == Id::Twilio ? 31951 : 9001, QString());
            if (id == Id::Vonage) {
                row("8 kHz frame (320 B)", frame.left(320), true, 9005, QStringLiteral("640"));
                row("a WAV file as is", QByteArray("RIFF\x24\x02\x00\x00WAVEfmt ", 16) + frame.left(624), true, 9002, QStringLiteral("RIFF"));
                row("base64 audio as text (Twilio's media)", twilio::encodeMedia(sid, frame), false, 9002, QStringLiteral("binary"));
            }
            if (id == Id::Exotel)
                row("Twilio's 160 B chunk", p.encodeMedia(sid, frame.left(160)).data, false, 9005, QStringLiteral("320"));
            if (id == Id::Telnyx)
                row("10 ms of audio", p.encodeMedia(sid, frame.left(80)).data, false, 9005, QStringLiteral("ms"));
        }
    }
    void malformedMediaGetsTheProvidersCode()
    {
        QFETCH(provider::Id, id);
        QFETCH(QByteArray, data);
        QFETCH(bool, binary);
        QFETCH(int, code);
        QFETCH(QString, mentions);
        QFETCH(QString, sid);
        const provider::Profile &p = prof(id);
        RejectedMedia rej;
        rej.provider = id;
        rej.observe(binary, data, p.botMessagesCarryStreamId() ? sid : QString());
        QCOMPARE(rej.rejected, 1);
        QCOMPARE(rej.mediaMessages + rej.binaryFrames, 1);
        const QString reason = rej.firstReason();
        QVERIFY2(reason.startsWith(QStringLiteral("%1 ").arg(code)), qPrintable(reason));
        QVERIFY2(reason.size() > 20, qPrintable(reason)); // a sentence, not just a number
        QVERIFY2(mentions.isEmpty() || reason.contains(mentions, Qt::CaseInsensitive), qPrintable(reason));

        // B2 then fails on "media accepted" with that reason, not on "no audio".
        Simulated s;
        s.peer.rejected = rej;
        const ScenarioResult r = judge(id, QStringLiteral("B2"), s, thresholdsFor(id));
        QVERIFY2(failedOn(r, QStringLiteral("media accepted")), describe(r));
        QVERIFY2(r.reason.contains(QString::number(code)), describe(r));
    }

    // Garbage and another provider's control messages are not media: B1's business, not B2's.
    void nonMediaIsNotCountedAsMedia_data() { addRows(); }
    void nonMediaIsNotCountedAsMedia()
    {
        QFETCH(provider::Id, id);
        RejectedMedia rej;
        rej.provider = id;
        rej.observe(false, QByteArray("{oops"), QString());
        rej.observe(false, QByteArray("{\"event\":\"dance\"}"), QString());
        const provider::Profile &p = prof(id);
        const provider::WireMessage mark = p.encodeMark(p.withIds({}).streamId, QStringLiteral("m"));
        rej.observe(mark.binary, mark.data, QString());
        QCOMPARE(rej.mediaMessages, 0);
        QCOMPARE(rej.rejected, 0);
    }

    // ---- the reference bots' audio helpers ------------------------------------------------------

    void numberedSilenceRoundTrips_data() { addRows(); }
    void numberedSilenceRoundTrips()
    {
        QFETCH(provider::Id, id);
        const MediaFormat f = prof(id).outboundFormat();
        for (quint32 n : {0u, 1u, 4242u, 0x40000000u, 0xFFFFFFFFu}) {
            const QByteArray fr = taggedFrame(n, f.frameBytes(), f);
            QCOMPARE(fr.size(), f.frameBytes());
            QCOMPARE(readFrameTag(fr, f), std::optional<quint32>(n));
            QVERIFY2(audioDbfs(fr, f) < -60.0, "numbered silence must stay silent");
        }
        QCOMPARE(readFrameTag(f.silenceFrame(), f), std::nullopt);
        QCOMPARE(readFrameTag(toneFrame(f), f), std::nullopt);
        QCOMPARE(readFrameTag(QByteArray(), f), std::nullopt);
        QVERIFY(audioDbfs(toneFrame(f), f) > -30.0);
        QCOMPARE(audioDbfs(f.silenceFrame(), f), -120.0);
    }

    void framerMakesTheProfilesFrames_data() { addRows(); }
    void framerMakesTheProfilesFrames()
    {
        QFETCH(provider::Id, id);
        const MediaFormat f = prof(id).outboundFormat();
        for (int rate : {8000, 16000, 22050, 48000}) {
            FormatFramer framer(rate, f);
            QVERIFY2(framer.isValid(), qPrintable(framer.errorString()));
            const int inSamples = rate * 3 / 4 + 17; // 0.75 s and a bit: not a whole frame
            QVector<qint16> pcm(inSamples);
            for (int i = 0; i < pcm.size(); ++i)
                pcm[i] = qint16(8000 * std::sin(2 * M_PI * 300.0 * i / rate));
            QList<QByteArray> frames;
            for (int at = 0; at < pcm.size(); at += 997)
                frames += framer.push(pcm.constData() + at, std::min<qsizetype>(997, pcm.size() - at));
            frames += framer.flush();
            for (const QByteArray &fr : std::as_const(frames))
                QCOMPARE(fr.size(), f.frameBytes());
            // Every input sample comes out (resampled), at most one frame of padding.
            const double outSamples = double(frames.size()) * f.samplesPerFrame();
            const double expected = double(inSamples) * f.sampleRate / rate;
            QVERIFY2(outSamples >= expected - 2 && outSamples < expected + f.samplesPerFrame() + 2,
                     qPrintable(QStringLiteral("%1 Hz: %2 samples out for %3").arg(rate).arg(outSamples).arg(expected)));
        }
        FormatFramer bad(0, f);
        QVERIFY(!bad.isValid());
        QVERIFY(!bad.errorString().isEmpty());
        QVERIFY(bad.push(nullptr, 10).isEmpty());
    }

    void botsStartOnTheHandshake_data() { addRows(); }
    void botsStartOnTheHandshake()
    {
        QFETCH(provider::Id, id);
        const provider::Profile &p = prof(id);
        const provider::Event start = streamStartEvent(p);
        qint64 seq = 0;
        bool seen = false;
        for (const provider::WireMessage &m : p.encodeHandshake(p.withIds({}), &seq)) {
            const provider::ParseResult r = p.parseFromProvider(m.data, m.binary);
            QVERIFY2(r.ok(), qPrintable(r.detail));
            seen = seen || r.message.event == start;
        }
        QVERIFY2(seen, qPrintable(provider::eventName(start)));
        QVERIFY(start != provider::Event::Media && start != provider::Event::Unknown);
        // The media event name travels in JSON for every provider except Vonage (binary audio).
        QCOMPARE(mediaName(p).isEmpty(), p.outboundAudioIsBinary());
        QVERIFY(describeProvider(id).contains(p.outboundFormat().describe()));
    }

    // ---- B3 against the reference bot speaking each profile (real time) -------------------------

    void referenceBotFrames_data()
    {
        QTest::addColumn<provider::Id>("id");
        QTest::addColumn<bool>("glued"); // the 320-byte-frames twin: two frames per message
        for (provider::Id id : provider::allIds())
            QTest::newRow(qPrintable(provider::name(id))) << id << false;
        QTest::newRow("exotel glued frames") << provider::Id::Exotel << true;
    }
    void referenceBotFrames()
    {
        QFETCH(provider::Id, id);
        QFETCH(bool, glued);
        CheckConfig cfg;
        cfg.mode = TargetMode::Bot; // no URL: the built-in reference bot
        cfg.provider = id;
        cfg.durations.botSec = 2.5;
        if (glued)
            cfg.broken.frameBytes = 320;
        ScenarioRunner runner;
        runner.setSpeechSynthFactory([] { return std::make_unique<SpeechSynthAdapter<tts::EspeakTts>>(); });
        QSignalSpy done(&runner, &ScenarioRunner::allFinished);
        runner.run({QStringLiteral("B3")}, cfg);
        QVERIFY(done.wait(60'000));
        const QList<ScenarioResult> results = runner.results();
        QCOMPARE(results.size(), 1);
        const ScenarioResult &r = results.first();
        const int fb = thresholdsFor(id).frameBytes;
        const QString name = QStringLiteral("frames of %1 B").arg(fb);
        QVERIFY2(r.verdict == Verdict::Pass || r.verdict == Verdict::Fail, describe(r)); // judged
        QVERIFY2(!criterion(r, QStringLiteral("media accepted")), describe(r)); // the provider took every message
        if (glued) {
            QVERIFY2(failedOn(r, name), describe(r));
            QVERIFY2(r.reason.contains(QStringLiteral("%1 B").arg(2 * fb)), describe(r));
        } else {
            QVERIFY2(r.verdict == Verdict::Pass && criterion(r, name), describe(r));
        }
    }

    // Vonage's caller audio is binary L16: the reference bot hears the barge-in and clears
    // (`{"action":"clear"}`). Asserted: a clear arrived, not how fast (load-dependent).
    void referenceBotHearsBinaryCallerAudio()
    {
        CheckConfig cfg;
        cfg.mode = TargetMode::Bot;
        cfg.provider = provider::Id::Vonage;
        cfg.durations.botSec = 3.5; // the barge-in comes at a third of it, while the bot talks
        ScenarioRunner runner;
        runner.setSpeechSynthFactory([] { return std::make_unique<SpeechSynthAdapter<tts::EspeakTts>>(); });
        QSignalSpy done(&runner, &ScenarioRunner::allFinished);
        runner.run({QStringLiteral("B4")}, cfg);
        QVERIFY(done.wait(60'000));
        const ScenarioResult r = runner.results().value(0);
        QVERIFY2(r.verdict == Verdict::Pass || r.verdict == Verdict::Fail, describe(r));
        const Criterion *c = criterion(r, QStringLiteral("clear after caller speech"));
        QVERIFY2(c && !c->measured.startsWith(QLatin1String("no clear")), describe(r));
    }

    // ---- pacelab load's built-in bot per provider (real time: counts only) ----------------------

    void loadReferenceBotPerProvider_data() { addRows(); }
    void loadReferenceBotPerProvider()
    {
        QFETCH(provider::Id, id);
        LoadBotOptions bo;
        bo.provider = id;
        bo.workers = 1;
        LoadReferenceBot bot(bo);
        QString error;
        QVERIFY2(bot.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        LoadOptions o;
        o.botUrl = bot.url();
        o.calls = 3;
        o.rampPerSec = 0;
        o.durationSec = 1.0;
        o.workers = 1;
        o.dtmfAtSec = -1;
        o.call.provider = id;
        LoadEmulator emu;
        QSignalSpy finished(&emu, &LoadEmulator::finished);
        QVERIFY2(emu.start(o, &error), qPrintable(error));
        QVERIFY(finished.wait(60'000));
        const LoadRun run = emu.run();
        QCOMPARE(run.steps.size(), 1);
        const LoadStep &s = run.steps.first();
        QCOMPARE(s.calls.size(), 3);
        for (const CallResult &c : s.calls) {
            QVERIFY2(c.connected, qPrintable(c.failReason));
            QVERIFY2(c.failReason.isEmpty(), qPrintable(c.failReason));
            QVERIFY2(c.frames > 0, "no audio from the bot");
            QCOMPARE(c.violations, 0);        // every message valid for the provider
            QCOMPARE(c.nonStandardFrames, 0); // every frame the profile's size
        }
        QCOMPARE(s.callsUp, 3);
        QCOMPARE(s.callsFailed, 0);
        QTRY_COMPARE_WITH_TIMEOUT(bot.started(), 3, 10000);
        QVERIFY(bot.framesSent() > 0);
    }
};

QTEST_GUILESS_MAIN(TestCheckProviders)
#include "tst_check_providers.moc"
