// The sender thread's worker: one stream's clock. Transport (sockets, TLS, keep-alive,
// reconnect) is SenderTransport, the queue between clock and socket is SendQueue, the clock's
// arithmetic is Pacer, the telemetry figures are TelemetryAccumulator and their outputs
// TelemetrySinks; what is left here is where they meet on one thread: the wake, clear and stop
// (a little over 500 lines because the connection outcomes — fail, reconnect, back to listening —
// and the drain/discard/shutdown paths are decided here, not in the transport).
#include "engine/PacedSender.h"

#include "engine/PreciseWait.h"

#include <QDateTime>
#include <QThread>

namespace pacelab {

PacedSender::PacedSender(SenderConfig cfg, TxQueue *queue, std::shared_ptr<EngineShared> shared)
    : m_cfg(std::move(cfg)),
      m_peer(m_cfg.provider),
      m_queue(queue),
      m_shared(std::move(shared)),
      m_send(m_cfg.sendQueueCapacity, m_cfg.provider)
{
}

PacedSender::~PacedSender() = default;

void PacedSender::ensureThreadSetup()
{
    Q_ASSERT(QThread::currentThread() == thread());
    if (m_clockTimer)
        return;
    const ThreadSetupResult setup = setupPacingThread(m_cfg.realtimePriority);
    if (!setup.message.isEmpty())
        Q_EMIT logMessage(setup.warning ? QStringLiteral("warning") : QStringLiteral("info"), setup.message);

    m_clockTimer = new QTimer(this);
    m_clockTimer->setSingleShot(true);
    m_clockTimer->setTimerType(Qt::PreciseTimer);
    connect(m_clockTimer, &QTimer::timeout, this, &PacedSender::onClockTimer);

    m_telemetryTimer = new QTimer(this);
    m_telemetryTimer->setTimerType(Qt::PreciseTimer);
    m_telemetryTimer->setInterval(1000);
    connect(m_telemetryTimer, &QTimer::timeout, this, &PacedSender::onTelemetryTimer);

    m_transport = new SenderTransport(m_cfg, this, this);

    // The sinks: shared state (lastTelemetry), the signal, then the JSONL file.
    m_sinks.addCallback([this](const TelemetrySnapshot &s) {
        {
            std::lock_guard lock(m_shared->mutex);
            m_shared->lastTelemetry = s;
        }
        publishTotals();
        Q_EMIT telemetry(s);
    });
}

void PacedSender::setState(EngineState s, const QString &message)
{
    m_shared->state.store(int(s));
    Q_EMIT stateChanged(int(s), message);
    if (!message.isEmpty())
        Q_EMIT logMessage(s == EngineState::Error ? QStringLiteral("error") : QStringLiteral("info"),
                          message);
}

void PacedSender::fail(const QString &message)
{
    resetConnection();
    // Nothing will send any more: blocked producers must not wait forever.
    m_queue->close();
    m_telemetryTimer->stop();
    m_sinks.closeJsonl();
    publishTotals();
    setState(EngineState::Error, message);
    Q_EMIT errorOccurred(message);
}

void PacedSender::resetConnection()
{
    stopClock();
    m_transport->reset();
    m_send.clear();
    m_shared->listeningPort.store(0);
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->streamSid.clear();
    }
    m_streamSid.clear();
}

void PacedSender::startSession()
{
    m_stopping = false;
    m_transport->setStopping(false);
    m_transport->resetAttempts();
    m_queue->reopen();
    m_clearsHandled = m_shared->clearRequests.load();
    m_telemetry.startSession(m_queue->totalDrops());
    m_queue->takeMaxSize();
    m_telemetryTimer->start();
    for (const QString &w : m_cfg.warnings())
        Q_EMIT logMessage(QStringLiteral("warning"), w);
    const QString err = m_sinks.openJsonl(m_cfg.telemetryJsonlPath);
    if (!err.isEmpty()) {
        Q_EMIT logMessage(QStringLiteral("error"), err);
        Q_EMIT errorOccurred(err);
    }
}

