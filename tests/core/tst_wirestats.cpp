// The wire bench's arithmetic (bench/wire_rx/WireStats.h) on synthesized arrival stamps: the
// figures pacelab-wire-rx prints are only as good as this.
#include "../../bench/wire_rx/WireStats.h"

#include <QTest>

using pacelab::wire::WireStats;

namespace {
constexpr qint64 kI = 20'000'000; // 20 ms in ns
constexpr qint64 kT0 = 1'700'000'000'000'000'000LL;

std::vector<qint64> grid(int n, qint64 periodNs = kI)
{
    std::vector<qint64> v;
    for (int i = 0; i < n; ++i)
        v.push_back(kT0 + periodNs * i);
    return v;
}
} // namespace

class TestWireStats : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void perfectGridHasNoJitterNoDrift()
    {
        const auto k = grid(500);
        const WireStats s = WireStats::compute(k, k, kI);
        QCOMPARE(s.frames, 500);
        QCOMPARE(s.jitterP50Us, 0);
        QCOMPARE(s.jitterP99Us, 0);
        QCOMPARE(s.jitterMaxUs, 0);
        QCOMPARE(s.driftMs, 0.0);
        QCOMPARE(s.gridSpreadMs, 0.0);
        QCOMPARE(s.sameStamp, 0);
        QCOMPARE(s.readerLate, 0);
        QCOMPARE(s.over1ms, 0);
    }

    void oneLateFrameShowsTwiceInIntervalsOnceInSpread()
    {
        auto k = grid(301);
        k[150] += 5'000'000; // 5 ms late, the next one on time again
        const WireStats s = WireStats::compute(k, k, kI);
        QCOMPARE(s.jitterMaxUs, 5000);
        QCOMPARE(s.over1ms, 2);
        QCOMPARE(s.jitterP50Us, 0);
        // 2 of 300 intervals are off by 5 ms: above the 99th percentile's rank (297 of 300).
        QCOMPARE(s.jitterP99Us, 0);
        QCOMPARE(s.gridSpreadMs, 5.0);
        QCOMPARE(s.driftMs, 0.0);
    }

    void slowClockIsDriftNotJitter()
    {
        const auto k = grid(1001, kI + 10'000); // 20.010 ms period: 10 ms behind after 1000 frames
        const WireStats s = WireStats::compute(k, k, kI);
        QCOMPARE(s.jitterP99Us, 10);
        QCOMPARE(s.driftMs, 10.0);
        QCOMPARE(s.gridSpreadMs, 10.0);
    }

    void burstAndLateReaderAreCounted()
    {
        auto k = grid(100);
        k[50] = k[49]; // two frames stamped together
        auto r = k;
        for (size_t i = 10; i < 13; ++i)
            r[i] += 15'000'000; // read 15 ms after the kernel got them
        const WireStats s = WireStats::compute(k, r, kI);
        QCOMPARE(s.sameStamp, 1);
        QCOMPARE(s.readerLate, 3);
        QCOMPARE(s.jitterMaxUs, 20000);
    }

    void emptyAndJsonRoundTrip()
    {
        const WireStats e = WireStats::compute({}, {}, kI);
        QCOMPARE(e.frames, 0);
        QCOMPARE(e.jitterP99Us, 0);
        auto k = grid(200);
        k[100] += 1'234'000;
        const WireStats s = WireStats::compute(k, k, kI);
        const WireStats b = WireStats::fromJson(s.toJson());
        QCOMPARE(b.frames, s.frames);
        QCOMPARE(b.jitterMaxUs, s.jitterMaxUs);
        QCOMPARE(b.jitterP99Us, s.jitterP99Us);
        QCOMPARE(b.gridSpreadMs, s.gridSpreadMs);
        QCOMPARE(b.over1ms, s.over1ms);
    }
};

QTEST_GUILESS_MAIN(TestWireStats)
#include "tst_wirestats.moc"
