// The knee of a ramp (`pacelab load` without --steps): per-second breaks from consecutive live
// snapshots and the call count at which quality first broke while calls were being added,
// all on synthesized per-second data, so the answers hold on any machine at any load.
#include "load/LoadReport.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QtTest>

using namespace pacelab;

namespace {

// A step's live snapshots: `perSec` calls placed each second up to `target`, each receiving 50
// frames a second; from the second in which more than `holds` calls are up, every call up
// gets an underrun per second (a bot that cannot carry more than `holds` calls).
QList<LoadStep> rampSnapshots(int target, int perSec, int seconds, int holds, int breakAfterSec = -1)
{
    QList<LoadStep> out;
    QList<CallResult> calls;
    bool broken = false;
    for (int s = 1; s <= seconds; ++s) {
        for (CallResult &c : calls)
            c.frames += 50;
        for (int i = 0; i < perSec && calls.size() < target; ++i) {
            CallResult c;
            c.index = int(calls.size());
            c.connected = true;
            c.frames = 25; // placed mid-second: a partial first second
            calls.append(c);
        }
        broken = broken || (holds >= 0 && calls.size() > holds) || (breakAfterSec >= 0 && s > breakAfterSec);
        if (broken)
            for (CallResult &c : calls)
                ++c.underruns;
        LoadStep snap;
        snap.targetCalls = target;
        snap.durationSec = s;
        snap.calls = calls;
        out.append(snap);
    }
    return out;
}

LoadStep recorded(const QList<LoadStep> &snaps, double rampPerSec)
{
    RampRecorder rec;
    for (const LoadStep &s : snaps)
        rec.add(s);
    LoadStep step = snaps.last();
    step.rampPerSec = rampPerSec;
    step.ramp = rec.take();
    return step;
}

} // namespace