// ---- connection -----------------------------------------------------------------------------

void PacedSender::connectTo(const ConnectRequest &request)
{
    ensureThreadSetup();
    resetConnection();
    const QString cfgError = m_cfg.validate();
    if (!cfgError.isEmpty())
        return fail(QStringLiteral("invalid sender configuration: ") + cfgError);
    if (!request.urlValid)
        return fail(QStringLiteral("invalid URL: %1").arg(request.urlError));
    const QUrl url = QUrl::fromEncoded(request.url);
    const QString urlError = SenderTransport::checkClientUrl(url, m_cfg);
    if (!urlError.isEmpty())
        return fail(urlError);
    m_fixedStreamSid = request.streamSid;
    startSession();
    m_transport->openClient(url);
}

void PacedSender::listen(const ListenRequest &request)
{
    const QHostAddress addr = request.address();
    ensureThreadSetup();
    resetConnection();
    const QString cfgError = m_cfg.validate();
    if (!cfgError.isEmpty())
        return fail(QStringLiteral("invalid sender configuration: ") + cfgError);
    if (addr.isNull())
        return fail(QStringLiteral("cannot listen: no valid address given"));
    m_fixedStreamSid.clear();
    const QString err = m_transport->listen(addr, request.port);
    if (!err.isEmpty())
        return fail(err);
    m_shared->listeningPort.store(m_transport->serverPort());
    startSession();
    setState(EngineState::Listening, QStringLiteral("listening on ws://%1:%2")
                                          .arg(addr.toString())
                                          .arg(m_transport->serverPort()));
}

void PacedSender::transportConnected(const QString &peer)
{
    if (!m_fixedStreamSid.isEmpty()) {
        m_streamSid = m_fixedStreamSid;
        startStreaming();
    } else {
        const QString waitingFor = m_cfg.provider == provider::Id::Twilio
                                       ? QStringLiteral("its start message (streamSid)")
                                       : QStringLiteral("its %1 %2 message").arg(m_peer.profile().name(),
                                                                                  provider::eventName(m_peer.startEvent()));
        setState(m_transport->clientMode() ? EngineState::Connecting : EngineState::Listening,
                 QStringLiteral("connected to %1; waiting for %2").arg(peer, waitingFor));
    }
}

void PacedSender::transportDisconnected(const QString &why, bool wasConnected)
{
    stopClock();
    const int lost = m_send.clear();
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->streamSid.clear();
    }
    m_streamSid.clear();

    if (m_stopping) {
        finishStopped(QStringLiteral("stopped"));
        return;
    }
    if (lost > 0)
        Q_EMIT logMessage(QStringLiteral("warning"),
                          QStringLiteral("%1 frames in the send queue were lost with the connection").arg(lost));
    if (m_transport->clientMode()) {
        const QString msg = wasConnected ? why
                                         : QStringLiteral("cannot connect to %1: %2")
                                               .arg(m_transport->url().toDisplayString(), why);
        if (m_transport->reconnectAllowed()) {
            Q_EMIT errorOccurred(msg);
            Q_EMIT logMessage(QStringLiteral("warning"), msg);
            m_transport->scheduleReconnect();
            return;
        }
        fail(msg);
    } else {
        // Listen mode: the call ended; its audio must not leak into the next stream.
        m_queue->clear(true);
        Q_EMIT logMessage(QStringLiteral("warning"), why);
        setState(EngineState::Listening,
                 QStringLiteral("peer disconnected (%1); waiting for a new connection").arg(why));
    }
}

