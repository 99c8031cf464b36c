// Drops that no other finding explains: isolated (info) or in runs (warning).
#include "StreamContext.h"

namespace pacelab::doctor {

void detectDrops(StreamContext &c)
{
    const auto &s = c.s;
    const size_t n = c.size();
    int seconds = 0, longest = 0;
    double drops = 0;
    size_t a = 0, b = 0, worst = 0;
    bool have = false;
    for (size_t i = 0; i < n;) {
        if (c.explained[i] || c.dropsOf(i) <= 0) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j + 1 < n && !c.explained[j + 1] && c.dropsOf(j + 1) > 0)
            ++j;
        const int len = int(j - i + 1);
        size_t w = i;
        for (size_t k = i; k <= j; ++k) {
            drops += c.dropsOf(k);
            if (c.dropsOf(k) > c.dropsOf(w))
                w = k;
        }
        seconds += len;
        if (!have || len > longest) {
            a = i;
            b = j;
            worst = w;
            have = true;
            longest = len;
        }
        i = j + 1;
    }
    if (!have)
        return;
    Diagnosis d;
    applyWords(d, longest >= 2 ? Say::DropsRuns : Say::DropsIsolated);
    d.seconds = seconds;
    d.severity = longest >= 2 ? Severity::Warning : Severity::Info;
    d.detail = QStringLiteral("%1 frame(s) dropped in %2 second(s); longest run %3 s (%4).")
                   .arg(fmt(drops))
                   .arg(seconds)
                   .arg(longest)
                   .arg(lineRange(s[a].lineNo, s[b].lineNo));
    addCandidate(d, Cause::ProducerFast, QStringLiteral("a producer burst larger than the queue"));
    addCandidate(d, Cause::BlockedLoop, QStringLiteral("a short sender hiccup"));
    d.evidence = c.evidenceFor(a, b, worst);
    c.out.append(d);
}

} // namespace pacelab::doctor
