#include "engine/TelemetryAccumulator.h"

#include <algorithm>

namespace pacelab {

TelemetryAccumulator::TelemetryAccumulator(bool wholeRunHistogram) : m_histogram(wholeRunHistogram)
{
    if (m_histogram)
        m_latenessHistogram.fill(0, kHistogramUs);
}

qint64 TelemetryAccumulator::percentile(QVector<qint64> &v, double q)
{
    if (v.isEmpty())
        return 0;
    const qsizetype idx = std::clamp<qsizetype>(qsizetype(q * double(v.size()) + 0.999999) - 1, 0,
                                                v.size() - 1);
    std::nth_element(v.begin(), v.begin() + idx, v.end());
    return v[idx];
}

void TelemetryAccumulator::startSession(quint64 dropsTotalNow)
{
    m_secondIndex = 0;
    m_lastDropsTotal = dropsTotalNow;
}

void TelemetryAccumulator::released(bool hasMedia, bool fromQueue, qint64 latenessUs, qint64 driftUs,
                                    int sendQueueDepth)
{
    released(hasMedia, fromQueue, sendQueueDepth);
    if (hasMedia)
        frameOnWire(latenessUs, driftUs);
}

void TelemetryAccumulator::released(bool hasMedia, bool fromQueue, int sendQueueDepth)
{
    m_secSendQueueMax = std::max(m_secSendQueueMax, sendQueueDepth);
    m_totals.maxSendQueue = std::max(m_totals.maxSendQueue, sendQueueDepth);
    if (hasMedia && fromQueue)
        ++m_secMediaFromQueue;
}

void TelemetryAccumulator::frameOnWire(qint64 latenessUs, qint64 driftUs)
{
    m_secLateness.append(latenessUs);
    if (m_histogram) {
        if (latenessUs < kHistogramUs)
            ++m_latenessHistogram[int(std::max<qint64>(0, latenessUs))];
        else if (m_latenessOverflow.size() < kMaxOverflowSamples)
            m_latenessOverflow.append(latenessUs);
        ++m_latenessCount;
    }
    m_totals.latenessMaxUs = std::max(m_totals.latenessMaxUs, latenessUs);
    m_totals.finalDriftUs = driftUs;
}

void TelemetryAccumulator::stalled()
{
    ++m_secStalled;
    ++m_totals.stalledFrames;
}

void TelemetryAccumulator::lateReset()
{
    ++m_secLateResets;
    ++m_totals.lateResets;
}

void TelemetryAccumulator::mediaWritten(qint64 bytes, bool comfort, qint64 nowNs, qint64 enqueuedNs)
{
    m_secBytes += bytes;
    m_totals.bytesSent += quint64(bytes);
    ++m_secFrames;
    ++m_totals.framesSent;
    if (comfort) {
        ++m_secComfort;
        ++m_totals.comfortFrames;
    } else {
        m_secEnqueueToSend.append((nowNs - enqueuedNs) / 1000);
    }
}

void TelemetryAccumulator::markWritten(qint64 bytes)
{
    m_secBytes += bytes;
    m_totals.bytesSent += quint64(bytes);
    ++m_secMarks;
    ++m_totals.marksSent;
}

void TelemetryAccumulator::clearSent()
{
    ++m_totals.clearsSent;
}

void TelemetryAccumulator::socketBuffer(qint64 bytesToWrite)
{
    m_totals.maxBytesToWrite = std::max(m_totals.maxBytesToWrite, bytesToWrite);
}

TelemetrySnapshot TelemetryAccumulator::closeSecond(const SecondEnd &end)
{
    TelemetrySnapshot s;
    s.secondIndex = m_secondIndex++;
    s.wallTimeMs = end.wallTimeMs;
    s.framesSent = m_secFrames;
    s.comfortFrames = m_secComfort;
    s.marksSent = m_secMarks;
    s.queueDepth = end.queueDepth;
    s.queueMax = std::max(end.queueMaxSince, s.queueDepth);
    s.sendQueueDepth = end.sendQueueDepth;
    s.sendQueueMax = std::max(m_secSendQueueMax, s.sendQueueDepth);
    s.drops = int(end.dropsTotal - m_lastDropsTotal);
    m_lastDropsTotal = end.dropsTotal;
    s.dropsTotal = end.dropsTotal;
    s.lateResets = m_secLateResets;
    s.lateResetsTotal = m_totals.lateResets;
    s.latenessP50Us = percentile(m_secLateness, 0.50);
    s.latenessP99Us = percentile(m_secLateness, 0.99);
    s.latenessMaxUs = m_secLateness.isEmpty() ? 0 : *std::max_element(m_secLateness.begin(), m_secLateness.end());
    s.enqueueToSendP50Us = percentile(m_secEnqueueToSend, 0.50);
    s.enqueueToSendP99Us = percentile(m_secEnqueueToSend, 0.99);
    s.bytesSent = m_secBytes;
    s.bytesSentTotal = qint64(m_totals.bytesSent);
    s.bytesToWrite = end.bytesToWrite;
    s.pingRttMs = end.pingRttMs;
    s.missedPongs = end.missedPongs;
    s.stalledFrames = m_secStalled;
    s.stalledTotal = m_totals.stalledFrames;
    s.offThreadWrites = end.offThreadWrites;
    s.idle = m_secMediaFromQueue == 0;
    resetSecond(end.sendQueueDepth);
    return s;
}

void TelemetryAccumulator::resetSecond(int sendQueueDepth)
{
    m_secFrames = m_secComfort = m_secMarks = m_secLateResets = m_secStalled = 0;
    m_secSendQueueMax = sendQueueDepth;
    m_secMediaFromQueue = 0;
    m_secBytes = 0;
    m_secLateness.clear();
    m_secEnqueueToSend.clear();
}

SenderTotals TelemetryAccumulator::totals(quint64 offThreadWrites) const
{
    SenderTotals t = m_totals;
    t.offThreadWrites = offThreadWrites;
    // Whole-run percentiles from the 1 µs histogram (+ the rare overflow samples).
    if (m_latenessCount > 0) {
        auto rankValue = [&](double q) -> qint64 {
            const quint64 rank = std::max<quint64>(1, quint64(q * double(m_latenessCount) + 0.999999));
            quint64 acc = 0;
            for (int i = 0; i < m_latenessHistogram.size(); ++i) {
                acc += m_latenessHistogram[i];
                if (acc >= rank)
                    return i;
            }
            QVector<qint64> over = m_latenessOverflow;
            std::sort(over.begin(), over.end());
            const qsizetype idx = qsizetype(rank - acc) - 1;
            return over.isEmpty() ? t.latenessMaxUs : over[std::clamp<qsizetype>(idx, 0, over.size() - 1)];
        };
        t.latenessP50Us = rankValue(0.50);
        t.latenessP99Us = rankValue(0.99);
    }
    return t;
}

} // namespace pacelab
