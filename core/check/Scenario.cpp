#include "Scenario.h"

#include "audio/G711.h"

#include <QDateTime>
#include <QJsonArray>
#include <QTimer>

#include <algorithm>

namespace pacelab::check {

Scenario::Scenario(ScenarioInfo info, RunContext ctx, QObject *parent)
    : QObject(parent), m_info(std::move(info)), m_ctx(std::move(ctx))
{
    m_result.id = m_info.id;
    m_result.title = m_info.title;
    m_judgement.figure(QStringLiteral("whatItChecks"), m_info.whatItChecks);
}

Scenario::~Scenario()
{
    // The runner deletes scenarios only after finished(); a scenario destroyed early (the
    // application quitting) still stops its threads in the right order. Idempotent.
    m_done = true;
    teardown();
}

qint64 Scenario::wallMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

void Scenario::start()
{
    m_clock.start();
    if (cfg().provider != provider::Id::Twilio)
        detail(QStringLiteral("provider: %1; fps and frame-size limits follow its frame (docs/checklist.md)")
                   .arg(describeProvider(cfg().provider)));
    if (cfg().broken.cpuLoad) {
        m_load = std::make_unique<CpuLoad>();
        // Two spinning threads on a 2-core machine: the pacer has to compete for a core.
        m_load->start(2);
        detail(QStringLiteral("broken twin: 2 CPU-burning threads run during this scenario"));
    }
    begin();
}

void Scenario::cancel()
{
    if (!m_done)
        finishError(QStringLiteral("cancelled after %1 s").arg(elapsedSec(), 0, 'f', 1));
}

double Scenario::elapsedSec() const
{
    return m_clock.isValid() ? m_clock.nsecsElapsed() / 1e9 : 0.0;
}

QByteArray Scenario::tagged(quint32 number) const
{
    return taggedFrame(number, producerFrameBytes(), format());
}

// ---- result building ------------------------------------------------------------------------

void Scenario::check(const QString &name, bool pass, const QString &measured, const QString &limit)
{
    m_judgement.check(name, pass, measured, limit);
}

void Scenario::note(const QString &name, const QString &measured)
{
    m_judgement.note(name, measured);
}

void Scenario::detail(const QString &line)
{
    m_judgement.detail(line);
}

void Scenario::figure(const QString &key, const QJsonValue &value)
{
    m_judgement.figure(key, value);
}

void Scenario::setLimit(const QString &key, double value)
{
    m_judgement.setLimit(key, value);
}

void Scenario::log(const QString &text, const QString &level)
{
    Q_EMIT logMessage(level, QStringLiteral("%1: %2").arg(m_info.id, text));
}

void Scenario::finish(const QString &passSummary)
{
    if (m_done)
        return;
    m_result.verdict = m_judgement.verdict(&m_result.reason, passSummary);
    emitResult();
}

void Scenario::finishError(const QString &why)
{
    if (m_done)
        return;
    m_result.verdict = Verdict::Error;
    m_result.reason = why;
    emitResult();
}

void Scenario::finishSkipped(const QString &why)
{
    if (m_done)
        return;
    m_result.verdict = Verdict::Skipped;
    m_result.reason = why;
    emitResult();
}

void Scenario::emitResult()
{
    m_done = true;
    m_result.durationSec = elapsedSec();
    m_result.tx = m_tx;
    m_result.rx = m_rx;
    if (!m_warnings.isEmpty()) {
        detail(QStringLiteral("engine warnings (%1):").arg(m_warnings.size()));
        for (int i = 0; i < m_warnings.size() && i < 20; ++i)
            detail(QStringLiteral("  %1").arg(m_warnings[i]));
    }
    m_result.criteria = m_judgement.criteria;
    m_result.details = m_judgement.details;
    m_result.figures = m_judgement.figures;
    m_result.limits = m_judgement.limits;
    // Tear down on a fresh event-loop turn: finish*() may run inside an engine or emulator
    // signal, and those objects must not be destroyed under their own feet.
    QTimer::singleShot(0, this, [this] {
        teardown();
        Q_EMIT finished(m_result);
    });
}

void Scenario::runProducer(std::function<void(const std::atomic<bool> &stop)> fn)
{
    m_producers.emplace_back([this, fn = std::move(fn)] { fn(m_stopProducers); });
}

void Scenario::post(std::function<void()> fn)
{
    QMetaObject::invokeMethod(this, [this, fn = std::move(fn)] {
        if (!m_done)
            fn();
    }, Qt::QueuedConnection);
}

void Scenario::teardown()
{
    m_stopProducers = true;
    if (m_eng)
        m_eng->queue()->close(); // producers blocked in pushBlocking() return now
    for (std::thread &t : m_producers)
        t.join();
    m_producers.clear();
    stopProducers();
    m_eng = nullptr;
    m_live.reset(); // the engine first, then the emulator (disconnected, stopped, joined)
    if (m_load)
        m_load->stop();
}

// ---- timers ---------------------------------------------------------------------------------

void Scenario::after(double sec, std::function<void()> fn)
{
    QTimer::singleShot(int(sec * 1000), this, [this, fn = std::move(fn)] {
        if (!m_done)
            fn();
    });
}

void Scenario::pollUntil(int ms, double timeoutSec, std::function<bool()> fn, std::function<void()> onTimeout)
{
    auto *t = new QTimer(this);
    t->setInterval(ms);
    QElapsedTimer since;
    since.start();
    connect(t, &QTimer::timeout, this, [this, t, since, timeoutSec, fn = std::move(fn), onTimeout = std::move(onTimeout)] {
        if (m_done) {
            t->deleteLater();
            return;
        }
        if (fn()) {
            t->stop();
            t->deleteLater();
            return;
        }
        if (since.nsecsElapsed() / 1e9 > timeoutSec) {
            t->stop();
            t->deleteLater();
            if (onTimeout)
                onTimeout();
        }
    });
    t->start();
}

// ---- sender harness -------------------------------------------------------------------------

SenderConfig Scenario::senderConfig() const
{
    SenderConfig sc;
    const BrokenTwins &b = cfg().broken;
    if (b.fixedSleepPacer)
        sc.pacing = SenderConfig::Pacing::FixedSleep;
    if (b.unboundedQueue) {
        sc.queueCapacity = 0;
        sc.highWater = 0;
    }
    if (b.pingsOff)
        sc.pingIntervalMs = 0;
    sc.caFile = cfg().caFile;
    return sc;
}

SenderConfig Scenario::botSenderConfig() const
{
    SessionConfig sc;
    sc.sender = senderConfig();
    sc.setProvider(cfg().provider);
    return sc.sender;
}

void Scenario::attachEngine(SenderEngine *eng, std::function<void()> onStreaming)
{
    m_eng = eng;
    connect(eng, &SenderEngine::telemetry, this, [this](const TelemetrySnapshot &s) {
        TxSecond t;
        t.second = int(s.secondIndex);
        t.wallTimeMs = s.wallTimeMs;
        t.fps = s.framesSent;
        t.queueDepth = s.queueDepth;
        t.queueMax = s.queueMax;
        t.drops = s.drops;
        t.dropsTotal = s.dropsTotal;
        t.lateResets = s.lateResets;
        t.latenessP50Ms = s.latenessP50Us / 1000.0;
        t.latenessP99Ms = s.latenessP99Us / 1000.0;
        t.latenessMaxMs = s.latenessMaxUs / 1000.0;
        t.pingRttMs = s.pingRttMs;
        t.idle = s.idle;
        m_tx.append(t);
    });
    connect(eng, &SenderEngine::logMessage, this, [this](const QString &level, const QString &text) {
        if (level == QLatin1String("warning")) {
            m_warnings.append(text);
            m_warningTimesMs.append(qint64(elapsedSec() * 1000));
        }
        Q_EMIT logMessage(level, QStringLiteral("%1 sender: %2").arg(m_info.id, text));
    });
    connect(eng, &SenderEngine::errorOccurred, this, [this](const QString &text) {
        m_engineErrors.append(text);
        if (!m_streaming)
            finishError(QStringLiteral("sender: %1").arg(text));
    });
    connect(eng, &SenderEngine::stateChanged, this,
            [this, onStreaming = std::move(onStreaming)](SenderEngine::State st, const QString &msg) {
                m_lastState = QStringLiteral("%1 (%2)").arg(SenderEngine::stateName(st), msg);
                if (st == SenderEngine::Connected && !m_streaming && !m_done) {
                    m_streaming = true;
                    log(QStringLiteral("streaming, streamSid %1").arg(m_eng->streamSid()));
                    if (onStreaming)
                        onStreaming();
                } else if (st == SenderEngine::Error && !m_streaming) {
                    finishError(QStringLiteral("sender could not start: %1").arg(msg));
                }
            });
}

TwilioEmulator *Scenario::createEmulator(const EmulatorOptions &emuOptions)
{
    if (!m_live) {
        SessionConfig sc;
        sc.sender = senderConfig();
        sc.emulator = emuOptions;
        sc.setProvider(cfg().provider); // the emulator speaks the checklist's provider
        QString problem;
        m_live = Session::create(sc, &problem);
        if (!m_live) {
            finishError(QStringLiteral("invalid session configuration: %1").arg(problem));
            return nullptr;
        }
    }
    TwilioEmulator *emu = m_live->createEmulator();
    connect(emu, &TwilioEmulator::secondTick, this, [this](const PerSecondRx &r) {
        RxSecond s;
        s.second = r.second;
        s.fps = r.fps;
        s.bufferedSec = r.bufferedSec;
        s.jitterMs = r.jitterMs;
        s.underruns = r.underrunsInSecond;
        s.bursts = r.burstsInSecond;
        s.violations = r.violationsInSecond;
        m_rx.append(s);
    });
    connect(emu, &TwilioEmulator::clientConnected, this, [this] {
        if (++m_peerConnections == 1)
            m_sessionStartWallMs = wallMs();
    });
    connect(emu, &TwilioEmulator::sessionStarted, this, [this] {
        if (m_sessionStartWallMs == 0)
            m_sessionStartWallMs = wallMs();
    });
    connect(emu, &TwilioEmulator::logMessage, this, [this](const QString &level, const QString &text) {
        Q_EMIT logMessage(level, QStringLiteral("%1 emulator: %2").arg(m_info.id, text));
    });
    return emu;
}

QUrl Scenario::listenEmulator(const EmulatorOptions &emuOptions)
{
    if (!createEmulator(emuOptions))
        return {};
    QString error;
    if (!m_live->listenEmulator(&error)) {
        finishError(error);
        return {};
    }
    return m_live->emulatorUrl();
}

PeerObservation Scenario::peerObservation()
{
    return onEmulator([](TwilioEmulator &e) { return PeerObservation::fromEmulator(e); }).value_or(PeerObservation());
}

void Scenario::openSender(const SenderConfig &sc, std::function<void()> onStreaming,
                          const EmulatorOptions &emuOptions,
                          std::function<quint16(quint16)> upstreamOverride)
{
    SessionConfig config;
    config.sender = sc;
    config.emulator = emuOptions;
    // Engine and emulator speak the checklist's provider; the sender paces its frame duration.
    config.setProvider(cfg().provider);
    QString invalid;
    m_live = Session::create(config, &invalid);
    if (!m_live)
        return finishError(QStringLiteral("invalid sender configuration: %1").arg(invalid));

    SenderEngine *eng = m_live->engine();
    attachEngine(eng, std::move(onStreaming));

    double timeout = dur().connectTimeoutSec;
    switch (cfg().mode) {
    case TargetMode::Embedded:
    case TargetMode::Bot: {
        QUrl url = listenEmulator(emuOptions);
        if (url.isEmpty())
            return;
        if (upstreamOverride) {
            const quint16 p = upstreamOverride(quint16(url.port()));
            if (m_done)
                return;
            url.setPort(p);
        }
        eng->connectTo(url);
        break;
    }
    case TargetMode::Target:
        eng->connectTo(cfg().targetUrl);
        break;
    case TargetMode::Listen:
        timeout = dur().listenTimeoutSec;
        log(QStringLiteral("waiting up to %1 s for a peer on ws://%2:%3/")
                .arg(timeout)
                .arg(cfg().listenAddress.toString())
                .arg(cfg().listenPort));
        eng->listen(cfg().listenAddress, cfg().listenPort);
        break;
    }
    after(timeout, [this, timeout] {
        if (!m_streaming)
            finishError(QStringLiteral("no stream within %1 s (sender state: %2)")
                            .arg(timeout)
                            .arg(m_lastState.isEmpty() ? QStringLiteral("no state change") : m_lastState));
    });
}

void Scenario::waitDrained(double timeoutSec, std::function<void()> then, bool judgeAnyway)
{
    auto drainedAt = std::make_shared<qint64>(-1);
    auto txAtDrain = std::make_shared<qsizetype>(0);
    pollUntil(
        25, timeoutSec,
        [this, drainedAt, txAtDrain, then] {
            if (!m_eng)
                return true;
            const bool empty = m_eng->queue()->size() == 0 && m_eng->lastTelemetry().sendQueueDepth == 0;
            const qint64 now = qint64(elapsedSec() * 1000);
            if (!empty) {
                *drainedAt = -1;
                return false;
            }
            if (*drainedAt < 0) {
                *drainedAt = now;
                *txAtDrain = m_tx.size();
                markAudioEnd();
            }
            // The last bytes reach the peer within a few ms on loopback. The engine publishes
            // its totals with each telemetry second: wait for one reported after the drain so
            // the totals include the last frame (at most ~1 s).
            if (now - *drainedAt < 300 || (m_tx.size() <= *txAtDrain && now - *drainedAt < 1300))
                return false;
            // The emulator runs on its own thread: on a starved machine it may still be reading
            // what the sender wrote. Wait (up to 3 s more) until it has counted every frame sent.
            if (hasEmulator() && now - *drainedAt < 4300) {
                const qint64 got = onEmulator([](TwilioEmulator &e) { return e.stats().frames; }).value_or(-1);
                if (got >= 0 && got < qint64(m_eng->totals().framesSent))
                    return false;
            }
            // Posted, so the signals the emulator queued for us before (media, seconds) are
            // delivered first.
            post(then);
            return true;
        },
        [this, timeoutSec, then, judgeAnyway] {
            const QString why = QStringLiteral("the sender did not drain its queues within %1 s (tx queue %2, state %3)")
                                    .arg(timeoutSec)
                                    .arg(m_eng ? m_eng->queue()->size() : -1)
                                    .arg(m_lastState);
            if (!judgeAnyway)
                return finishError(why);
            markAudioEnd();
            detail(why);
            then();
        });
}

void Scenario::markAudioStart()
{
    if (m_spans.isEmpty() || m_spans.last().second != 0)
        m_spans.append({wallMs(), 0});
}

void Scenario::markAudioEnd()
{
    if (!m_spans.isEmpty() && m_spans.last().second == 0)
        m_spans.last().second = wallMs();
}

void Scenario::addAudioSpan(qint64 startWallMs, qint64 endWallMs)
{
    m_spans.append({startWallMs, endWallMs});
}

// A whole second [startMs, startMs + 1000) counts when it lies inside a span, with 30 ms of
// slack: the markers are taken on this thread, the telemetry on the sender's.
static bool insideSpans(const QList<QPair<qint64, qint64>> &spans, qint64 startMs)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const auto &sp : spans) {
        const qint64 end = sp.second > 0 ? sp.second : now;
        if (startMs >= sp.first + 30 && startMs + 1000 <= end - 30)
            return true;
    }
    return false;
}

