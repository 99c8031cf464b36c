#include "LoadEmulator.h"

#include "LoadWorker.h"
#include "Shard.h"
#include "WorkerResults.h"
#include "ThreadPriority.h"

#include "audio/SignalGenerator.h"

#include <QDateTime>
#include <QHostInfo>
#include <QThread>
#include <QTimer>

namespace pacelab {

LoadEmulator::LoadEmulator(QObject *parent)
    : QObject(parent)
    , m_launcher(new QTimer(this))
    , m_second(new QTimer(this))
{
    qRegisterMetaType<pacelab::LoadStep>();
    m_launcher->setInterval(10);
    connect(m_launcher, &QTimer::timeout, this, &LoadEmulator::launchDue);
    m_second->setInterval(1000);
    connect(m_second, &QTimer::timeout, this, &LoadEmulator::onSecond);
}

LoadEmulator::~LoadEmulator()
{
    stopWorkers();
}

bool LoadEmulator::start(const LoadOptions &options, QString *error)
{
    if (m_running) {
        *error = QStringLiteral("a load run is already running");
        return false;
    }
    if (!options.validate(error))
        return false;
    m_opt = options;
    // Encode the caller's audio once; every call shares the one copy.
    QString why;
    if (!CallerAudio::encoded(options.caller, &m_opt.call.caller, &why, provider::profile(options.call.provider).inboundFormat())) {
        *error = QStringLiteral("--caller: %1").arg(why);
        return false;
    }
    LoadCallPlan plan;
    plan.botUrl = m_opt.botUrl;
    plan.call = m_opt.call;
    plan.call.maxRecordBytes = 0;     // nothing recorded: 1000 calls x 2 h would not fit
    plan.call.recordPath.clear();
    plan.connectTimeoutMs = m_opt.connectTimeoutMs;
    plan.bargeInEverySec = m_opt.bargeInEverySec;
    plan.bargeInSpeech.sampleRate = provider::profile(m_opt.call.provider).inboundFormat().sampleRate;
    plan.bargeInSpeech.samples = signal::sine(plan.bargeInSpeech.sampleRate, m_opt.bargeInSpeechMs / 1000.0, 440.0, -10.0);
    plan.bargeInTailMs = m_opt.bargeInTailMs;
    plan.dtmfAtSec = m_opt.dtmfAtSec;

    m_run = LoadRun();
    m_run.botUrl = m_opt.botUrl.toString();
    m_run.startedUtc = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    m_run.host = QHostInfo::localHostName();
    m_run.shard = m_opt.shard.label();
    m_run.provider = provider::name(m_opt.call.provider);

    for (int i = 0; i < m_opt.workerCount(); ++i) {
        auto *thread = new QThread(this);
        thread->setObjectName(QStringLiteral("load-worker-%1").arg(i));
        auto *worker = new LoadWorker(plan);
        worker->moveToThread(thread);
        thread->start();
        if (m_opt.realtimePriority > 0)
            askWorkerRealtime(worker, m_opt.realtimePriority, this, [this](const QString &why) { m_realtimeError = why; });
        m_threads.append(thread);
        m_workers.append(worker);
    }
    m_running = true;
    m_aborted = false;
    m_stepIndex = -1;
    QTimer::singleShot(0, this, &LoadEmulator::startStep);
    return true;
}

CallResult LoadEmulator::identity(int index) const
{
    CallResult r;
    r.index = index;
    r.callSid = callSidFor(m_opt.shard, m_stepTarget, index);
    r.streamSid = streamSidFor(m_opt.shard, m_stepTarget, index);
    r.shard = m_opt.shard.label();
    return r;
}

void LoadEmulator::startStep()
{
    const QList<int> steps = m_opt.effectiveSteps();
    if (!m_running || m_aborted || ++m_stepIndex >= steps.size()) {
        m_running = false;
        stopWorkers();
        Q_EMIT finished();
        return;
    }
    const int target = steps[m_stepIndex];
    m_stepTarget = target;
    m_stepCalls = target; // calls and steps are per shard (Shard.h)
    m_placed = 0;
    m_stepCpuAtStart = workersCpuSec();
    m_stepClock.start();
    Q_EMIT stepStarted(target);
    launchDue();
    if (m_placed < m_stepCalls)
        m_launcher->start();
    m_second->start();
}

void LoadEmulator::launchDue()
{
    const double elapsed = m_stepClock.nsecsElapsed() / 1e9;
    // Call k of the step (global index) is placed at k / ramp seconds.
    while (m_placed < m_stepCalls) {
        const int index = m_placed;
        if (m_opt.rampPerSec > 0 && index / m_opt.rampPerSec > elapsed)
            break;
        LoadWorker *w = m_workers[m_placed % m_workers.size()];
        const CallResult id = identity(index);
        QMetaObject::invokeMethod(w, [w, id] { w->placeCall(id); }, Qt::QueuedConnection);
        ++m_placed;
    }
    if (m_placed >= m_stepCalls)
        m_launcher->stop();
}

QList<CallResult> LoadEmulator::collect() const
{
    return collectWorkerResults(m_workers);
}

double LoadEmulator::workersCpuSec() const
{
    return sumWorkerCpuSec(m_workers);
}

LoadStep LoadEmulator::snapshot() const
{
    LoadStep s;
    s.targetCalls = m_stepTarget;
    s.durationSec = m_stepClock.isValid() ? m_stepClock.nsecsElapsed() / 1e9 : 0.0;
    s.calls = collect();
    for (const CallResult &c : s.calls) {
        if (c.connected && c.failReason.isEmpty())
            ++s.callsUp;
        else if (!c.failReason.isEmpty())
            ++s.callsFailed;
    }
    return s;
}

void LoadEmulator::onSecond()
{
    if (!m_running)
        return;
    const double elapsed = m_stepClock.nsecsElapsed() / 1e9;
    if (elapsed >= m_opt.stepSec(m_stepTarget)) {
        endStep();
        return;
    }
    Q_EMIT secondElapsed(snapshot());
}

void LoadEmulator::endStep()
{
    m_launcher->stop();
    m_second->stop();
    const double cpu = workersCpuSec() - m_stepCpuAtStart;
    for (LoadWorker *w : m_workers)
        QMetaObject::invokeMethod(w, [w] { w->endAll(); }, Qt::BlockingQueuedConnection);
    LoadStep step = snapshot();
    double callSeconds = 0.0;
    for (const CallResult &c : step.calls)
        callSeconds += c.durationSec;
    step.cpuPerCallPct = callSeconds > 0 ? cpu / callSeconds * 100.0 : -1.0;
    m_run.steps.append(step);
    Q_EMIT stepFinished(step);
    // Let the close frames go out before the sockets go, then the next step.
    QTimer::singleShot(300, this, [this] {
        for (LoadWorker *w : m_workers)
            QMetaObject::invokeMethod(w, [w] { w->clear(); }, Qt::BlockingQueuedConnection);
        startStep();
    });
}

void LoadEmulator::abort()
{
    if (!m_running)
        return;
    m_aborted = true; // no further step
    if (m_second->isActive() || m_launcher->isActive())
        endStep();
}

void LoadEmulator::stopWorkers()
{
    stopWorkerThreads(m_workers, m_threads);
}

} // namespace pacelab
