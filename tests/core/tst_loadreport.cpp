// Judging and reporting a load run (core/load): every verdict, percentile, MOS figure, knee,
// report and merge is checked on synthesized CallResults, so the answers hold on any machine.
// Long on purpose: every contract function is pinned here (each limit as an at/past pair);
// splitting it would only scatter the shared fixtures.
#include "load/LoadReport.h"
#include "load/Shard.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>

#include <functional>

using namespace pacelab;

namespace {

// A call that meets every limit with room to spare.
CallResult goodCall(int index, const ShardSpec &shard = {}, int stepCalls = 1)
{
    CallResult c;
    c.index = index;
    c.callSid = callSidFor(shard, stepCalls, index);
    c.streamSid = streamSidFor(shard, stepCalls, index);
    c.shard = shard.label();
    c.connected = true;
    c.connectMs = 12.5;
    c.durationSec = 30.0;
    c.frames = 1500;
    c.audioSec = 30.0;
    c.firstAudioMs = 240.0;
    c.fpsP1 = 50.0;
    c.fpsP50 = 50.0;
    c.fpsMin = 49.0;
    c.fpsMax = 51.0;
    c.jitterMs = 0.3;
    c.jitterMaxMs = 0.9;
    c.deltaP99Ms = 20.4;
    c.driftPpm = 12.0;
    c.driftValid = true;
    c.maxBufferedSec = 0.1;
    return c;
}

LoadStep stepOf(int target, const std::function<void(CallResult &, int)> &shape = {}, const ShardSpec &shard = {})
{
    LoadStep s;
    s.targetCalls = target;
    s.durationSec = 30.0;
    s.cpuPerCallPct = 0.25;
    for (int i = 0; i < target; ++i) {
        CallResult c = goodCall(i, shard, target);
        if (shape)
            shape(c, i);
        s.calls.append(c);
        if (c.connected && !c.droppedMidCall)
            ++s.callsUp;
        else
            ++s.callsFailed;
    }
    return s;
}

void judge(LoadStep &s)
{
    for (CallResult &c : s.calls)
        judgeCall(c, Thresholds());
}

// Steps 10, 50, 120 hold; at 150, 47 calls (31 %) buffer 0.7 s and 10 run slow.
LoadRun kneeRun()
{
    LoadRun run;
    run.botUrl = QStringLiteral("ws://bot.example:8080/media");
    run.startedUtc = QStringLiteral("2026-11-29T20:00:00Z");
    run.host = QStringLiteral("loadgen-1");
    for (int n : {10, 50, 120})
        run.steps.append(stepOf(n));
    run.steps.append(stepOf(150, [](CallResult &c, int i) {
        if (i < 47)
            c.maxBufferedSec = 0.7 + i * 0.001;
        else if (i < 57)
            c.fpsP1 = 46.0;
    }));
    judgeRun(run, Thresholds());
    return run;
}

QString tempPath(const QTemporaryDir &dir, const char *name)
{
    return dir.filePath(QString::fromLatin1(name));
}

} // namespace

