#pragma once

#include "LogDoctor.h"

// Every sentence the doctor says about a finding, in one table (Wording.cpp): the detectors
// only measure and pick a row; the figures go into Diagnosis::detail.
namespace pacelab::doctor {

enum class Say {
    Healthy, NoPattern, Idle, TooLittle,
    Stalled,
    CatchUp,
    DriftSlow, DriftFast, Jitter,
    BacklogProblem, BacklogWarning,
    FramesBig, FramesSmall, TwoSenders, Unpaced,
    Starved,
    RateOffLow, RateOffHigh,
    DropsRuns, DropsIsolated,
    Interleaved,
};

// Causes a diagnosis can rank (the differential).
enum class Cause {
    BlockedLoop, SlowPeer,
    NoReanchor,
    FixedSleep, IntervalTooLong, IntervalTooShort, LateWakeups,
    ProducerFast, BackPressureHeld,
    Frames40ms, Timer40ms, Frames10ms, TwoLoops, NoClock,
    ProducerSlow,
    Unknown,
};

struct Words
{
    Say say;
    Kind kind;
    const char *title;
    const char *cause;
    const char *fix;
    const char *tellApart; // "" = nothing more to ask
};

const Words &words(Say say);
QString causeText(Cause c);

// Fills title, cause, fix and tellApart of d from the table.
void applyWords(Diagnosis &d, Say say);
// Appends a ranked candidate.
void addCandidate(Diagnosis &d, Cause c, const QString &why);

} // namespace pacelab::doctor
