#pragma once

#include <QString>
#include <QtGlobal>

namespace pacelab {

// The last stretch to a deadline (steady clock, ns): sleep on an absolute deadline until
// sleepUntilNs (clock_nanosleep TIMER_ABSTIME), then spin to deadlineNs (a sleeper wakes tens to
// hundreds of µs late, more in a VM). Called once per wake, never per stream.
void preciseWaitUntil(qint64 sleepUntilNs, qint64 deadlineNs);

// Per-thread setup every pacing thread wants: timer slack of 1 ns (the default 50 µs would be
// added to every precise sleep) and, if priority > 0, SCHED_FIFO. Returns a log line and
// whether it is a warning (empty line: nothing to say).
struct ThreadSetupResult
{
    bool warning = false;
    QString message;
};
ThreadSetupResult setupPacingThread(int realtimePriority);

} // namespace pacelab
