#include "PerSecondRxBuilder.h"

namespace pacelab {

PerSecondRx PerSecondRxBuilder::next(int second, const ArrivalStats &stats, const PlayoutModel &playout,
                                     int violationsTotal)
{
    PerSecondRx rx;
    rx.second = second;
    rx.fps = stats.fpsPerSecond.value(second, 0);
    rx.bytes = stats.bytes - m_bytes;
    rx.bufferedSec = playout.bufferedSec();
    rx.jitterMs = stats.jitterMs;
    rx.underrunsTotal = playout.underrunCount();
    rx.underrunsInSecond = rx.underrunsTotal - m_underruns;
    rx.burstsTotal = stats.burstCount;
    rx.burstsInSecond = rx.burstsTotal - m_bursts;
    rx.violationsTotal = violationsTotal;
    rx.violationsInSecond = violationsTotal - m_violations;
    rx.marksEchoedInSecond = playout.marksEchoed() - m_marks;
    m_bytes = stats.bytes;
    m_underruns = rx.underrunsTotal;
    m_bursts = rx.burstsTotal;
    m_violations = violationsTotal;
    m_marks = playout.marksEchoed();
    return rx;
}

} // namespace pacelab
