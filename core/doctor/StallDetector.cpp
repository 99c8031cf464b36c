// Sender stalled: fps falls well below 50 while audio waits (queue full or rising, drops).
#include "StreamContext.h"

#include <algorithm>

namespace pacelab::doctor {

void detectStalls(StreamContext &c)
{
    const auto &s = c.s;
    int runs = 0, seconds = 0, longest = 0;
    double minFps = 1e9, maxQ = 0, drops = 0, sqDuring = -1, sqBefore = -1;
    size_t firstA = 0, firstB = 0, worst = 0;
    bool have = false;
    forEachRun(c.st, St::Stall, [&](size_t i, size_t j) {
        const int len = int(j - i + 1);
        size_t w = i;
        for (size_t k = i; k <= j; ++k)
            if (c.f[k] < c.f[w])
                w = k;
        // One second is enough when it is deep, or when the queue overflowed meanwhile: a
        // blocked loop also blocks its own telemetry, so one line may stand for several seconds.
        bool overflowed = false;
        for (size_t k = i; k <= j; ++k)
            overflowed = overflowed || (c.full(k) && c.dropsOf(k) > 0);
        if (!(len >= 2 || c.f[w] <= 25 || overflowed))
            return;
        ++runs;
        seconds += len;
        for (size_t k = i; k <= j; ++k) {
            maxQ = std::max(maxQ, c.qOf(k));
            drops += c.dropsOf(k);
            c.explained[k] = true;
            sqDuring = std::max(sqDuring, s[k].sq);
        }
        if (i > 0)
            sqBefore = std::max(sqBefore, s[i - 1].sq);
        c.cover(i, j);
        if (!have || len > longest) {
            firstA = i;
            firstB = j;
            worst = w;
            have = true;
        }
        longest = std::max(longest, len);
        minFps = std::min(minFps, c.f[w]);
    });
    if (!have)
        return;
    Diagnosis d;
    applyWords(d, Say::Stalled);
    d.severity = Severity::Problem;
    d.seconds = seconds;
    d.detail = QStringLiteral("%1 stall(s), longest %2 s (%3): fps fell to %4 while q rose to %5 "
                              "(bound %6); %7 frame(s) dropped meanwhile.")
                   .arg(runs)
                   .arg(longest)
                   .arg(lineRange(s[firstA].lineNo, s[firstB].lineNo))
                   .arg(fmt(minFps))
                   .arg(fmt(maxQ))
                   .arg(c.boundText)
                   .arg(fmt(drops));
    // The differential: a socket that cannot drain shows unsent bytes piling up (sq=); a
    // blocked loop does not even get to write.
    if (sqDuring >= 0) {
        const bool slowPeer = sqDuring >= 20 && sqDuring > 2 * std::max(1.0, sqBefore);
        const QString why = QStringLiteral("sq (socket send queue) reached %1 during the stall (before: %2)")
                                .arg(fmt(sqDuring), sqBefore >= 0 ? fmt(sqBefore) : QStringLiteral("-"));
        if (slowPeer) {
            addCandidate(d, Cause::SlowPeer, why);
            addCandidate(d, Cause::BlockedLoop, QStringLiteral("less likely: the socket was holding data"));
        } else {
            addCandidate(d, Cause::BlockedLoop, why + QStringLiteral(": the socket was not the bottleneck"));
            addCandidate(d, Cause::SlowPeer, QStringLiteral("less likely: sq stayed low"));
        }
        d.tellApart.clear();
    } else {
        addCandidate(d, Cause::BlockedLoop, QStringLiteral("fps fell while audio was queued"));
        addCandidate(d, Cause::SlowPeer, QStringLiteral("fits the same numbers"));
    }
    d.evidence = c.evidenceFor(firstA, firstB, worst);
    c.out.append(d);
}

} // namespace pacelab::doctor
