#include "ThreadPriority.h"

#include <QtGlobal>
#ifdef Q_OS_LINUX
#include <pthread.h>
#include <sched.h>
#include <cerrno>
#include <cstring>
#endif

namespace pacelab {

bool setCurrentThreadRealtime(int priority, QString *error)
{
#ifdef Q_OS_LINUX
    sched_param sp{};
    sp.sched_priority = priority;
    const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    if (rc == 0)
        return true;
    *error = QStringLiteral("SCHED_FIFO %1 refused: %2 (needs CAP_SYS_NICE or an rtprio limit, e.g. `ulimit -r %1`)")
                 .arg(priority)
                 .arg(QString::fromLocal8Bit(strerror(rc)));
    return false;
#else
    *error = QStringLiteral("real-time scheduling is not supported on this system");
    Q_UNUSED(priority);
    return false;
#endif
}

} // namespace pacelab
