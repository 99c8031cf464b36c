#include "engine/StreamState.h"

namespace pacelab {

StreamShared::StreamShared(int streamId, const SenderConfig &cfg)
    : id(streamId), queue(cfg.queueCapacity, cfg.highWater)
{
    queue.setDropWarnInterval(cfg.dropWarnIntervalMs);
    stats.id = streamId;
}

StreamState::StreamState(std::shared_ptr<StreamShared> shared, const SenderConfig &cfg, StreamHost *host,
                         QObject *transportParent)
    : m_shared(std::move(shared)),
      m_cfg(cfg),
      m_peer(cfg.provider),
      m_host(host),
      m_transport(new SenderTransport(cfg, this, transportParent)),
      m_send(cfg.sendQueueCapacity, cfg.provider)
{
    m_telemetry.startSession(m_shared->queue.totalDrops());
}

StreamState::~StreamState()
{
    delete m_transport; // before the listener (this) goes
}

void StreamState::open(const QUrl &url, const QString &streamSid)
{
    m_fixedStreamSid = streamSid;
    m_clearsHandled = m_shared->clearRequests.load();
    m_transport->openClient(url);
}

void StreamState::setState(EngineState s, const QString &message)
{
    m_shared->state.store(int(s));
    if (s == EngineState::Error)
        m_lastError = message;
    if (!message.isEmpty())
        m_host->streamLog(*this, s == EngineState::Error ? QStringLiteral("error") : QStringLiteral("info"), message);
}

void StreamState::transportLog(const QString &level, const QString &text)
{
    m_host->streamLog(*this, level, text);
}

void StreamState::transportState(EngineState state, const QString &message)
{
    setState(state, message);
}

void StreamState::transportConnected(const QString &peer)
{
    if (!m_fixedStreamSid.isEmpty()) {
        m_streamSid = m_fixedStreamSid;
        startStreaming();
    } else {
        const QString waitingFor = m_cfg.provider == provider::Id::Twilio
                                       ? QStringLiteral("its start message (streamSid)")
                                       : QStringLiteral("its %1 %2 message").arg(m_peer.profile().name(),
                                                                                  provider::eventName(m_peer.startEvent()));
        setState(EngineState::Connecting, QStringLiteral("connected to %1; waiting for %2").arg(peer, waitingFor));
    }
}

void StreamState::transportDisconnected(const QString &why, bool wasConnected)
{
    endStreaming();
    const int lost = m_send.clear();
    if (m_stopping) {
        m_shared->queue.clear(true);
        setState(EngineState::Idle, QStringLiteral("stopped"));
        publishStats();
        return;
    }
    if (lost > 0)
        m_host->streamLog(*this, QStringLiteral("warning"),
                          QStringLiteral("%1 frames in the send queue were lost with the connection").arg(lost));
    const QString msg = wasConnected ? why
                                     : QStringLiteral("cannot connect to %1: %2")
                                           .arg(m_transport->url().toDisplayString(), why);
    if (m_transport->reconnectAllowed()) {
        m_host->streamLog(*this, QStringLiteral("warning"), msg);
        m_transport->scheduleReconnect();
        return;
    }
    m_shared->queue.close(); // nothing will send: producers must not wait forever
    setState(EngineState::Error, msg);
    publishStats();
}

void StreamState::transportMessage(const QByteArray &data, bool binary)
{
    const PeerEvent e = m_peer.read(data, binary);
    // Invalid input and the peer's errors are worth a line; stop/cleared are routine here
    // (N streams x the same info line is noise).
    if (!e.logText.isEmpty() && e.logLevel != QLatin1String("info"))
        m_host->streamLog(*this, e.logLevel, e.logText);
    if (e.kind == PeerEvent::Start && !m_streaming) {
        if (e.streamId.isEmpty() && m_peer.needsStreamId())
            return m_host->streamLog(*this, QStringLiteral("warning"), QStringLiteral("start message without a streamSid"));
        m_streamSid = e.streamId;
        startStreaming();
    } else if (e.kind == PeerEvent::MarkEcho) {
        ++m_marksEchoed;
        m_host->streamMark(*this, e.markName, true);
    }
}

void StreamState::startStreaming()
{
    m_streaming = true;
    m_clearsHandled = m_shared->clearRequests.load(); // a clear before the stream has nothing to clear
    setState(EngineState::Connected,
             m_streamSid.isEmpty() ? QStringLiteral("streaming (%1 names no stream id)").arg(m_peer.profile().name())
                                   : QStringLiteral("streaming to streamSid %1").arg(m_streamSid));
    m_host->streamStarted(*this);
}

void StreamState::endStreaming()
{
    if (!m_streaming)
        return;
    m_streaming = false;
    m_host->streamEnded(*this);
}

bool StreamState::prepare()
{
    if (!m_streaming)
        return false;
    processClear();
    if (!m_send.hasPrepared() && !m_send.isFull())
        m_send.prepareNext(m_shared->queue, m_streamSid, m_cfg.comfortSilence);
    return m_send.hasPrepared() || !m_send.isEmpty();
}

void StreamState::serve(qint64 deadlineNs)
{
    if (!m_streaming)
        return;
    processClear();
    if (m_send.isFull()) {
        m_telemetry.stalled();
        m_host->aggregate().stalled();
    } else {
        if (!m_send.hasPrepared()) // audio that arrived during the wait
            m_send.prepareNext(m_shared->queue, m_streamSid, m_cfg.comfortSilence);
        if (m_send.hasPrepared()) {
            const SendQueue::Release r = m_send.release(deadlineNs, deadlineNs);
            m_telemetry.released(r.hasMedia, r.fromQueue, m_send.size());
            m_host->aggregate().released(r.hasMedia, r.fromQueue, m_send.size());
            pump();
        }
    }
    finishIfDrained();
}

void StreamState::lateReset()
{
    m_telemetry.lateReset();
}

void StreamState::pump()
{
    if (m_pumping || !m_transport->isConnected())
        return;
    m_pumping = true;
    TelemetryAccumulator &all = m_host->aggregate();
    m_send.pump([this] { return m_transport->bytesToWrite() <= m_cfg.maxBytesToWrite; },
                [&](const Outgoing &o) {
                    qint64 sentNs = 0;
                    if (!write(o.data, o.binary, &sentNs))
                        return false;
                    if (o.isMedia) {
                        const qint64 enq = o.comfort ? 0 : sentNs;
                        m_telemetry.mediaWritten(o.data.size(), o.comfort, enq, o.enqueuedNs);
                        all.mediaWritten(o.data.size(), o.comfort, enq, o.enqueuedNs);
                        // The tick's lateness once the bytes reached the kernel. The wheel
                        // re-anchors on the phase grid, so lateness is also the drift.
                        const qint64 lateUs = (sentNs - o.slotDeadlineNs) / 1000;
                        m_telemetry.frameOnWire(lateUs, lateUs);
                        all.frameOnWire(lateUs, lateUs);
                    } else {
                        m_telemetry.markWritten(o.data.size());
                        all.markWritten(o.data.size());
                        m_host->streamMark(*this, o.markName, false);
                    }
                    return true;
                });
    m_pumping = false;
    m_telemetry.socketBuffer(m_transport->bytesToWrite());
    finishIfDrained();
}

bool StreamState::write(const QByteArray &data, bool binary, qint64 *sentNs)
{
    if (!m_transport->send(data, binary)) // written and flushed
        return false;
    *sentNs = steadyNowNs();
    return true;
}

void StreamState::processClear()
{
    const quint64 requested = m_shared->clearRequests.load();
    if (requested == m_clearsHandled)
        return;
    m_clearsHandled = requested;
    m_send.clear();
    if (m_streaming && m_transport->isConnected()) {
        qint64 t = 0;
        const provider::WireMessage clear = m_send.encodeClear(m_streamSid);
        write(clear.data, clear.binary, &t);
        m_telemetry.clearSent();
        m_host->aggregate().clearSent();
    }
}

void StreamState::handleClear()
{
    processClear();
}

void StreamState::stop(bool drain, qint64 nowNs)
{
    m_stopping = true;
    m_drain = drain && m_streaming;
    m_drainStartedNs = nowNs;
    m_transport->setStopping(true);
    m_shared->queue.close();
    if (!m_drain) {
        m_shared->queue.clear(true);
        m_send.clear();
    }
    if (!m_transport->hasSocket()) {
        endStreaming();
        m_transport->reset();
        if (m_shared->state.load() != int(EngineState::Error)) // a failed stream stays failed
            setState(EngineState::Idle, QStringLiteral("stopped"));
        publishStats();
        return;
    }
    if (!m_drain) {
        endStreaming();
        m_transport->stopKeepAlive();
        setState(EngineState::Closing, QStringLiteral("closing the connection (stopped)"));
        m_transport->close(QStringLiteral("stopped"));
        return;
    }
    setState(EngineState::Closing, QString());
    finishIfDrained();
}

void StreamState::finishIfDrained()
{
    if (!m_stopping || !m_drain || !m_streaming || !m_transport->hasSocket())
        return;
    const bool drained = m_shared->queue.isEmpty() && m_send.pending() == 0 && m_transport->bytesToWrite() == 0;
    const bool timedOut = steadyNowNs() - m_drainStartedNs > qint64(m_cfg.drainTimeoutMs) * 1000000;
    if (!drained && !timedOut)
        return;
    if (!drained) {
        const int left = m_shared->queue.clear(true) + m_send.clear();
        m_host->streamLog(*this, QStringLiteral("warning"),
                          QStringLiteral("drain timed out after %1 ms; %2 items discarded").arg(m_cfg.drainTimeoutMs).arg(left));
    }
    endStreaming();
    m_transport->stopKeepAlive();
    m_transport->close(QStringLiteral("drained")); // transportDisconnected() follows
}

void StreamState::shutdown()
{
    m_stopping = true;
    m_shared->queue.close();
    m_shared->queue.clear(true);
    m_send.clear();
    endStreaming();
    m_transport->shutdown();
    const EngineState st = EngineState(m_shared->state.load());
    if (st != EngineState::Idle && st != EngineState::Error)
        m_shared->state.store(int(EngineState::Idle));
    publishStats();
}

void StreamState::closeSecond(qint64 wallTimeMs)
{
    m_shared->queue.flushDropWarning();
    TelemetryAccumulator::SecondEnd end;
    end.wallTimeMs = wallTimeMs;
    end.queueDepth = m_shared->queue.size();
    end.queueMaxSince = m_shared->queue.takeMaxSize();
    end.sendQueueDepth = m_send.size();
    end.dropsTotal = m_shared->queue.totalDrops();
    end.bytesToWrite = m_transport->bytesToWrite();
    end.pingRttMs = m_transport->lastRttMs();
    end.missedPongs = m_transport->missedPongs();
    const TelemetrySnapshot s = m_telemetry.closeSecond(end);
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->lastTelemetry = s;
    }
    publishStats();
}

void StreamState::publishStats()
{
    const SenderTotals t = m_telemetry.totals(0);
    std::lock_guard lock(m_shared->mutex);
    StreamStats &s = m_shared->stats;
    s.state = EngineState(m_shared->state.load());
    s.streamSid = m_streamSid;
    s.framesSent = t.framesSent;
    s.comfortFrames = t.comfortFrames;
    s.marksSent = t.marksSent;
    s.marksEchoed = m_marksEchoed;
    s.clearsSent = t.clearsSent;
    s.drops = m_shared->queue.totalDrops();
    s.lateResets = t.lateResets;
    s.stalledFrames = t.stalledFrames;
    s.latenessMaxUs = t.latenessMaxUs;
    s.lastError = m_lastError;
}

} // namespace pacelab
