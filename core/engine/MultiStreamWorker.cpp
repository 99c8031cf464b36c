#include "engine/MultiStreamWorker.h"

#include "engine/MultiStreamSender.h"
#include "engine/PreciseWait.h"
#include "engine/RealtimeScheduling.h"

#include <QDateTime>
#include <QTimer>

#include <algorithm>
#include <ctime>

namespace pacelab {

namespace {

constexpr qint64 kWheelMaxSpinUs = 50;

qint64 threadCpuUs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

DeadlineWheel::Params wheelParams(const SenderConfig &cfg, int phases)
{
    DeadlineWheel::Params p;
    p.intervalNs = cfg.frameIntervalUs * 1000;
    p.phases = phases;
    p.maxLateFrames = cfg.maxLateFrames;
    p.wakeLeadNs = qint64(cfg.wakeLeadUs) * 1000;
    // A short spin: a tick's writes already spread over N/phases x ~15 us, so the tens of µs a
    // sleeper wakes late matter little, while every µs of spin is paid on each of up to
    // 1000 ticks a second — out of the thread's share of the CPU on a loaded machine.
    p.spinNs = std::min<qint64>(cfg.spinUs, kWheelMaxSpinUs) * 1000;
    return p;
}

} // namespace

MultiStreamWorker::MultiStreamWorker(SenderConfig cfg, int phases, MultiStreamSender *facade)
    : m_cfg(std::move(cfg)), m_facade(facade), m_wheel(wheelParams(m_cfg, phases))
{
}

MultiStreamWorker::~MultiStreamWorker() = default;

void MultiStreamWorker::ensureSetup()
{
    if (m_clockTimer)
        return;
    const ThreadSetupResult setup = setupPacingThread(m_cfg.realtimePriority);
    if (!setup.message.isEmpty())
        Q_EMIT m_facade->logMessage(-1, setup.warning ? QStringLiteral("warning") : QStringLiteral("info"),
                                    setup.message);
    // Real-time by default, as for the single-stream sender (SenderEngine): one thread carries
    // every stream's clock, so a CPU hog would otherwise delay all of them at once.
    RealtimeRequest rt;
    rt.enabled = m_cfg.realtime;
    if (m_cfg.realtimePriority > 0)
        rt.priority = m_cfg.realtimePriority;
    Q_EMIT m_facade->logMessage(-1, QStringLiteral("info"), applyRealtimeScheduling(rt).summary());
    for (const QString &w : m_cfg.warnings())
        Q_EMIT m_facade->logMessage(-1, QStringLiteral("warning"), w);
    m_clockTimer = new QTimer(this);
    m_clockTimer->setSingleShot(true);
    m_clockTimer->setTimerType(Qt::PreciseTimer);
    connect(m_clockTimer, &QTimer::timeout, this, &MultiStreamWorker::onClockTimer);
    m_telemetryTimer = new QTimer(this);
    m_telemetryTimer->setTimerType(Qt::PreciseTimer);
    m_telemetryTimer->setInterval(1000);
    connect(m_telemetryTimer, &QTimer::timeout, this, &MultiStreamWorker::onTelemetryTimer);
    m_telemetryTimer->start();
    m_all.startSession(0);
    const QString err = m_sinks.openJsonl(m_cfg.telemetryJsonlPath);
    if (!err.isEmpty())
        Q_EMIT m_facade->logMessage(-1, QStringLiteral("error"), err);
}

void MultiStreamWorker::addStream(std::shared_ptr<StreamShared> shared, const QUrl &url, const QString &streamSid)
{
    ensureSetup();
    const int id = shared->id;
    if (size_t(id) >= m_streams.size())
        m_streams.resize(size_t(id) + 1);
    StreamHost *host = this;
    m_streams[size_t(id)].reset(new StreamState(std::move(shared), m_cfg, host, this));
    m_streams[size_t(id)]->open(url, streamSid);
}

void MultiStreamWorker::handleClear(int stream)
{
    if (stream >= 0 && size_t(stream) < m_streams.size() && m_streams[size_t(stream)])
        m_streams[size_t(stream)]->handleClear();
}

void MultiStreamWorker::stop()
{
    ensureSetup();
    const bool drain = m_cfg.stopMode == SenderConfig::StopMode::Drain;
    const qint64 now = steadyNowNs();
    for (auto &s : m_streams)
        if (s)
            s->stop(drain, now);
    publish();
}

void MultiStreamWorker::shutdown()
{
    if (m_clockTimer) {
        m_clockTimer->stop();
        m_telemetryTimer->stop();
    }
    for (auto &s : m_streams)
        if (s)
            s->shutdown();
    m_sinks.closeJsonl();
    publish();
}

void MultiStreamWorker::resetTotals()
{
    m_all = TelemetryAccumulator();
    m_all.startSession(0);
    m_ticks = 0;
    m_cpuBaseUs = threadCpuUs();
    publish();
}

void MultiStreamWorker::streamLog(const StreamState &s, const QString &level, const QString &text)
{
    Q_EMIT m_facade->logMessage(s.id(), level, QStringLiteral("stream %1: %2").arg(s.id()).arg(text));
}

void MultiStreamWorker::streamStarted(StreamState &s)
{
    const qint64 now = steadyNowNs();
    if (!m_wheel.isStarted())
        m_wheel.start(now);
    m_wheel.add(s.id(), now);
    arm();
}

void MultiStreamWorker::streamEnded(StreamState &s)
{
    m_wheel.remove(s.id());
}

void MultiStreamWorker::streamMark(const StreamState &s, const QString &name, bool echoed)
{
    if (echoed)
        Q_EMIT m_facade->markEchoed(s.id(), name);
    else
        Q_EMIT m_facade->markSent(s.id(), name);
}

void MultiStreamWorker::arm()
{
    const int p = m_wheel.nextPhase();
    if (p < 0) {
        m_clockTimer->stop();
        return;
    }
    m_clockTimer->start(m_wheel.timerDelayMs(p, steadyNowNs()));
}

void MultiStreamWorker::onClockTimer()
{
    const int p = m_wheel.nextPhase();
    if (p < 0)
        return;
    if (m_wheel.wokeEarly(p, steadyNowNs())) {
        arm();
        return;
    }
    // A copy: a stream whose write fails leaves the wheel while the tick is served.
    const std::vector<int> ids = m_wheel.streamsOf(p);
    // Pop and encode every due stream's frame first, so the tick itself only costs the writes.
    bool work = false;
    for (int id : ids)
        work |= m_streams[size_t(id)]->prepare();
    const qint64 deadline = m_wheel.deadlineNs(p);
    // One precise wait for the whole tick (none for an idle one), never one per stream.
    if (work && steadyNowNs() < deadline)
        preciseWaitUntil(m_wheel.sleepUntilNs(p), deadline);
    for (int id : ids)
        if (m_wheel.phaseOf(id) == p)
            m_streams[size_t(id)]->serve(deadline);
    ++m_ticks;
    ++m_secTicks;
    if (m_wheel.advance(p, steadyNowNs()).reanchored) {
        m_all.lateReset();
        for (int id : m_wheel.streamsOf(p))
            m_streams[size_t(id)]->lateReset();
    }
    arm();
}

void MultiStreamWorker::onTelemetryTimer()
{
    const qint64 wall = QDateTime::currentMSecsSinceEpoch();
    MultiStreamSecond sec;
    sec.secondIndex = m_secondIndex++;
    sec.wallTimeMs = wall;
    int minFps = -1;
    for (auto &s : m_streams) {
        if (!s)
            continue;
        ++sec.streams;
        s->closeSecond(wall);
        const TelemetrySnapshot t = [&] {
            std::lock_guard lock(s->shared().mutex);
            return s->shared().lastTelemetry;
        }();
        sec.queueMax = std::max(sec.queueMax, t.queueMax);
        sec.drops += t.drops;
        sec.dropsTotal += t.dropsTotal;
        if (s->isStreaming()) {
            ++sec.streaming;
            minFps = minFps < 0 ? t.framesSent : std::min(minFps, t.framesSent);
        }
    }
    TelemetryAccumulator::SecondEnd end;
    end.wallTimeMs = wall;
    const TelemetrySnapshot all = m_all.closeSecond(end);
    sec.framesSent = all.framesSent;
    sec.fpsPerStream = sec.streaming > 0 ? double(all.framesSent) / sec.streaming : 0.0;
    sec.minFps = std::max(0, minFps);
    sec.lateResets = all.lateResets;
    sec.latenessP50Us = all.latenessP50Us;
    sec.latenessP99Us = all.latenessP99Us;
    sec.latenessMaxUs = all.latenessMaxUs;
    sec.stalledFrames = all.stalledFrames;
    sec.ticks = m_secTicks;
    m_secTicks = 0;
    {
        std::lock_guard lock(m_facade->m_mutex);
        m_facade->m_last = sec;
    }
    publish();
    m_sinks.publishJson(sec.toJson(), sec.toLine());
    Q_EMIT m_facade->second(sec);
}

void MultiStreamWorker::publish()
{
    MultiStreamTotals t;
    const SenderTotals all = m_all.totals(0);
    t.framesSent = all.framesSent;
    t.marksSent = all.marksSent;
    t.clearsSent = all.clearsSent;
    t.lateResets = all.lateResets;
    t.stalledFrames = all.stalledFrames;
    t.latenessP50Us = all.latenessP50Us;
    t.latenessP99Us = all.latenessP99Us;
    t.latenessMaxUs = all.latenessMaxUs;
    t.ticks = m_ticks;
    t.threadCpuUs = threadCpuUs() - m_cpuBaseUs;
    for (auto &s : m_streams) {
        if (!s)
            continue;
        s->publishStats();
        ++t.streams;
        t.streaming += s->isStreaming() ? 1 : 0;
        t.failed += s->shared().state.load() == int(EngineState::Error) ? 1 : 0;
        t.drops += s->shared().queue.totalDrops();
    }
    std::lock_guard lock(m_facade->m_mutex);
    m_facade->m_totals = t;
}

} // namespace pacelab
