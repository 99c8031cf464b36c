#include "FdLimit.h"

#include <QtGlobal>

#include <algorithm>
#ifdef Q_OS_UNIX
#include <sys/resource.h>
#endif

namespace pacelab {

int fdsNeededForCalls(int calls)
{
    return std::max(0, calls) + 128;
}

bool ensureFdLimit(int needed, QString *error, long long *limit)
{
#ifdef Q_OS_UNIX
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        if (limit)
            *limit = -1;
        return true; // unknown: let the run find out per call (counted as connect failures)
    }
    const auto want = rlim_t(needed);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : std::min(want, rl.rlim_max);
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl = raised;
    }
    if (limit)
        *limit = rl.rlim_cur == RLIM_INFINITY ? -1 : (long long)rl.rlim_cur;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        *error = QStringLiteral("%1 calls need %2 open files, but this process may open only %3 (hard limit %4): "
                                "run `ulimit -n %2` first (raising the hard limit needs root or /etc/security/limits.conf)")
                     .arg(needed - fdsNeededForCalls(0))
                     .arg(needed)
                     .arg((long long)rl.rlim_cur)
                     .arg(rl.rlim_max == RLIM_INFINITY ? QStringLiteral("unlimited") : QString::number((long long)rl.rlim_max));
        return false;
    }
    return true;
#else
    Q_UNUSED(needed);
    Q_UNUSED(error);
    if (limit)
        *limit = -1;
    return true;
#endif
}

} // namespace pacelab
