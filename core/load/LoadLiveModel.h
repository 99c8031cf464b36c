#pragma once

// What a live view of a load run shows, computed from the emulator's snapshots: the calls judged
// and sorted worst first, per-call values for histograms, each call's figures over time, and the
// finished steps' summaries and knee. Pure (no clocks, no sockets, no widgets): the GUI's Load
// page renders it and tst_loadlivemodel tests it on synthesized snapshots.

#include "check/CheckTypes.h"
#include "load/LoadReport.h"
#include "load/LoadTypes.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <QVector>

namespace pacelab {

// One call at one snapshot: what its chart shows.
struct CallSample
{
    float tSec = 0;        // seconds into the step (the snapshot's durationSec)
    float fps = 0;         // frames received since the previous snapshot, per second
    float jitterMs = 0;    // RFC 3550 jitter as of this snapshot
    float bufferedMaxSec = 0;
};

class LoadLiveModel
{
public:
    explicit LoadLiveModel(const check::Thresholds &limits = check::Thresholds()) : m_limits(limits) {}

    // A new run: forget everything.
    void reset();
    // A step begins: its calls and their history start empty.
    void beginStep(int targetCalls);
    // A snapshot of the running step (LoadEmulator::secondElapsed) or its final state
    // (stepFinished, with final = true: the step joins the summaries and the knee).
    void addSnapshot(const LoadStep &snapshot, bool final = false);

    int targetCalls() const { return m_current.targetCalls; }
    const LoadStep &current() const { return m_current; }
    // The current step's calls, judged (judgeCall), worst first (callWorseThan); calls still
    // being measured come after the judged ones, by call number.
    const QList<CallResult> &callsWorstFirst() const { return m_sorted; }
    // A call of a live snapshot that has not had a second to be judged on: connected and up,
    // with audio but no whole second of it yet (its fps figures are still 0), or without audio
    // for less than a second, and failing (if at all) only on fps, audio or drift. Its verdict
    // would read "fps p1 0 < 48" or "no audio" for a call that is fine; an underrun or too much
    // buffered audio fails it at once; the final snapshot of a step judges every call. Needs a
    // judged call (judgeCall).
    static bool isMeasuring(const CallResult &c);
    bool isMeasuring(int index) const { return m_measuring.contains(index); }

    // Per call of the current step, the values the histograms count (the same calls the
    // reports count: fps and jitter need audio, buffered needs a connection; in a live snapshot
    // fps also needs a whole second of audio, its 0 before that is no measurement).
    QList<double> fpsP1Values() const;
    QList<double> jitterValues() const;
    QList<double> bufferedValues() const;

    // The figures of call `index` (CallResult::index) at each snapshot, oldest first; at most
    // kMaxSamples are kept per call (the oldest go).
    static constexpr int kMaxSamples = 600;
    QVector<CallSample> history(int index) const { return m_history.value(index); }

    // Finished steps, ascending targetCalls as run.
    const QList<LoadStep> &finishedSteps() const { return m_steps; }
    QList<StepSummary> summaries() const { return m_summaries; }
    // Percentage of a finished step's calls that failed (did not pass, or never reached the results).
    static double failingPercent(const StepSummary &s);
    KneeResult knee() const { return findKnee(m_summaries, m_limits); }
    const check::Thresholds &limits() const { return m_limits; }

private:
    check::Thresholds m_limits;
    LoadStep m_current;
    QList<CallResult> m_sorted;
    QSet<int> m_measuring;
    bool m_currentFinal = false;
    QHash<int, QVector<CallSample>> m_history;
    QHash<int, QPair<double, qint64>> m_lastFrames; // index -> (tSec, frames) at the previous snapshot
    QList<LoadStep> m_steps;
    QList<StepSummary> m_summaries;
};

} // namespace pacelab
