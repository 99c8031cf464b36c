// DeadlineWheel: the many-stream clock's arithmetic on simulated time. Which streams each tick
// serves, in which order the ticks come, re-anchoring on the phase grid, idle phases catching
// up. No real clock: every number is exact.
#include "engine/DeadlineWheel.h"

#include <QtTest>

#include <algorithm>

using namespace pacelab;

namespace {

constexpr qint64 kMs = 1000000;
constexpr qint64 kT0 = 987654321000000; // an arbitrary monotonic-clock origin

DeadlineWheel::Params params(int phases)
{
    DeadlineWheel::Params p;
    p.intervalNs = 20 * kMs;
    p.phases = phases;
    p.maxLateFrames = 3;
    p.wakeLeadNs = 2 * kMs;
    p.spinNs = 300000;
    return p;
}

// The sender thread played on simulated time: wake at each tick exactly, serve, advance.
struct Served
{
    qint64 at;
    int phase;
    std::vector<int> streams;
};

std::vector<Served> run(DeadlineWheel &w, qint64 &now, int ticks, qint64 costNs = 0)
{
    std::vector<Served> out;
    for (int i = 0; i < ticks; ++i) {
        const int p = w.nextPhase();
        if (p < 0)
            break;
        now = std::max(now, w.deadlineNs(p));
        out.push_back({now, p, w.streamsOf(p)});
        now += costNs;
        w.advance(p, now);
    }
    return out;
}

} // namespace

