#pragma once

#include "../Percentile.h"

#include <QJsonObject>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace pacelab::wire {

// Figures of one connection's media arrivals (kernel receive timestamps, ns) against the 20 ms
// grid. Header-only so the bench and pacelab-wire-rx agree on the arithmetic.
struct WireStats
{
    qint64 frames = 0;          // media frames measured (after the warm-up)
    qint64 jitterP50Us = 0;     // |arrival interval - interval|
    qint64 jitterP99Us = 0;
    qint64 jitterMaxUs = 0;
    double driftMs = 0;         // last arrival minus its slot on the grid anchored at the first
    double gridSpreadMs = 0;    // max - min of (arrival - grid slot): how far the stream wanders
    qint64 sameStamp = 0;       // arrivals sharing the previous one's timestamp (a burst, or
                                // segments merged in the receive queue while the reader slept)
    qint64 readerLate = 0;      // read more than 10 ms after the kernel stamped it
    qint64 over1ms = 0;         // intervals off by more than 1 ms

    static WireStats compute(const std::vector<qint64> &kernelNs, const std::vector<qint64> &readNs,
                             qint64 intervalNs)
    {
        WireStats s;
        s.frames = qint64(kernelNs.size());
        if (kernelNs.empty())
            return s;
        std::vector<qint64> jit;
        qint64 lo = 0, hi = 0;
        for (size_t i = 0; i < kernelNs.size(); ++i) {
            if (i > 0) {
                const qint64 d = kernelNs[i] - kernelNs[i - 1];
                jit.push_back(std::llabs(d - intervalNs) / 1000);
                if (jit.back() > 1000)
                    ++s.over1ms;
                if (d == 0)
                    ++s.sameStamp;
            }
            const qint64 off = kernelNs[i] - (kernelNs[0] + intervalNs * qint64(i));
            lo = std::min(lo, off);
            hi = std::max(hi, off);
            if (i < readNs.size() && readNs[i] - kernelNs[i] > 10'000'000)
                ++s.readerLate;
        }
        s.jitterP50Us = bench::percentile(jit, 0.50);
        s.jitterP99Us = bench::percentile(jit, 0.99);
        s.jitterMaxUs = jit.empty() ? 0 : *std::max_element(jit.begin(), jit.end());
        s.driftMs = double(kernelNs.back() - (kernelNs[0] + intervalNs * qint64(kernelNs.size() - 1))) / 1e6;
        s.gridSpreadMs = double(hi - lo) / 1e6;
        return s;
    }

    QJsonObject toJson() const
    {
        QJsonObject o;
        o[QLatin1String("frames")] = frames;
        o[QLatin1String("jitterP50Us")] = jitterP50Us;
        o[QLatin1String("jitterP99Us")] = jitterP99Us;
        o[QLatin1String("jitterMaxUs")] = jitterMaxUs;
        o[QLatin1String("driftMs")] = driftMs;
        o[QLatin1String("gridSpreadMs")] = gridSpreadMs;
        o[QLatin1String("sameStamp")] = sameStamp;
        o[QLatin1String("readerLate")] = readerLate;
        o[QLatin1String("over1ms")] = over1ms;
        return o;
    }
    static WireStats fromJson(const QJsonObject &o)
    {
        WireStats s;
        s.frames = o.value(QLatin1String("frames")).toInteger();
        s.jitterP50Us = o.value(QLatin1String("jitterP50Us")).toInteger();
        s.jitterP99Us = o.value(QLatin1String("jitterP99Us")).toInteger();
        s.jitterMaxUs = o.value(QLatin1String("jitterMaxUs")).toInteger();
        s.driftMs = o.value(QLatin1String("driftMs")).toDouble();
        s.gridSpreadMs = o.value(QLatin1String("gridSpreadMs")).toDouble();
        s.sameStamp = o.value(QLatin1String("sameStamp")).toInteger();
        s.readerLate = o.value(QLatin1String("readerLate")).toInteger();
        s.over1ms = o.value(QLatin1String("over1ms")).toInteger();
        return s;
    }
};

} // namespace pacelab::wire
