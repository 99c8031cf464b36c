#include "LiveVerdict.h"

#include <algorithm>

namespace pacelab::check {

QList<LiveBadge> liveVerdict(const QList<PerSecondRx> &seconds, const LiveBargeIn &bargeIn, const Thresholds &th)
{
    LiveBadge pace{QStringLiteral("pace"), QStringLiteral("Pace"), LiveState::Waiting, QStringLiteral("no audio yet"),
                   QStringLiteral("%1 ± %2 fps").arg(th.fpsTarget).arg(th.botFpsTolerance)};
    LiveBadge buffer{QStringLiteral("buffer"), QStringLiteral("Buffer"), LiveState::Waiting, QStringLiteral("no audio yet"),
                     QStringLiteral("≤ %1 s").arg(th.maxBufferedSec)};
    LiveBadge frames{QStringLiteral("frames"), QStringLiteral("Frames"), LiveState::Waiting, QStringLiteral("no audio yet"),
                     QStringLiteral("≤ %1 underruns").arg(th.maxUnderruns)};
    LiveBadge schema{QStringLiteral("schema"), QStringLiteral("Schema"), LiveState::Waiting, QStringLiteral("no messages yet"),
                     QStringLiteral("0 rejected")};
    LiveBadge barge{QStringLiteral("bargein"), QStringLiteral("Barge-in"), LiveState::Waiting,
                    QStringLiteral("not tried"), QStringLiteral("clear ≤ %1 ms").arg(th.bargeInClearMs)};

    const int n = int(seconds.size());
    bool anyAudio = false;
    int lo = 1 << 30, hi = -1, judged = 0;
    int worstSecond = -1, worstFps = 0;
    double maxBuffered = 0.0;
    int maxBufferedAt = 0;
    for (int i = 0; i < n; ++i) {
        const PerSecondRx &s = seconds[i];
        if (s.fps > 0)
            anyAudio = true;
        if (s.bufferedSec > maxBuffered) {
            maxBuffered = s.bufferedSec;
            maxBufferedAt = s.second;
        }
        // Too fast is wrong in any second. Too slow only in a second inside a talk spurt (both
        // neighbours carry audio): the first and last second of an utterance are partial.
        const bool interior = s.fps > 0 && i > 0 && i + 1 < n && seconds[i - 1].fps > 0 && seconds[i + 1].fps > 0;
        const bool tooFast = s.fps > th.fpsTarget + th.botFpsTolerance;
        if (!interior && !tooFast)
            continue;
        ++judged;
        lo = std::min(lo, s.fps);
        hi = std::max(hi, s.fps);
        const bool bad = tooFast || s.fps < th.fpsTarget - th.botFpsTolerance;
        if (bad && (worstSecond < 0 || std::abs(s.fps - th.fpsTarget) > std::abs(worstFps - th.fpsTarget))) {
            worstSecond = s.second;
            worstFps = s.fps;
        }
    }
    if (judged > 0) {
        pace.state = worstSecond >= 0 ? LiveState::Broken : LiveState::Ok;
        pace.measured = worstSecond >= 0 ? QStringLiteral("%1 fps at %2 s").arg(worstFps).arg(worstSecond)
                        : lo == hi     ? QStringLiteral("%1 fps").arg(lo)
                                       : QStringLiteral("%1–%2 fps").arg(lo).arg(hi);
    } else if (anyAudio) {
        pace.measured = QStringLiteral("judged from the 2nd second of audio");
    }

    if (anyAudio) {
        const double now = seconds.last().bufferedSec;
        buffer.state = maxBuffered > th.maxBufferedSec ? LiveState::Broken : LiveState::Ok;
        buffer.measured = buffer.state == LiveState::Broken
                              ? QStringLiteral("max %1 s at %2 s (now %3 s)").arg(maxBuffered, 0, 'f', 2).arg(maxBufferedAt).arg(now, 0, 'f', 2)
                              : QStringLiteral("max %1 s").arg(maxBuffered, 0, 'f', 2);
        const PerSecondRx &last = seconds.last();
        frames.state = last.underrunsTotal > th.maxUnderruns ? LiveState::Broken : LiveState::Ok;
        frames.measured = QStringLiteral("%1 underruns, %2 bursts").arg(last.underrunsTotal).arg(last.burstsTotal);
    }
    if (n > 0) {
        const int rejected = seconds.last().violationsTotal;
        if (anyAudio || rejected > 0) {
            schema.state = rejected > 0 ? LiveState::Broken : LiveState::Ok;
            schema.measured = rejected > 0 ? QStringLiteral("%1 rejected").arg(rejected) : QStringLiteral("all valid");
        }
    }

    if (bargeIn.probed) {
        if (bargeIn.clearLatencyMs >= 0) {
            barge.state = bargeIn.clearLatencyMs <= th.bargeInClearMs ? LiveState::Ok : LiveState::Broken;
            barge.measured = QStringLiteral("clear after %1 ms").arg(bargeIn.clearLatencyMs, 0, 'f', 0);
        } else if (bargeIn.finished) {
            barge.state = LiveState::Broken;
            barge.measured = QStringLiteral("no clear");
        } else {
            barge.measured = QStringLiteral("caller speaking…");
        }
    }
    return {pace, buffer, frames, schema, barge};
}

} // namespace pacelab::check
