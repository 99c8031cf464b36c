// TelemetryAccumulator on simulated time: the per-second figures the sender prints as
// "[TX] fps=50 q=6 drops=0 ...", fed the way PacedSender feeds them, with every timestamp chosen
// by the test, so each number is exact.
#include "engine/Pacer.h"
#include "engine/TelemetryAccumulator.h"
#include "engine/TxQueue.h"

#include <QtTest>

using namespace pacelab;

namespace {

constexpr qint64 kMs = 1000000;
constexpr qint64 kT0 = 5000 * kMs;

// The sender's loop on simulated time: a TxQueue on a fake clock, a Pacer, the accumulator.
// Seconds close at kT0 + n s, before the slot due at the same instant, so second n holds the
// slots of [n s, n+1 s): 50 of them.
struct SimSender
{
    qint64 now = kT0;
    TxQueue queue{120, 120};
    Pacer pacer{PacerParams{}};
    TelemetryAccumulator acc;
    QList<TelemetrySnapshot> seconds;
    QStringList warnings;
    qint64 nextSecond = kT0 + 1000 * kMs;

    SimSender()
    {
        queue.setClock([this] { return now; });
        queue.setWarningHandler([this](const QString &w) { warnings << w; });
        acc.startSession(queue.totalDrops());
        queue.takeMaxSize();
        pacer.start(now);
    }

    void closeSecond()
    {
        queue.flushDropWarning();
        TelemetryAccumulator::SecondEnd end;
        end.wallTimeMs = now / kMs;
        end.queueDepth = queue.size();
        end.queueMaxSince = queue.takeMaxSize();
        end.dropsTotal = queue.totalDrops();
        seconds << acc.closeSecond(end);
    }

    // Serves the slot due now (the socket takes every frame at once: send queue depth 1 at the
    // hand-off, 0 after the write).
    void serveSlot()
    {
        now = pacer.deadlineNs();
        if (auto item = queue.tryPop()) {
            acc.released(true, true, pacer.latenessUs(now), pacer.driftUs(now), 1);
            acc.mediaWritten(400, false, now, item->enqueuedNs);
        }
        pacer.advance(now);
    }

    // Runs until `until`, calling produce(now) before each slot.
    template<typename F>
    void runUntil(qint64 until, F produce)
    {
        while (true) {
            const qint64 slot = pacer.deadlineNs();
            if (nextSecond <= slot && nextSecond <= until) {
                now = nextSecond;
                closeSecond();
                nextSecond += 1000 * kMs;
                continue;
            }
            if (slot >= until)
                break;
            now = slot;
            produce(now);
            serveSlot();
        }
    }
};

} // namespace

class TestTelemetry final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void perSecondBoundaries();
    void latenessPercentiles();
    void wholeRunPercentilesBeyondTheHistogram();
    void comfortAndMarks();
    void sendQueueMaxAndStalls();
    void newSessionRestartsSeconds();
    void snapshotLine();
};

void TestTelemetry::perSecondBoundaries()
{
    SimSender sim;
    // s0, s1: a real-time producer 5 ms ahead of each slot.
    sim.runUntil(kT0 + 2000 * kMs, [&](qint64 now) {
        sim.now = now - 5 * kMs;
        QCOMPARE(sim.queue.pushDropOldest(TxItem::media(QByteArray(160, char(0xFF)))), TxQueue::PushResult::Ok);
        sim.now = now;
    });
    // s2: a burst of 100 frames at 2.0 s; s3: 100 more at 3.0 s (30 over the capacity of 120);
    // then nothing.
    auto burst = [&](qint64 at) {
        return [&sim, at](qint64 now) {
            if (now != at)
                return;
            for (int i = 0; i < 100; ++i)
                sim.queue.pushDropOldest(TxItem::media(QByteArray(160, char(0xFF))));
        };
    };
    sim.runUntil(kT0 + 3000 * kMs, burst(kT0 + 2000 * kMs));
    sim.runUntil(kT0 + 7000 * kMs, burst(kT0 + 3000 * kMs));

    QCOMPARE(sim.seconds.size(), 7);
    struct Expect { int fps, q, qmax, drops; bool idle; };
    const Expect expect[] = {
        {50, 0, 1, 0, false},   // one frame in, one out per slot
        {50, 0, 1, 0, false},
        {50, 50, 100, 0, false}, // 100 in at 2.0 s, 50 out
        {50, 70, 120, 30, false}, // 50 + 100 = 150 > 120: the 30 oldest dropped
        {50, 20, 70, 0, false},
        {20, 0, 20, 0, false},   // the last 20 frames, then silence
        {0, 0, 0, 0, true},      // nothing queued the whole second
    };
    quint64 dropsTotal = 0;
    qint64 bytesTotal = 0;
    for (int n = 0; n < 7; ++n) {
        const TelemetrySnapshot &s = sim.seconds[n];
        const Expect &e = expect[n];
        QCOMPARE(s.secondIndex, n);
        QCOMPARE(s.wallTimeMs, (kT0 + (n + 1) * 1000 * kMs) / kMs);
        QCOMPARE(s.framesSent, e.fps);
        QCOMPARE(s.queueDepth, e.q);
        QCOMPARE(s.queueMax, e.qmax);
        QCOMPARE(s.drops, e.drops);
        dropsTotal += quint64(e.drops);
        QCOMPARE(s.dropsTotal, dropsTotal);
        QCOMPARE(s.idle, e.idle);
        QCOMPARE(s.bytesSent, qint64(e.fps) * 400);
        bytesTotal += s.bytesSent;
        QCOMPARE(s.bytesSentTotal, bytesTotal);
        QCOMPARE(s.latenessP99Us, 0);
        QCOMPARE(s.lateResets, 0);
    }
    // Enqueue -> socket: 5 ms while the producer ran just ahead; in s2 the burst's frames waited
    // 0, 20, ..., 980 ms for their slots.
    QCOMPARE(sim.seconds[0].enqueueToSendP50Us, 5000);
    QCOMPARE(sim.seconds[0].enqueueToSendP99Us, 5000);
    QCOMPARE(sim.seconds[2].enqueueToSendP50Us, 24 * 20000); // the 25th of 50
    QCOMPARE(sim.seconds[2].enqueueToSendP99Us, 49 * 20000);
    // The drop warning: the first drop at once, the other 29 when the 2 s interval had passed
    // (at the close of s4, 5.0 s: exactly 2.0 s after the first).
    QCOMPARE(sim.warnings, (QStringList{QStringLiteral("tx queue full: dropped 1 oldest frame"),
                                        QStringLiteral("tx queue full: dropped 29 oldest frames in the last 2.0 s")}));
    const SenderTotals t = sim.acc.totals(0);
    QCOMPARE(t.framesSent, quint64(50 * 5 + 20));
    QCOMPARE(t.bytesSent, quint64(270 * 400));
    QCOMPARE(t.latenessP99Us, 0);
    QCOMPARE(t.finalDriftUs, 0);
}

