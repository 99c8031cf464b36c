#pragma once

#include <QtGlobal>

#include <vector>

namespace pacelab {

// The clock of MultiStreamSender: many streams, one thread, one precise wake per grid tick.
// Pure arithmetic like Pacer (every time is an argument, ns on a monotonic clock), so it is
// tested on simulated time.
//
// The 20 ms grid is cut into `phases` ticks (phase p is due at origin + p * interval/phases
// + k * interval). A stream belongs to one phase (the least loaded when it is added) and is
// served at that phase's tick: all streams of a phase share one wake, one precise wait and one
// re-anchor decision, and never a timer of their own. phases = 1 is one wake per 20 ms serving
// every stream at once; more phases spread the writes (N streams written back to back at one
// instant make the last one late by N x the cost of a write).
//
// Re-anchoring keeps the phase: a tick served more than maxLateFrames intervals late moves its
// phase to the next point of the same phase grid after now (slots in between are given up), so
// a catch-up burst never exceeds maxLateFrames frames and phases never pile up on one instant.
class DeadlineWheel
{
public:
    struct Params
    {
        qint64 intervalNs = 20'000'000;
        int phases = 1;
        int maxLateFrames = 3;
        qint64 wakeLeadNs = 2'000'000; // the event loop wakes this long before a tick ...
        qint64 spinNs = 300'000;       // ... which then sleeps, and spins this last part
    };
    struct Advance
    {
        bool reanchored = false;
        quint64 skippedSlots = 0;
        qint64 lateNs = 0; // how late the tick was when its serving finished
    };

    DeadlineWheel() = default;
    explicit DeadlineWheel(const Params &params);

    const Params &params() const { return m_p; }
    int phases() const { return int(m_deadline.size()); }
    qint64 spacingNs() const { return m_p.intervalNs / m_p.phases; }

    // The grid starts: phase p's first tick is due at nowNs + p * spacing.
    void start(qint64 nowNs);
    bool isStarted() const { return m_started; }

    // Puts a stream (any id >= 0) on the least loaded phase (ties: the lowest) and returns it.
    // A phase that had no streams was not served meanwhile: its tick moves to the first point
    // of its grid at or after nowNs (not a late reset: nothing was due).
    int add(int streamId, qint64 nowNs);
    void remove(int streamId);
    int phaseOf(int streamId) const;
    const std::vector<int> &streamsOf(int phase) const { return m_streams[size_t(phase)]; }
    int streamCount() const { return m_count; }

    // The tick due next: the earliest deadline of a phase that has streams (ties: the lowest
    // phase); -1 when no phase has any.
    int nextPhase() const;
    qint64 deadlineNs(int phase) const { return m_deadline[size_t(phase)]; }
    // The ideal grid of a phase (never re-anchored): origin + p * spacing + k * interval.
    qint64 gridNs(int phase, quint64 k) const;
    quint64 ticksServed(int phase) const { return m_served[size_t(phase)]; }
    quint64 lateResets() const { return m_lateResets; }

    // Waiting for a phase's tick (cf. Pacer): the event loop's delay in whole ms, an early
    // wake, and where the sleep ends and the spin begins.
    int timerDelayMs(int phase, qint64 nowNs) const;
    bool wokeEarly(int phase, qint64 nowNs) const;
    qint64 sleepUntilNs(int phase) const { return deadlineNs(phase) - m_p.spinNs; }

    // The phase's tick has been served (nowNs: when that finished): its next tick, re-anchored
    // on its own phase grid when it finished more than maxLateFrames intervals late.
    Advance advance(int phase, qint64 nowNs);

private:
    Params m_p;
    bool m_started = false;
    qint64 m_origin = 0;
    std::vector<qint64> m_deadline;
    std::vector<quint64> m_served;
    std::vector<std::vector<int>> m_streams;
    std::vector<int> m_phaseOf; // by stream id; -1 = not on the wheel
    int m_count = 0;
    quint64 m_lateResets = 0;
};

} // namespace pacelab
