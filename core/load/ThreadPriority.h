#pragma once

#include <QString>

namespace pacelab {

// Asks SCHED_FIFO at `priority` (1..99) for the calling thread. False with *error (the reason
// and the usual fix) when the system refuses; the thread then keeps its normal scheduling.
// Used by the load workers and the load bot so a busy machine delays their 20 ms ticks less.
bool setCurrentThreadRealtime(int priority, QString *error);

} // namespace pacelab
