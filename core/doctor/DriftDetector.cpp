// Timer drift: a steady deficit (or excess) while audio is queued, i.e. the pacer's own rate;
// or fps alternating 49/51 (frames crossing the second boundary: late, then catching up).
#include "StreamContext.h"

#include <algorithm>
#include <cmath>

namespace pacelab::doctor {

namespace {
constexpr double kDriftMinDeficit = 0.3; // fps; 6 ms of audio per second
constexpr double kDriftMinFrames = 4.0;  // deficit x seconds: beyond window-boundary noise
constexpr int kDriftMinSeconds = 8;
}

void detectDrift(StreamContext &c)
{
    const auto &s = c.s;
    const size_t n = c.size();
    std::vector<size_t> paced;
    for (size_t i = 0; i < n; ++i) {
        if (c.edge[i] || c.st[i] == St::Idle || c.st[i] == St::Stall || c.covered[i])
            continue;
        const double f = c.f[i];
        if (f < kLowFps - 1 || f > kHighFps + 1)
            continue;
        // The rate is the pacer's only while audio waits for it: a second that ends with an
        // empty queue shows the producer's rate, whether it reads 49 or 51.
        if (c.hasQ(i) && c.qOf(i) < 1)
            continue;
        paced.push_back(i);
    }
    const int queued = int(paced.size());
    if (queued < kDriftMinSeconds)
        return;
    double sum = 0;
    int below = 0, above = 0, offByOne = 0, exact = 0, flips = 0, pairs = 0;
    for (size_t idx = 0; idx < paced.size(); ++idx) {
        const size_t i = paced[idx];
        const double f = c.f[i];
        sum += f;
        below += f < kNominalFps - 0.05;
        above += f > kNominalFps + 0.05;
        const double r = std::round(f);
        offByOne += (std::abs(r - kNominalFps) == 1.0);
        exact += (r == kNominalFps);
        if (idx > 0 && paced[idx - 1] + 1 == i) {
            ++pairs;
            flips += (c.f[paced[idx - 1]] - kNominalFps) * (f - kNominalFps) < 0;
        }
    }
    const double mean = sum / queued;
    const double deficit = kNominalFps - mean;
    Diagnosis d;
    d.seconds = queued;
    const size_t a = paced.front(), b = paced.back();
    size_t worst = a;
    for (size_t i : paced)
        if (std::abs(c.f[i] - kNominalFps) > std::abs(c.f[worst] - kNominalFps))
            worst = i;
    double lateMax = -1;
    for (size_t i : paced)
        lateMax = std::max(lateMax, s[i].late);
    // Consistent: most seconds on one side, or (with ±1-2 fps logging wobble, which moves frames
    // between neighbouring seconds) a mean far outside its own noise.
    double var = 0;
    for (size_t i : paced)
        var += (c.f[i] - mean) * (c.f[i] - mean);
    const double se = std::sqrt(var / std::max(1, queued - 1) / queued);
    const bool consistent = (deficit > 0 ? below >= 2 * above : above >= 2 * below) || std::abs(deficit) >= 4 * std::max(se, 0.05);
    if (std::abs(deficit) >= kDriftMinDeficit && std::abs(deficit) * queued >= kDriftMinFrames && consistent) {
        const double msPerSec = std::abs(deficit) * 20.0;
        const double ppm = -deficit / kNominalFps * 1e6;
        d.severity = std::abs(deficit) >= 0.5 ? Severity::Problem : Severity::Warning;
        if (deficit > 0) {
            c.driftSlow = true;
            applyWords(d, Say::DriftSlow);
            d.detail = QStringLiteral("over %1 s with audio queued (%2), fps averaged %3 instead of 50: "
                                      "%4 ms of audio lost per second (%5 ppm, %6 s per minute); "
                                      "the caller's buffer empties and the queue grows.")
                           .arg(queued)
                           .arg(lineRange(s[a].lineNo, s[b].lineNo))
                           .arg(mean, 0, 'f', 2)
                           .arg(msPerSec, 0, 'f', 1)
                           .arg(qRound64(ppm))
                           .arg(msPerSec * 60 / 1000, 0, 'f', 2);
            const QString steady = QStringLiteral("a steady %1 fps deficit with audio waiting").arg(deficit, 0, 'f', 2);
            if (lateMax > 0) {
                addCandidate(d, Cause::IntervalTooLong, steady + QStringLiteral(", late wake-ups logged (late up to %1)").arg(fmt(lateMax)));
                addCandidate(d, Cause::FixedSleep, QStringLiteral("less likely: a fixed sleep rarely logs late wake-ups"));
            } else {
                addCandidate(d, Cause::FixedSleep, steady);
                addCandidate(d, Cause::IntervalTooLong, QStringLiteral("the same numbers"));
            }
        } else {
            applyWords(d, Say::DriftFast);
            d.detail = QStringLiteral("over %1 s (%2), fps averaged %3 instead of 50: %4 ms of audio "
                                      "ahead per second (+%5 ppm); the caller's buffer grows, so "
                                      "latency and barge-in delay grow.")
                           .arg(queued)
                           .arg(lineRange(s[a].lineNo, s[b].lineNo))
                           .arg(mean, 0, 'f', 2)
                           .arg(msPerSec, 0, 'f', 1)
                           .arg(qRound64(ppm));
            addCandidate(d, Cause::IntervalTooShort, QStringLiteral("a steady excess with audio waiting"));
            addCandidate(d, Cause::NoReanchor, QStringLiteral("if the excess follows late seconds"));
        }
    } else if (std::abs(deficit) < kDriftMinDeficit && offByOne * 2 >= queued && exact * 100 <= queued * 35
               && pairs >= 4 && flips * 10 >= pairs * 7) {
        // Strict alternation (most consecutive seconds on opposite sides of 50): random ±1-2 fps
        // logging wobble flips only about half the time.
        d.severity = Severity::Warning;
        applyWords(d, Say::Jitter);
        d.detail = QStringLiteral("%1 of %2 seconds with audio queued were 49 or 51 and only %3 "
                                  "exactly 50 (%4), alternating in %5 of %6 consecutive pairs: the "
                                  "average rate is right but frames keep crossing the second "
                                  "boundary, i.e. they leave late and then catch up.")
                       .arg(offByOne)
                       .arg(queued)
                       .arg(exact)
                       .arg(lineRange(s[a].lineNo, s[b].lineNo))
                       .arg(flips)
                       .arg(pairs);
        addCandidate(d, Cause::LateWakeups, QStringLiteral("the seconds alternate around 50"));
        addCandidate(d, Cause::FixedSleep, QStringLiteral("a fixed sleep that corrects itself looks the same"));
    } else {
        return;
    }
    d.evidence = c.evidenceFor(a, std::min(b, a + 2), worst, false);
    c.addEvidence(d.evidence, b);
    std::sort(d.evidence.begin(), d.evidence.end(), [](const Evidence &x, const Evidence &y) { return x.lineNo < y.lineNo; });
    if (d.severity >= Severity::Problem)
        for (size_t i : paced)
            c.cover(i, i);
    c.out.append(d);
}

} // namespace pacelab::doctor