QList<int> Scenario::activeTxFps() const
{
    QList<int> out;
    for (const TxSecond &s : m_tx)
        if (insideSpans(m_spans, s.wallTimeMs - 1000))
            out.append(s.fps);
    return out;
}

QList<int> Scenario::activeRxFps() const
{
    QList<int> out;
    if (m_sessionStartWallMs <= 0)
        return out;
    for (const RxSecond &s : m_rx)
        if (insideSpans(m_spans, m_sessionStartWallMs + qint64(s.second) * 1000))
            out.append(s.fps);
    return out;
}

void Scenario::addStandardFigures()
{
    if (m_eng) {
        const SenderTotals t = m_eng->totals();
        figure(QStringLiteral("sender"),
               QJsonObject{
                   {QStringLiteral("framesSent"), double(t.framesSent)},
                   {QStringLiteral("marksSent"), double(t.marksSent)},
                   {QStringLiteral("clearsSent"), double(t.clearsSent)},
                   {QStringLiteral("lateResets"), double(t.lateResets)},
                   {QStringLiteral("stalledFrames"), double(t.stalledFrames)},
                   {QStringLiteral("offThreadWrites"), double(t.offThreadWrites)},
                   {QStringLiteral("bytesSent"), double(t.bytesSent)},
                   {QStringLiteral("latenessP50Us"), double(t.latenessP50Us)},
                   {QStringLiteral("latenessP99Us"), double(t.latenessP99Us)},
                   {QStringLiteral("latenessMaxUs"), double(t.latenessMaxUs)},
                   {QStringLiteral("finalDriftUs"), double(t.finalDriftUs)},
                   {QStringLiteral("maxSendQueue"), t.maxSendQueue},
                   {QStringLiteral("dropsTotal"), double(m_eng->queue()->totalDrops())},
                   {QStringLiteral("pushedTotal"), double(m_eng->queue()->totalPushed())},
                   {QStringLiteral("queueCapacity"), m_eng->config().queueCapacity},
                   {QStringLiteral("highWater"), m_eng->config().highWater},
                   {QStringLiteral("sendQueueCapacity"), m_eng->config().sendQueueCapacity},
                   {QStringLiteral("pacing"), m_eng->config().pacing == SenderConfig::Pacing::FixedSleep
                                                  ? QStringLiteral("fixed-sleep")
                                                  : QStringLiteral("absolute-deadline")},
                   {QStringLiteral("pingIntervalMs"), m_eng->config().pingIntervalMs},
                   {QStringLiteral("warnings"), int(m_warnings.size())},
               });
    }
    if (const auto summary = onEmulator([](TwilioEmulator &e) { return e.summaryJson(); })) {
        figure(QStringLiteral("peer"), *summary);
        figure(QStringLiteral("peerConnections"), m_peerConnections);
    }
}

QList<QByteArray> frameMulaw8k(const QVector<qint16> &pcm8k, int bytes)
{
    QList<QByteArray> out;
    if (bytes <= 0)
        return out;
    for (qsizetype i = 0; i + bytes <= pcm8k.size(); i += bytes)
        out.append(g711::encodeMulaw(pcm8k.constData() + i, bytes));
    return out;
}

} // namespace pacelab::check