void PacedSender::transportMessage(const QByteArray &data, bool binary)
{
    if (m_cfg.messageTap)
        m_cfg.messageTap(steadyNowNs() / 1000, false, binary, data);
    if (!binary)
        Q_EMIT peerMessage(data);
    Q_EMIT peerData(data, binary);
    const PeerEvent e = m_peer.read(data, binary);
    if (!e.logText.isEmpty())
        Q_EMIT logMessage(e.logLevel, e.logText);
    if (e.kind == PeerEvent::MarkEcho) {
        Q_EMIT markEchoed(e.markName);
    } else if (e.kind == PeerEvent::Start) {
        const QString sid = e.streamId;
        if (sid.isEmpty() && m_peer.needsStreamId()) {
            Q_EMIT logMessage(QStringLiteral("warning"), QStringLiteral("start message without a streamSid"));
            return;
        }
        if (m_streaming) {
            if (sid != m_streamSid)
                Q_EMIT logMessage(QStringLiteral("warning"),
                                  QStringLiteral("second start message (streamSid %1) ignored; streaming to %2")
                                      .arg(sid, m_streamSid));
            return;
        }
        m_streamSid = sid;
        startStreaming();
    }
}

// ---- clock ----------------------------------------------------------------------------------

void PacedSender::startStreaming()
{
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->streamSid = m_streamSid;
    }
    m_streaming = true;
    m_clearsHandled = m_shared->clearRequests.load(); // a clear before the stream has nothing to clear
    m_pacer = Pacer(PacerParams::fromConfig(m_cfg));
    m_pacer.start(steadyNowNs());
    setState(EngineState::Connected,
             m_streamSid.isEmpty() ? QStringLiteral("streaming (%1 names no stream id)").arg(m_peer.profile().name())
                                   : QStringLiteral("streaming to streamSid %1").arg(m_streamSid));
    m_clockTimer->start(0);
}

void PacedSender::stopClock()
{
    m_streaming = false;
    if (m_clockTimer)
        m_clockTimer->stop();
}

void PacedSender::armTimer()
{
    m_clockTimer->start(m_pacer.timerDelayMs(steadyNowNs()));
}

void PacedSender::onClockTimer()
{
    if (!m_streaming || !m_transport->hasSocket())
        return;
    if (m_cfg.bypassClock)
        return tickBypass();
    if (m_cfg.pacing == SenderConfig::Pacing::FixedSleep)
        return tickFixedSleep();
    const qint64 now = steadyNowNs();
    if (m_pacer.wokeEarly(now)) {
        armTimer(); // the event loop woke us early
        return;
    }
    // Pop and encode now, before the precise wait, so the deadline only costs the hand-off.
    if (!m_send.hasPrepared() && !m_send.isFull())
        prepareNext();
    const bool work = m_send.hasPrepared() || !m_send.isEmpty()
                      || m_shared->clearRequests.load() != m_clearsHandled;
    // An idle slot needs no precision: do not burn the wait on it.
    if (work && m_pacer.remainingNs(now) > 0)
        preciseWaitUntil(m_pacer.sleepUntilNs(), m_pacer.deadlineNs());
    tickAbsolute();
}

void PacedSender::tickAbsolute()
{
    processClearRequests();
    if (m_send.isFull()) {
        m_telemetry.stalled();
    } else {
        if (!m_send.hasPrepared())
            prepareNext(); // audio that arrived during the wait
        releasePrepared();
    }
    // Late by more than maxLateFrames slots: the pacer restarts the grid at now.
    if (m_pacer.advance(steadyNowNs()).reanchored)
        m_telemetry.lateReset();
    finishStopIfDrained();
    if (m_streaming)
        armTimer();
}

void PacedSender::tickFixedSleep()
{
    // Deliberately naive: send, then wait one interval from *now* (the pacer's FixedSleep mode).
    // Every timer delay and every send's cost add up, so the stream falls behind the 20 ms grid.
    processClearRequests();
    if (m_send.isFull()) {
        m_telemetry.stalled();
    } else {
        prepareNext();
        releasePrepared();
    }
    m_pacer.advance(steadyNowNs());
    finishStopIfDrained();
    if (m_streaming)
        armTimer();
}