void TestTelemetry::latenessPercentiles()
{
    TelemetryAccumulator acc;
    acc.startSession(0);
    // Second 0: 100 frames late by 1..100 µs (fed out of order).
    for (int i = 100; i >= 1; --i)
        acc.released(true, true, i, i, 1);
    TelemetrySnapshot s = acc.closeSecond({});
    QCOMPARE(s.latenessP50Us, 50);
    QCOMPARE(s.latenessP99Us, 99);
    QCOMPARE(s.latenessMaxUs, 100);
    // Second 1: 50 frames (one second of audio), one of them 2 ms late: with 50 samples the
    // nearest-rank p99 is the worst frame, so a single late frame shows in p99.
    for (int i = 0; i < 49; ++i)
        acc.released(true, true, 0, 0, 1);
    acc.released(true, true, 2000, 2000, 1);
    s = acc.closeSecond({});
    QCOMPARE(s.latenessP50Us, 0);
    QCOMPARE(s.latenessP99Us, 2000);
    QCOMPARE(s.latenessMaxUs, 2000);
    // Second 2: nothing released: zeros, not stale values.
    s = acc.closeSecond({});
    QCOMPARE(s.latenessP50Us, 0);
    QCOMPARE(s.latenessP99Us, 0);
    QCOMPARE(s.latenessMaxUs, 0);
    // The whole run (1 µs histogram): 49 zeros, 1..100, 2000 -> 150 samples; the 75th is 26,
    // the 149th is 100.
    const SenderTotals t = acc.totals(0);
    QCOMPARE(t.latenessP50Us, 26);
    QCOMPARE(t.latenessP99Us, 100);
    QCOMPARE(t.latenessMaxUs, 2000);
    QCOMPARE(t.finalDriftUs, 2000); // the last release's drift
}

void TestTelemetry::wholeRunPercentilesBeyondTheHistogram()
{
    TelemetryAccumulator acc;
    acc.startSession(0);
    for (int i = 0; i < 9; ++i)
        acc.released(true, true, 10, 0, 1);
    acc.released(true, true, 60000, 0, 1); // 60 ms: beyond the 50 ms histogram
    SenderTotals t = acc.totals(0);
    QCOMPARE(t.latenessP50Us, 10);
    QCOMPARE(t.latenessP99Us, 60000);
    QCOMPARE(t.latenessMaxUs, 60000);
    // 90 more on time: 100 samples, the 60 ms one is the 100th, so p99 (the 99th) is 10 µs; the
    // max keeps it.
    for (int i = 0; i < 90; ++i)
        acc.released(true, true, 0, 0, 1);
    t = acc.totals(7);
    QCOMPARE(t.latenessP99Us, 10);
    QCOMPARE(t.latenessMaxUs, 60000);
    QCOMPARE(t.offThreadWrites, 7u);
    // Negative lateness (a release a hair before its slot) counts as 0 in the histogram.
    TelemetryAccumulator early;
    early.released(true, true, -3, -3, 1);
    QCOMPARE(early.totals(0).latenessP50Us, 0);
    QVector<qint64> none;
    QCOMPARE(TelemetryAccumulator::percentile(none, 0.5), 0);
}

