// Pacer: the sender clock's arithmetic on simulated time. Every number is exact because no real
// clock is involved: the tests play the event loop (a timer that fires after timerDelayMs(), late
// by a chosen overshoot), the precise wait (to deadlineNs()) and the send (a chosen cost).
#include "engine/Pacer.h"
#include "engine/SenderConfig.h"

#include <QtTest>

#include <algorithm>

using namespace pacelab;

namespace {

constexpr qint64 kMs = 1000000;
constexpr qint64 kUs = 1000;
constexpr qint64 kT0 = 123456789000000; // an arbitrary monotonic-clock origin (~34 h of uptime)

// The simulated sender thread, doing what PacedSender::onClockTimer/tickAbsolute do.
struct SimSender
{
    Pacer pacer;
    qint64 now = kT0;
    qint64 timerOvershootNs = 0; // the event loop wakes this much after the timer's due time
    qint64 sendCostNs = 0;       // from the release to the end of the tick
    qint64 lastLatenessUs = 0;
    qint64 lastDriftUs = 0;
    qint64 maxLatenessUs = 0;
    int earlyWakes = 0;
    int reanchors = 0;

    explicit SimSender(PacerParams p) : pacer(p) { pacer.start(now); }

    // One timer expiry through to the re-arm; returns whether it served a slot.
    bool tick(qint64 extraDelayNs = 0)
    {
        if (pacer.wokeEarly(now)) {
            ++earlyWakes;
            arm(0);
            return false;
        }
        if (pacer.params().mode == PacerParams::Mode::AbsoluteDeadline && pacer.remainingNs(now) > 0)
            now = pacer.deadlineNs(); // clock_nanosleep to sleepUntilNs() + spin to the deadline
        lastLatenessUs = pacer.latenessUs(now);
        lastDriftUs = pacer.driftUs(now);
        maxLatenessUs = std::max(maxLatenessUs, lastLatenessUs);
        now += sendCostNs;
        reanchors += pacer.advance(now).reanchored;
        arm(extraDelayNs);
        return true;
    }
    void arm(qint64 extraDelayNs) { now += pacer.timerDelayMs(now) * kMs + timerOvershootNs + extraDelayNs; }
};

// A deterministic jitter source (the same numbers on every platform, unlike <random>'s
// distributions).
struct Lcg
{
    quint64 state = 42;
    qint64 below(qint64 n)
    {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return qint64((state >> 33) % quint64(n));
    }
};

} // namespace

class TestPacer final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void paramsFromConfig();
    void exactSlotsOverTenMinutes();
    void jitterBelowTheBoundKeepsTheGrid();
    void reanchorsAfterA100msStall();
    void catchesUpWhenTwoFramesLate();
    void reanchorThresholdIsStrict();
    void earlyWakeRearms();
    void latenessTruncatesToMicroseconds();
    void fixedSleepTwinDrifts();
    void pacersAreIndependentValues();
};

void TestPacer::paramsFromConfig()
{
    SenderConfig cfg;
    PacerParams p = PacerParams::fromConfig(cfg);
    QCOMPARE(p.mode, PacerParams::Mode::AbsoluteDeadline);
    QCOMPARE(p.intervalNs, 20 * kMs);
    QCOMPARE(p.maxLateFrames, 3);
    QCOMPARE(p.wakeLeadNs, 2 * kMs);
    QCOMPARE(p.spinNs, 300 * kUs);
    cfg.pacing = SenderConfig::Pacing::FixedSleep;
    cfg.frameIntervalUs = 10000;
    QCOMPARE(PacerParams::fromConfig(cfg).mode, PacerParams::Mode::FixedSleep);
    QCOMPARE(PacerParams::fromConfig(cfg).intervalNs, 10 * kMs);
}

void TestPacer::exactSlotsOverTenMinutes()
{
    // 30000 slots = 10 minutes of 20 ms frames; each timer fires 0.7 ms late and each send
    // costs 80 µs. The grid must not move by a single nanosecond.
    SimSender sim{PacerParams{}};
    sim.timerOvershootNs = 700 * kUs;
    sim.sendCostNs = 80 * kUs;
    int served = 0;
    for (int iter = 0; served < 30000; ++iter) {
        QVERIFY(iter < 40000);
        const qint64 due = sim.pacer.deadlineNs();
        if (!sim.tick())
            continue;
        if (due != kT0 + qint64(served) * 20 * kMs)
            QFAIL(qPrintable(QStringLiteral("slot %1 due at %2").arg(served).arg(due - kT0)));
        QCOMPARE(sim.lastLatenessUs, 0);
        QCOMPARE(sim.lastDriftUs, 0);
        ++served;
    }
    QCOMPARE(sim.pacer.slotIndex(), quint64(30000));
    QCOMPARE(sim.pacer.deadlineNs(), kT0 + 600000 * kMs); // exactly 10 minutes later
    QCOMPARE(sim.pacer.lateResets(), 0u);
    QCOMPARE(sim.reanchors, 0);
    QCOMPARE(sim.earlyWakes, 0);
    QCOMPARE(sim.maxLatenessUs, 0);
    // Each wake came wakeLead (2 ms) minus the timer's whole ms before its deadline: the timer
    // is armed at 20 ms - 80 µs - 2 ms -> 17 ms, fires 0.7 ms late = 2.22 ms ahead. Not early.
    QVERIFY(!sim.pacer.wokeEarly(sim.pacer.deadlineNs() - 2220 * kUs));
}

