// The checklist's judges on synthesized observations, without real time: arrival timelines are
// fed through the real ArrivalAnalytics / PlayoutModel / PerSecondRxBuilder under simulated
// timestamps, then judged. For every scenario the healthy observation passes and its broken
// twin fails on the right criterion with the number and the limit; borderline cases sit just
// inside and just outside each limit, so a loosened threshold makes a test fail.
// Long (one file, ~1000 lines) on purpose: every judge's cases share the simulated emulator
// below, and one executable keeps the suite's process start-ups down.
#include "check/Judges.h"
#include "emulator/PerSecondRxBuilder.h"
#include "twilio/TwilioMessages.h"

#include <QTest>

#include <cmath>

using namespace pacelab;
using namespace pacelab::check;

namespace {

// The emulator's receive path on a simulated clock (same call order as TwilioEmulator).
class Sim
{
public:
    explicit Sim(qint64 sessionStartUs = 1'000'000) : m_start(sessionStartUs)
    {
        m_a.setOriginUs(sessionStartUs);
    }
    void media(qint64 tUs, int bytes = 160)
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
    void clear(qint64 tUs)
    {
        advance(tUs);
        m_a.reanchor();
        m_p.clear(tUs);
    }
    void advance(qint64 tUs)
    {
        while (tUs >= m_start + qint64(m_next + 1) * 1'000'000) {
            m_p.advance(m_start + qint64(m_next + 1) * 1'000'000);
            seconds << m_b.next(m_next++, m_a.stats(), m_p, 0);
        }
        m_p.advance(tUs);
    }
    PeerObservation finish(qint64 endUs)
    {
        advance(endUs);
        return PeerObservation::fromModels(m_a, m_p);
    }
    qint64 start() const { return m_start; }
    QList<PerSecondRx> seconds;

private:
    qint64 m_start;
    int m_next = 0;
    ArrivalAnalytics m_a;
    PlayoutModel m_p;
    PerSecondRxBuilder m_b;
};

// Small deterministic jitter (±0.8 ms), as loopback shows it.
qint64 jitterUs(int i)
{
    return qint64((i * 7919) % 17 - 8) * 100;
}

// A bot pacing on absolute deadlines every intervalUs (20000 = healthy, 20260 = setInterval(20)
// in JavaScript), starting at `leadFrames` sent at once; marks every markEvery frames.
PeerObservation pacedBot(Sim &sim, double intervalUs, int frames, int bytes = 160, int markEvery = 0,
                         qint64 firstUs = 300'000, bool jitter = true)
{
    const qint64 t0 = sim.start() + firstUs;
    qint64 last = t0;
    for (int i = 0; i < frames; ++i) {
        last = t0 + qint64(std::llround(i * intervalUs)) + (jitter && i > 0 ? jitterUs(i) : 0);
        sim.media(last, bytes);
        if (markEvery > 0 && (i + 1) % markEvery == 0)
            sim.mark(last, QStringLiteral("m%1").arg((i + 1) / markEvery));
    }
    return sim.finish(sim.start() + 8'000'000 + std::max<qint64>(0, last - sim.start() - 8'000'000 + 500'000));
}

// A sender that sleeps 20 ms after each send (the send itself takes ~0.4 ms): 49 fps.
PeerObservation fixedSleepPacer(Sim &sim, int frames)
{
    return pacedBot(sim, 20400.0, frames);
}

QList<int> fpsOf(const QList<PerSecondRx> &s, int from = 1, int dropLast = 1)
{
    QList<int> out;
    for (qsizetype i = from; i + dropLast < s.size(); ++i)
        out << s[i].fps;
    return out;
}

Thresholds checklist()
{
    return Thresholds(); // the checklist's own numbers, never widened here
}

QByteArray describe(const Judgement &j)
{
    QString reason;
    const Verdict v = j.verdict(&reason);
    QString s = QStringLiteral("%1: %2\n").arg(verdictName(v), reason);
    for (const Criterion &c : j.criteria)
        s += QStringLiteral("  %1 %2: %3 (limit %4)\n").arg(c.pass ? QStringLiteral("ok  ") : QStringLiteral("FAIL"), c.name, c.measured, c.limit);
    return s.toUtf8();
}

bool passes(const Judgement &j)
{
    return j.verdict(nullptr) == Verdict::Pass;
}

// FAIL, and the named criterion is among the failed ones.
bool failsOn(const Judgement &j, const QString &name)
{
    const Criterion *c = j.criterion(name);
    return j.verdict(nullptr) == Verdict::Fail && c && !c->pass && !c->informational;
}

bool criterionPasses(const Judgement &j, const QString &name)
{
    const Criterion *c = j.criterion(name);
    return c && c->pass;
}

QString reasonOf(const Judgement &j)
{
    QString r;
    j.verdict(&r);
    return r;
}

Judgement judgeB(const QString &id, const PeerObservation &peer, const Thresholds &th = checklist())
{
    BotObservation o;
    o.id = id;
    o.sessionSec = 8;
    o.peer = peer;
    Judgement j;
    judgeBot(o, th, j);
    return j;
}

} // namespace

class TestCheckJudges final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // ---- B2 pacing --------------------------------------------------------------------------
    void b2HealthyBotPasses()
    {
        Sim sim;
        const Judgement j = judgeB(QStringLiteral("B2"), pacedBot(sim, 20000, 380));
        QVERIFY2(passes(j), describe(j));
        QVERIFY(j.criterion(QStringLiteral("clock drift at the peer")));
        QVERIFY(j.criterion(QStringLiteral("underruns at the peer")));
    }

    void b2SetIntervalBotFailsOnDriftAndUnderruns()
    {
        // JavaScript setInterval(20) on deadlines: every 20.26 ms, -1.3 %. fps stays 49..50.
        Sim sim;
        const Judgement j = judgeB(QStringLiteral("B2"), pacedBot(sim, 20260, 380));
        QVERIFY2(criterionPasses(j, QStringLiteral("fps at the peer")), describe(j)); // what used to pass it
        QVERIFY2(failsOn(j, QStringLiteral("clock drift at the peer")), describe(j));
        QVERIFY2(failsOn(j, QStringLiteral("underruns at the peer")), describe(j));
        const QString r = reasonOf(j);
        QVERIFY2(r.contains(QLatin1String("-128")) && r.contains(QLatin1String("1000 ppm")), qPrintable(r)); // -12800 ppm
        QVERIFY2(r.contains(QLatin1String("of silence the caller hears")), qPrintable(r));
    }

    void b2FixedSleepPacerFailsOnDrift()
    {
        Sim sim;
        const Judgement j = judgeB(QStringLiteral("B2"), fixedSleepPacer(sim, 380));
        QVERIFY2(criterionPasses(j, QStringLiteral("fps at the peer")), describe(j)); // 49 fps is inside 50 ± 2
        QVERIFY2(failsOn(j, QStringLiteral("clock drift at the peer")), describe(j));
    }

    void b2DriftBorderline()
    {
        // 1000 ppm slow is 20.02 ms per frame: -990 ppm passes, -1010 ppm fails.
        Sim in, out;
        const Judgement ji = judgeB(QStringLiteral("B2"), pacedBot(in, 20019.8, 380, 160, 0, 300'000, false));
        const Judgement jo = judgeB(QStringLiteral("B2"), pacedBot(out, 20020.2, 380, 160, 0, 300'000, false));
        QVERIFY2(passes(ji), describe(ji));
        QVERIFY2(failsOn(jo, QStringLiteral("clock drift at the peer")), describe(jo));
        QVERIFY2(criterionPasses(jo, QStringLiteral("underruns at the peer")), describe(jo)); // drift alone
    }

    void b2UnderrunBorderline()
    {
        // One frame late: 30 ms is absorbed by the 40 ms jitter buffer, 70 ms is a hole.
        auto run = [](qint64 lateUs) {
            Sim sim;
            const qint64 t0 = sim.start() + 300'000;
            for (int i = 0; i < 380; ++i) {
                qint64 t = t0 + i * 20000LL;
                if (i == 200)
                    t += lateUs;
                if (i == 201)
                    t = std::max(t, t0 + 200 * 20000LL + lateUs);
                sim.media(t);
            }
            return judgeB(QStringLiteral("B2"), sim.finish(sim.start() + 8'500'000));
        };
        const Judgement in = run(30'000), out = run(70'000);
        QVERIFY2(passes(in), describe(in));
        QVERIFY2(failsOn(out, QStringLiteral("underruns at the peer")), describe(out));
        QVERIFY2(reasonOf(out).contains(QLatin1String("underruns at the peer: 1 (")), qPrintable(reasonOf(out)));
    }

    void b2BurstingBotFails()
    {
        // 5 s of audio sent as fast as possible, then nothing: far ahead of real time.
        Sim sim;
        for (int i = 0; i < 250; ++i)
            sim.media(sim.start() + 300'000 + i * 200LL);
        const Judgement j = judgeB(QStringLiteral("B2"), sim.finish(sim.start() + 8'000'000));
        QVERIFY2(failsOn(j, QStringLiteral("bursts")), describe(j));
        QVERIFY2(failsOn(j, QStringLiteral("audio buffered at the peer")), describe(j));
        QVERIFY2(reasonOf(j).contains(QLatin1String("max 4.99")), qPrintable(reasonOf(j)));
    }

    void b2BurstBorderline()
    {
        // A lead sent at once, then paced: 6 frames is within the 100 ms tolerance, 7 frames
        // (120 ms ahead of real time) is a burst.
        auto run = [](int lead) {
            Sim sim;
            const qint64 t0 = sim.start() + 300'000;
            for (int i = 0; i < 380; ++i)
                sim.media(i < lead ? t0 + i * 100LL : t0 + (i - lead + 1) * 20000LL);
            return judgeB(QStringLiteral("B2"), sim.finish(sim.start() + 8'500'000));
        };
        const Judgement in = run(6), out = run(7);
        QVERIFY2(criterionPasses(in, QStringLiteral("bursts")), describe(in));
        QVERIFY2(failsOn(out, QStringLiteral("bursts")), describe(out));
    }

    void b2FpsBorderline()
    {
        // 50 ± 2: 48.1 fps (20.8 ms) inside, 46.9 fps (21.3 ms) outside.
        Sim in, out;
        const Judgement ji = judgeB(QStringLiteral("B2"), pacedBot(in, 20800, 370, 160, 0, 300'000, false));
        const Judgement jo = judgeB(QStringLiteral("B2"), pacedBot(out, 21300, 360, 160, 0, 300'000, false));
        QVERIFY2(criterionPasses(ji, QStringLiteral("fps at the peer")), describe(ji));
        QVERIFY2(failsOn(jo, QStringLiteral("fps at the peer")), describe(jo));
    }

    void b2ShortTalkJudgesUnderrunsNotDrift()
    {
        // 3 s of talk: a lead of 100 ms alone would bend the fit past 1000 ppm, and a clock
        // 1.3 % slow loses only 39 ms (inside the jitter buffer): drift is reported, not judged.
        Sim lead;
        const qint64 t0 = lead.start() + 300'000;
        for (int i = 0; i < 150; ++i)
            lead.media(i < 6 ? t0 + i * 100LL : t0 + (i - 5) * 20000LL);
        const Judgement jl = judgeB(QStringLiteral("B2"), lead.finish(lead.start() + 8'000'000));
        QVERIFY2(passes(jl), describe(jl));
        const Criterion *c = jl.criterion(QStringLiteral("clock drift at the peer"));
        QVERIFY2(c && c->informational && c->measured.contains(QLatin1String("not judged")), describe(jl));
        // ... but a slow clock that runs long enough to be heard still fails, on underruns.
        Sim slow;
        const Judgement js = judgeB(QStringLiteral("B2"), pacedBot(slow, 20400, 200)); // 4 s, 49 fps
        QVERIFY2(failsOn(js, QStringLiteral("underruns at the peer")), describe(js));
    }

    void driftNeedsEnoughAudio()
    {
        // B2 judges drift from 6.5 s of audio (325 frames), not on 6.48 s.
        Sim enough, less;
        const Judgement je = judgeB(QStringLiteral("B2"), pacedBot(enough, 20400, 325));
        const Judgement jl = judgeB(QStringLiteral("B2"), pacedBot(less, 20400, 324));
        QVERIFY2(failsOn(je, QStringLiteral("clock drift at the peer")), describe(je));
        QVERIFY2(jl.criterion(QStringLiteral("clock drift at the peer"))->informational, describe(jl));
        // The largest lead that is not a burst (6 frames, 100 ms) keeps the fit inside the
        // limit from there on.
        Sim lead;
        const qint64 t0 = lead.start() + 300'000;
        for (int i = 0; i < 325; ++i)
            lead.media(i < 6 ? t0 + i * 100LL : t0 + (i - 5) * 20000LL);
        const Judgement jd = judgeB(QStringLiteral("B2"), lead.finish(lead.start() + 8'000'000));
        QVERIFY2(passes(jd), describe(jd));
        QVERIFY2(!jd.criterion(QStringLiteral("clock drift at the peer"))->informational, describe(jd));
        // The sender scenarios (no lead: PaceLab's engine paces from its first frame) judge
        // from 5 s: E1's 250 frames.
        E1Observation e1;
        Sim e1sim;
        for (int i = 0; i < 250; ++i) {
            e1sim.media(e1sim.start() + 50'000 + i * 20400LL);
            e1.arrivals << i;
        }
        e1.peer = e1sim.finish(e1sim.start() + 7'000'000);
        Judgement je1;
        judgeE1(e1, checklist(), je1);
        QVERIFY2(failsOn(je1, QStringLiteral("clock drift at the peer")), describe(je1));
    }

    // ---- rejected media (B2-B5) --------------------------------------------------------------
    void allMediaRejectedIsAFailNotNoAudio_data()
    {
        QTest::addColumn<QString>("id");
        for (const char *id : {"B2", "B3", "B4", "B5"})
            QTest::newRow(id) << QString::fromLatin1(id);
    }

    void allMediaRejectedIsAFailNotNoAudio()
    {
        QFETCH(QString, id);
        const QString sid = QStringLiteral("MZ0123456789abcdef0123456789abcdef");
        PeerObservation peer;
        // 400 media messages with an extra field (Twilio 31951): none reaches the analytics.
        const QByteArray bad = QByteArrayLiteral("{\"event\":\"media\",\"streamSid\":\"") + sid.toUtf8()
                               + QByteArrayLiteral("\",\"media\":{\"payload\":\"VVVV\",\"track\":\"outbound\"}}");
        for (int i = 0; i < 400; ++i)
            peer.rejected.observe(false, bad, sid);
        peer.rejected.observe(false, twilio::encodeMark(sid, QStringLiteral("m1")), sid); // not media
        QCOMPARE(peer.rejected.mediaMessages, 400);
        const Judgement j = judgeB(id, peer);
        QVERIFY2(failsOn(j, QStringLiteral("media accepted")), describe(j));
        const QString r = reasonOf(j);
        QVERIFY2(r.contains(QLatin1String("all 400 media messages rejected: 31951")), qPrintable(r));
        QVERIFY2(r.contains(QLatin1String("track")), qPrintable(r)); // the emulator's detail
        QVERIFY2(!r.contains(QLatin1String("no audio")), qPrintable(r));
    }

    void someMediaRejectedFailsEvenWhenTheRestIsFine()
    {
        const QString sid = QStringLiteral("MZ0123456789abcdef0123456789abcdef");
        Sim sim;
        PeerObservation peer = pacedBot(sim, 20000, 380);
        for (int i = 0; i < 380; ++i)
            peer.rejected.observe(false, twilio::encodeMedia(sid, QByteArray(160, char(0x55))), sid);
        peer.rejected.observe(false, twilio::encodeMedia(QStringLiteral("MZwrong"), QByteArray(160, char(0x55))), sid);
        peer.rejected.observe(true, QByteArray(160, char(0x55)), sid);
        const Judgement j = judgeB(QStringLiteral("B3"), peer);
        QVERIFY2(failsOn(j, QStringLiteral("media accepted")), describe(j));
        QVERIFY2(reasonOf(j).contains(QLatin1String("2 of 382 media messages rejected")), qPrintable(reasonOf(j)));
        QVERIFY2(criterionPasses(j, QStringLiteral("frames of 160 B")), describe(j));
    }

    void silentBotIsAnError()
    {
        const Judgement j = judgeB(QStringLiteral("B2"), PeerObservation());
        QString r;
        QCOMPARE(j.verdict(&r), Verdict::Error);
        QVERIFY(r.contains(QLatin1String("sent no audio")));
    }

    // ---- B1, B3, B4, B5 -------------------------------------------------------------------------
    void b1Schema()
    {
        Sim sim;
        PeerObservation peer = pacedBot(sim, 20000, 100);
        QVERIFY(passes(judgeB(QStringLiteral("B1"), peer)));
        Violation v;
        v.code = 31950;
        v.message = QStringLiteral("binary frame of 160 bytes");
        peer.violations << v;
        peer.violationCount = 1;
        const Judgement j = judgeB(QStringLiteral("B1"), peer);
        QVERIFY2(failsOn(j, QStringLiteral("schema violations")), describe(j));
        QVERIFY(reasonOf(j).contains(QLatin1String("31950 binary frame")));
    }

    void b3FrameSizes()
    {
        Sim good, bad;
        QVERIFY(passes(judgeB(QStringLiteral("B3"), pacedBot(good, 20000, 300))));
        const Judgement j = judgeB(QStringLiteral("B3"), pacedBot(bad, 40000, 150, 320));
        QVERIFY2(failsOn(j, QStringLiteral("frames of 160 B")), describe(j));
        QVERIFY(reasonOf(j).contains(QStringLiteral("320 B × 150")));
    }

    void b4BargeIn()
    {
        // The bot talks; the caller speaks at 2.5 s; the bot clears after `clearMs` and sends
        // `tailFrames` more frames after its clear.
        auto run = [](double clearMs, int tailFrames, bool clears = true) {
            Sim sim;
            const qint64 t0 = sim.start() + 300'000;
            const qint64 barge = sim.start() + 2'500'000;
            const qint64 clearAt = barge + qint64(clearMs * 1000);
            int i = 0;
            for (; t0 + i * 20000LL < (clears ? clearAt : sim.start() + 7'000'000); ++i)
                sim.media(t0 + i * 20000LL);
            if (clears) {
                sim.clear(clearAt);
                for (int k = 0; k < tailFrames; ++k)
                    sim.media(clearAt + 1000 + k * 20000LL);
            }
            BotObservation o;
            o.id = QStringLiteral("B4");
            o.sessionSec = 8;
            o.peer = sim.finish(sim.start() + 8'000'000);
            BargeInResult &br = o.peer.bargeIn;
            br.sent = true;
            br.botWasTalking = true;
            br.finished = true;
            br.clearReceived = clears;
            br.clearLatencyMs = clears ? clearMs : -1;
            br.staleAudioHeardMs = clears ? 0 : 2000;
            Judgement j;
            judgeBot(o, checklist(), j);
            return j;
        };
        const Judgement healthy = run(180, 0);
        QVERIFY2(passes(healthy), describe(healthy));
        const Judgement in = run(290, 0), out = run(310, 0), slow = run(1000, 0);
        QVERIFY2(passes(in), describe(in));
        QVERIFY2(failsOn(out, QStringLiteral("clear after caller speech")), describe(out));
        QVERIFY2(failsOn(slow, QStringLiteral("clear after caller speech")), describe(slow));
        QVERIFY2(reasonOf(slow).contains(QStringLiteral("1000 ms (limit ≤ 300 ms)")), qPrintable(reasonOf(slow)));
        const Judgement never = run(0, 0, false);
        QVERIFY2(failsOn(never, QStringLiteral("clear after caller speech")), describe(never));
        QVERIFY2(reasonOf(never).contains(QLatin1String("no clear: the caller heard 2000 ms of stale speech")), qPrintable(reasonOf(never)));
        // Clears in time, then keeps sending the stale reply for 1 s: the caller still hears it.
        const Judgement keepsTalking = run(180, 50);
        QVERIFY2(failsOn(keepsTalking, QStringLiteral("silence after clear")), describe(keepsTalking));
        QVERIFY2(criterionPasses(keepsTalking, QStringLiteral("clear after caller speech")), describe(keepsTalking));
    }

    void b4NotTalkingIsAnError()
    {
        BotObservation o;
        o.id = QStringLiteral("B4");
        Sim sim;
        o.peer = pacedBot(sim, 20000, 50);
        o.peer.bargeIn.sent = true;
        o.bargeInAtSec = 2.5;
        Judgement j;
        judgeBot(o, checklist(), j);
        QString r;
        QCOMPARE(j.verdict(&r), Verdict::Error);
        QVERIFY(r.contains(QLatin1String("not talking")));
    }

    void b5Marks()
    {
        Sim sim;
        BotObservation o;
        o.id = QStringLiteral("B5");
        o.peer = pacedBot(sim, 20000, 300, 160, 25);
        QCOMPARE(o.peer.marksEchoed, 12);
        o.knowsMarksSent = true;
        for (int i = 1; i <= 12; ++i)
            o.marksSent << QStringLiteral("m%1").arg(i);
        Judgement ok;
        judgeBot(o, checklist(), ok);
        QVERIFY2(passes(ok), describe(ok));
        // A mark the bot sent never reached the peer (rejected): the echoes skip it.
        o.marksSent.insert(3, QStringLiteral("lost"));
        Judgement bad;
        judgeBot(o, checklist(), bad);
        QVERIFY2(failsOn(bad, QStringLiteral("echo order")), describe(bad));
        // No mark at all: nothing to judge.
        Sim quiet;
        BotObservation none;
        none.id = QStringLiteral("B5");
        none.sessionSec = 8;
        none.peer = pacedBot(quiet, 20000, 300);
        Judgement skipped;
        judgeBot(none, checklist(), skipped);
        QCOMPARE(skipped.verdict(nullptr), Verdict::Skipped);
    }

    // ---- S2 ----------------------------------------------------------------------------------
    void s2()
    {
        auto obs = [](double intervalUs, int txFps) {
            S2Observation o;
            Sim sim;
            o.peer = pacedBot(sim, intervalUs, 380);
            o.rxFps = fpsOf(sim.seconds);
            o.txFps = QList<int>(6, txFps);
            o.latenessP99Ms = 1.0;
            o.latenessMaxMs = 3.0;
            o.framesSent = 380;
            return o;
        };
        Judgement healthy;
        judgeS2(obs(20000, 50), checklist(), healthy);
        QVERIFY2(passes(healthy), describe(healthy));

        // The fixed-sleep pacer: 49 fps sits inside 50 ± 1, its clock does not.
        Judgement slow;
        judgeS2(obs(20400, 49), checklist(), slow);
        QVERIFY2(criterionPasses(slow, QStringLiteral("fps sent")), describe(slow));
        QVERIFY2(failsOn(slow, QStringLiteral("clock drift at the peer")), describe(slow));
        QVERIFY2(reasonOf(slow).contains(QLatin1String("-196")), qPrintable(reasonOf(slow))); // -19608 ppm

        // fps 50 ± 1: 49 passes, 48 fails.
        Judgement fps48;
        judgeS2(obs(20000, 48), checklist(), fps48);
        QVERIFY2(failsOn(fps48, QStringLiteral("fps sent")), describe(fps48));
        QVERIFY(reasonOf(fps48).contains(QStringLiteral("48 over 6 s, 6 s outside (limit 50 ± 1")));

        // lateness p99 15 ms: 15.0 passes, 15.1 fails; max 60 ms: 60 passes, 61 fails.
        S2Observation late = obs(20000, 50);
        late.latenessP99Ms = 15.0;
        late.latenessMaxMs = 60.0;
        Judgement in;
        judgeS2(late, checklist(), in);
        QVERIFY2(passes(in), describe(in));
        late.latenessP99Ms = 15.1;
        late.latenessMaxMs = 61.0;
        Judgement out;
        judgeS2(late, checklist(), out);
        QVERIFY2(failsOn(out, QStringLiteral("send lateness p99")), describe(out));
        QVERIFY2(failsOn(out, QStringLiteral("send lateness max")), describe(out));
        late = obs(20000, 50);
        late.lateResets = 1;
        Judgement resets;
        judgeS2(late, checklist(), resets);
        QVERIFY2(failsOn(resets, QStringLiteral("late resets")), describe(resets));
    }

    void s2ExternalPeerJudgesTheSendersOwnDrift()
    {
        S2Observation o;
        o.txFps = QList<int>(6, 50);
        o.framesSent = 500; // 10 s
        o.finalDriftMs = 9.9; // 990 ppm
        Judgement in;
        judgeS2(o, checklist(), in);
        QVERIFY2(passes(in), describe(in));
        o.finalDriftMs = 10.1;
        Judgement out;
        judgeS2(o, checklist(), out);
        QVERIFY2(failsOn(out, QStringLiteral("clock drift at the sender")), describe(out));
    }

    // ---- E1 ----------------------------------------------------------------------------------
    void e1()
    {
        auto obs = [](double intervalUs, qint64 stallUs) {
            E1Observation o;
            Sim sim;
            const qint64 t0 = sim.start() + 50'000;
            for (int i = 0; i < 250; ++i) {
                sim.media(t0 + qint64(std::llround(i * intervalUs)) + (i >= 125 ? stallUs : 0));
                o.arrivals << i;
            }
            o.peer = sim.finish(sim.start() + 6'000'000);
            o.framesSent = 250;
            return o;
        };
        Judgement healthy;
        judgeE1(obs(20000, 0), checklist(), healthy);
        QVERIFY2(passes(healthy), describe(healthy));
        // -1.3 %: the span (5.045 s) is inside 4.98 ± 0.1 s; the drift is not.
        Judgement slow;
        judgeE1(obs(20260, 0), checklist(), slow);
        QVERIFY2(criterionPasses(slow, QStringLiteral("arrival span")), describe(slow));
        QVERIFY2(failsOn(slow, QStringLiteral("clock drift at the peer")), describe(slow));
        // A 90 ms stall mid-stream: span inside, the caller hears a hole; 120 ms: span outside.
        Judgement stall;
        judgeE1(obs(20000, 90'000), checklist(), stall);
        QVERIFY2(criterionPasses(stall, QStringLiteral("arrival span")), describe(stall));
        QVERIFY2(failsOn(stall, QStringLiteral("underruns at the peer")), describe(stall));
        Judgement longStall;
        judgeE1(obs(20000, 120'000), checklist(), longStall);
        QVERIFY2(failsOn(longStall, QStringLiteral("arrival span")), describe(longStall));
        // Back-pressure ignored: drops and warnings.
        E1Observation dropped = obs(20000, 0);
        dropped.arrivals = dropped.arrivals.mid(130);
        dropped.drops = 130;
        dropped.warnings << QStringLiteral("tx queue full: dropped 130 oldest frames");
        Judgement d;
        judgeE1(dropped, checklist(), d);
        QVERIFY2(failsOn(d, QStringLiteral("drops")), describe(d));
        QVERIFY2(failsOn(d, QStringLiteral("warnings")), describe(d));
        QVERIFY2(failsOn(d, QStringLiteral("frames at the peer, in order")), describe(d));
    }

    // ---- E2 ----------------------------------------------------------------------------------
    void e2()
    {
        auto obs = [](double intervalUs) {
            E2Observation o;
            o.minSpeechSec = 8;
            o.speechSec = 8.4;
            o.wallSec = 8.6;
            o.blockedSec = 7.9;
            o.sentences = 5;
            Sim sim;
            o.peer = pacedBot(sim, intervalUs, 420, 160, 0, 300'000);
            o.rxFps = fpsOf(sim.seconds);
            o.txFps = o.rxFps;
            o.queuePeak = 110;
            o.highWater = 120;
            return o;
        };
        Judgement healthy;
        judgeE2(obs(20000), checklist(), healthy);
        QVERIFY2(passes(healthy), describe(healthy));
        Judgement slow;
        judgeE2(obs(20400), checklist(), slow);
        QVERIFY2(criterionPasses(slow, QStringLiteral("fps sent")), describe(slow)); // 49 fps
        QVERIFY2(failsOn(slow, QStringLiteral("clock drift at the peer")), describe(slow));
        QVERIFY2(failsOn(slow, QStringLiteral("underruns while speech lasts")), describe(slow));
        E2Observation d = obs(20000);
        d.drops = 3;
        d.queuePeak = 121;
        Judgement dj;
        judgeE2(d, checklist(), dj);
        QVERIFY2(failsOn(dj, QStringLiteral("drops")), describe(dj));
        QVERIFY2(failsOn(dj, QStringLiteral("tx queue peak")), describe(dj));
        E2Observation shortSpeech = obs(20000);
        shortSpeech.speechSec = 7.9;
        Judgement sj;
        judgeE2(shortSpeech, checklist(), sj);
        QVERIFY2(failsOn(sj, QStringLiteral("speech synthesized")), describe(sj));
    }

    void e2BufferedBorderline()
    {
        // A sender keeping a lead at the peer: buffered must stay under 0.5 s.
        auto run = [](int lead) {
            E2Observation o;
            o.minSpeechSec = 1;
            o.speechSec = 8;
            Sim sim;
            const qint64 t0 = sim.start() + 300'000;
            for (int i = 0; i < 420; ++i)
                sim.media(i < lead ? t0 + i * 50LL : t0 + (i - lead + 1) * 20000LL);
            o.peer = sim.finish(sim.start() + 9'000'000);
            o.txFps = QList<int>(6, 50);
            o.rxFps = o.txFps;
            Judgement j;
            judgeE2(o, checklist(), j);
            return j;
        };
        const Judgement in = run(21), out = run(23); // max 0.46 s vs 0.50 s
        QVERIFY2(criterionPasses(in, QStringLiteral("audio buffered at the peer")), describe(in));
        QVERIFY2(failsOn(out, QStringLiteral("audio buffered at the peer")), describe(out));
    }

    // ---- E3 ----------------------------------------------------------------------------------
    void e3()
    {
        auto obs = [](double intervalUs, double clearMs, int tailFrames, bool clears) {
            E3Observation o;
            Sim sim;
            const qint64 t0 = sim.start() + 300'000;
            const qint64 barge = sim.start() + 3'000'000;
            const qint64 clearAt = barge + qint64(clearMs * 1000);
            const qint64 end = clears ? clearAt : sim.start() + 6'000'000;
            for (int i = 0; t0 + qint64(i * intervalUs) < end; ++i)
                sim.media(t0 + qint64(i * intervalUs));
            if (clears) {
                sim.clear(clearAt);
                for (int k = 0; k < tailFrames; ++k)
                    sim.media(clearAt + 1000 + k * 20000LL);
            }
            // The reply after the caller finished, on a fresh schedule.
            const qint64 reply = sim.start() + 6'500'000;
            for (int i = 0; i < 150; ++i)
                sim.media(reply + qint64(i * intervalUs));
            o.peer = sim.finish(sim.start() + 10'000'000);
            o.bargedIn = true;
            o.sinceBargeInSec = 7;
            BargeInResult &br = o.peer->bargeIn;
            br.sent = true;
            br.botWasTalking = true;
            br.finished = true;
            br.clearReceived = clears;
            br.clearLatencyMs = clears ? clearMs : -1;
            br.staleAudioHeardMs = clears ? 0 : 1500;
            o.txFps = QList<int>(5, 50);
            o.rxFps = o.txFps;
            o.txQueueMax = QList<int>(10, 8);
            return o;
        };
        Judgement healthy;
        judgeE3(obs(20000, 150, 0, true), checklist(), healthy);
        QVERIFY2(passes(healthy), describe(healthy));
        Judgement never;
        judgeE3(obs(20000, 0, 0, false), checklist(), never);
        QVERIFY2(failsOn(never, QStringLiteral("silence after clear")), describe(never));
        QVERIFY2(reasonOf(never).contains(QLatin1String("no clear: the caller heard 1500 ms")), qPrintable(reasonOf(never)));
        Judgement late;
        judgeE3(obs(20000, 1000, 0, true), checklist(), late);
        QVERIFY2(failsOn(late, QStringLiteral("caller speech to clear")), describe(late));
        QVERIFY2(criterionPasses(late, QStringLiteral("silence after clear")), describe(late));
        Judgement keeps;
        judgeE3(obs(20000, 150, 20, true), checklist(), keeps);
        QVERIFY2(failsOn(keeps, QStringLiteral("silence after clear")), describe(keeps));
        Judgement slow;
        judgeE3(obs(20400, 150, 0, true), checklist(), slow);
        QVERIFY2(failsOn(slow, QStringLiteral("clock drift at the peer")), describe(slow));
        // Queue depth < 10 in >= 95 % of seconds: 19 of 20 passes, 18 of 20 fails.
        E3Observation q = obs(20000, 150, 0, true);
        q.txQueueMax = QList<int>(19, 8) << 40;
        Judgement qi;
        judgeE3(q, checklist(), qi);
        QVERIFY2(passes(qi), describe(qi));
        q.txQueueMax = QList<int>(18, 8) << 40 << 40;
        Judgement qo;
        judgeE3(q, checklist(), qo);
        QVERIFY2(failsOn(qo, QStringLiteral("queue depth")), describe(qo));
    }

    void e3ClearToSilenceBorderline()
    {
        // Frames sent after the clear are still heard (after the 40 ms jitter buffer): 2 more
        // frames end 81 ms after the clear, 3 end at 101 ms, past the 100 ms limit.
        auto run = [](int tail) {
            E3Observation o;
            Sim sim;
            const qint64 t0 = sim.start() + 300'000;
            for (int i = 0; i < 150; ++i)
                sim.media(t0 + i * 20000LL);
            const qint64 clearAt = t0 + 150 * 20000LL;
            sim.clear(clearAt);
            for (int k = 0; k < tail; ++k)
                sim.media(clearAt + 1000 + k * 20000LL);
            o.peer = sim.finish(sim.start() + 6'000'000);
            o.bargedIn = true;
            o.txFps = QList<int>(3, 50);
            o.rxFps = o.txFps;
            o.txQueueMax = QList<int>(5, 3);
            Judgement j;
            judgeE3(o, checklist(), j);
            return j;
        };
        const Judgement in = run(2), out = run(3); // 81 ms vs 101 ms
        QVERIFY2(criterionPasses(in, QStringLiteral("silence after clear")), describe(in));
        QVERIFY2(failsOn(out, QStringLiteral("silence after clear")), describe(out));
    }

    // ---- S1, S3, S4, S5, S6 ------------------------------------------------------------------
    void s1()
    {
        S1Observation o;
        o.framesQueued = 150;
        for (int i = 0; i < 150; ++i)
            o.arrivals << i;
        o.marksSent = QStringList{QStringLiteral("s1-1"), QStringLiteral("s1-2")};
        o.marksEchoed = o.marksSent;
        Judgement ok;
        judgeS1(o, checklist(), ok);
        QVERIFY2(passes(ok), describe(ok));
        S1Observation two = o;
        two.connections = 2;
        two.arrivals << 0x40000000;
        Judgement j2;
        judgeS1(two, checklist(), j2);
        QVERIFY2(failsOn(j2, QStringLiteral("connections at the peer")), describe(j2));
        QVERIFY2(failsOn(j2, QStringLiteral("media order at the peer")), describe(j2));
        S1Observation swapped = o;
        swapped.arrivals.swapItemsAt(10, 11);
        swapped.marksEchoed = QStringList{QStringLiteral("s1-2"), QStringLiteral("s1-1")};
        swapped.offThreadWrites = 1;
        Judgement js;
        judgeS1(swapped, checklist(), js);
        QVERIFY2(failsOn(js, QStringLiteral("media order at the peer")), describe(js));
        QVERIFY2(failsOn(js, QStringLiteral("marks echoed in order")), describe(js));
        QVERIFY2(failsOn(js, QStringLiteral("socket writes off the sender thread")), describe(js));
    }

    void s3()
    {
        // Two bursts of 200 into a bound of 120: the newest 120 of each arrive (plus up to 3
        // early ones the sender took while the burst was pushed).
        auto healthy = [] {
            S3Observation o;
            o.bound = 120;
            o.bursts = 2;
            o.burstSize = 200;
            o.pushed = 400;
            for (int b = 0; b < 2; ++b) {
                o.arrivals << b * 100000 + 0;
                for (int i = 80; i < 200; ++i)
                    o.arrivals << b * 100000 + i;
            }
            o.drops = 400 - 242;
            o.queuePeak = 120;
            o.warnings << QStringLiteral("tx queue full: dropped 79 oldest frames") << QStringLiteral("tx queue full: dropped 79 oldest frames");
            o.warningTimesMs << 300 << 2700;
            return o;
        };
        Judgement ok;
        judgeS3(healthy(), checklist(), ok);
        QVERIFY2(passes(ok), describe(ok));
        // Unbounded: nothing dropped, the queue grows past the bound.
        S3Observation unb = healthy();
        unb.bound = 200;
        unb.arrivals.clear();
        for (int b = 0; b < 2; ++b)
            for (int i = 0; i < 200; ++i)
                unb.arrivals << b * 100000 + i;
        unb.drops = 0;
        unb.queuePeak = 200;
        unb.warnings.clear();
        unb.warningTimesMs.clear();
        Judgement ju;
        judgeS3(unb, checklist(), ju);
        QVERIFY2(failsOn(ju, QStringLiteral("oldest frames dropped")), describe(ju));
        QVERIFY2(failsOn(ju, QStringLiteral("queue peak")), describe(ju));
        // Drop-newest: the oldest 120 survive.
        S3Observation newest = healthy();
        newest.arrivals.clear();
        for (int b = 0; b < 2; ++b)
            for (int i = 0; i < 120; ++i)
                newest.arrivals << b * 100000 + i;
        newest.drops = 160;
        Judgement jn;
        judgeS3(newest, checklist(), jn);
        QVERIFY2(failsOn(jn, QStringLiteral("newest frames survive")), describe(jn));
        // Warnings 1.8 s apart pass (0.9 × 2 s), 1.79 s fail; uncounted drops fail.
        S3Observation w = healthy();
        w.warningTimesMs = {300, 2100};
        Judgement wi;
        judgeS3(w, checklist(), wi);
        QVERIFY2(passes(wi), describe(wi));
        w.warningTimesMs = {300, 2090};
        Judgement wo;
        judgeS3(w, checklist(), wo);
        QVERIFY2(failsOn(wo, QStringLiteral("drop warnings throttled")), describe(wo));
        S3Observation miscount = healthy();
        miscount.drops = 150;
        Judgement jm;
        judgeS3(miscount, checklist(), jm);
        QVERIFY2(failsOn(jm, QStringLiteral("drops counted")), describe(jm));
    }

    void s4()
    {
        S4Observation o;
        o.probePushed = 240;
        o.probeHeld = 120;
        o.steadyQueueMax = QList<int>(19, 12) << 60; // 19 of 20 seconds under 60 = 95 %
        o.maxSendQueue = 3;
        Judgement ok;
        judgeS4(o, checklist(), ok);
        QVERIFY2(passes(ok), describe(ok));
        S4Observation deep = o;
        deep.steadyQueueMax = QList<int>(18, 12) << 60 << 60;
        Judgement jd;
        judgeS4(deep, checklist(), jd);
        QVERIFY2(failsOn(jd, QStringLiteral("steady-state depth")), describe(jd));
        QVERIFY(reasonOf(jd).contains(QLatin1String("< 60 in 18 of 20 s (90.0 %)")));
        S4Observation unb = o;
        unb.queueCapacity = 0;
        unb.probeHeld = 240;
        Judgement ju;
        judgeS4(unb, checklist(), ju);
        QVERIFY2(failsOn(ju, QStringLiteral("configured bounds")), describe(ju));
        QVERIFY2(failsOn(ju, QStringLiteral("bound holds")), describe(ju));
        QVERIFY(reasonOf(ju).contains(QLatin1String("unbounded / 120")));
    }

    void s5()
    {
        auto seg = [](int rate, int bytes) {
            S5Segment s;
            s.rate = rate;
            s.inputFrames = qint64(rate * 0.3137);
            s.expected8k = qRound64(s.inputFrames * 8000.0 / rate);
            s.got8k = s.expected8k;
            s.frameBytes = bytes;
            s.frames = int((s.got8k + bytes - 1) / bytes);
            s.padded = int(s.frames * qint64(bytes) - s.got8k);
            s.nonStandardFrames = bytes == 160 ? 0 : s.frames;
            return s;
        };
        auto run = [&](int bytes) {
            S5Observation o;
            Sim sim;
            for (int rate : {8000, 16000, 22050, 24000, 44100, 48000}) {
                o.segments << seg(rate, bytes);
                o.pushedFrames += o.segments.last().frames;
                o.pushedBytes += qint64(o.segments.last().frames) * bytes;
            }
            for (int i = 0; i < o.pushedFrames; ++i)
                sim.media(sim.start() + i * 20000LL * bytes / 160, bytes);
            o.peer = sim.finish(sim.start() + o.pushedFrames * 20000LL * bytes / 160 + 100'000).stats;
            Judgement j;
            judgeS5(o, checklist(), j);
            return j;
        };
        const Judgement ok = run(160);
        QVERIFY2(passes(ok), describe(ok));
        const Judgement bad = run(320);
        QVERIFY2(failsOn(bad, QStringLiteral("frames of 160 B at the peer")), describe(bad));
        QVERIFY(reasonOf(bad).contains(QLatin1String("320 B")));
        // A framer that loses samples.
        S5Observation lossy;
        S5Segment s = seg(16000, 160);
        s.got8k -= 10;
        lossy.segments << s;
        Judgement jl;
        judgeS5(lossy, checklist(), jl);
        QVERIFY2(failsOn(jl, QStringLiteral("sample count conserved")), describe(jl));
    }

    void s6()
    {
        auto obs = [](double everyMs, int n) {
            S6Observation o;
            o.productionIntervalMs = 15000;
            o.testIntervalMs = 700;
            o.windowSec = 3.5;
            for (int i = 0; i < n; ++i) {
                o.pingTimesMs << 700 + i * everyMs;
                o.pongTimesMs << 701 + i * everyMs;
            }
            o.rttMs = 1;
            return o;
        };
        Judgement ok;
        judgeS6(obs(700, 5), checklist(), ok);
        QVERIFY2(passes(ok), describe(ok));
        // ± 25 %: 870 ms gaps pass, 880 fail.
        Judgement in, out;
        judgeS6(obs(870, 4), checklist(), in);
        judgeS6(obs(880, 4), checklist(), out);
        QVERIFY2(passes(in), describe(in));
        QVERIFY2(failsOn(out, QStringLiteral("pings on the wire")), describe(out));
        S6Observation off = obs(700, 0);
        off.productionIntervalMs = 0;
        off.testIntervalMs = 0;
        off.rttMs = -1;
        Judgement jo;
        judgeS6(off, checklist(), jo);
        QVERIFY2(failsOn(jo, QStringLiteral("pings on the wire")), describe(jo));
        QVERIFY2(failsOn(jo, QStringLiteral("configured keep-alive interval")), describe(jo));
        S6Observation tooRare = obs(700, 5);
        tooRare.productionIntervalMs = 21000;
        Judgement jr;
        judgeS6(tooRare, checklist(), jr);
        QVERIFY2(failsOn(jr, QStringLiteral("configured keep-alive interval")), describe(jr));
        S6Observation noPong = obs(700, 5);
        noPong.pongTimesMs = noPong.pongTimesMs.mid(0, 2);
        noPong.missedPongs = 3;
        Judgement jp;
        judgeS6(noPong, checklist(), jp);
        QVERIFY2(failsOn(jp, QStringLiteral("pongs")), describe(jp));
        QVERIFY2(failsOn(jp, QStringLiteral("missed pongs")), describe(jp));
    }

    // ---- the Judgement itself ------------------------------------------------------------------
    void judgementVerdicts()
    {
        Judgement empty;
        QCOMPARE(empty.verdict(nullptr), Verdict::Error);
        Judgement j;
        j.check(QStringLiteral("a"), true, QStringLiteral("1"), QStringLiteral("≤ 2"));
        j.note(QStringLiteral("info"), QStringLiteral("x"));
        QString r;
        QCOMPARE(j.verdict(&r), Verdict::Pass);
        QCOMPARE(r, QStringLiteral("a 1"));
        j.check(QStringLiteral("b"), false, QStringLiteral("5"), QStringLiteral("≤ 2"));
        QCOMPARE(j.verdict(&r), Verdict::Fail);
        QCOMPARE(r, QStringLiteral("b: 5 (limit ≤ 2)"));
        j.conclude(Verdict::Skipped, QStringLiteral("why"));
        QCOMPARE(j.verdict(&r), Verdict::Skipped);
        QCOMPARE(r, QStringLiteral("why"));
    }
};

QTEST_GUILESS_MAIN(TestCheckJudges)
#include "tst_check_judges.moc"
