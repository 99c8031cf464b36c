#include "engine/PreciseWait.h"

#include "engine/TxQueue.h"

#include <chrono>
#include <ctime>
#include <thread>

#ifdef Q_OS_LINUX
#include <sys/prctl.h>
#endif
#ifdef Q_OS_UNIX
#include <cerrno>
#include <cstring>
#include <pthread.h>
#include <sched.h>
#endif

namespace pacelab {

void preciseWaitUntil(qint64 sleepUntilNs, qint64 deadlineNs)
{
    if (steadyNowNs() < sleepUntilNs) {
#ifdef Q_OS_UNIX
        timespec ts;
        ts.tv_sec = time_t(sleepUntilNs / 1000000000);
        ts.tv_nsec = long(sleepUntilNs % 1000000000);
        // steady_clock (steadyNowNs) is CLOCK_MONOTONIC on Linux/glibc.
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
        }
#else
        std::this_thread::sleep_until(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(sleepUntilNs)));
#endif
    }
    while (steadyNowNs() < deadlineNs) {
    }
}

ThreadSetupResult setupPacingThread(int realtimePriority)
{
    ThreadSetupResult r;
#ifdef Q_OS_LINUX
    // Default timer slack (50 µs) would be added to every precise sleep of this thread.
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
#ifdef Q_OS_UNIX
    if (realtimePriority > 0) {
        sched_param sp{};
        sp.sched_priority = realtimePriority;
        const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
        if (rc == 0) {
            r.message = QStringLiteral("sender thread runs SCHED_FIFO priority %1").arg(realtimePriority);
        } else {
            r.warning = true;
            r.message = QStringLiteral("real-time priority %1 refused (%2); the sender runs at normal priority")
                            .arg(realtimePriority)
                            .arg(QString::fromLocal8Bit(strerror(rc)));
        }
    }
#else
    Q_UNUSED(realtimePriority);
#endif
    return r;
}

} // namespace pacelab
