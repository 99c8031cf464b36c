#include "CallMetrics.h"

#include <algorithm>
#include <cmath>

namespace pacelab {

void ProbeTally::add(const BargeInResult &r)
{
    // A probe while the bot was quiet interrupts nothing: neither a clear nor its absence says
    // anything about the bot.
    if (!r.sent || !r.botWasTalking)
        return;
    ++sent;
    if (r.clearReceived) {
        ++cleared;
        clearLatencyMsMax = std::max(clearLatencyMsMax, r.clearLatencyMs);
    }
}

check::Thresholds loadThresholdsFor(const MediaFormat &format, check::Thresholds base)
{
    if (format.frameMs <= 0)
        return base;
    const int fps = std::max(1, 1000 / format.frameMs);
    if (fps != base.fpsTarget && base.fpsTarget > 0)
        base.botFpsTolerance = std::max(1, int(std::lround(double(base.botFpsTolerance) * fps / base.fpsTarget)));
    base.fpsTarget = fps;
    base.frameBytes = format.frameBytes();
    return base;
}

double percentileOf(QList<double> values, double p)
{
    if (values.isEmpty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const double rank = std::ceil(p / 100.0 * values.size());
    const qsizetype i = std::clamp<qsizetype>(qsizetype(rank) - 1, 0, values.size() - 1);
    return values[i];
}

void fillCallMetrics(const EmulatedCall &call, const ProbeTally &probes, qint64 nowUs, CallResult *r)
{
    const ArrivalStats s = call.stats();
    const PlayoutModel &p = call.playout();
    r->durationSec = call.startedUs() > 0 ? call.sessionSeconds(nowUs) : 0.0;
    r->frames = s.frames;
    r->audioSec = s.audioMs / 1000.0;
    r->firstAudioMs = s.firstArrivalUs >= 0 ? (s.firstArrivalUs - call.startedUs()) / 1000.0 : -1.0;

    QList<double> fps;
    if (s.frames > 0) {
        const int first = int((s.firstArrivalUs - call.startedUs()) / 1'000'000) + 1;
        const int last = int((s.lastArrivalUs - call.startedUs()) / 1'000'000) - 1;
        for (int i = first; i <= last && i < s.fpsPerSecond.size(); ++i)
            fps.append(s.fpsPerSecond[i]);
    }
    r->fpsP1 = percentileOf(fps, 1);
    r->fpsP50 = percentileOf(fps, 50);
    r->fpsMin = fps.isEmpty() ? 0.0 : *std::min_element(fps.cbegin(), fps.cend());
    r->fpsMax = fps.isEmpty() ? 0.0 : *std::max_element(fps.cbegin(), fps.cend());
    r->jitterMs = s.jitterMs;
    r->jitterMaxMs = s.jitterMaxMs;
    r->deltaP99Ms = s.deltaP99Ms;
    r->driftPpm = s.driftPpm;
    r->driftValid = s.driftValid;
    r->bursts = s.burstCount;
    r->maxBufferedSec = p.maxBufferedUs() / 1e6;
    r->underruns = p.underrunCount();
    r->nonStandardFrames = int(s.nonStandardFrames);
    r->violations = call.violationCount();
    const QList<Violation> v = call.violations();
    r->firstViolation = v.isEmpty() ? QString() : QStringLiteral("%1: %2").arg(v.first().code).arg(v.first().message);
    r->marksSent = call.marksReceived();
    r->marksEchoed = p.marksEchoed();
    r->bargeIns = probes.sent;
    r->clears = probes.cleared;
    r->clearLatencyMsMax = probes.clearLatencyMsMax;
}

} // namespace pacelab
