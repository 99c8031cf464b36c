#pragma once

#include <QString>

namespace pacelab {

// File descriptors a load run of `calls` concurrent calls needs in this process: one socket per
// call plus a margin for the event loops, files and Qt's own.
int fdsNeededForCalls(int calls);

// Makes sure RLIMIT_NOFILE allows `needed` descriptors, raising the soft limit (up to the hard
// one) when it is lower. False with *error — naming the `ulimit -n` to run first — when even the
// hard limit is too low. *limit (optional) gets the soft limit in force afterwards.
bool ensureFdLimit(int needed, QString *error, long long *limit = nullptr);

} // namespace pacelab
