#pragma once

// Judging and reporting a load run. Pure functions over LoadTypes: no sockets, no clocks, so
// every verdict, percentile and knee is tested on synthesized results.

#include "check/CheckTypes.h"
#include "load/LoadTypes.h"

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace pacelab {

using check::Thresholds;

// Distribution of one metric across calls. Percentiles are nearest-rank and taken in the worse
// direction: p95 is the value 95 % of calls are at least as good as (for fps and MOS, where
// lower is worse, that is the 5th percentile from the bottom); worst is the max (or min).
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
    // Calls failing each check ("buffered", "fps", "connect", ...; see failureKeyOf), most first.
    QList<QPair<QString, int>> failureCounts;
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
// The reason lists every limit the call broke, the worst (furthest past its limit) first,
// separated by "; ". Each item starts with its check's key word (see failureKeyOf).
void judgeCall(CallResult &call, const Thresholds &limits);
void judgeRun(LoadRun &run, const Thresholds &limits);

// The check a verdict item is about: "connect", "dropped", "audio", "fps", "drift", "buffered",
// "underruns", "violations", "frames", "clear"; empty for text that is not one.
QString failureKeyOf(const QString &reasonItem);

// A call's estimated listening quality from what it measured: delay = most audio buffered at
// the peer (stale audio is what a caller waits through), jitter = RFC 3550 jitter, loss =
// underruns / (frames + underruns) (each underrun at least one missing 20 ms frame). Sets
// call.rFactor and call.mos; a call that never connected gets 0 for both.
void estimateMos(CallResult &call);

// ITU-T G.107 E-model, simplified the way Twilio's voice SDK does (mos.ts): effective latency
// from delay and jitter, loss from underruns and drops. An estimate, labelled as such.
// rttMs and jitterMs in ms, lossPercent 0..100; negative or non-finite input gives 0.
double estimateRFactor(double rttMs, double jitterMs, double lossPercent);
double mosFromRFactor(double r);

// Nearest-rank percentile (p in 0..100) of values, 0 when empty: the smallest value with at
// least p % of the values at or below it.
double percentileNearestRank(QList<double> values, double p);

// Worst calls first: failed before passed, never connected, dropped, more broken limits, lower
// MOS, then by index. Used by the text and HTML reports.
bool callWorseThan(const CallResult &a, const CallResult &b);

// Needs judged calls (judgeCall / judgeRun first).
StepSummary summarizeStep(const LoadStep &step);
// Steps in any order. holdsAt = the largest step below the first that broke (ascending).
KneeResult findKnee(const QList<StepSummary> &steps, const Thresholds &limits);

// ---- the knee of a ramp (LoadReportRamp.cpp) ----
// Without --steps, a ramp still shows where quality broke: the calls up in the first second in
// which a call broke a limit while calls were being added. Per second, from two consecutive live
// snapshots of the step (calls matched by index), a call breaks when, in that second, it failed
// to connect or dropped, its underruns or protocol violations grew, its buffered audio first
// passed the limit, or it received faster than fpsTarget + botFpsTolerance. Slow seconds are
// not judged alone: a bot between turns is silent, and a bot too slow to keep up shows as
// underruns. A call's first second (partial) is not judged for fps.
RampSecond rampSecondOf(const LoadStep &before, const LoadStep &after, const Thresholds &limits);

// Feeds rampSecondOf from the live snapshots of one step (LoadEmulator::secondElapsed, then the
// finished step); take() returns the seconds and starts over.
class RampRecorder
{
public:
    explicit RampRecorder(const Thresholds &limits = Thresholds()) : m_limits(limits) {}
    void add(const LoadStep &snapshot);
    QList<RampSecond> take();

private:
    Thresholds m_limits;
    LoadStep m_last;
    bool m_haveLast = false;
    QList<RampSecond> m_seconds;
};

// The knee from step.ramp: found when some calls held while calls were being added and then a
// call broke; the sentence says plainly why there is none otherwise (all calls placed at once,
// no per-second data, nothing broke, or it broke only after the ramp, at full count).
KneeResult findRampKnee(const LoadStep &step, const Thresholds &limits);

// The words the knee uses for calls failing a check ("have underruns", "have > 0.5 s buffered").
QString kneeFailurePhrase(const QString &key, const Thresholds &limits);

// "[LOAD] calls=200/200 fps p1=48.9 p50=50.0 jit99 p50=0.4ms worst=3.1ms buffered max=0.3s underruns=3 violations=0"
// calls=UP/TARGET (", failed=N" after it when N > 0); fps p1 = the 1st percentile across calls
// of each call's fps p1, p50 = the median of each call's fps p50; jit99 = a call's inter-arrival
// p99 minus the 20 ms frame interval (p50 across calls and the worst); buffered max = the most
// audio buffered for any call; underruns and violations = sums over calls. Calls without audio
// yet are left out of the fps and jit99 figures ("-" when none has audio).
QString liveLine(const LoadStep &snapshot);

// Reports (written atomically; false + *error on failure).
bool writeLoadJson(const LoadRun &run, const QString &path, QString *error);
bool writeLoadJUnit(const LoadRun &run, const QString &path, QString *error);
bool writeLoadHtml(const LoadRun &run, const QString &path, QString *error);
QString loadTextReport(const LoadRun &run);

// The same documents in memory (tests parse them back).
QByteArray loadJUnitXml(const LoadRun &run);
QByteArray loadHtml(const LoadRun &run);

// Reads a file written by writeLoadJson: false + *error "'<path>': <problem>" when it cannot be
// read, is not JSON, or is not a load report (the bad field named).
bool readLoadRunFile(const QString &path, LoadRun *run, QString *error);

// `pacelab report merge a.json b.json ...`: steps with the same targetCalls are joined
// (calls concatenated, SIDs must stay distinct); error names the file and the problem.
// Refused: no runs, different bot URLs, different step lists, shards of different counts, and
// a SID seen twice (naming both sources). A merged step's targetCalls is the sum of its parts
// (the calls ran at once against one bot); `sources` names the runs in errors (file names).
bool mergeLoadRuns(const QList<LoadRun> &runs, LoadRun *merged, QString *error);
bool mergeLoadRuns(const QList<LoadRun> &runs, const QStringList &sources, LoadRun *merged, QString *error);

} // namespace pacelab
