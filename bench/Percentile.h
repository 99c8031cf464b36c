#pragma once

#include <QtGlobal>

#include <algorithm>
#include <vector>

namespace pacelab::bench {

// The q-quantile (0..1) of v, nearest rank: the value at or below which a fraction q of the
// samples lie. Header-only: pacelab-wire-rx (Qt Core only) and pacelab-bench share it.
inline qint64 percentile(std::vector<qint64> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t idx = std::min(v.size() - 1, size_t(std::max(0.0, q * double(v.size()) - 1e-9)));
    return v[idx];
}

} // namespace pacelab::bench