class TstLoadRamp : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void kneeFromRamp()
    {
        // 10 calls/s to 100; the bot holds 60: the first broken second has 70 calls up.
        const LoadStep step = recorded(rampSnapshots(100, 10, 14, 60), 10);
        QCOMPARE(step.ramp.size(), 14);
        QCOMPARE(step.ramp.at(5).callsUp, 60);
        QCOMPARE(step.ramp.at(5).callsBroken, 0);
        QCOMPARE(step.ramp.at(6).callsUp, 70);
        QCOMPARE(step.ramp.at(6).callsBroken, 70);
        QCOMPARE(step.ramp.at(6).topKey, QStringLiteral("underruns"));
        const KneeResult k = findRampKnee(step, Thresholds());
        QVERIFY(k.found);
        QCOMPARE(k.holdsAt, 60);
        QCOMPARE(k.breaksAt, 70);
        QVERIFY2(k.sentence.contains(QStringLiteral("held 60 concurrent calls; at 70, 100 % of calls had underruns")),
                 qPrintable(k.sentence));
    }

    void kneeDependsOnTheBot()
    {
        // The same ramp against a bot that holds 30: the knee moves with it.
        const KneeResult k = findRampKnee(recorded(rampSnapshots(100, 10, 14, 30), 10), Thresholds());
        QVERIFY(k.found);
        QCOMPARE(k.holdsAt, 30);
        QCOMPARE(k.breaksAt, 40);
    }

    void nothingBroke()
    {
        const KneeResult k = findRampKnee(recorded(rampSnapshots(100, 10, 14, -1), 10), Thresholds());
        QVERIFY(k.found);
        QCOMPARE(k.holdsAt, 100);
        QCOMPARE(k.breaksAt, 0);
        QVERIFY2(k.sentence.startsWith(QStringLiteral("no knee: every call held while calls were added, up to 100")),
                 qPrintable(k.sentence));
    }

    void brokeOnlyAfterTheRamp()
    {
        // Every call up at second 10; the underruns start at second 12: the ramp cannot place it.
        const KneeResult k = findRampKnee(recorded(rampSnapshots(100, 10, 14, -1, 11), 10), Thresholds());
        QVERIFY(!k.found);
        QVERIFY2(k.sentence.contains(QStringLiteral("quality broke later at the full count")), qPrintable(k.sentence));
        QVERIFY(k.sentence.contains(QStringLiteral("use --steps")));
    }

    void brokeWithTheFirstCalls()
    {
        const KneeResult k = findRampKnee(recorded(rampSnapshots(100, 10, 14, 0), 10), Thresholds());
        QVERIFY(!k.found);
        QCOMPARE(k.breaksAt, 10);
        QVERIFY2(k.sentence.contains(QStringLiteral("broke with the first calls: at 10 calls")), qPrintable(k.sentence));
    }

    void noRampNoKnee()
    {
        // --ramp 0: said plainly, whatever the data.
        KneeResult k = findRampKnee(recorded(rampSnapshots(100, 100, 5, 60), 0), Thresholds());
        QVERIFY(!k.found);
        QVERIFY2(k.sentence.contains(QStringLiteral("all 100 calls were placed at once (--ramp 0)")), qPrintable(k.sentence));
        // A ramp fast enough to put every call up in the first second.
        k = findRampKnee(recorded(rampSnapshots(100, 100, 5, 60), 500), Thresholds());
        QVERIFY(!k.found);
        QVERIFY2(k.sentence.contains(QStringLiteral("were up within the ramp's first second")), qPrintable(k.sentence));
        // No per-second data (a step shorter than 2 s).
        LoadStep empty;
        empty.targetCalls = 10;
        empty.rampPerSec = 5;
        k = findRampKnee(empty, Thresholds());
        QVERIFY(!k.found);
        QVERIFY(k.sentence.contains(QStringLiteral("fewer than 2 seconds")));
    }

    void perSecondChecks()
    {
        const Thresholds limits;
        LoadStep a, b;
        a.durationSec = 1.0;
        b.durationSec = 2.0;
        auto call = [](int index, qint64 frames) {
            CallResult c;
            c.index = index;
            c.connected = true;
            c.frames = frames;
            return c;
        };
        // 0: fine; 1: buffered crosses the limit; 2: already past it (not counted again);
        // 3: a burst (60 fps); 4: a violation; 5: dropped; 6: a new call's partial second.
        a.calls = {call(0, 50), call(1, 50), call(2, 50), call(3, 50), call(4, 50), call(5, 50)};
        a.calls[2].maxBufferedSec = 0.9;
        b.calls = {call(0, 100), call(1, 100), call(2, 100), call(3, 110), call(4, 100), call(5, 80), call(6, 200)};
        b.calls[1].maxBufferedSec = 0.7;
        b.calls[2].maxBufferedSec = 1.0;
        b.calls[4].violations = 1;
        b.calls[5].droppedMidCall = true;
        b.calls[5].failReason = QStringLiteral("the bot closed the call");
        const RampSecond s = rampSecondOf(a, b, limits);
        QCOMPARE(s.callsUp, 6);      // the dropped call is not up
        QCOMPARE(s.callsJudged, 7);
        QCOMPARE(s.callsBroken, 4);  // 1 buffered, 3 fps, 4 violations, 5 dropped
        // A call that never connected breaks once, in the second it failed.
        LoadStep c = b;
        c.durationSec = 3.0;
        CallResult refused;
        refused.index = 7;
        refused.failReason = QStringLiteral("cannot connect: Connection refused");
        c.calls.append(refused);
        const RampSecond t = rampSecondOf(b, c, limits);
        // Only the refused call: 3 got no frames (a silent second is not judged), 5 failed
        // earlier, 1 and 2 stay past the buffered limit (counted once), 4 had no new violation.
        QCOMPARE(t.callsBroken, 1);
        QCOMPARE(t.topKey, QStringLiteral("connect"));
    }

    void jsonRoundTrip()
    {
        LoadRun run;
        run.botUrl = QStringLiteral("ws://127.0.0.1:1/");
        run.steps.append(recorded(rampSnapshots(20, 5, 6, 10), 5));
        QString error;
        const LoadRun back = LoadRun::fromJson(run.toJson(), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(back.steps.first().rampPerSec, 5.0);
        QCOMPARE(back.steps.first().ramp.size(), run.steps.first().ramp.size());
        QCOMPARE(back.steps.first().ramp.at(2).callsBroken, run.steps.first().ramp.at(2).callsBroken);
        QCOMPARE(back.steps.first().ramp.at(2).topKey, run.steps.first().ramp.at(2).topKey);
        QCOMPARE(findRampKnee(back.steps.first(), Thresholds()).sentence, findRampKnee(run.steps.first(), Thresholds()).sentence);
        // The text report says it for a run of one step.
        QVERIFY(loadTextReport(run).contains(QStringLiteral("Knee from the ramp: during the ramp this bot held 10 concurrent calls")));

        // Bad ramp data: refused, the field named.
        QJsonObject o = run.toJson();
        QJsonArray steps = o.value(QStringLiteral("steps")).toArray();
        QJsonObject s0 = steps.at(0).toObject();
        QJsonArray ramp = s0.value(QStringLiteral("ramp")).toArray();
        QJsonObject r1 = ramp.at(1).toObject();
        r1[QStringLiteral("callsUp")] = -3;
        ramp[1] = r1;
        s0[QStringLiteral("ramp")] = ramp;
        steps[0] = s0;
        o[QStringLiteral("steps")] = steps;
        LoadRun::fromJson(o, &error);
        QVERIFY2(error.contains(QStringLiteral("ramp[1].callsUp")), qPrintable(error));
        s0[QStringLiteral("ramp")] = QStringLiteral("not an array");
        steps[0] = s0;
        o[QStringLiteral("steps")] = steps;
        LoadRun::fromJson(o, &error);
        QVERIFY2(error.contains(QStringLiteral("ramp: expected an array")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TstLoadRamp)
#include "tst_loadramp.moc"
