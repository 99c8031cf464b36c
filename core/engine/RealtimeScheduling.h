#pragma once

#include <QString>

namespace pacelab {

// Real-time scheduling for the pacing thread, asked for the way audio servers do it. On a busy
// machine no user-space trick keeps a 20 ms clock: a thread at normal priority waits behind
// every CPU hog at each wake. The chain, first success wins:
//   1. sched_setscheduler(SCHED_FIFO | SCHED_RESET_ON_FORK) at the requested priority (root,
//      CAP_SYS_NICE, or an RLIMIT_RTPRIO; with a smaller rtprio limit, at that limit);
//   2. RealtimeKit over the D-Bus system bus (org.freedesktop.RealtimeKit1.MakeThreadRealtime),
//      as PipeWire and PulseAudio do on desktops, after capping RLIMIT_RTTIME as rtkit demands;
//   3. a raised priority: setpriority(nice) if permitted, else rtkit's MakeThreadHighPriority;
//   4. normal scheduling, with the reason and the one-line fix.
// Every step acts on the calling thread only. The system calls go through SchedulingOps, so a
// test can refuse any step and check what the chain makes of it.

struct RealtimeRequest
{
    bool enabled = true;
    int priority = 50;   // SCHED_FIFO priority asked for (1..99)
    int niceLevel = -10; // the fallback's nice value (-20..-1)
};

struct SchedulingResult
{
    enum class Kind { Fifo, Rtkit, Nice, Normal };
    Kind kind = Kind::Normal;
    int value = 0;    // FIFO/RR priority, or the nice value
    QString policy;   // "SCHED_FIFO 50", "rtkit SCHED_RR 20", "nice -10", "normal"
    QString why;      // when not real-time: what each step answered
    QString fix;      // when not real-time: the one-line fix

    bool isRealtime() const { return kind == Kind::Fifo || kind == Kind::Rtkit; }
    // A token without spaces for the [TX] line: fifo:50, rtkit:rr:20, nice:-10, normal, off.
    QString tag() const;
    // One line for a log: the policy, and when not real-time why not and the fix.
    QString summary() const;
};

// The system calls the chain makes, all for the calling thread. Each returns 0 or an errno
// (rtkit ones: an empty string or the error's text).
class SchedulingOps
{
public:
    virtual ~SchedulingOps() = default;
    virtual int setFifo(int priority) = 0;
    virtual int rtprioLimit() = 0;     // RLIMIT_RTPRIO soft limit (0 = none)
    virtual bool isRoot() = 0;         // euid 0 (a refusal then means a missing capability)
    virtual bool rtkitBuilt() = 0;     // compiled with libdbus-1
    // *granted: the priority rtkit gave (capped at its MaxRealtimePriority).
    virtual QString rtkitRealtime(int priority, int *granted) = 0;
    virtual int setNice(int nice) = 0;
    virtual int niceLimit() = 0;       // lowest nice RLIMIT_NICE allows (20 = none)
    virtual QString rtkitHighPriority(int nice, int *granted) = 0;
};

// The chain against the given system calls.
SchedulingResult applyRealtimeScheduling(const RealtimeRequest &request, SchedulingOps &ops);
// The chain against the real system, for the calling thread.
SchedulingResult applyRealtimeScheduling(const RealtimeRequest &request);
// The real system calls (for tests that want to wrap one).
SchedulingOps &systemSchedulingOps();

} // namespace pacelab
