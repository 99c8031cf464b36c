#pragma once

#include "ArrivalAnalytics.h"
#include "EmulatorTypes.h"
#include "PlayoutModel.h"

namespace pacelab {

// Turns a stream's running totals into one PerSecondRx per second. The live emulator and the
// replay of a capture share it, so their per-second records agree by construction.
class PerSecondRxBuilder
{
public:
    // The record for `second`, from the totals now; the next call counts from here.
    PerSecondRx next(int second, const ArrivalStats &stats, const PlayoutModel &playout, int violationsTotal);
    void reset() { *this = PerSecondRxBuilder(); }

private:
    qint64 m_bytes = 0;
    int m_underruns = 0;
    int m_bursts = 0;
    int m_violations = 0;
    int m_marks = 0;
};

} // namespace pacelab