void TestPacer::jitterBelowTheBoundKeepsTheGrid()
{
    // Timers fire up to 45 ms late (under maxLateFrames = 3 slots): frames leave late, missed
    // slots are caught up at once, and the grid itself never moves.
    SimSender sim{PacerParams{}};
    Lcg rng;
    int served = 0;
    int lateFrames = 0;
    while (served < 3000) {
        const qint64 due = sim.pacer.deadlineNs();
        if (!sim.tick())
            continue;
        QCOMPARE(due, kT0 + qint64(served) * 20 * kMs);
        lateFrames += sim.lastLatenessUs > 0;
        ++served;
        // Now and then the next wake comes late; never while catching up (two late wakes in a
        // row could add up beyond the bound, which reanchorsAfterA100msStall covers).
        if (sim.lastLatenessUs == 0 && rng.below(10) == 0)
            sim.now += rng.below(45 * kMs);
    }
    QCOMPARE(sim.pacer.lateResets(), 0u);
    QVERIFY(lateFrames > 0);             // the jitter did make frames late ...
    QVERIFY2(sim.maxLatenessUs < 45000, qPrintable(QString::number(sim.maxLatenessUs))); // ... by less than it, never by more
    QCOMPARE(sim.pacer.deadlineNs(), kT0 + 3000 * 20 * kMs);
}

void TestPacer::reanchorsAfterA100msStall()
{
    SimSender sim{PacerParams{}};
    for (int i = 0; i < 10;)
        i += sim.tick();
    QCOMPARE(sim.pacer.deadlineNs(), kT0 + 200 * kMs);
    // The thread is not scheduled for 100 ms past slot 10.
    sim.now = kT0 + 300 * kMs;
    QCOMPARE(sim.pacer.latenessUs(sim.now), 100000);
    QCOMPARE(sim.pacer.driftUs(sim.now), 100000);
    const Pacer::Advance a = sim.pacer.advance(sim.now);
    QVERIFY(a.reanchored);
    QCOMPARE(a.lateNs, 100 * kMs);
    QCOMPARE(a.skippedSlots, quint64(5)); // 220, 240, 260, 280, 300 ms of the old grid
    QCOMPARE(sim.pacer.lateResets(), 1u);
    // The new grid starts at the moment of the re-anchor: no burst of 5 frames to catch up.
    QCOMPARE(sim.pacer.deadlineNs(), kT0 + 320 * kMs);
    QCOMPARE(sim.pacer.slotIndex(), quint64(11));
    sim.arm(0);
    for (int i = 0; i < 50;) {
        const qint64 due = sim.pacer.deadlineNs();
        if (!sim.tick())
            continue;
        QCOMPARE(due, kT0 + 320 * kMs + qint64(i) * 20 * kMs);
        QCOMPARE(sim.lastLatenessUs, 0);
        // Against the ideal grid (never re-anchored) the stream stays 100 ms behind.
        QCOMPARE(sim.lastDriftUs, 100000);
        ++i;
    }
    QCOMPARE(sim.pacer.lateResets(), 1u);
}

void TestPacer::catchesUpWhenTwoFramesLate()
{
    SimSender sim{PacerParams{}};
    for (int i = 0; i < 5;)
        i += sim.tick();
    const qint64 slot5 = kT0 + 100 * kMs;
    QCOMPARE(sim.pacer.deadlineNs(), slot5);
    sim.now = slot5 + 40 * kMs; // two frames late
    QVERIFY(sim.tick());
    QCOMPARE(sim.lastLatenessUs, 40000);
    QCOMPARE(sim.pacer.lateResets(), 0u);
    // The two missed slots are due at once (timer delay 0) and go out back to back ...
    QCOMPARE(sim.pacer.deadlineNs(), slot5 + 20 * kMs);
    QCOMPARE(sim.pacer.timerDelayMs(sim.now), 0);
    QVERIFY(sim.tick());
    QCOMPARE(sim.lastLatenessUs, 20000);
    QVERIFY(sim.tick());
    QCOMPARE(sim.lastLatenessUs, 0); // ... and the stream is back on its original grid
    QCOMPARE(sim.lastDriftUs, 0);
    QCOMPARE(sim.pacer.deadlineNs(), slot5 + 60 * kMs);
    QCOMPARE(sim.pacer.lateResets(), 0u);
}

