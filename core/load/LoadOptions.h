#pragma once

// What `pacelab load` is asked to do, checked in one place (validate) so the command line, the
// GUI and the bench refuse the same values with the same words.

#include "emulator/EmulatorOptions.h"
#include "load/Shard.h"

#include <QList>
#include <QString>
#include <QUrl>

namespace pacelab {

struct LoadOptions
{
    QUrl botUrl;
    int calls = 0;               // a plain run: this many calls at once
    QList<int> steps;            // or ascending call counts, one LoadStep each (e.g. 10,50,100,200)
    double rampPerSec = 20.0;    // calls placed per second; 0 = all at once
    double holdSec = 10.0;       // each step holds its full count this long after the ramp ...
    double durationSec = 0.0;    // ... unless a step's length is given (from its first call); 0 = ramp + hold
    CallerAudio caller;          // inbound audio of every call (silence by default)
    double bargeInEverySec = 0.0; // a barge-in probe per call every S seconds; 0 = none
    int bargeInSpeechMs = 1000;  // the probe's caller speech (a tone) ...
    int bargeInTailMs = 2000;    // ... then watch this long for clear and silence
    double dtmfAtSec = 2.0;      // one `dtmf` per call this long into it; < 0 = none
    int connectTimeoutMs = 10000;
    ShardSpec shard;             // --shard i/n: this host's part (calls and steps are per shard)
    int workers = 0;             // worker threads; 0 = one per core (at least 2)
    int realtimePriority = 0;    // > 0: SCHED_FIFO at this priority for the workers (when allowed)
    EmulatorOptions call;        // per-call emulator settings (analytics, playout, checks)

    QList<int> effectiveSteps() const { return steps.isEmpty() ? QList<int>{calls} : steps; }
    int maxCalls() const;        // the largest step
    double rampSec(int stepCalls) const; // time to place a step's calls
    double stepSec(int stepCalls) const; // a step's length from its first call
    int workerCount() const;

    // One message per bad value ("--calls must be 1..100000, got 0"); true when runnable.
    bool validate(QString *error) const;
};

// "10,50,100": ascending positive counts.
bool parseSteps(const QString &text, QList<int> *steps, QString *error);

} // namespace pacelab