class TestLoadReport final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // ---- verdicts -----------------------------------------------------------------------------

    void judgeBorderline_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<double>("value");
        QTest::addColumn<bool>("pass");
        QTest::addColumn<QString>("key");
        auto row = [](const char *name, const char *field, double v, bool pass, const char *key) {
            QTest::newRow(name) << QString::fromLatin1(field) << v << pass << QString::fromLatin1(key);
        };
        row("fps p1 at 48", "fpsP1", 48.0, true, "");
        row("fps p1 below 48", "fpsP1", 47.99, false, "fps");
        row("fps p1 at 52", "fpsP1", 52.0, true, "");
        row("fps p1 above 52", "fpsP1", 52.01, false, "fps");
        row("drift at +1000", "driftPpm", 1000.0, true, "");
        row("drift past +1000", "driftPpm", 1000.1, false, "drift");
        row("drift at -1000", "driftPpm", -1000.0, true, "");
        row("drift past -1000", "driftPpm", -1000.1, false, "drift");
        row("drift on 6.4 s of audio not judged", "driftShortAudio", 6.4, true, "");
        row("drift on 6.5 s of audio judged", "driftShortAudio", 6.5, false, "drift");
        row("drift invalid is not judged", "driftInvalid", 50000.0, true, "");
        row("buffered at 0.5", "maxBufferedSec", 0.5, true, "");
        row("buffered past 0.5", "maxBufferedSec", 0.5001, false, "buffered");
        row("underruns 0", "underruns", 0, true, "");
        row("underruns 1", "underruns", 1, false, "underruns");
        row("violations 0", "violations", 0, true, "");
        row("violations 1", "violations", 1, false, "violations");
        row("frames 160 only", "nonStandardFrames", 0, true, "");
        row("frames 1 odd", "nonStandardFrames", 1, false, "frames");
        row("clear at 300 ms", "clearLatencyMsMax", 300.0, true, "");
        row("clear past 300 ms", "clearLatencyMsMax", 300.1, false, "clear");
        row("clear never came", "clearLatencyMsMax", -1.0, false, "clear");
        row("no probe, no clear", "noProbe", 0, true, "");
        row("not connected", "connected", 0, false, "connect");
        row("dropped mid-call", "dropped", 1, false, "dropped");
        row("no audio", "frames", 0, false, "audio");
    }
    void judgeBorderline()
    {
        QFETCH(QString, field);
        QFETCH(double, value);
        QFETCH(bool, pass);
        QFETCH(QString, key);
        CallResult c = goodCall(0);
        c.bargeIns = 1;
        c.clears = 1;
        c.clearLatencyMsMax = 120.0;
        if (field == QLatin1String("fpsP1"))
            c.fpsP1 = value;
        else if (field == QLatin1String("driftPpm"))
            c.driftPpm = value;
        else if (field == QLatin1String("driftInvalid")) {
            c.driftPpm = value;
            c.driftValid = false;
        } else if (field == QLatin1String("driftShortAudio")) {
            // Drift is judged only on as much audio as the checklist's bot set wants (6.5 s):
            // an opening lead bends a fit over less, and a short call is judged on fps/underruns.
            c.driftPpm = -500000.0;
            c.audioSec = value;
        } else if (field == QLatin1String("maxBufferedSec"))
            c.maxBufferedSec = value;
        else if (field == QLatin1String("underruns"))
            c.underruns = int(value);
        else if (field == QLatin1String("violations"))
            c.violations = int(value);
        else if (field == QLatin1String("nonStandardFrames"))
            c.nonStandardFrames = int(value);
        else if (field == QLatin1String("clearLatencyMsMax")) {
            c.clearLatencyMsMax = value;
            if (value < 0)
                c.clears = 0;
        } else if (field == QLatin1String("noProbe")) {
            c.bargeIns = 0;
            c.clears = 0;
            c.clearLatencyMsMax = -1.0;
        } else if (field == QLatin1String("connected")) {
            c.connected = false;
            c.connectMs = -1;
            c.failReason = QStringLiteral("connection refused");
        } else if (field == QLatin1String("dropped")) {
            c.droppedMidCall = true;
            c.failReason = QStringLiteral("remote closed");
        } else if (field == QLatin1String("frames"))
            c.frames = 0;
        else
            QFAIL("unknown field");
        judgeCall(c, Thresholds());
        QCOMPARE(c.pass, pass);
        if (pass) {
            QVERIFY2(c.verdictReason.isEmpty(), qPrintable(c.verdictReason));
        } else {
            QCOMPARE(failureKeyOf(c.verdictReason.section(QStringLiteral("; "), 0, 0)), key);
        }
    }

    void reasonsWorstFirstWithNumbers()
    {
        CallResult c = goodCall(3);
        c.maxBufferedSec = 2.0; // 4x the limit: (2 - 0.5) / 0.5 = 3 past
        c.fpsP1 = 47.0;         // (3 - 2) / 2 = 0.5 past
        c.underruns = 1;        // 1 past
        judgeCall(c, Thresholds());
        QVERIFY(!c.pass);
        QCOMPARE(c.verdictReason, QStringLiteral("buffered 2 s > 0.5 s; underruns 1 > 0; fps p1 47 < 48 (50 ± 2)"));

        CallResult d = goodCall(4);
        d.connected = false;
        d.failReason = QStringLiteral("HTTP 503");
        d.maxBufferedSec = 9.0; // not judged: the call never connected
        judgeCall(d, Thresholds());
        QCOMPARE(d.verdictReason, QStringLiteral("connect failed: HTTP 503"));
        QCOMPARE(d.mos, 0.0);

        CallResult e = goodCall(5);
        e.droppedMidCall = true;
        e.durationSec = 12.5;
        e.failReason = QStringLiteral("remote closed");
        e.violations = 2;
        e.firstViolation = QStringLiteral("31951 bad payload");
        judgeCall(e, Thresholds());
        QCOMPARE(e.verdictReason, QStringLiteral("dropped after 12.5 s: remote closed; violations 2 (first: 31951 bad payload)"));
    }

    void limitsComeFromThresholds()
    {
        Thresholds strict;
        strict.maxBufferedSec = 0.2;
        strict.botFpsTolerance = 1;
        CallResult c = goodCall(0);
        c.maxBufferedSec = 0.35; // 0.75 past
        c.fpsP1 = 48.5;          // 0.5 past
        judgeCall(c, strict);
        QCOMPARE(c.verdictReason, QStringLiteral("buffered 0.35 s > 0.2 s; fps p1 48.5 < 49 (50 ± 1)"));
        judgeCall(c, Thresholds());
        QVERIFY(c.pass);
    }

    // ---- E-model ------------------------------------------------------------------------------

    void mosByHand_data()
    {
        QTest::addColumn<double>("rtt");
        QTest::addColumn<double>("jitter");
        QTest::addColumn<double>("loss");
        QTest::addColumn<double>("r");
        QTest::addColumn<double>("mos");
        // MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R), worked out for each R below.
        // L = 0 + 0 + 10 = 10 < 160: R = 94.768 - 10/40 = 94.518
        // MOS = 1 + 3.30813 + 7e-6 * 94.518 * 34.518 * 5.482 = 4.43332795...
        QTest::newRow("perfect") << 0.0 << 0.0 << 0.0 << 94.518 << 4.433327950361177;
        // L = 200 + 40 + 10 = 250 (160..1000): R = 94.768 - (250 - 120)/10 = 81.768
        QTest::newRow("250 ms effective") << 200.0 << 20.0 << 0.0 << 81.768 << 4.0890412533621765;
        // L = 100 + 20 + 10 = 130: R = 94.768 - 130/40 = 91.518; loss 2 % <= R/2.5: R - 5 = 86.518
        QTest::newRow("2 % loss") << 100.0 << 10.0 << 2.0 << 86.518 << 4.244650788793177;
        // L = 150: R = 94.768 - 150/40 = 91.018 ... at L = 160 both branches give 90.768
        QTest::newRow("L = 160 (second branch)") << 150.0 << 0.0 << 0.0 << 90.768 << 4.357358664626177;
        // loss 40 % > R/2.5 = 37.8: R = 0, MOS = 1
        QTest::newRow("loss past R/2.5") << 0.0 << 0.0 << 40.0 << 0.0 << 1.0;
        // L = 1000: R = 0 by the latency rule, then loss 0 <= 0: R = max(0, 6.52) = 6.52
        QTest::newRow("L >= 1000") << 990.0 << 0.0 << 0.0 << 6.52 << 1.0000314733439999;
        QTest::newRow("negative input") << -1.0 << 0.0 << 0.0 << 0.0 << 1.0;
    }
    void mosByHand()
    {
        QFETCH(double, rtt);
        QFETCH(double, jitter);
        QFETCH(double, loss);
        QFETCH(double, r);
        QFETCH(double, mos);
        const double gotR = estimateRFactor(rtt, jitter, loss);
        QVERIFY2(qAbs(gotR - r) < 1e-9, qPrintable(QString::number(gotR, 'g', 17)));
        QVERIFY2(qAbs(mosFromRFactor(gotR) - mos) < 1e-9, qPrintable(QString::number(mosFromRFactor(gotR), 'g', 17)));
    }

    void mosOfACall()
    {
        CallResult c = goodCall(0);
        c.maxBufferedSec = 0.2; // 200 ms of stale audio = the delay
        c.jitterMs = 1.0;
        c.frames = 990;
        c.underruns = 10; // 10 / (990 + 10) = 1 % loss
        judgeCall(c, Thresholds());
        // L = 200 + 2 + 10 = 212: R = 94.768 - 9.2 = 85.568; minus 2.5 * 1 = 83.068
        QVERIFY(qAbs(c.rFactor - 83.068) < 1e-9);
        QVERIFY(qAbs(c.mos - 4.1344971850469765) < 1e-9);

        CallResult silent = goodCall(1);
        silent.frames = 0; // nothing heard: 100 % loss
        estimateMos(silent);
        QCOMPARE(silent.rFactor, 0.0);
        QCOMPARE(silent.mos, 1.0);
    }

    // ---- distributions ------------------------------------------------------------------------

    void percentiles()
    {
        QList<double> v;
        for (int i = 100; i >= 1; --i)
            v.append(i);
        QCOMPARE(percentileNearestRank(v, 50), 50.0);
        QCOMPARE(percentileNearestRank(v, 95), 95.0);
        QCOMPARE(percentileNearestRank(v, 99), 99.0);
        QCOMPARE(percentileNearestRank(v, 100), 100.0);
        QCOMPARE(percentileNearestRank(v, 0), 1.0);
        QCOMPARE(percentileNearestRank({5, 1, 3}, 50), 3.0); // rank ceil(1.5) = 2
        QCOMPARE(percentileNearestRank({5, 1, 3}, 99), 5.0);
        QCOMPARE(percentileNearestRank({}, 50), 0.0);
    }

    void summaryPerMetric()
    {
        // fps p1 of call i = 40 + i/10 (i = 0..99): lower is worse, so p95 is the 5th value
        // from the bottom (40.4), p99 the 1st (40.0) ... and buffered i/100 s, higher worse.
        LoadStep s = stepOf(100, [](CallResult &c, int i) {
            c.fpsP1 = 40.0 + i / 10.0;
            c.maxBufferedSec = i / 100.0;
        });
        s.calls[7].connected = false; // out of every per-call figure
        s.calls[7].connectMs = -1;
        judge(s);
        const StepSummary sum = summarizeStep(s);
        auto metric = [&](const QString &name) {
            for (const MetricSpread &m : sum.metrics)
                if (m.name == name)
                    return m;
            return MetricSpread();
        };
        const MetricSpread fps = metric(QStringLiteral("fps p1"));
        QCOMPARE(fps.calls, 99);
        QVERIFY(!fps.higherIsWorse);
        QCOMPARE(fps.worst, 40.0);
        QVERIFY(qAbs(fps.p99 - 40.0) < 1e-9);  // rank ceil(0.01 * 99) = 1
        QVERIFY(qAbs(fps.p95 - 40.4) < 1e-9);  // rank ceil(0.05 * 99) = 5 -> call 4
        QVERIFY(qAbs(fps.p50 - 45.0) < 1e-9);  // rank 50 -> call 50 (call 7 is gone)
        const MetricSpread buf = metric(QStringLiteral("buffered max"));
        QCOMPARE(buf.worst, 0.99);
        QVERIFY(qAbs(buf.p95 - 0.95) < 1e-9); // rank 95 of 99 -> call 95
        QVERIFY(qAbs(buf.p50 - 0.50) < 1e-9);
        QCOMPARE(metric(QStringLiteral("connect")).calls, 99);
        QCOMPARE(metric(QStringLiteral("clear latency")).calls, 0);
        QVERIFY(!sum.holds);
        // Calls 0..79 have fps p1 < 48 (80, minus the unconnected 7 = 79); 51..99 buffer > 0.5 s.
        QCOMPARE(sum.failureCounts.value(0), qMakePair(QStringLiteral("fps"), 79));
        QCOMPARE(sum.failureCounts.value(1), qMakePair(QStringLiteral("buffered"), 49));
        QCOMPARE(sum.failureCounts.value(2), qMakePair(QStringLiteral("connect"), 1));
        QVERIFY2(sum.topReasons.value(1).startsWith(QStringLiteral("buffered: 49 calls (worst: buffered 0.99 s > 0.5 s)")),
                 qPrintable(sum.topReasons.value(1)));
        QCOMPARE(sum.callsPassed, 0); // 80..99 meet fps but buffer > 0.5 s
    }

    // ---- the knee -----------------------------------------------------------------------------

    void kneeHoldsAt120BreaksAt150()
    {
        const LoadRun run = kneeRun();
        QList<StepSummary> sums;
        for (const LoadStep &s : run.steps)
            sums.append(summarizeStep(s));
        std::reverse(sums.begin(), sums.end()); // order of the input does not matter
        const KneeResult k = findKnee(sums, Thresholds());
        QVERIFY(k.found);
        QCOMPARE(k.holdsAt, 120);
        QCOMPARE(k.breaksAt, 150);
        QCOMPARE(k.sentence, QStringLiteral("this bot holds 120 concurrent calls; at 150, 31 % of calls have > 0.5 s buffered"));
    }

    void kneeEdges()
    {
        // Every step held.
        QList<StepSummary> sums{summarizeStep(stepOf(10)), summarizeStep(stepOf(20))};
        for (StepSummary &s : sums)
            QVERIFY(!s.holds); // not judged yet: pass is false
        LoadStep a = stepOf(10), b = stepOf(20);
        judge(a);
        judge(b);
        KneeResult k = findKnee({summarizeStep(a), summarizeStep(b)}, Thresholds());
        QVERIFY(k.found);
        QCOMPARE(k.holdsAt, 20);
        QCOMPARE(k.breaksAt, 0);
        QCOMPARE(k.sentence, QStringLiteral("this bot holds 20 concurrent calls (the largest step tried; no step broke)"));

        // The first step broke: connections refused.
        LoadStep c = stepOf(10, [](CallResult &call, int i) {
            if (i < 3) {
                call.connected = false;
                call.failReason = QStringLiteral("connection refused");
            }
        });
        judge(c);
        k = findKnee({summarizeStep(c)}, Thresholds());
        QVERIFY(!k.found);
        QCOMPARE(k.breaksAt, 10);
        QCOMPARE(k.sentence, QStringLiteral("this bot does not hold even 10 concurrent calls; at 10, 30 % of calls did not connect"));

        // Held again after a break: the sentence says it is noisy.
        LoadStep d = stepOf(30, [](CallResult &call, int i) { call.underruns = i == 0 ? 2 : 0; });
        LoadStep f = stepOf(40);
        judge(d);
        judge(f);
        k = findKnee({summarizeStep(f), summarizeStep(a), summarizeStep(d)}, Thresholds());
        QCOMPARE(k.holdsAt, 10);
        QCOMPARE(k.breaksAt, 30);
        QCOMPARE(k.sentence, QStringLiteral("this bot holds 10 concurrent calls; at 30, 3.3 % of calls have underruns "
                                            "(but 40 held again: the limit is noisy, repeat the run)"));

        // A step whose calls are missing from the results never holds.
        LoadStep e = stepOf(10);
        judge(e);
        e.targetCalls = 12;
        QVERIFY(!summarizeStep(e).holds);

        QCOMPARE(findKnee({}, Thresholds()).sentence, QStringLiteral("no steps were run"));
    }

    // ---- live line ----------------------------------------------------------------------------

    void liveLineFormat()
    {
        LoadStep s = stepOf(200, [](CallResult &c, int i) {
            c.fpsP1 = i == 0 ? 40.0 : (i == 1 ? 48.9 : 50.0);
            c.deltaP99Ms = i == 5 ? 23.1 : 20.4;
            c.maxBufferedSec = i == 9 ? 0.3 : 0.1;
            c.underruns = i < 3 ? 1 : 0;
        });
        // p1 of 200 values = the 2nd smallest (rank ceil(2) = 2) = 48.9
        QCOMPARE(liveLine(s), QStringLiteral("[LOAD] calls=200/200 fps p1=48.9 p50=50.0 jit99 p50=0.4ms worst=3.1ms "
                                             "buffered max=0.3s underruns=3 violations=0"));
        s.calls[0].connected = false;
        s.callsUp = 199;
        s.callsFailed = 1;
        // Call 0 (fps 40) is out: p1 of 199 values = rank 2 = 50.0.
        QVERIFY2(liveLine(s).startsWith(QStringLiteral("[LOAD] calls=199/200 failed=1 fps p1=50.0 ")), qPrintable(liveLine(s)));
        LoadStep empty;
        empty.targetCalls = 5;
        QCOMPARE(liveLine(empty), QStringLiteral("[LOAD] calls=0/5 fps p1=- p50=- jit99 p50=- worst=- buffered max=0.0s underruns=0 violations=0"));
    }

    void textReport()
    {
        const QString t = loadTextReport(kneeRun());
        QVERIFY(t.contains(QStringLiteral("== 120 concurrent calls: HOLDS")));
        QVERIFY(t.contains(QStringLiteral("== 150 concurrent calls: BREAKS")));
        QVERIFY(t.contains(QStringLiteral("buffered: 47 calls")));
        QVERIFY(t.contains(QStringLiteral("Knee: this bot holds 120 concurrent calls; at 150, 31 % of calls have > 0.5 s buffered")));
        QVERIFY(t.contains(QStringLiteral("MOS is an estimate")));
        QVERIFY(t.contains(QStringLiteral("... and 37 more"))); // 57 failed, 20 listed
        // The worst call is listed first: the largest buffer (call 46, 0.746 s).
        const qsizetype first = t.indexOf(QStringLiteral("failed calls (worst first):"));
        QVERIFY(first > 0);
        QVERIFY(t.mid(first).section(QLatin1Char('\n'), 1, 1).contains(QStringLiteral("buffered")));
    }

    // ---- files --------------------------------------------------------------------------------

    void jsonRoundTrip()
    {
        LoadRun run = kneeRun();
        run.shard = QStringLiteral("1/3");
        CallResult &c = run.steps[1].calls[2];
        c.jitterMs = 0.1 + 0.2; // not exactly representable
        c.driftPpm = -1234.5678901234567;
        c.deltaP99Ms = 1e-7;
        c.firstViolation = QStringLiteral("31951 \"quoted\" \\ ünïcode \x01");
        c.frames = 123456789012LL;
        c.clearLatencyMsMax = 287.25;
        const QByteArray bytes = QJsonDocument(run.toJson()).toJson();
        QString error;
        const LoadRun back = LoadRun::fromJson(QJsonDocument::fromJson(bytes).object(), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(QJsonDocument(back.toJson()).toJson(), bytes);
        const CallResult &d = back.steps[1].calls[2];
        QCOMPARE(d.jitterMs, 0.1 + 0.2);
        QCOMPARE(d.driftPpm, -1234.5678901234567);
        QCOMPARE(d.deltaP99Ms, 1e-7);
        QCOMPARE(d.firstViolation, c.firstViolation);
        QCOMPARE(d.frames, 123456789012LL);
        QCOMPARE(d.verdictReason, c.verdictReason);
        QCOMPARE(back.steps[3].calls[0].verdictReason, run.steps[3].calls[0].verdictReason);
        QCOMPARE(back.shard, run.shard);
        QCOMPARE(back.provider, QStringLiteral("twilio"));

        // The provider travels; a report from before providers existed reads as Twilio.
        LoadRun exotel = run;
        exotel.provider = QStringLiteral("exotel");
        QCOMPARE(LoadRun::fromJson(exotel.toJson(), &error).provider, QStringLiteral("exotel"));
        QJsonObject old = run.toJson();
        old.remove(QStringLiteral("provider"));
        QCOMPARE(LoadRun::fromJson(old, &error).provider, QStringLiteral("twilio"));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        // A text report of a 100 ms-chunk run names the provider and the fps it was judged by.
        QVERIFY2(loadTextReport(exotel).contains(QStringLiteral("Provider: exotel (fps judged against 10)")), qPrintable(loadTextReport(exotel)));

        // Through the file writer and reader, with the derived fields alongside.
        QTemporaryDir dir;
        const QString path = tempPath(dir, "run.json");
        QVERIFY2(writeLoadJson(run, path, &error), qPrintable(error));
        LoadRun fromFile;
        QVERIFY2(readLoadRunFile(path, &fromFile, &error), qPrintable(error));
        QCOMPARE(QJsonDocument(fromFile.toJson()).toJson(), bytes);
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o.value(QStringLiteral("knee")).toObject().value(QStringLiteral("holdsAt")).toInt(), 120);
    }

    void jsonBadInput_data()
    {
        QTest::addColumn<QString>("path"); // where to put the bad value: "", "steps", "step", "call"
        QTest::addColumn<QString>("key");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("message");
        auto row = [](const char *name, const char *where, const char *key, const QJsonValue &v, const char *msg) {
            QTest::newRow(name) << QString::fromLatin1(where) << QString::fromLatin1(key) << v << QString::fromUtf8(msg);
        };
        row("no format", "", "format", QJsonValue(QJsonValue::Undefined), "format: not a PaceLab load report");
        row("other format", "", "format", QStringLiteral("junit"), "format: not a PaceLab load report");
        row("version 2", "", "version", 2, "version: expected 1, got 2");
        row("version text", "", "version", QStringLiteral("1"), "version: expected 1");
        row("botUrl number", "", "botUrl", 5, "botUrl: expected a string");
        row("provider unknown", "", "provider", QStringLiteral("skype"), "provider: expected one of twilio|telnyx|vonage|plivo|exotel");
        row("provider number", "", "provider", 3, "provider: expected one of");
        row("steps object", "", "steps", QJsonObject(), "steps: expected an array");
        row("steps missing", "", "steps", QJsonValue(QJsonValue::Undefined), "steps: expected an array");
        row("step not object", "steps", "", 3, "steps[1]: expected an object");
        row("targetCalls negative", "step", "targetCalls", -5, "steps[1].targetCalls: out of range (0..2147483647): -5");
        row("targetCalls fraction", "step", "targetCalls", 1.5, "steps[1].targetCalls: expected a whole number");
        row("targetCalls huge", "step", "targetCalls", 1e300, "steps[1].targetCalls: out of range");
        row("calls not array", "step", "calls", QStringLiteral("x"), "steps[1].calls: expected an array");
        row("call not object", "calls", "", true, "steps[1].calls[2]: expected an object");
        row("fpsP1 text", "call", "fpsP1", QStringLiteral("50"), "steps[1].calls[2].fpsP1: expected a number");
        row("fpsP1 negative", "call", "fpsP1", -1, "steps[1].calls[2].fpsP1: must be >= 0, got -1");
        row("underruns negative", "call", "underruns", -1, "steps[1].calls[2].underruns: out of range");
        row("connected text", "call", "connected", QStringLiteral("yes"), "steps[1].calls[2].connected: expected true or false");
        row("callSid number", "call", "callSid", 7, "steps[1].calls[2].callSid: expected a string");
        row("connectMs below -1", "call", "connectMs", -2, "steps[1].calls[2].connectMs: must be >= -1");
        row("frames null", "call", "frames", QJsonValue(QJsonValue::Null), "steps[1].calls[2].frames: expected a whole number");
    }
    void jsonBadInput()
    {
        QFETCH(QString, path);
        QFETCH(QString, key);
        QFETCH(QJsonValue, value);
        QFETCH(QString, message);
        QJsonObject o = kneeRun().toJson();
        QJsonArray steps = o.value(QStringLiteral("steps")).toArray();
        QJsonObject step = steps.at(1).toObject();
        QJsonArray calls = step.value(QStringLiteral("calls")).toArray();
        QJsonObject call = calls.at(2).toObject();
        auto put = [&](QJsonObject &target) {
            if (value.isUndefined())
                target.remove(key);
            else
                target.insert(key, value);
        };
        if (path.isEmpty()) {
            put(o);
        } else if (path == QLatin1String("steps")) {
            steps[1] = value;
            o.insert(QStringLiteral("steps"), steps);
        } else {
            if (path == QLatin1String("call"))
                put(call);
            if (path == QLatin1String("calls"))
                calls[2] = value;
            else
                calls[2] = call;
            step.insert(QStringLiteral("calls"), calls);
            if (path == QLatin1String("step"))
                put(step);
            steps[1] = step;
            o.insert(QStringLiteral("steps"), steps);
        }
        QString error;
        const LoadRun r = LoadRun::fromJson(o, &error);
        QVERIFY2(error.startsWith(message), qPrintable(error));
        QVERIFY(r.steps.isEmpty());

        // The single-call reader names the field alone and returns a default call.
        if (path == QLatin1String("call")) {
            QString e;
            const CallResult c = CallResult::fromJson(call, &e);
            QVERIFY2(e.startsWith(key + QStringLiteral(": ")), qPrintable(e));
            QCOMPARE(c.callSid, QString());
        }
    }

    void readFileErrors()
    {
        QTemporaryDir dir;
        LoadRun run;
        QString error;
        QVERIFY(!readLoadRunFile(tempPath(dir, "missing.json"), &run, &error));
        QVERIFY2(error.contains(QStringLiteral("missing.json")), qPrintable(error));
        auto write = [&](const char *name, const QByteArray &bytes) {
            QFile f(tempPath(dir, name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(bytes);
        };
        write("empty.json", "");
        write("prose.json", "hello there");
        write("array.json", "[1,2]");
        QVERIFY(!readLoadRunFile(tempPath(dir, "empty.json"), &run, &error));
        QVERIFY2(error.contains(QStringLiteral("empty file")), qPrintable(error));
        QVERIFY(!readLoadRunFile(tempPath(dir, "prose.json"), &run, &error));
        QVERIFY2(error.contains(QStringLiteral("not JSON")), qPrintable(error));
        QVERIFY(!readLoadRunFile(tempPath(dir, "array.json"), &run, &error));
        QVERIFY2(error.contains(QStringLiteral("not an object")), qPrintable(error));
        QVERIFY(!readLoadRunFile(dir.path(), &run, &error)); // a directory
    }

    void junitParses()
    {
        LoadRun run = kneeRun();
        run.steps[3].calls[0].verdictReason += QStringLiteral("; <&\"> \x01 bad bytes");
        const QByteArray xml = loadJUnitXml(run);
        QXmlStreamReader r(xml);
        int testcases = 0, failures = 0, suiteFailures = -1, suiteTests = -1;
        QString failureMessage, failureBody;
        while (!r.atEnd()) {
            r.readNext();
            if (!r.isStartElement())
                continue;
            if (r.name() == QLatin1String("testsuite")) {
                suiteTests = r.attributes().value(QStringLiteral("tests")).toInt();
                suiteFailures = r.attributes().value(QStringLiteral("failures")).toInt();
            } else if (r.name() == QLatin1String("testcase")) {
                ++testcases;
            } else if (r.name() == QLatin1String("failure")) {
                ++failures;
                failureMessage = r.attributes().value(QStringLiteral("message")).toString();
                failureBody = r.readElementText();
            }
        }
        QVERIFY2(!r.hasError(), qPrintable(r.errorString()));
        QCOMPARE(testcases, 4);
        QCOMPARE(suiteTests, 4);
        QCOMPARE(failures, 1);
        QCOMPARE(suiteFailures, 1);
        QVERIFY2(failureMessage.startsWith(QStringLiteral("57 of 150 calls failed; buffered: 47 calls")), qPrintable(failureMessage));
        QVERIFY(failureBody.contains(QStringLiteral("<&\"> \uFFFD bad bytes")));

        QTemporaryDir dir;
        QString error;
        QVERIFY2(writeLoadJUnit(run, tempPath(dir, "load.xml"), &error), qPrintable(error));
        QVERIFY(!writeLoadJUnit(run, tempPath(dir, "no/such/dir/load.xml"), &error));
        QVERIFY2(error.contains(QStringLiteral("no/such/dir")), qPrintable(error));
    }

    void htmlWellFormedSelfContained()
    {
        LoadRun run = kneeRun();
        run.botUrl = QStringLiteral("ws://bot/<script>alert(1)</script>");
        run.steps[3].calls[1].callSid = QStringLiteral("CA<b>%1%2\"x");
        run.steps[3].calls[1].verdictReason += QStringLiteral("; \x02");
        const QByteArray html = loadHtml(run);
        // The page is XHTML-compatible, so an XML parser proves every element is closed.
        QXmlStreamReader r(html);
        int svgs = 0, rows = 0;
        while (!r.atEnd()) {
            r.readNext();
            if (r.isStartElement() && r.name() == QLatin1String("svg"))
                ++svgs;
            if (r.isStartElement() && r.name() == QLatin1String("tr"))
                ++rows;
        }
        QVERIFY2(!r.hasError(), qPrintable(QStringLiteral("%1 at line %2").arg(r.errorString()).arg(r.lineNumber())));
        QCOMPARE(svgs, 5); // the knee chart and four histograms
        QVERIFY(rows > 150);
        const QString page = QString::fromUtf8(html);
        QVERIFY(!page.contains(QStringLiteral("<script")));
        QVERIFY(!page.contains(QStringLiteral("src=")));
        QVERIFY(!page.contains(QStringLiteral("href=")));
        QVERIFY(!page.contains(QStringLiteral("<link")));
        QVERIFY(page.contains(QStringLiteral("CA&lt;b&gt;%1%2&quot;x")));
        QVERIFY(page.contains(QStringLiteral("this bot holds 120 concurrent calls; at 150, 31 % of calls have &gt; 0.5 s buffered")));
        QVERIFY(page.contains(QStringLiteral("estimate")));
        // Worst calls first: the first row of the calls table is call 46 (0.746 s buffered).
        const qsizetype table = page.indexOf(QStringLiteral("Calls at 150, worst first"));
        QVERIFY(table > 0);
        QVERIFY(page.indexOf(QStringLiteral("<tr><td>46</td>"), table) < page.indexOf(QStringLiteral("<tr><td>45</td>"), table));

        QTemporaryDir dir;
        QString error;
        QVERIFY2(writeLoadHtml(run, tempPath(dir, "load.html"), &error), qPrintable(error));
        QVERIFY(QFile::exists(tempPath(dir, "load.html")));
    }

    // ---- shards and merge ---------------------------------------------------------------------

    void shardParsing_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("index"); // -1 = refused
        QTest::addColumn<int>("count");
        QTest::addColumn<QString>("message");
        auto ok = [](const char *t, int i, int n) { QTest::newRow(t) << QString::fromLatin1(t) << i << n << QString(); };
        auto bad = [](const char *name, const char *t, const char *msg) {
            QTest::newRow(name) << QString::fromLatin1(t) << -1 << 0 << QString::fromLatin1(msg);
        };
        ok("0/4", 0, 4);
        ok("3/4", 3, 4);
        ok(" 2 / 5 ", 2, 5);
        ok("0/1", 0, 1);
        ok("9999/10000", 9999, 10000);
        bad("empty", "", "not two whole numbers");
        bad("index = count", "4/4", "INDEX must be below COUNT (shards are numbered from 0, the last is 3/4)");
        bad("1-based habit", "1/1", "INDEX must be below COUNT");
        bad("negative", "-1/4", "not two whole numbers");
        bad("count 0", "0/0", "COUNT must be at least 1");
        bad("count huge", "0/10001", "COUNT must be at most 10000");
        bad("letters", "a/b", "not two whole numbers");
        bad("no count", "1/", "not two whole numbers");
        bad("no index", "/4", "not two whole numbers");
        bad("three parts", "1/4/2", "not two whole numbers");
        bad("overflow", "99999999999/4", "not two whole numbers");
        bad("fraction", "1.5/4", "not two whole numbers");
        bad("env var unset", "/8", "not two whole numbers");
    }
    void shardParsing()
    {
        QFETCH(QString, text);
        QFETCH(int, index);
        QFETCH(int, count);
        QFETCH(QString, message);
        ShardSpec s;
        QString error;
        const bool ok = parseShard(text, &s, &error);
        QCOMPARE(ok, index >= 0);
        if (ok) {
            QCOMPARE(s.index, index);
            QCOMPARE(s.count, count);
        } else {
            QVERIFY2(error.startsWith(QStringLiteral("--shard wants INDEX/COUNT (0-based, e.g. 0/4 .. 3/4), got '%1': ").arg(text)),
                     qPrintable(error));
            QVERIFY2(error.contains(message), qPrintable(error));
        }
    }

    void sidsDistinctPerShard()
    {
        QSet<QString> seen;
        const QRegularExpression form(QStringLiteral("^CA[0-9a-f]{32}$"));
        for (int shard = 0; shard < 4; ++shard)
            for (int step : {10, 100})
                for (int call = 0; call < step; ++call) {
                    const QString sid = callSidFor(ShardSpec{shard, 4}, step, call);
                    QVERIFY2(form.match(sid).hasMatch(), qPrintable(sid));
                    QVERIFY(!seen.contains(sid));
                    seen.insert(sid);
                    QCOMPARE(streamSidFor(ShardSpec{shard, 4}, step, call).mid(2), sid.mid(2));
                }
        QCOMPARE(seen.size(), 4 * 110);
        QCOMPARE(callSidFor(ShardSpec{2, 4}, 10, 3), QStringLiteral("CA00000002000000040000000a00000003")); // deterministic
        QCOMPARE((ShardSpec{2, 4}.label()), QStringLiteral("2/4"));
        QCOMPARE(ShardSpec{}.label(), QString());
    }

    void mergeShards()
    {
        auto shardRun = [](int index, int count, const std::function<void(CallResult &, int)> &shape = {}) {
            LoadRun r;
            r.botUrl = QStringLiteral("wss://bot.example/media");
            r.startedUtc = QStringLiteral("2026-11-29T20:0%1:00Z").arg(5 - index);
            r.host = QStringLiteral("pod-%1").arg(index);
            const ShardSpec spec{index, count};
            r.shard = spec.label();
            r.steps = {stepOf(60, shape, spec), stepOf(75, shape, spec)};
            return r;
        };
        LoadRun a = shardRun(0, 2), b = shardRun(1, 2, [](CallResult &c, int i) {
            if (i < 30)
                c.maxBufferedSec = 0.9;
        });
        LoadRun merged;
        QString error;
        QVERIFY2(mergeLoadRuns({b, a}, {QStringLiteral("b.json"), QStringLiteral("a.json")}, &merged, &error), qPrintable(error));
        QCOMPARE(merged.steps.size(), 2);
        QCOMPARE(merged.steps[0].targetCalls, 120);
        QCOMPARE(merged.steps[0].calls.size(), 120);
        QCOMPARE(merged.steps[0].callsUp, 120);
        QCOMPARE(merged.steps[1].targetCalls, 150);
        QCOMPARE(merged.shard, QStringLiteral("0/2,1/2"));
        QCOMPARE(merged.host, QStringLiteral("pod-1,pod-0"));
        QCOMPARE(merged.startedUtc, QStringLiteral("2026-11-29T20:04:00Z"));
        QCOMPARE(merged.botUrl, a.botUrl);
        judgeRun(merged, Thresholds());
        // 30 of shard 1's calls buffer 0.9 s in both steps: 30 of 120 = 25 %, 30 of 150 = 20 %.
        const KneeResult k = findKnee({summarizeStep(merged.steps[0]), summarizeStep(merged.steps[1])}, Thresholds());
        QCOMPARE(k.sentence, QStringLiteral("this bot does not hold even 120 concurrent calls; at 120, 25 % of calls have > 0.5 s buffered"));

        // The same shard twice: its SIDs repeat, and both files are named.
        QVERIFY(!mergeLoadRuns({a, b, a}, {QStringLiteral("a.json"), QStringLiteral("b.json"), QStringLiteral("a-copy.json")}, &merged, &error));
        QVERIFY2(error.contains(QStringLiteral("is in both a.json and a-copy.json")), qPrintable(error));
        QVERIFY(error.contains(callSidFor(ShardSpec{0, 2}, 60, 0)));

        // Mismatched files.
        LoadRun vonage = b;
        vonage.provider = QStringLiteral("vonage");
        QVERIFY(!mergeLoadRuns({a, vonage}, {QStringLiteral("a.json"), QStringLiteral("v.json")}, &merged, &error));
        QVERIFY2(error.contains(QStringLiteral("v.json spoke vonage but a.json spoke twilio")), qPrintable(error));
        LoadRun other = b;
        other.botUrl = QStringLiteral("wss://elsewhere/media");
        QVERIFY(!mergeLoadRuns({a, other}, {QStringLiteral("a.json"), QStringLiteral("o.json")}, &merged, &error));
        QVERIFY2(error.contains(QStringLiteral("o.json ran against 'wss://elsewhere/media' but a.json")), qPrintable(error));
        LoadRun fewer = b;
        fewer.steps.removeLast();
        QVERIFY(!mergeLoadRuns({a, fewer}, {QStringLiteral("a.json"), QStringLiteral("f.json")}, &merged, &error));
        QVERIFY2(error.contains(QStringLiteral("f.json has steps 60 but a.json has 60, 75")), qPrintable(error));
        LoadRun thirds = shardRun(2, 3);
        QVERIFY(!mergeLoadRuns({a, thirds}, {QStringLiteral("a.json"), QStringLiteral("t.json")}, &merged, &error));
        QVERIFY2(error.contains(QStringLiteral("t.json is shard 2/3 but a.json was split in 2 shards")), qPrintable(error));
        LoadRun twice = a;
        twice.steps[1] = stepOf(60, {}, ShardSpec{0, 2});
        twice.steps[1].calls.clear();
        QVERIFY(!mergeLoadRuns({twice}, {QStringLiteral("x.json")}, &merged, &error));
        QVERIFY2(error.contains(QStringLiteral("x.json has the same step twice")), qPrintable(error));
        QVERIFY(!mergeLoadRuns({}, &merged, &error));
        QCOMPARE(error, QStringLiteral("nothing to merge"));
        // Without file names, runs are numbered.
        QVERIFY(!mergeLoadRuns({a, a}, &merged, &error));
        QVERIFY2(error.contains(QStringLiteral("run 1 and run 2")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestLoadReport)
#include "tst_loadreport.moc"