void TestPacer::reanchorThresholdIsStrict()
{
    PacerParams p;
    {
        Pacer pacer(p);
        pacer.start(kT0);
        const Pacer::Advance a = pacer.advance(kT0 + 60 * kMs); // exactly maxLateFrames slots
        QVERIFY(!a.reanchored);
        QCOMPARE(pacer.deadlineNs(), kT0 + 20 * kMs);
    }
    {
        Pacer pacer(p);
        pacer.start(kT0);
        const Pacer::Advance a = pacer.advance(kT0 + 60 * kMs + 1);
        QVERIFY(a.reanchored);
        QCOMPARE(a.skippedSlots, quint64(3));
        QCOMPARE(pacer.deadlineNs(), kT0 + 80 * kMs + 1);
    }
    {
        p.maxLateFrames = 1;
        Pacer pacer(p);
        pacer.start(kT0);
        QVERIFY(pacer.advance(kT0 + 21 * kMs).reanchored);
    }
}

void TestPacer::earlyWakeRearms()
{
    Pacer pacer{PacerParams{}};
    pacer.start(kT0);
    pacer.advance(kT0); // slot 1 due at +20 ms
    const qint64 d = kT0 + 20 * kMs;
    QCOMPARE(pacer.wakeAtNs(), d - 2 * kMs);
    QCOMPARE(pacer.timerDelayMs(kT0), 18);
    QCOMPARE(pacer.timerDelayMs(kT0 + 999 * kUs), 17); // whole ms, truncated
    QCOMPARE(pacer.timerDelayMs(d), 0);                // overdue: at once
    QVERIFY(pacer.wokeEarly(d - 3 * kMs - 1));          // more than lead + 1 ms ahead
    QCOMPARE(pacer.timerDelayMs(d - 3 * kMs - 1), 1);
    QVERIFY(!pacer.wokeEarly(d - 3 * kMs));
    QCOMPARE(pacer.sleepUntilNs(), d - 300 * kUs);
    QCOMPARE(pacer.remainingNs(d - 3 * kMs), 3 * kMs);
}

void TestPacer::latenessTruncatesToMicroseconds()
{
    Pacer pacer{PacerParams{}};
    pacer.start(kT0);
    QCOMPARE(pacer.latenessUs(kT0 + 1999), 1);
    QCOMPARE(pacer.latenessUs(kT0 - 1500), -1);
    QCOMPARE(pacer.latenessUs(kT0 + 999), 0);
}

void TestPacer::fixedSleepTwinDrifts()
{
    // Same machine for both pacers: every timer fires 150 µs after it is due, every send costs
    // 50 µs. The relative sleep adds both to every frame; the absolute grid absorbs them.
    PacerParams fixed;
    fixed.mode = PacerParams::Mode::FixedSleep;
    SimSender twin(fixed);
    twin.timerOvershootNs = 150 * kUs;
    twin.sendCostNs = 50 * kUs;
    QCOMPARE(twin.pacer.timerDelayMs(kT0), 20);
    SimSender ours{PacerParams{}};
    ours.timerOvershootNs = 150 * kUs;
    ours.sendCostNs = 50 * kUs;
    for (int k = 0; k < 1500; ++k) { // 30 s of audio
        QVERIFY(twin.tick());
        QCOMPARE(twin.lastDriftUs, qint64(k) * 200);
        QCOMPARE(twin.lastLatenessUs, twin.lastDriftUs); // the twin is judged on the ideal grid
        while (!ours.tick()) {
        }
        QCOMPARE(ours.lastDriftUs, 0);
    }
    QCOMPARE(twin.lastDriftUs, 299800); // 1499 x 200 µs: 0.3 s behind after 30 s
    QCOMPARE(twin.pacer.lateResets(), 0u); // the twin never re-anchors: it only drifts
    QCOMPARE(ours.pacer.lateResets(), 0u);
}

void TestPacer::pacersAreIndependentValues()
{
    // One thread serving several streams keeps one Pacer per stream and serves the earliest
    // deadline first.
    PacerParams p;
    std::vector<Pacer> streams(3, Pacer(p));
    streams[0].start(kT0);
    streams[1].start(kT0 + 7 * kMs);
    streams[2].start(kT0 + 13 * kMs);
    std::vector<int> order;
    for (int n = 0; n < 9; ++n) {
        auto it = std::min_element(streams.begin(), streams.end(),
                                   [](const Pacer &a, const Pacer &b) { return a.deadlineNs() < b.deadlineNs(); });
        const qint64 due = it->deadlineNs();
        it->advance(due);
        order.push_back(int(it - streams.begin()));
    }
    QCOMPARE(order, (std::vector<int>{0, 1, 2, 0, 1, 2, 0, 1, 2}));
    QCOMPARE(streams[1].deadlineNs(), kT0 + 67 * kMs);
    QCOMPARE(streams[2].slotIndex(), quint64(3));
}

QTEST_GUILESS_MAIN(TestPacer)
#include "tst_pacer.moc"
