#include "engine/DeadlineWheel.h"

#include <algorithm>

namespace pacelab {

DeadlineWheel::DeadlineWheel(const Params &params) : m_p(params)
{
    m_p.phases = std::max(1, m_p.phases);
    const size_t n = size_t(m_p.phases);
    m_deadline.assign(n, 0);
    m_served.assign(n, 0);
    m_streams.assign(n, {});
}

void DeadlineWheel::start(qint64 nowNs)
{
    m_started = true;
    m_origin = nowNs;
    for (int p = 0; p < phases(); ++p) {
        m_deadline[size_t(p)] = nowNs + qint64(p) * spacingNs();
        m_served[size_t(p)] = 0;
    }
    m_lateResets = 0;
}

int DeadlineWheel::add(int streamId, qint64 nowNs)
{
    if (streamId < 0)
        return -1;
    if (size_t(streamId) >= m_phaseOf.size())
        m_phaseOf.resize(size_t(streamId) + 1, -1);
    if (m_phaseOf[size_t(streamId)] >= 0)
        return m_phaseOf[size_t(streamId)];
    int best = 0;
    for (int p = 1; p < phases(); ++p)
        if (m_streams[size_t(p)].size() < m_streams[size_t(best)].size())
            best = p;
    if (m_started && m_streams[size_t(best)].empty()) {
        qint64 &d = m_deadline[size_t(best)];
        if (d < nowNs) {
            const qint64 steps = (nowNs - d + m_p.intervalNs - 1) / m_p.intervalNs;
            d += steps * m_p.intervalNs;
            m_served[size_t(best)] += quint64(steps);
        }
    }
    m_streams[size_t(best)].push_back(streamId);
    m_phaseOf[size_t(streamId)] = best;
    ++m_count;
    return best;
}

void DeadlineWheel::remove(int streamId)
{
    const int p = phaseOf(streamId);
    if (p < 0)
        return;
    auto &v = m_streams[size_t(p)];
    v.erase(std::find(v.begin(), v.end(), streamId));
    m_phaseOf[size_t(streamId)] = -1;
    --m_count;
}

int DeadlineWheel::phaseOf(int streamId) const
{
    return streamId >= 0 && size_t(streamId) < m_phaseOf.size() ? m_phaseOf[size_t(streamId)] : -1;
}

int DeadlineWheel::nextPhase() const
{
    int best = -1;
    for (int p = 0; p < phases(); ++p) {
        if (m_streams[size_t(p)].empty())
            continue;
        if (best < 0 || m_deadline[size_t(p)] < m_deadline[size_t(best)])
            best = p;
    }
    return best;
}

qint64 DeadlineWheel::gridNs(int phase, quint64 k) const
{
    return m_origin + qint64(phase) * spacingNs() + qint64(k) * m_p.intervalNs;
}

int DeadlineWheel::timerDelayMs(int phase, qint64 nowNs) const
{
    // Truncated like Pacer::timerDelayMs; a wake time in the past means "now".
    return int(std::max<qint64>(0, (deadlineNs(phase) - m_p.wakeLeadNs - nowNs) / 1000000));
}

bool DeadlineWheel::wokeEarly(int phase, qint64 nowNs) const
{
    return deadlineNs(phase) - nowNs > m_p.wakeLeadNs + 1000000;
}

DeadlineWheel::Advance DeadlineWheel::advance(int phase, qint64 nowNs)
{
    Advance a;
    qint64 &d = m_deadline[size_t(phase)];
    a.lateNs = nowNs - d;
    ++m_served[size_t(phase)];
    if (a.lateNs > m_p.intervalNs * m_p.maxLateFrames) {
        // The next point of this phase's grid strictly after now; the slots before it are gone.
        const qint64 steps = a.lateNs / m_p.intervalNs + 1;
        a.reanchored = true;
        a.skippedSlots = quint64(steps - 1);
        ++m_lateResets;
        d += steps * m_p.intervalNs;
    } else {
        d += m_p.intervalNs;
    }
    return a;
}

} // namespace pacelab
