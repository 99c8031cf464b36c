#include "LoadLiveModel.h"

#include <algorithm>

namespace pacelab {

void LoadLiveModel::reset()
{
    m_current = LoadStep();
    m_sorted.clear();
    m_measuring.clear();
    m_history.clear();
    m_lastFrames.clear();
    m_steps.clear();
    m_summaries.clear();
}

void LoadLiveModel::beginStep(int targetCalls)
{
    m_current = LoadStep();
    m_current.targetCalls = targetCalls;
    m_sorted.clear();
    m_measuring.clear();
    m_history.clear();
    m_lastFrames.clear();
}

void LoadLiveModel::addSnapshot(const LoadStep &snapshot, bool final)
{
    m_current = snapshot;
    for (CallResult &c : m_current.calls)
        judgeCall(c, m_limits);
    m_currentFinal = final;
    m_measuring.clear();
    if (!final)
        for (const CallResult &c : std::as_const(m_current.calls))
            if (isMeasuring(c))
                m_measuring.insert(c.index);
    m_sorted = m_current.calls;
    std::sort(m_sorted.begin(), m_sorted.end(), [this](const CallResult &a, const CallResult &b) {
        const bool ma = m_measuring.contains(a.index), mb = m_measuring.contains(b.index);
        if (ma != mb)
            return mb;
        return ma ? a.index < b.index : callWorseThan(a, b); // unjudged calls in a steady order
    });

    const double t = snapshot.durationSec;
    for (const CallResult &c : m_current.calls) {
        CallSample s;
        s.tSec = float(t);
        s.jitterMs = float(c.jitterMs);
        s.bufferedMaxSec = float(c.maxBufferedSec);
        // fps from the frames that arrived since the previous snapshot: what this call got in
        // that interval, not a cumulative percentile.
        const auto last = m_lastFrames.value(c.index, {0.0, 0});
        const double dt = t - last.first;
        s.fps = dt > 0 ? float(double(c.frames - last.second) / dt) : 0.0f;
        m_lastFrames.insert(c.index, {t, c.frames});
        QVector<CallSample> &h = m_history[c.index];
        if (!h.isEmpty() && h.last().tSec >= s.tSec)
            h.last() = s; // the final snapshot at the same time replaces the last one
        else
            h.append(s);
        if (h.size() > kMaxSamples)
            h.remove(0, h.size() - kMaxSamples);
    }
    if (final) {
        m_steps.append(m_current);
        m_summaries.append(summarizeStep(m_current));
    }
}

bool LoadLiveModel::isMeasuring(const CallResult &c)
{
    if (!c.connected || c.droppedMidCall || !c.failReason.isEmpty())
        return false;
    if (c.frames > 0 ? c.fpsMax > 0.0 : c.durationSec >= 1.0)
        return false;
    // Only the checks that need a second of audio may be pending: underruns, buffered audio or
    // violations are real from the first frame and fail the call at once.
    for (const QString &item : c.verdictReason.split(QStringLiteral("; "), Qt::SkipEmptyParts)) {
        const QString key = failureKeyOf(item);
        if (key != QLatin1String("fps") && key != QLatin1String("audio") && key != QLatin1String("drift"))
            return false;
    }
    return true;
}

QList<double> LoadLiveModel::fpsP1Values() const
{
    QList<double> v;
    for (const CallResult &c : m_current.calls)
        if (c.connected && c.frames > 0 && (m_currentFinal || c.fpsMax > 0.0)) // live: a whole second measured
            v.append(c.fpsP1);
    return v;
}

QList<double> LoadLiveModel::jitterValues() const
{
    QList<double> v;
    for (const CallResult &c : m_current.calls)
        if (c.connected && c.frames > 0)
            v.append(c.jitterMs);
    return v;
}

QList<double> LoadLiveModel::bufferedValues() const
{
    QList<double> v;
    for (const CallResult &c : m_current.calls)
        if (c.connected)
            v.append(c.maxBufferedSec);
    return v;
}

double LoadLiveModel::failingPercent(const StepSummary &s)
{
    if (s.targetCalls <= 0)
        return 0.0;
    return std::clamp(100.0 * (s.targetCalls - s.callsPassed) / s.targetCalls, 0.0, 100.0);
}

} // namespace pacelab