void PacedSender::tickBypass()
{
    // The bad bot on purpose: everything queued goes out now, no slot, no comfort silence. Its
    // drift (against the ideal grid) shows how far ahead of real time the peer is being fed.
    processClearRequests();
    while (m_streaming && !m_send.isFull()) {
        m_send.prepareNext(*m_queue, m_streamSid, false);
        if (!m_send.hasPrepared())
            break;
        const qint64 now = steadyNowNs();
        const SendQueue::Release r = m_send.release(now, m_pacer.gridSlotNs(m_pacer.slotIndex()));
        m_telemetry.released(r.hasMedia, r.fromQueue, m_send.size());
        if (r.hasMedia)
            m_pacer.advance(now); // counts the slot; the grid (originNs) is never re-anchored
        pumpSendQueue();
    }
    finishStopIfDrained();
    if (m_streaming)
        m_clockTimer->start(1); // poll the tx queue: it has no "frame queued" notification
}

void PacedSender::prepareNext()
{
    m_send.prepareNext(*m_queue, m_streamSid, m_cfg.comfortSilence);
}

bool PacedSender::releasePrepared()
{
    if (!m_send.hasPrepared())
        return false;
    const SendQueue::Release r = m_send.release(m_pacer.deadlineNs(), m_pacer.gridSlotNs(m_pacer.slotIndex()));
    m_telemetry.released(r.hasMedia, r.fromQueue, m_send.size());
    pumpSendQueue();
    return r.hasMedia;
}

void PacedSender::pumpSendQueue()
{
    if (m_pumping || !m_transport->isConnected())
        return;
    m_pumping = true;
    m_send.pump(
        // The peer reads too slowly: keep the frame, the queues absorb and then drop.
        [this] { return m_transport->bytesToWrite() <= m_cfg.maxBytesToWrite; },
        [this](const Outgoing &o) {
            qint64 sentNs = 0;
            if (!writeMessage(o.data, o.binary, &sentNs))
                return false;
            if (o.isMedia) {
                m_telemetry.mediaWritten(o.data.size(), o.comfort, o.comfort ? 0 : sentNs, o.enqueuedNs);
                // Lateness when the bytes were handed to the kernel, against the frame's slot.
                m_telemetry.frameOnWire((sentNs - o.slotDeadlineNs) / 1000, (sentNs - o.slotGridNs) / 1000);
            } else {
                m_telemetry.markWritten(o.data.size());
                Q_EMIT markSent(o.markName);
            }
            return true;
        });
    m_pumping = false;
    m_telemetry.socketBuffer(m_transport->bytesToWrite());
    finishStopIfDrained();
}

bool PacedSender::writeMessage(const QByteArray &data, bool binary, qint64 *sentNs)
{
    // The single transmit path: only the sender thread writes to the socket.
    if (QThread::currentThread() != thread()) {
        m_shared->offThreadWrites.fetch_add(1);
        Q_ASSERT_X(false, "PacedSender::writeMessage", "socket write off the sender thread");
    }
    if (!m_transport->send(data, binary)) // written and flushed
        return false;
    const qint64 now = steadyNowNs();
    if (sentNs)
        *sentNs = now;
    if (m_cfg.messageTap)
        m_cfg.messageTap(now / 1000, true, binary, data);
    return true;
}

bool PacedSender::processClearRequests()
{
    const quint64 requested = m_shared->clearRequests.load();
    if (requested == m_clearsHandled)
        return false;
    m_clearsHandled = requested;
    const int dropped = m_send.clear();
    if (m_streaming && m_transport->isConnected()) {
        const provider::WireMessage clear = m_send.encodeClear(m_streamSid);
        writeMessage(clear.data, clear.binary);
        m_telemetry.clearSent();
        Q_EMIT logMessage(QStringLiteral("info"),
                          QStringLiteral("clear: %1 frames dropped from the send queue; clear sent").arg(dropped));
    }
    return true;
}

void PacedSender::handleClear()
{
    if (!m_clockTimer)
        return;
    processClearRequests();
}

// ---- stop -----------------------------------------------------------------------------------