class TestDeadlineWheel final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void onePhaseServesEveryStreamAtOneTick()
    {
        DeadlineWheel w(params(1));
        qint64 now = kT0;
        w.start(now);
        for (int id = 0; id < 200; ++id)
            QCOMPARE(w.add(id, now), 0);
        const auto served = run(w, now, 10);
        QCOMPARE(int(served.size()), 10);
        for (int k = 0; k < 10; ++k) {
            QCOMPARE(served[size_t(k)].at, kT0 + k * 20 * kMs); // one wake per 20 ms grid tick
            QCOMPARE(int(served[size_t(k)].streams.size()), 200); // every stream at each
        }
        QCOMPARE(w.ticksServed(0), quint64(10));
        QCOMPARE(w.lateResets(), quint64(0));
    }

    void phasesSpreadStreamsAndComeInOrder()
    {
        DeadlineWheel w(params(4));
        qint64 now = kT0;
        w.start(now);
        QCOMPARE(w.spacingNs(), 5 * kMs);
        // The least loaded phase, ties to the lowest: 0 1 2 3 0 1 2 3 0 1.
        for (int id = 0; id < 10; ++id)
            QCOMPARE(w.add(id, now), id % 4);
        QCOMPARE(w.streamsOf(0), (std::vector<int>{0, 4, 8}));
        QCOMPARE(w.streamsOf(3), (std::vector<int>{3, 7}));
        const auto served = run(w, now, 8);
        const int expectPhase[] = {0, 1, 2, 3, 0, 1, 2, 3};
        for (int k = 0; k < 8; ++k) {
            QCOMPARE(served[size_t(k)].phase, expectPhase[k]);
            QCOMPARE(served[size_t(k)].at, kT0 + k * 5 * kMs);
        }
        // Every stream is served exactly once per interval.
        std::vector<int> count(10, 0);
        for (const auto &s : served)
            for (int id : s.streams)
                ++count[size_t(id)];
        QCOMPARE(count, std::vector<int>(10, 2));
        QCOMPARE(w.gridNs(2, 3), kT0 + 10 * kMs + 60 * kMs);
    }

    void lateTickReanchorsOnItsPhaseGrid()
    {
        DeadlineWheel w(params(4));
        qint64 now = kT0;
        w.start(now);
        w.add(0, now); // phase 0
        w.add(1, now); // phase 1
        // Phase 0 served exactly 60 ms late (= maxLateFrames intervals): no re-anchor.
        auto a = w.advance(0, kT0 + 60 * kMs);
        QVERIFY(!a.reanchored);
        QCOMPARE(a.lateNs, 60 * kMs);
        QCOMPARE(w.deadlineNs(0), kT0 + 20 * kMs);
        // Its next tick (due kT0 + 20 ms) ends 70 ms late: re-anchored to the first point of
        // phase 0's grid after now (kT0 + 100 ms), the three slots in between given up.
        a = w.advance(0, kT0 + 90 * kMs);
        QVERIFY(a.reanchored);
        QCOMPARE(a.skippedSlots, quint64(3));
        QCOMPARE(w.deadlineNs(0), kT0 + 100 * kMs);
        QCOMPARE(w.lateResets(), quint64(1));
        // Phase 1 is untouched and keeps its 5 ms offset.
        QCOMPARE(w.deadlineNs(1), kT0 + 5 * kMs);
        // After the re-anchor the phase is still on its own grid.
        QCOMPARE((w.deadlineNs(0) - w.gridNs(0, 0)) % (20 * kMs), qint64(0));
    }

    void stalledThreadBurstIsBounded()
    {
        // The thread stalls 200 ms: each phase is served once late and re-anchors, so no phase
        // catches up with a burst of the 10 slots it missed.
        DeadlineWheel w(params(2));
        qint64 now = kT0;
        w.start(now);
        w.add(0, now);
        w.add(1, now);
        run(w, now, 2);
        now += 200 * kMs; // kT0 + 210 ms; the ticks due at +20 and +30 ms were missed
        const auto served = run(w, now, 6);
        const qint64 expectAt[] = {210, 210, 220, 230, 240, 250};
        for (int k = 0; k < 6; ++k)
            QCOMPARE(served[size_t(k)].at, kT0 + expectAt[k] * kMs);
        QCOMPARE(w.lateResets(), quint64(2)); // one per phase, not a burst of ten
    }

    void idlePhaseCatchesUpWithoutALateReset()
    {
        DeadlineWheel w(params(4));
        qint64 now = kT0;
        w.start(now);
        w.add(0, now); // phase 0 only
        run(w, now, 5);
        // Phases 1..3 were never served. A stream joining at kT0 + 103 ms goes to phase 1,
        // whose tick becomes the first point of its grid at or after now: kT0 + 105 ms.
        now = kT0 + 103 * kMs;
        QCOMPARE(w.add(1, now), 1);
        QCOMPARE(w.deadlineNs(1), kT0 + 105 * kMs);
        w.advance(1, kT0 + 105 * kMs);
        QCOMPARE(w.lateResets(), quint64(0));
    }

    void removeAndEmptyWheel()
    {
        DeadlineWheel w(params(2));
        qint64 now = kT0;
        w.start(now);
        QCOMPARE(w.nextPhase(), -1);
        w.add(5, now); // any id
        w.add(9, now);
        QCOMPARE(w.phaseOf(5), 0);
        QCOMPARE(w.phaseOf(9), 1);
        QCOMPARE(w.phaseOf(7), -1);
        w.remove(5);
        QCOMPARE(w.streamCount(), 1);
        QCOMPARE(w.nextPhase(), 1); // phase 0 has no streams: skipped
        w.remove(9);
        w.remove(9); // twice: harmless
        QCOMPARE(w.nextPhase(), -1);
        QCOMPARE(w.add(5, now), 0); // back on the least loaded phase
    }

    void waitingArithmetic()
    {
        DeadlineWheel w(params(4));
        w.start(kT0);
        w.add(0, kT0);
        w.add(1, kT0);
        // Phase 1 is due at +5 ms; the event loop wakes 2 ms before: 3 ms from kT0.
        QCOMPARE(w.timerDelayMs(1, kT0), 3);
        QCOMPARE(w.timerDelayMs(1, kT0 + 4 * kMs), 0); // past the wake time: now
        QVERIFY(w.wokeEarly(1, kT0));                    // 5 ms left > 2 + 1 ms
        QVERIFY(!w.wokeEarly(1, kT0 + 2 * kMs));
        QCOMPARE(w.sleepUntilNs(1), kT0 + 5 * kMs - 300000);
    }
};

QTEST_GUILESS_MAIN(TestDeadlineWheel)
#include "tst_deadlinewheel.moc"
