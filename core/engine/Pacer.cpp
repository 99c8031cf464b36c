#include "engine/Pacer.h"

#include "engine/SenderConfig.h"

#include <algorithm>

namespace pacelab {

PacerParams PacerParams::fromConfig(const SenderConfig &cfg)
{
    PacerParams p;
    p.mode = cfg.pacing == SenderConfig::Pacing::FixedSleep ? Mode::FixedSleep : Mode::AbsoluteDeadline;
    p.intervalNs = cfg.frameIntervalUs * 1000;
    p.maxLateFrames = cfg.maxLateFrames;
    p.wakeLeadNs = qint64(cfg.wakeLeadUs) * 1000;
    p.spinNs = qint64(cfg.spinUs) * 1000;
    return p;
}

void Pacer::start(qint64 nowNs)
{
    m_started = true;
    m_origin = nowNs;
    m_deadline = nowNs;
    m_slots = 0;
    m_lateResets = 0;
}

qint64 Pacer::deadlineNs() const
{
    return m_p.mode == PacerParams::Mode::FixedSleep ? gridSlotNs(m_slots) : m_deadline;
}

int Pacer::timerDelayMs(qint64 nowNs) const
{
    if (m_p.mode == PacerParams::Mode::FixedSleep)
        return int(m_p.intervalNs / 1000000);
    // Truncated like std::chrono::duration_cast; a wake time in the past means "now".
    return int(std::max<qint64>(0, (wakeAtNs() - nowNs) / 1000000));
}

bool Pacer::wokeEarly(qint64 nowNs) const
{
    return m_p.mode == PacerParams::Mode::AbsoluteDeadline
           && remainingNs(nowNs) > m_p.wakeLeadNs + 1000000;
}

qint64 Pacer::latenessUs(qint64 releaseNs) const
{
    return (releaseNs - deadlineNs()) / 1000;
}

qint64 Pacer::driftUs(qint64 releaseNs) const
{
    return (releaseNs - gridSlotNs(m_slots)) / 1000;
}

Pacer::Advance Pacer::advance(qint64 nowNs)
{
    Advance a;
    if (m_p.mode == PacerParams::Mode::AbsoluteDeadline) {
        a.lateNs = nowNs - m_deadline;
        if (a.lateNs > m_p.intervalNs * m_p.maxLateFrames) {
            // Too late to catch up without a burst longer than the bound: restart the grid here.
            a.reanchored = true;
            a.skippedSlots = quint64(a.lateNs / m_p.intervalNs);
            ++m_lateResets;
            m_deadline = nowNs;
        }
        m_deadline += m_p.intervalNs;
    } else {
        a.lateNs = nowNs - gridSlotNs(m_slots);
    }
    ++m_slots;
    return a;
}

} // namespace pacelab