void PacedSender::stop()
{
    ensureThreadSetup();
    m_stopping = true;
    m_transport->setStopping(true); // no reconnect, no new connection
    m_queue->close(); // producers learn at once that nothing more will be sent
    if (!m_transport->hasSocket()) {
        resetConnection();
        finishStopped(QStringLiteral("stopped"));
        return;
    }
    if (m_cfg.stopMode == SenderConfig::StopMode::Discard || !m_streaming) {
        m_queue->clear(true);
        m_send.clear();
        closeSocket(QStringLiteral("stopped"));
        return;
    }
    m_drainStartedNs = steadyNowNs();
    setState(EngineState::Closing, QStringLiteral("draining %1 queued items").arg(m_queue->size() + m_send.pending()));
    finishStopIfDrained();
}

void PacedSender::finishStopIfDrained()
{
    if (!m_stopping || !m_transport->hasSocket() || !m_streaming)
        return;
    const bool drained = m_queue->isEmpty() && m_send.pending() == 0 && m_transport->bytesToWrite() == 0;
    const bool timedOut = steadyNowNs() - m_drainStartedNs > qint64(m_cfg.drainTimeoutMs) * 1000000;
    if (!drained && !timedOut)
        return;
    if (!drained) {
        const int left = m_queue->clear(true) + m_send.clear();
        Q_EMIT logMessage(QStringLiteral("warning"),
                          QStringLiteral("drain timed out after %1 ms; %2 items discarded").arg(m_cfg.drainTimeoutMs).arg(left));
    }
    closeSocket(QStringLiteral("drained"));
}

void PacedSender::closeSocket(const QString &why)
{
    stopClock();
    m_transport->stopKeepAlive();
    m_transport->closeServer();
    m_shared->listeningPort.store(0);
    if (!m_transport->hasSocket()) {
        finishStopped(why);
        return;
    }
    setState(EngineState::Closing, QStringLiteral("closing the connection (%1)").arg(why));
    m_transport->close(why); // transportDisconnected() follows
}

void PacedSender::finishStopped(const QString &why)
{
    stopClock();
    m_transport->stopKeepAlive();
    m_transport->destroyServer();
    m_shared->listeningPort.store(0);
    if (m_telemetryTimer->isActive()) {
        m_telemetryTimer->stop();
        onTelemetryTimer(); // the last partial second
    }
    m_sinks.closeJsonl();
    publishTotals();
    setState(EngineState::Idle, why);
}

void PacedSender::shutdown()
{
    if (!m_clockTimer) {
        m_queue->close();
        return;
    }
    m_stopping = true;
    m_queue->close();
    m_queue->clear(true);
    m_send.clear();
    stopClock();
    m_telemetryTimer->stop();
    m_transport->shutdown();
    m_shared->listeningPort.store(0);
    m_sinks.closeJsonl();
    publishTotals();
    const EngineState st = EngineState(m_shared->state.load());
    if (st != EngineState::Idle && st != EngineState::Error)
        setState(EngineState::Idle, QStringLiteral("shut down"));
}

// ---- telemetry ------------------------------------------------------------------------------

void PacedSender::onTelemetryTimer()
{
    m_queue->flushDropWarning();
    TelemetryAccumulator::SecondEnd end;
    end.wallTimeMs = QDateTime::currentMSecsSinceEpoch();
    end.queueDepth = m_queue->size();
    end.queueMaxSince = m_queue->takeMaxSize();
    end.sendQueueDepth = m_send.size();
    end.dropsTotal = m_queue->totalDrops();
    end.bytesToWrite = m_transport->bytesToWrite();
    end.pingRttMs = m_transport->lastRttMs();
    end.missedPongs = m_transport->missedPongs();
    end.offThreadWrites = m_shared->offThreadWrites.load();
    m_sinks.publish(m_telemetry.closeSecond(end));
}

void PacedSender::publishTotals()
{
    const SenderTotals t = m_telemetry.totals(m_shared->offThreadWrites.load());
    std::lock_guard lock(m_shared->mutex);
    m_shared->totals = t;
}

} // namespace pacelab
