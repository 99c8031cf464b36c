#pragma once

// From one EmulatedCall to the CallResult of the load contract: pure, so the figures a load run
// reports are tested on simulated time (tst_emulatedcall, tst_loademulator).

#include "check/CheckTypes.h"
#include "emulator/EmulatedCall.h"
#include "load/LoadTypes.h"

namespace pacelab {

// Barge-in probes of one call that found the bot talking, accumulated as each finishes.
struct ProbeTally
{
    int sent = 0;
    int cleared = 0;              // probes answered by a `clear`
    double clearLatencyMsMax = -1.0;
    void add(const BargeInResult &r);
};

// Fills the measured part of *r (frames .. clearLatencyMsMax, durationSec) from the call at
// nowUs; identity, connection and failure fields are the driver's. Per-second fps figures use
// the whole seconds between the first and the last media frame (the partial first and last
// seconds, and silence before the greeting, would read as a slow bot).
void fillCallMetrics(const EmulatedCall &call, const ProbeTally &probes, qint64 nowUs, CallResult *r);

// The load verdict's limits for a stream in `format`: fps target 1000 / frameMs (50 for 20 ms
// frames, 10 for Exotel's 100 ms chunks), the tolerance scaled alike (at least 1), the standard
// frame size; the rest as check::Thresholds.
check::Thresholds loadThresholdsFor(const MediaFormat &format, check::Thresholds base = check::Thresholds());

// Percentile p (0..100) of values by nearest rank; 0 when empty.
double percentileOf(QList<double> values, double p);

} // namespace pacelab
