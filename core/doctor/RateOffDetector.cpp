// The safety net: several consecutive seconds well off 50 fps that no finding above covers are
// a problem of their own, never silence or a mere warning (issue 12: a 25 fps stream with a
// wobbling queue once came out as a 3-second warning).
#include "StreamContext.h"

#include <cmath>

namespace pacelab::doctor {

void detectRateOff(StreamContext &c)
{
    const auto &s = c.s;
    const size_t n = c.size();
    // Median of three: one odd line (a late logger, a partial second) neither makes nor breaks a run.
    std::vector<double> m(n);
    for (size_t i = 0; i < n; ++i) {
        std::vector<double> w{c.f[i]};
        if (i > 0 && c.st[i - 1] != St::Idle)
            w.push_back(c.f[i - 1]);
        if (i + 1 < n && c.st[i + 1] != St::Idle)
            w.push_back(c.f[i + 1]);
        m[i] = w.size() == 2 ? c.f[i] : median(w);
    }
    auto off = [&](size_t i) {
        return c.st[i] != St::Idle && !c.edge[i] && !c.covered[i] && std::abs(m[i] - kNominalFps) > kRateOffFps
            && std::abs(c.f[i] - kNominalFps) > kRateOffFps / 2;
    };
    int seconds = 0, runs = 0;
    size_t bestA = 0, bestB = 0;
    bool have = false, low = true;
    for (size_t i = 0; i < n;) {
        if (!off(i)) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j + 1 < n && off(j + 1) && ((m[j + 1] < kNominalFps) == (m[i] < kNominalFps)))
            ++j;
        if (int(j - i + 1) >= kRateOffMinRun) {
            ++runs;
            seconds += int(j - i + 1);
            if (!have || j - i > bestB - bestA) {
                bestA = i;
                bestB = j;
                low = m[i] < kNominalFps;
            }
            have = true;
        }
        i = j + 1;
    }
    if (!have)
        return;
    std::vector<double> v;
    size_t w = bestA;
    double qMax = 0;
    for (size_t k = bestA; k <= bestB; ++k) {
        v.push_back(c.f[k]);
        qMax = std::max(qMax, c.qOf(k));
        if (std::abs(c.f[k] - kNominalFps) > std::abs(c.f[w] - kNominalFps))
            w = k;
    }
    const double med = median(v);
    Diagnosis d;
    applyWords(d, low ? Say::RateOffLow : Say::RateOffHigh);
    d.severity = Severity::Problem;
    d.seconds = seconds;
    d.detail = QStringLiteral("%1 stretch(es) of %2 s in all; the longest (%3): fps median %4 "
                              "(%5-%6), q up to %7.")
                   .arg(runs)
                   .arg(seconds)
                   .arg(lineRange(s[bestA].lineNo, s[bestB].lineNo))
                   .arg(med, 0, 'f', 1)
                   .arg(fmt(std::floor(*std::min_element(v.begin(), v.end()))))
                   .arg(fmt(std::ceil(*std::max_element(v.begin(), v.end()))))
                   .arg(fmt(qMax));
    if (low) {
        addCandidate(d, qMax >= kQueueLow ? Cause::BlockedLoop : Cause::ProducerSlow,
                     QStringLiteral("q up to %1 meanwhile").arg(fmt(qMax)));
        addCandidate(d, qMax >= kQueueLow ? Cause::ProducerSlow : Cause::BlockedLoop, QStringLiteral("fits less well"));
        addCandidate(d, Cause::Frames40ms, QStringLiteral("if the frames are longer than 20 ms"));
    } else {
        addCandidate(d, Cause::NoClock, QStringLiteral("fps irregular above 50"));
        addCandidate(d, Cause::TwoLoops, QStringLiteral("if the frames are 160 B"));
        addCandidate(d, Cause::Frames10ms, QStringLiteral("if the frames are 80 B"));
    }
    d.evidence = c.evidenceFor(bestA, bestB, w);
    c.out.append(d);
}

} // namespace pacelab::doctor
