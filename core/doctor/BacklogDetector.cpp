// Producer too fast: fps about 50 while the queue climbs toward its bound, and drops.
#include "StreamContext.h"

#include <algorithm>

namespace pacelab::doctor {

namespace {
constexpr double kProducerFastRate = 50.5; // estimated producer frames/s
}

void detectBacklog(StreamContext &c)
{
    const auto &s = c.s;
    int problemRuns = 0, warnRuns = 0, seconds = 0;
    double dropsAll = 0, qMaxAll = 0, bytesPerFrame = -1;
    size_t bestA = 0, bestB = 0, bestWorst = 0;
    double bestScore = -1;
    bool problem = false;
    QString bestFigures;
    forEachRun(c.st, St::Backlog, [&](size_t i, size_t j) {
        const int len = int(j - i + 1);
        if (len < kBacklogMinRun)
            return;
        const double qStart = (i > 0 && c.hasQ(i - 1)) ? c.qOf(i - 1) : c.qOf(i);
        double fpsSum = 0, drops = 0, qMax = 0;
        size_t w = i;
        std::vector<double> bpf;
        for (size_t k = i; k <= j; ++k) {
            fpsSum += c.f[k];
            drops += c.dropsOf(k);
            if (c.qOf(k) > qMax) {
                qMax = c.qOf(k);
                w = k;
            }
            if (s[k].bytes > 0 && s[k].fps > 0)
                bpf.push_back(s[k].bytes / s[k].fps);
        }
        // Frames the producer pushed per second: sent + queue growth + dropped.
        const double rate = (fpsSum + (c.qOf(j) - qStart) + drops) / len;
        const bool reachesFull = qMax >= c.fullLevel;
        // A queue that merely stays full (rate ~50) is a warning: back-pressure holding a
        // producer at the limit, or a queue that never drained after a stall.
        const bool runProblem = (drops > 0 && rate > kProducerFastRate)
            || (reachesFull && rate > kProducerFastRate)
            || (c.qOf(j) - qStart >= kQueueLow && rate >= kProducerFastRate + 0.5);
        const bool explainedByDrift = c.driftSlow && rate <= kProducerFastRate;
        if (!runProblem && explainedByDrift)
            return;
        problem = problem || runProblem;
        runProblem ? ++problemRuns : ++warnRuns;
        seconds += len;
        dropsAll += drops;
        qMaxAll = std::max(qMaxAll, qMax);
        for (size_t k = i; k <= j; ++k)
            c.explained[k] = true;
        c.cover(i, j);
        if (!bpf.empty())
            bytesPerFrame = median(bpf);
        const double score = (runProblem ? 1e9 : 0) + drops * 1000 + qMax * 10 + len;
        if (score > bestScore) {
            bestScore = score;
            bestA = i;
            bestB = j;
            bestWorst = w;
            bestFigures = QStringLiteral("q went from %1 to %2 (bound %3) over %4 s (%5) "
                                         "while fps averaged %6; %7 frame(s) dropped; the "
                                         "producer pushed ~%8 frames/s.")
                              .arg(fmt(qStart))
                              .arg(fmt(qMax))
                              .arg(c.boundText)
                              .arg(len)
                              .arg(lineRange(s[i].lineNo, s[j].lineNo))
                              .arg(fpsSum / len, 0, 'f', 1)
                              .arg(fmt(drops))
                              .arg(rate, 0, 'f', 1);
        }
    });
    if (problemRuns + warnRuns == 0)
        return;
    Diagnosis d;
    d.seconds = seconds;
    if (problem) {
        applyWords(d, Say::BacklogProblem);
        d.severity = Severity::Problem;
        d.detail = bestFigures
            + QStringLiteral(" In all: %1 stretch(es), %2 frame(s) dropped, q up to %3 (%4 ms of "
                             "queued speech).")
                  .arg(problemRuns + warnRuns)
                  .arg(fmt(dropsAll))
                  .arg(fmt(qMaxAll))
                  .arg(fmt(qMaxAll * 20));
        const bool small = bytesPerFrame > 0 && (bytesPerFrame < 110 || (bytesPerFrame > 170 && bytesPerFrame < 245));
        if (small) {
            addCandidate(d, Cause::Frames10ms, QStringLiteral("~%1 bytes per frame logged").arg(fmt(bytesPerFrame)));
            addCandidate(d, Cause::ProducerFast, QStringLiteral("less likely: the frames are short"));
        } else {
            addCandidate(d, Cause::ProducerFast, bytesPerFrame > 0 ? QStringLiteral("~%1 bytes per frame logged: full 20 ms frames").arg(fmt(bytesPerFrame))
                                                                    : QStringLiteral("the queue grows at a steady 50 fps"));
            if (bytesPerFrame <= 0)
                addCandidate(d, Cause::Frames10ms, QStringLiteral("the same numbers"));
        }
        if (bytesPerFrame > 0)
            d.tellApart.clear();
    } else {
        applyWords(d, Say::BacklogWarning);
        d.severity = Severity::Warning;
        d.detail = bestFigures
            + QStringLiteral(" q >= 10 for %1 s in all: each queued frame is 20 ms of delay "
                             "before the caller hears it.")
                  .arg(seconds);
        addCandidate(d, Cause::BackPressureHeld, QStringLiteral("fps stays at 50 while q stays high"));
    }
    d.evidence = c.evidenceFor(bestA, bestB, bestWorst);
    c.out.append(d);
}

} // namespace pacelab::doctor
