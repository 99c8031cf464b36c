#pragma once

#include <QtGlobal>

namespace pacelab {

struct SenderConfig;

// The sender clock's arithmetic, apart from any clock, timer, sleep or socket: every function
// takes the time as an explicit argument (ns on a monotonic clock; PacedSender passes
// steady_clock, the tests a simulated one), so pacing can be tested exactly on simulated time.
struct PacerParams
{
    enum class Mode { AbsoluteDeadline, FixedSleep };
    Mode mode = Mode::AbsoluteDeadline;
    qint64 intervalNs = 20'000'000;
    // Late by more than this many intervals: re-anchor (AbsoluteDeadline only).
    int maxLateFrames = 3;
    // The event loop wakes the sender this long before a deadline ...
    qint64 wakeLeadNs = 2'000'000;
    // ... which then sleeps to deadline - spinNs and spins the rest.
    qint64 spinNs = 300'000;

    static PacerParams fromConfig(const SenderConfig &cfg);
};

// One stream's grid. A small copyable value with no clock of its own, so one thread can later
// serve many streams by keeping many Pacers ordered by deadlineNs() (a deadline wheel).
//
// AbsoluteDeadline: slot k is due at deadline_k, and deadline_{k+1} = deadline_k + interval —
// never "now + interval". A slot served more than maxLateFrames intervals late re-anchors the
// grid to now (so a catch-up burst never exceeds maxLateFrames frames).
// FixedSleep (the broken twin on purpose): after each send it waits one interval from *now*,
// so every timer delay and send cost accumulates as drift against the ideal grid.
class Pacer
{
public:
    struct Advance
    {
        bool reanchored = false;
        quint64 skippedSlots = 0; // slots of the old grid given up by the re-anchor
        qint64 lateNs = 0;        // how late the served slot was when it was closed
    };

    Pacer() = default;
    explicit Pacer(const PacerParams &params) : m_p(params) {}

    const PacerParams &params() const { return m_p; }

    // The stream is known: the first slot is due now.
    void start(qint64 nowNs);
    bool isStarted() const { return m_started; }

    // The slot to serve next and when it is due. For FixedSleep this is its place on the ideal
    // grid (what its lateness is measured against), not when the twin will actually send it.
    qint64 deadlineNs() const;
    // Slots served since start() (sent, idle or stalled); the index of the slot due next.
    quint64 slotIndex() const { return m_slots; }
    // The ideal grid: originNs() + k * interval, never re-anchored (drift is measured on it).
    qint64 originNs() const { return m_origin; }
    qint64 gridSlotNs(quint64 k) const { return m_origin + m_p.intervalNs * qint64(k); }
    quint64 lateResets() const { return m_lateResets; }

    // --- waiting (AbsoluteDeadline) ---
    // When the event loop should wake the sender: wakeLeadNs before the deadline.
    qint64 wakeAtNs() const { return m_deadline - m_p.wakeLeadNs; }
    // The single-shot timer's delay in whole ms (truncated, never negative). FixedSleep: the
    // interval itself, relative to now — the twin's defect.
    int timerDelayMs(qint64 nowNs) const;
    // A timer that fires more than 1 ms before the wake lead is early: re-arm, do nothing.
    bool wokeEarly(qint64 nowNs) const;
    qint64 remainingNs(qint64 nowNs) const { return m_deadline - nowNs; }
    // The precise wait: sleep (absolute) until sleepUntilNs(), then spin to deadlineNs().
    qint64 sleepUntilNs() const { return m_deadline - m_p.spinNs; }

    // --- measuring ---
    // A frame handed on at releaseNs, against the slot being served (µs, truncated toward 0).
    qint64 latenessUs(qint64 releaseNs) const;
    // The same release against the ideal grid: what re-anchors and relative sleeps add up to.
    qint64 driftUs(qint64 releaseNs) const;

    // The slot due now has been served; nowNs is when that finished. Moves to the next slot,
    // re-anchoring first if the served slot ended more than maxLateFrames intervals late.
    Advance advance(qint64 nowNs);

private:
    PacerParams m_p;
    bool m_started = false;
    qint64 m_origin = 0;
    qint64 m_deadline = 0; // AbsoluteDeadline: the slot due next
    quint64 m_slots = 0;
    quint64 m_lateResets = 0;
};

} // namespace pacelab
