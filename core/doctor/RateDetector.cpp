// fps far from 50 with an empty queue (nothing waits, so the sender is not the bottleneck):
// steady -> the frames are not 20 ms long, or two loops send; irregular -> the producer is slow
// (low) or nothing paces the frames (high). The bytes= field, when logged, tells frame sizes apart.
#include "StreamContext.h"

#include <algorithm>
#include <cmath>

namespace pacelab::doctor {

namespace {

// Bytes per frame: raw mu-law (80/160/320) or PaceLab's wire bytes (JSON + base64: ~200/~305).
bool smallFrames(double bpf) { return (bpf >= 60 && bpf < 110) || (bpf >= 170 && bpf < 245); }
bool fullFrames(double bpf) { return (bpf >= 130 && bpf < 170) || (bpf >= 250 && bpf < 316); }
bool bigFrames(double bpf) { return (bpf >= 316 && bpf < 360) || bpf >= 400; }

// A rate that whole-millisecond frames of 30/40/60/80/100 ms give at real time.
bool frameSizeRate(double fps)
{
    for (double ms : {30.0, 40.0, 60.0, 80.0, 100.0})
        if (std::abs(fps - 1000.0 / ms) <= 2.0)
            return true;
    return false;
}

} // namespace

void detectRate(StreamContext &c)
{
    const auto &s = c.s;
    const size_t n = c.size();
    bool frameFound = false, starvedFound = false;
    Diagnosis frame, starved;
    auto cand = [&](size_t i) { return !c.edge[i] && (c.st[i] == St::LowEmpty || c.st[i] == St::HighFps); };
    for (size_t i = 0; i < n;) {
        if (!cand(i)) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j + 1 < n && cand(j + 1) && (c.st[j + 1] == c.st[i]))
            ++j;
        const int len = int(j - i + 1);
        std::vector<double> v, bpf;
        for (size_t k = i; k <= j; ++k) {
            v.push_back(c.f[k]);
            if (s[k].bytes > 0 && s[k].fps > 0)
                bpf.push_back(s[k].bytes / s[k].fps);
        }
        const double med = median(v);
        const double spread = mad(v, med);
        const double b = bpf.empty() ? -1 : median(bpf);
        size_t w = i;
        for (size_t k = i; k <= j; ++k)
            if (std::abs(c.f[k] - kNominalFps) > std::abs(c.f[w] - kNominalFps))
                w = k;
        const bool low = med < kNominalFps;
        const bool steady = len >= kFrameSizeMinRun && spread <= kSteadyMad && (med <= kLowFps || med >= kHighFps);
        const QString range = lineRange(s[i].lineNo, s[j].lineNo);
        const QString bytesNote = b > 0 ? QStringLiteral("~%1 bytes per frame logged").arg(fmt(std::round(b)))
                                         : QStringLiteral("no bytes= logged");
        if (steady && !(low && !frameSizeRate(med) && !(b > 0 && bigFrames(b)))) {
            c.cover(i, j);
            if (!frameFound) {
                const double frameMs = 20.0 * kNominalFps / med;
                frame.severity = Severity::Problem;
                if (low) {
                    applyWords(frame, Say::FramesBig);
                    if (b > 0 && fullFrames(b)) {
                        addCandidate(frame, Cause::Timer40ms, bytesNote + QStringLiteral(": full 20 ms frames, sent too rarely"));
                        addCandidate(frame, Cause::Frames40ms, QStringLiteral("less likely: ") + bytesNote);
                    } else {
                        addCandidate(frame, Cause::Frames40ms, bytesNote);
                        addCandidate(frame, Cause::Timer40ms, b > 0 ? QStringLiteral("less likely: ") + bytesNote : QStringLiteral("the same numbers"));
                        addCandidate(frame, Cause::ProducerSlow, QStringLiteral("less likely: the rate is steady"));
                    }
                } else if (b > 0 && fullFrames(b) && med >= 80) {
                    applyWords(frame, Say::TwoSenders);
                    addCandidate(frame, Cause::TwoLoops, bytesNote + QStringLiteral(": full 20 ms frames at ~%1/s").arg(fmt(std::round(med))));
                    addCandidate(frame, Cause::Frames10ms, QStringLiteral("ruled out: ") + bytesNote);
                } else {
                    applyWords(frame, Say::FramesSmall);
                    if (b > 0 && smallFrames(b)) {
                        addCandidate(frame, Cause::Frames10ms, bytesNote);
                        addCandidate(frame, Cause::TwoLoops, QStringLiteral("ruled out: ") + bytesNote);
                    } else {
                        addCandidate(frame, Cause::Frames10ms, bytesNote);
                        if (med >= 80)
                            addCandidate(frame, Cause::TwoLoops, QStringLiteral("the same fps: two loops of 20 ms frames"));
                        addCandidate(frame, Cause::NoClock, QStringLiteral("less likely: the rate is steady"));
                    }
                    if (b > 0)
                        frame.tellApart.clear();
                }
                frame.detail = QStringLiteral("fps held at %1 (±%2) for %3 s (%4) with an empty queue "
                                              "and no drops: the audio clock is fine, so each frame "
                                              "must carry ~%5 ms of audio (~%6 B mu-law) instead of "
                                              "20 ms / 160 B, or frames leave at a different rate.")
                                   .arg(med, 0, 'f', 1)
                                   .arg(spread, 0, 'f', 1)
                                   .arg(len)
                                   .arg(range)
                                   .arg(qRound(frameMs))
                                   .arg(qRound(frameMs * 8));
                frame.evidence = c.evidenceFor(i, j, w);
                frameFound = true;
            }
            frame.seconds += len;
        } else if (len >= kStarvedMinRun && low) {
            if (!starvedFound) {
                applyWords(starved, Say::Starved);
                // Several seconds well off 50 are a problem, whatever caused them.
                starved.severity = med <= kNominalFps - kRateOffFps ? Severity::Problem : Severity::Warning;
                starved.detail = QStringLiteral("fps %1-%2 (median %3) for %4 s (%5) with the queue "
                                                "(nearly) empty: the sender had nothing to send.")
                                     .arg(fmt(std::floor(*std::min_element(v.begin(), v.end()))))
                                     .arg(fmt(std::ceil(*std::max_element(v.begin(), v.end()))))
                                     .arg(med, 0, 'f', 1)
                                     .arg(len)
                                     .arg(range);
                addCandidate(starved, Cause::ProducerSlow, spread > kSteadyMad ? QStringLiteral("the rate is irregular (±%1)").arg(spread, 0, 'f', 1)
                                                                                : QStringLiteral("a steady rate that no frame size explains"));
                addCandidate(starved, Cause::Frames40ms, QStringLiteral("less likely: ") + bytesNote);
                starved.evidence = c.evidenceFor(i, j, w);
                starvedFound = true;
            }
            if (starved.severity >= Severity::Warning)
                c.cover(i, j);
            starved.seconds += len;
        } else if (len >= kStarvedMinRun) {
            c.cover(i, j);
            if (!frameFound) {
                applyWords(frame, Say::Unpaced);
                frame.severity = Severity::Problem;
                frame.detail = QStringLiteral("fps %1 (median, irregular ±%2) for %3 s (%4) with an empty queue.")
                                   .arg(med, 0, 'f', 1)
                                   .arg(spread, 0, 'f', 1)
                                   .arg(len)
                                   .arg(range);
                addCandidate(frame, Cause::NoClock, QStringLiteral("the rate is irregular"));
                addCandidate(frame, Cause::Frames10ms, bytesNote);
                addCandidate(frame, Cause::TwoLoops, bytesNote);
                frame.evidence = c.evidenceFor(i, j, w);
                frameFound = true;
            }
            frame.seconds += len;
        }
        i = j + 1;
    }
    if (frameFound)
        c.out.append(frame);
    if (starvedFound)
        c.out.append(starved);
}

} // namespace pacelab::doctor
