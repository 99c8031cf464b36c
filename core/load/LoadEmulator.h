#pragma once

#include "load/LoadOptions.h"
#include "load/LoadTypes.h"

#include <QElapsedTimer>
#include <QList>
#include <QObject>

class QThread;
class QTimer;

namespace pacelab {

class LoadWorker;

// `pacelab load`: places many concurrent Twilio calls against one bot and measures every one
// with the same analytics as a single emulated call (EmulatedCall per call). The calls are
// spread over a few LoadWorker threads (one per core), each an event loop with one 20 ms grid
// tick for all its calls — no thread and no timer per call. Runs the steps in order (each:
// place the calls at the ramp rate, hold, end them all, collect one LoadStep), emits a
// snapshot once a second for the live line, then finished(). Lives in the caller's thread.
class LoadEmulator final : public QObject
{
    Q_OBJECT
public:
    explicit LoadEmulator(QObject *parent = nullptr);
    ~LoadEmulator() override;

    // Validates, prepares (caller audio encoded once) and starts; false with *error when the
    // options are unusable. Results arrive through the signals and run().
    bool start(const LoadOptions &options, QString *error);
    // Ends the current step now (its results are kept) and skips the rest.
    void abort();
    bool isRunning() const { return m_running; }
    // Why the workers did not get real-time scheduling (empty when not asked or granted).
    QString realtimeError() const { return m_realtimeError; }

    const LoadRun &run() const { return m_run; }
    // The running step as of now (calls measured so far): what the live line shows.
    LoadStep snapshot() const;

Q_SIGNALS:
    void secondElapsed(const pacelab::LoadStep &snapshot);
    void stepStarted(int targetCalls);
    void stepFinished(const pacelab::LoadStep &step);
    void finished();

private:
    void startStep();
    void launchDue();
    void endStep();
    void onSecond();
    void stopWorkers();
    CallResult identity(int index) const;
    QList<CallResult> collect() const;
    double workersCpuSec() const;

    LoadOptions m_opt;
    LoadRun m_run;
    bool m_running = false;
    QList<QThread *> m_threads;
    QList<LoadWorker *> m_workers;
    QTimer *m_launcher = nullptr; // places the calls due by the ramp
    QTimer *m_second = nullptr;   // the live snapshot, and the end of a step

    int m_stepIndex = -1;
    int m_stepTarget = 0;         // calls of this step across all shards
    bool m_aborted = false;
    QString m_realtimeError;
    int m_stepCalls = 0;          // calls of this step (this shard's)
    int m_placed = 0;
    QElapsedTimer m_stepClock;
    double m_stepCpuAtStart = 0.0;
};

} // namespace pacelab

Q_DECLARE_METATYPE(pacelab::LoadStep)
