#pragma once

// Judging and reporting a load run. Pure functions over LoadTypes: no sockets, no clocks, so
// every verdict, percentile and knee is tested on synthesized results.

#include "check/CheckTypes.h"
#include "load/LoadTypes.h"

#include <QString>

namespace pacelab {

// Distribution of one metric across calls.
struct MetricSpread
{
    QString name;      // "fps p1", "jitter", "buffered max", ...
    QString unit;      // "fps", "ms", "s", "ppm", ""
    int calls = 0;     // calls that contributed a value
    double p50 = 0.0, p95 = 0.0, p99 = 0.0, worst = 0.0;
    bool higherIsWorse = true;
};

struct StepSummary
{
    int targetCalls = 0;
    int callsUp = 0;
    int callsFailed = 0;
    int callsPassed = 0;
    QList<MetricSpread> metrics;
    QStringList topReasons;   // most common failure reasons with counts, worst first
    bool holds = false;       // every call connected and met the limits
};

struct KneeResult
{
    bool found = false;       // at least one step held
    int holdsAt = 0;          // largest step at which every call met the limits
    int breaksAt = 0;         // the next step, 0 when none broke
    QString sentence;         // "this bot holds 120 concurrent calls; at 150, 31 % of calls have > 0.5 s buffered"
};

// Per call: pass and verdictReason from the checklist's limits (bot set: fps, drift,
// buffered, underruns, violations, frame size, clear latency), mos/rFactor estimated.
void judgeCall(CallResult &call, const Thresholds &limits);
void judgeRun(LoadRun &run, const Thresholds &limits);

// ITU-T G.107 E-model, simplified the way Twilio's voice SDK does (mos.ts): effective latency
// from delay and jitter, loss from underruns and drops. An estimate, labelled as such.
double estimateRFactor(double rttMs, double jitterMs, double lossPercent);
double mosFromRFactor(double r);

StepSummary summarizeStep(const LoadStep &step);
KneeResult findKnee(const QList<StepSummary> &steps, const Thresholds &limits);

// "[LOAD] calls=200/200 fps p1=48.9 p50=50.0 jit99 p50=0.4ms worst=3.1ms buffered max=0.3s underruns=3 violations=0"
QString liveLine(const LoadStep &snapshot);

// Reports (written atomically; false + *error on failure).
bool writeLoadJson(const LoadRun &run, const QString &path, QString *error);
bool writeLoadJUnit(const LoadRun &run, const QString &path, QString *error);
bool writeLoadHtml(const LoadRun &run, const QString &path, QString *error);
QString loadTextReport(const LoadRun &run);

// `pacelab report merge a.json b.json ...`: steps with the same targetCalls are joined
// (calls concatenated, SIDs must stay distinct); error names the file and the problem.
bool mergeLoadRuns(const QList<LoadRun> &runs, LoadRun *merged, QString *error);

} // namespace pacelab
