// Catch-up bursts: a second far above 50 right after one far below, the surplus paying back the
// deficit. A pacer that re-anchors after a late wake-up never does this (checklist, step 2).
#include "StreamContext.h"

#include <algorithm>

namespace pacelab::doctor {

namespace {
constexpr double kBurstFps = 58.0;   // a catch-up second: well beyond boundary wobble
constexpr double kMinPayback = 10.0; // frames sent above 50 in the burst
}

void detectCatchUp(StreamContext &c)
{
    const auto &s = c.s;
    const size_t n = c.size();
    int bursts = 0, seconds = 0;
    double worstFps = 0, owedAll = 0, paidAll = 0;
    size_t evA = 0, evB = 0, evW = 0;
    bool have = false;
    for (size_t i = 0; i < n;) {
        if (c.isIdle(i) || c.f[i] >= kStallFps) {
            ++i;
            continue;
        }
        // A run of low seconds [i, j], then a run of high ones [j+1, k].
        size_t j = i;
        while (j + 1 < n && !c.isIdle(j + 1) && c.f[j + 1] < kStallFps)
            ++j;
        // The burst follows at once, or one second later (a counting window that straddles the
        // stall's end shows a near-50 second in between).
        size_t h = j + 1;
        if (h + 1 < n && c.f[h] <= kBurstFps && c.f[h] >= kStallFps && c.f[h + 1] > kBurstFps)
            ++h;
        if (h >= n || c.f[h] <= kBurstFps) {
            i = j + 1;
            continue;
        }
        size_t k = h;
        while (k + 1 < n && c.f[k + 1] > kBurstFps)
            ++k;
        double owed = 0, paid = 0;
        for (size_t x = i; x < h; ++x)
            owed += std::max(0.0, kNominalFps - c.f[x]);
        size_t w = h;
        for (size_t x = h; x <= k; ++x) {
            paid += c.f[x] - kNominalFps;
            if (c.f[x] > c.f[w])
                w = x;
        }
        // The burst pays back a good part of what the stall owed: the loop is replaying its
        // missed deadlines (a producer burst would not track the deficit).
        if (paid >= kMinPayback && paid >= 0.4 * owed && paid <= 1.6 * owed + 10) {
            ++bursts;
            seconds += int(k - i + 1);
            owedAll += owed;
            paidAll += paid;
            c.cover(i, k);
            for (size_t x = i; x <= k; ++x)
                c.explained[x] = true;
            if (!have || c.f[w] > worstFps) {
                evA = i;
                evB = k;
                evW = w;
                worstFps = c.f[w];
            }
            have = true;
        }
        i = k + 1;
    }
    if (!have)
        return;
    Diagnosis d;
    applyWords(d, Say::CatchUp);
    d.severity = Severity::Problem;
    d.seconds = seconds;
    d.detail = QStringLiteral("%1 burst(s) right after a stall (worst %2): fps up to %3 after "
                              "falling below %4; %5 frame(s) sent above 50/s paid back %6 "
                              "missed.")
                   .arg(bursts)
                   .arg(lineRange(s[evA].lineNo, s[evB].lineNo))
                   .arg(fmt(worstFps))
                   .arg(fmt(kStallFps))
                   .arg(fmt(paidAll))
                   .arg(fmt(owedAll));
    addCandidate(d, Cause::NoReanchor, QStringLiteral("the surplus after each stall matches the frames missed in it"));
    addCandidate(d, Cause::BlockedLoop, QStringLiteral("what caused the stall itself"));
    d.evidence = c.evidenceFor(evA, evB, evW);
    c.out.append(d);
}

} // namespace pacelab::doctor