void TestTelemetry::comfortAndMarks()
{
    TelemetryAccumulator acc;
    acc.startSession(0);
    const qint64 now = kT0;
    for (int i = 0; i < 50; ++i) {
        acc.released(true, false, 0, 0, 1);   // comfort silence: not queued audio
        acc.mediaWritten(380, true, now, 0);  // enqueuedNs is meaningless for comfort
    }
    acc.released(false, false, 0, 0, 1); // a mark alone: no lateness sample
    acc.markWritten(90);
    acc.clearSent();
    TelemetrySnapshot s = acc.closeSecond({});
    QCOMPARE(s.framesSent, 50); // fps counts comfort frames
    QCOMPARE(s.comfortFrames, 50);
    QCOMPARE(s.marksSent, 1);
    QVERIFY(s.idle); // no queued audio
    QCOMPARE(s.enqueueToSendP99Us, 0);
    QCOMPARE(s.bytesSent, 50 * 380 + 90);
    // One real frame makes the second not idle.
    acc.released(true, true, 0, 0, 1);
    acc.mediaWritten(380, false, now + 30 * kMs, now);
    s = acc.closeSecond({});
    QVERIFY(!s.idle);
    QCOMPARE(s.enqueueToSendP50Us, 30000);
    const SenderTotals t = acc.totals(0);
    QCOMPARE(t.framesSent, 51u);
    QCOMPARE(t.comfortFrames, 50u);
    QCOMPARE(t.marksSent, 1u);
    QCOMPARE(t.clearsSent, 1u);
}

void TestTelemetry::sendQueueMaxAndStalls()
{
    TelemetryAccumulator acc;
    acc.startSession(0);
    for (int d = 1; d <= 20; ++d)
        acc.released(true, true, 0, 0, d); // the socket is backed up: the send queue grows
    for (int i = 0; i < 7; ++i)
        acc.stalled();
    acc.lateReset();
    acc.socketBuffer(20000);
    acc.socketBuffer(5000);
    TelemetryAccumulator::SecondEnd end;
    end.sendQueueDepth = 20;
    end.bytesToWrite = 17000;
    end.pingRttMs = 3;
    end.missedPongs = 1;
    TelemetrySnapshot s = acc.closeSecond(end);
    QCOMPARE(s.sendQueueDepth, 20);
    QCOMPARE(s.sendQueueMax, 20);
    QCOMPARE(s.stalledFrames, 7);
    QCOMPARE(s.stalledTotal, 7u);
    QCOMPARE(s.lateResets, 1);
    QCOMPARE(s.lateResetsTotal, 1u);
    QCOMPARE(s.bytesToWrite, 17000);
    QCOMPARE(s.pingRttMs, 3);
    QCOMPARE(s.missedPongs, 1);
    // The next second starts from the depth at the boundary, not from 0 ...
    end.sendQueueDepth = 4;
    s = acc.closeSecond(end);
    QCOMPARE(s.sendQueueMax, 20);
    QCOMPARE(s.stalledFrames, 0);
    QCOMPARE(s.stalledTotal, 7u);
    QCOMPARE(s.lateResets, 0);
    // ... and from there on the depth at the previous boundary (4).
    end.sendQueueDepth = 0;
    s = acc.closeSecond(end);
    QCOMPARE(s.sendQueueMax, 4);
    const SenderTotals t = acc.totals(0);
    QCOMPARE(t.maxSendQueue, 20);
    QCOMPARE(t.maxBytesToWrite, 20000);
    QCOMPARE(t.stalledFrames, 7u);
    QCOMPARE(t.lateResets, 1u);
}

void TestTelemetry::newSessionRestartsSeconds()
{
    TelemetryAccumulator acc;
    acc.startSession(0);
    acc.released(true, true, 0, 0, 1);
    acc.mediaWritten(400, false, 0, 0);
    TelemetryAccumulator::SecondEnd end;
    end.dropsTotal = 12;
    QCOMPARE(acc.closeSecond(end).drops, 12);
    QCOMPARE(acc.closeSecond(end).secondIndex, 1);
    // A new stream: seconds from 0 again, drops counted from the queue's total at the start;
    // the run totals go on.
    acc.startSession(12);
    end.dropsTotal = 15;
    const TelemetrySnapshot s = acc.closeSecond(end);
    QCOMPARE(s.secondIndex, 0);
    QCOMPARE(s.drops, 3);
    QCOMPARE(s.dropsTotal, 15u);
    QCOMPARE(acc.totals(0).framesSent, 1u);
}

void TestTelemetry::snapshotLine()
{
    SimSender sim;
    sim.runUntil(kT0 + 1000 * kMs, [&](qint64) { sim.queue.pushDropOldest(TxItem::media(QByteArray(160, char(0xFF)))); });
    QCOMPARE(sim.seconds.size(), 1);
    QCOMPARE(sim.seconds[0].toLine(), QStringLiteral("[TX] fps=50 q=0 drops=0 late=0 p99=0us p50=0us max=0us qmax=1 sq=0 "
                                                     "e2s99=0.0ms bytes=20000 rtt=- missed=0 stalled=0"));
}

QTEST_GUILESS_MAIN(TestTelemetry)
#include "tst_telemetry.moc"
