#pragma once

#include "engine/Telemetry.h"

#include <QVector>

namespace pacelab {

// What the sender's telemetry counts, apart from the sender: events go in as they happen (with
// the values or timestamps they concern), closeSecond() turns the second into a
// TelemetrySnapshot and starts the next, totals() gives the whole run. No clock, no timer, no
// output: PacedSender closes a second from its 1 s timer and hands the snapshot to its sinks
// (signal, stdout, JSONL); a test closes seconds on simulated time. One thread only.
class TelemetryAccumulator
{
public:
    // Whole-run lateness histogram: 1 µs buckets up to this, then kept as samples (capped).
    static constexpr int kHistogramUs = 50000;
    static constexpr int kMaxOverflowSamples = 100000;

    // What the sender reads at the end of a second (queues, socket, keep-alive, counters that
    // live elsewhere).
    struct SecondEnd
    {
        qint64 wallTimeMs = 0;
        int queueDepth = 0;       // tx queue now
        int queueMaxSince = 0;    // tx queue max since the previous second (TxQueue::takeMaxSize)
        int sendQueueDepth = 0;
        quint64 dropsTotal = 0;   // TxQueue::totalDrops()
        qint64 bytesToWrite = 0;
        int pingRttMs = -1;
        int missedPongs = 0;
        quint64 offThreadWrites = 0;
    };

    // wholeRunHistogram false: no whole-run lateness percentiles (totals() reports the max
    // only), and no 200 KB histogram — for the many streams of MultiStreamSender, which keeps
    // one histogram across all of them.
    explicit TelemetryAccumulator(bool wholeRunHistogram = true);

    // A new session: second 0 starts; drops are counted from dropsTotalNow on. The run totals
    // are kept (they cover every session of the sender).
    void startSession(quint64 dropsTotalNow);

    // --- clock events ---
    // A slot's traffic was handed to the writer. hasMedia: a frame was among it (lateness and
    // drift recorded); fromQueue: real queued audio (not comfort silence) — a second with none
    // is idle. sendQueueDepth: the send queue after the hand-off.
    void released(bool hasMedia, bool fromQueue, qint64 latenessUs, qint64 driftUs, int sendQueueDepth);
    // The same hand-off without the lateness: the sender measures that when the frame reaches
    // the kernel (frameOnWire), which may be later if the socket was backed up.
    void released(bool hasMedia, bool fromQueue, int sendQueueDepth);
    // A media frame's lateness and drift, measured once it was written and flushed.
    void frameOnWire(qint64 latenessUs, qint64 driftUs);
    void stalled();   // a slot skipped because the send queue was full
    void lateReset(); // the grid was re-anchored

    // --- writer events ---
    // A media frame written to the socket at nowNs; enqueuedNs = when it entered the tx queue
    // (ignored for comfort silence).
    void mediaWritten(qint64 bytes, bool comfort, qint64 nowNs, qint64 enqueuedNs);
    void markWritten(qint64 bytes);
    void clearSent();
    void socketBuffer(qint64 bytesToWrite); // largest socket buffer of the run

    // Ends the second: its snapshot; the per-second counters restart (the send queue max from
    // its depth now).
    TelemetrySnapshot closeSecond(const SecondEnd &end);

    // The run so far, with whole-run lateness percentiles from the histogram.
    SenderTotals totals(quint64 offThreadWrites) const;
    qint64 secondIndex() const { return m_secondIndex; }

    // Nearest-rank percentile (q in 0..1) of v; 0 for none. Reorders v.
    static qint64 percentile(QVector<qint64> &v, double q);

private:
    void resetSecond(int sendQueueDepth);

    qint64 m_secondIndex = 0;
    int m_secFrames = 0;
    int m_secComfort = 0;
    int m_secMarks = 0;
    int m_secLateResets = 0;
    int m_secStalled = 0;
    int m_secSendQueueMax = 0;
    int m_secMediaFromQueue = 0;
    qint64 m_secBytes = 0;
    QVector<qint64> m_secLateness;
    QVector<qint64> m_secEnqueueToSend;
    quint64 m_lastDropsTotal = 0;

    SenderTotals m_totals;
    QVector<quint32> m_latenessHistogram; // 1 µs buckets up to kHistogramUs
    QVector<qint64> m_latenessOverflow;   // samples beyond the histogram (rare, capped)
    quint64 m_latenessCount = 0;
    bool m_histogram = true;
};

} // namespace pacelab
