// LoadLiveModel: what the GUI's Load page shows, from synthesized snapshots (no sockets, no clock).
#include "load/LoadLiveModel.h"

#include <QTest>

using namespace pacelab;

namespace {

CallResult goodCall(int index, qint64 frames)
{
    CallResult c;
    c.index = index;
    c.connected = true;
    c.connectMs = 3;
    c.frames = frames;
    c.audioSec = frames * 0.02;
    c.fpsP1 = 50;
    c.fpsP50 = 50;
    c.fpsMax = frames > 0 ? 50 : 0;
    c.durationSec = frames * 0.02;
    c.jitterMs = 0.2;
    c.deltaP99Ms = 20.5;
    c.maxBufferedSec = 0.06;
    return c;
}

LoadStep stepOf(int target, double t, const QList<CallResult> &calls)
{
    LoadStep s;
    s.targetCalls = target;
    s.durationSec = t;
    s.calls = calls;
    for (const CallResult &c : calls)
        c.connected ? ++s.callsUp : ++s.callsFailed;
    return s;
}

} // namespace

class TestLoadLiveModel final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void callsAreJudgedAndSortedWorstFirst()
    {
        LoadLiveModel m;
        m.beginStep(4);
        CallResult slow = goodCall(0, 100);
        slow.fpsP1 = 40;                 // fps broken
        CallResult buffered = goodCall(1, 100);
        buffered.fpsP1 = 40;             // fps and buffered broken: worse than `slow`
        buffered.maxBufferedSec = 2.0;
        CallResult fine = goodCall(2, 100);
        CallResult refused;              // never connected: worst of all
        refused.index = 3;
        refused.failReason = QStringLiteral("connection refused");
        m.addSnapshot(stepOf(4, 2.0, {slow, buffered, fine, refused}));

        const QList<CallResult> &s = m.callsWorstFirst();
        QCOMPARE(s.size(), 4);
        QCOMPARE(s[0].index, 3);
        QCOMPARE(s[1].index, 1);
        QCOMPARE(s[2].index, 0);
        QCOMPARE(s[3].index, 2);
        QVERIFY(!s[0].pass && s[0].verdictReason.startsWith(QLatin1String("connect")));
        QVERIFY(s[1].verdictReason.contains(QLatin1String("buffered")));
        QVERIFY(s[3].pass);
        QVERIFY(s[3].mos > 4.0); // estimated by judgeCall
    }

    void histogramValuesCountTheSameCallsAsTheReports()
    {
        LoadLiveModel m;
        m.beginStep(3);
        CallResult silent = goodCall(1, 0); // connected, no audio yet
        CallResult refused;
        refused.index = 2;
        m.addSnapshot(stepOf(3, 1.0, {goodCall(0, 50), silent, refused}));
        QCOMPARE(m.fpsP1Values().size(), 1);
        QCOMPARE(m.jitterValues().size(), 1);
        QCOMPARE(m.bufferedValues().size(), 2);
        QCOMPARE(m.jitterValues().first(), 0.2);
    }

    void historyGivesFpsPerIntervalAndIsBounded()
    {
        LoadLiveModel m;
        m.beginStep(1);
        m.addSnapshot(stepOf(1, 1.0, {goodCall(0, 50)}));
        m.addSnapshot(stepOf(1, 2.0, {goodCall(0, 90)}));   // 40 frames in that second
        m.addSnapshot(stepOf(1, 4.0, {goodCall(0, 190)}));  // 100 frames in 2 s
        QVector<CallSample> h = m.history(0);
        QCOMPARE(h.size(), 3);
        QCOMPARE(h[0].fps, 50.0f);
        QCOMPARE(h[1].fps, 40.0f);
        QCOMPARE(h[2].fps, 50.0f);
        QCOMPARE(h[2].tSec, 4.0f);
        QVERIFY(m.history(7).isEmpty());

        for (int i = 0; i < LoadLiveModel::kMaxSamples + 20; ++i)
            m.addSnapshot(stepOf(1, 5.0 + i, {goodCall(0, 240 + 50 * i)}));
        h = m.history(0);
        QCOMPARE(h.size(), LoadLiveModel::kMaxSamples);
        QCOMPARE(h.last().tSec, float(5.0 + LoadLiveModel::kMaxSamples + 19));

        m.beginStep(2); // a new step starts its calls' history afresh
        QVERIFY(m.history(0).isEmpty());
        QVERIFY(m.callsWorstFirst().isEmpty());
    }

    void callsWithoutASecondOfAudioAreMeasuredNotFailed()
    {
        LoadLiveModel m;
        m.beginStep(4);
        CallResult young = goodCall(0, 30);    // 0.6 s of audio: no whole second, fps figures 0
        young.fpsP1 = young.fpsP50 = young.fpsMax = 0;
        young.durationSec = 0.7;
        CallResult quiet = goodCall(1, 0);     // up 0.5 s, the greeting not there yet
        quiet.durationSec = 0.5;
        CallResult mute = goodCall(2, 0);      // up 3 s without audio: judged
        mute.durationSec = 3.0;
        CallResult holes = goodCall(4, 30);    // as young, but underruns already: judged at once
        holes.fpsP1 = holes.fpsP50 = holes.fpsMax = 0;
        holes.durationSec = 0.7;
        holes.underruns = 3;
        CallResult fine = goodCall(3, 150);
        fine.fpsMax = 50;
        fine.durationSec = 3.0;
        m.addSnapshot(stepOf(4, 1.0, {young, quiet, mute, fine, holes}));
        QVERIFY(!m.isMeasuring(4));
        QVERIFY(m.isMeasuring(0));
        QVERIFY(m.isMeasuring(1));
        QVERIFY(!m.isMeasuring(2));
        QVERIFY(!m.isMeasuring(3));
        QList<int> order;
        for (const CallResult &c : m.callsWorstFirst())
            order << c.index;
        QCOMPARE(order, (QList<int>{4, 2, 3, 0, 1})); // judged first (two failed), then measuring
        QCOMPARE(m.fpsP1Values(), (QList<double>{50.0})); // a 0 before a whole second is not a value
        // The final snapshot of a step judges every call, whatever it had.
        m.addSnapshot(stepOf(4, 1.2, {young, quiet, mute, fine}), true);
        QVERIFY(!m.isMeasuring(0));
        QVERIFY(!m.callsWorstFirst().first().pass);
        QCOMPARE(m.fpsP1Values().size(), 2);
    }

    void finishedStepsGiveTheKnee()
    {
        LoadLiveModel m;
        m.beginStep(2);
        m.addSnapshot(stepOf(2, 3.0, {goodCall(0, 150), goodCall(1, 150)}), true);
        m.beginStep(4);
        QList<CallResult> calls;
        for (int i = 0; i < 4; ++i) {
            CallResult c = goodCall(i, 150);
            if (i >= 3)
                c.maxBufferedSec = 1.5; // one of four breaks the buffered limit
            calls << c;
        }
        m.addSnapshot(stepOf(4, 1.0, calls));           // live: not a finished step
        QCOMPARE(m.summaries().size(), 1);
        m.addSnapshot(stepOf(4, 3.0, calls), true);
        QCOMPARE(m.summaries().size(), 2);
        QCOMPARE(m.finishedSteps().size(), 2);
        QCOMPARE(LoadLiveModel::failingPercent(m.summaries()[0]), 0.0);
        QCOMPARE(LoadLiveModel::failingPercent(m.summaries()[1]), 25.0);
        const KneeResult k = m.knee();
        QVERIFY(k.found);
        QCOMPARE(k.holdsAt, 2);
        QCOMPARE(k.breaksAt, 4);
        QVERIFY2(k.sentence.contains(QLatin1String("holds 2 concurrent calls; at 4, 25 %")), qPrintable(k.sentence));

        // A step whose calls never all reached the results counts the missing ones as failing.
        StepSummary partial;
        partial.targetCalls = 10;
        partial.callsPassed = 5;
        QCOMPARE(LoadLiveModel::failingPercent(partial), 50.0);
        m.reset();
        QVERIFY(m.summaries().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestLoadLiveModel)
#include "tst_loadlivemodel.moc"
