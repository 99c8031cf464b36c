#pragma once

#include "load/CallMetrics.h"

#include <QList>

#include <algorithm>

namespace pacelab::bench {

// p50 / p99 / worst of per-call or per-stream figures (nearest rank, as the load reports; 0 when
// empty). The many-call benches (load-self, listen-self) print these.
struct Spread
{
    double p50 = 0, p99 = 0, worst = 0;
};

inline Spread spreadOf(const QList<double> &values)
{
    Spread s;
    s.p50 = percentileOf(values, 50);
    s.p99 = percentileOf(values, 99);
    s.worst = values.isEmpty() ? 0.0 : *std::max_element(values.cbegin(), values.cend());
    return s;
}

} // namespace pacelab::bench
