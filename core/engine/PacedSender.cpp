// The sender thread's worker. Long because it is the one place where transport (client and
// server sockets, TLS, keep-alive, reconnect), the clock's waiting, the two queues, clear and
// stop meet on one thread; the arithmetic is elsewhere and unit-tested on simulated time
// (Pacer: deadlines, re-anchoring, lateness; TelemetryAccumulator: the per-second figures;
// TxQueue: bounds, drops and the throttled warning).
#include "engine/PacedSender.h"

#include "audio/AudioFormat.h"
#include "twilio/TwilioMessages.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QNetworkRequest>
#include <QThread>
#include <QWebSocket>
#include <QWebSocketServer>
#ifndef QT_NO_SSL
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#endif

#include <algorithm>
#include <ctime>
#include <thread>

#ifdef Q_OS_LINUX
#include <sys/prctl.h>
#endif
#ifdef Q_OS_UNIX
#include <pthread.h>
#include <sched.h>
#include <cstring>
#endif

namespace pacelab {

namespace {

QString closeText(QWebSocket *s)
{
    QString t = QStringLiteral("close code %1").arg(int(s->closeCode()));
    if (!s->closeReason().isEmpty())
        t += QStringLiteral(": ") + s->closeReason();
    return t;
}

} // namespace

ConnectRequest ConnectRequest::make(const QUrl &url, const QString &streamSid)
{
    ConnectRequest r;
    r.urlValid = url.isValid();
    if (r.urlValid)
        r.url = url.toEncoded();
    else
        r.urlError = url.errorString();
    r.streamSid = QString(streamSid.constData(), streamSid.size()); // a deep copy
    return r;
}

ListenRequest ListenRequest::make(const QHostAddress &addr, quint16 port)
{
    ListenRequest r;
    r.protocol = int(addr.protocol());
    r.ipv4 = addr.toIPv4Address();
    r.ipv6 = addr.toIPv6Address();
    const QString scope = addr.scopeId();
    r.scopeId = QString(scope.constData(), scope.size());
    r.port = port;
    return r;
}

QHostAddress ListenRequest::address() const
{
    switch (protocol) {
    case QAbstractSocket::IPv4Protocol:
        return QHostAddress(ipv4);
    case QAbstractSocket::IPv6Protocol: {
        QHostAddress a(ipv6);
        a.setScopeId(scopeId);
        return a;
    }
    case QAbstractSocket::AnyIPProtocol:
        return QHostAddress(QHostAddress::Any);
    default:
        return QHostAddress();
    }
}

PacedSender::PacedSender(SenderConfig cfg, TxQueue *queue, std::shared_ptr<EngineShared> shared)
    : m_cfg(std::move(cfg)), m_queue(queue), m_shared(std::move(shared))
{
}

PacedSender::~PacedSender() = default;

void PacedSender::ensureThreadSetup()
{
    Q_ASSERT(QThread::currentThread() == thread());
    if (m_clockTimer)
        return;
#ifdef Q_OS_LINUX
    // Default timer slack (50 µs) would be added to every precise sleep of this thread.
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
#ifdef Q_OS_UNIX
    if (m_cfg.realtimePriority > 0) {
        sched_param sp{};
        sp.sched_priority = m_cfg.realtimePriority;
        const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
        if (rc == 0)
            Q_EMIT logMessage(QStringLiteral("info"),
                              QStringLiteral("sender thread runs SCHED_FIFO priority %1").arg(m_cfg.realtimePriority));
        else
            Q_EMIT logMessage(QStringLiteral("warning"),
                              QStringLiteral("real-time priority %1 refused (%2); the sender runs at normal priority")
                                  .arg(m_cfg.realtimePriority)
                                  .arg(QString::fromLocal8Bit(strerror(rc))));
    }
#endif
    m_clockTimer = new QTimer(this);
    m_clockTimer->setSingleShot(true);
    m_clockTimer->setTimerType(Qt::PreciseTimer);
    connect(m_clockTimer, &QTimer::timeout, this, &PacedSender::onClockTimer);

    m_pingTimer = new QTimer(this);
    m_pingTimer->setTimerType(Qt::CoarseTimer);
    connect(m_pingTimer, &QTimer::timeout, this, &PacedSender::onPingTimer);

    m_telemetryTimer = new QTimer(this);
    m_telemetryTimer->setTimerType(Qt::PreciseTimer);
    m_telemetryTimer->setInterval(1000);
    connect(m_telemetryTimer, &QTimer::timeout, this, &PacedSender::onTelemetryTimer);

    m_reconnectTimer = new QTimer(this);
    m_reconnectTimer->setSingleShot(true);
    connect(m_reconnectTimer, &QTimer::timeout, this, &PacedSender::openClient);
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
    if (m_jsonl.isOpen())
        m_jsonl.close();
    publishTotals();
    setState(EngineState::Error, message);
    Q_EMIT errorOccurred(message);
}

void PacedSender::resetConnection()
{
    stopClock();
    m_pingTimer->stop();
    m_reconnectTimer->stop();
    m_pingOutstanding = false;
    m_sendQueue.clear();
    m_prepared.clear();
    if (m_socket) {
        QWebSocket *s = m_socket;
        m_socket = nullptr;
        s->disconnect(this);
        s->abort();
        s->deleteLater();
    }
    if (m_server) {
        QWebSocketServer *srv = m_server;
        m_server = nullptr;
        srv->disconnect(this);
        srv->close();
        srv->deleteLater();
        m_shared->listeningPort.store(0);
    }
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->streamSid.clear();
    }
    m_streamSid.clear();
}

void PacedSender::startSession()
{
    m_stopping = false;
    m_reconnectAttempts = 0;
    m_queue->reopen();
    m_clearsHandled = m_shared->clearRequests.load();
    m_telemetry.startSession(m_queue->totalDrops());
    m_queue->takeMaxSize();
    m_telemetryTimer->start();
    if (!m_cfg.telemetryJsonlPath.isEmpty() && !m_jsonl.isOpen()) {
        m_jsonl.setFileName(m_cfg.telemetryJsonlPath);
        if (!m_jsonl.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text)) {
            const QString msg = QStringLiteral("cannot open telemetry file '%1': %2")
                                    .arg(m_cfg.telemetryJsonlPath, m_jsonl.errorString());
            Q_EMIT logMessage(QStringLiteral("error"), msg);
            Q_EMIT errorOccurred(msg);
        }
    }
}

// ---- transport ------------------------------------------------------------------------------

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
    const QString &streamSid = request.streamSid;
    const QString shown = url.toDisplayString();
    if (!url.isValid())
        return fail(QStringLiteral("invalid URL: %1").arg(url.errorString()));
    const QString scheme = url.scheme().toLower();
    if (scheme.isEmpty())
        return fail(QStringLiteral("URL '%1' has no scheme: use ws:// or wss://").arg(shown));
    if (scheme != QLatin1String("ws") && scheme != QLatin1String("wss"))
        return fail(QStringLiteral("unsupported URL scheme '%1' in '%2': use ws:// or wss://")
                        .arg(url.scheme(), shown));
    if (url.host().isEmpty())
        return fail(QStringLiteral("URL '%1' has no host").arg(shown));
    if (url.port() == 0)
        return fail(QStringLiteral("URL '%1': port 0 is not a valid destination").arg(shown));
#ifdef QT_NO_SSL
    if (scheme == QLatin1String("wss"))
        return fail(QStringLiteral("wss:// needs TLS support, which this Qt build lacks"));
#endif
    if (!m_cfg.caFile.isEmpty() && scheme == QLatin1String("wss")) {
#ifndef QT_NO_SSL
        if (QSslCertificate::fromPath(m_cfg.caFile, QSsl::Pem).isEmpty())
            return fail(QStringLiteral("cannot load a PEM CA certificate from '%1'").arg(m_cfg.caFile));
#endif
    }
    m_url = url;
    m_clientMode = true;
    m_fixedStreamSid = streamSid;
    startSession();
    openClient();
}

void PacedSender::openClient()
{
    if (m_stopping)
        return;
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    attachSocket(m_socket);
#ifndef QT_NO_SSL
    if (m_url.scheme().toLower() == QLatin1String("wss")) {
        QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
        if (!m_cfg.caFile.isEmpty())
            conf.addCaCertificates(QSslCertificate::fromPath(m_cfg.caFile, QSsl::Pem));
        m_socket->setSslConfiguration(conf);
    }
#endif
    QNetworkRequest request(m_url);
    for (const auto &h : m_cfg.extraHeaders)
        request.setRawHeader(h.first, h.second);
    setState(EngineState::Connecting,
             QStringLiteral("connecting to %1").arg(m_url.toDisplayString()));
    m_socket->open(request);
    if (m_cfg.connectTimeoutMs > 0) {
        QPointer<QWebSocket> s = m_socket;
        QTimer::singleShot(m_cfg.connectTimeoutMs, this, [this, s] {
            if (!s || s != m_socket || m_connectedOnce)
                return;
            m_abortReason = QStringLiteral("no answer within %1 ms (TCP, TLS or WebSocket upgrade)")
                                .arg(m_cfg.connectTimeoutMs);
            s->abort();
            if (m_socket == s)
                onDisconnected();
        });
    }
}

void PacedSender::listen(const ListenRequest &request)
{
    const QHostAddress addr = request.address();
    const quint16 port = request.port;
    ensureThreadSetup();
    resetConnection();
    const QString cfgError = m_cfg.validate();
    if (!cfgError.isEmpty())
        return fail(QStringLiteral("invalid sender configuration: ") + cfgError);
    if (addr.isNull())
        return fail(QStringLiteral("cannot listen: no valid address given"));
    m_clientMode = false;
    m_fixedStreamSid.clear();
    m_server = new QWebSocketServer(QStringLiteral("PaceLab"), QWebSocketServer::NonSecureMode, this);
    if (!m_server->listen(addr, port)) {
        const QString err = m_server->errorString();
        return fail(QStringLiteral("cannot listen on %1:%2: %3").arg(addr.toString()).arg(port).arg(err));
    }
    m_shared->listeningPort.store(m_server->serverPort());
    connect(m_server, &QWebSocketServer::newConnection, this, &PacedSender::onNewConnection);
    startSession();
    setState(EngineState::Listening, QStringLiteral("listening on ws://%1:%2")
                                          .arg(addr.toString())
                                          .arg(m_server->serverPort()));
}

void PacedSender::onNewConnection()
{
    while (QWebSocket *s = m_server ? m_server->nextPendingConnection() : nullptr) {
        if (m_socket || m_stopping) {
            // One stream per sender, like one Twilio stream per bot connection.
            s->setParent(this); // deleted with the sender if its close never completes
            s->close(QWebSocketProtocol::CloseCodePolicyViolated,
                     QStringLiteral("this sender already serves a stream"));
            connect(s, &QWebSocket::disconnected, s, &QObject::deleteLater);
            Q_EMIT logMessage(QStringLiteral("warning"),
                              QStringLiteral("refused a second connection from %1")
                                  .arg(s->peerAddress().toString()));
            continue;
        }
        s->setParent(this);
        m_socket = s;
        attachSocket(s);
        onConnected();
    }
}

void PacedSender::attachSocket(QWebSocket *s)
{
    m_closeHandshake = false;
    // Twilio's largest message (start with customParameters) is a few KiB. Without a cap Qt
    // buffers up to 2 GiB from a hostile peer; with it the socket closes with 1009 instead.
    constexpr quint64 maxIncoming = 4 * 1024 * 1024;
    s->setMaxAllowedIncomingMessageSize(maxIncoming);
    s->setMaxAllowedIncomingFrameSize(maxIncoming);
    connect(s, &QWebSocket::connected, this, [this, s] {
        if (s == m_socket)
            onConnected();
    });
    connect(s, &QWebSocket::disconnected, this, [this, s] {
        if (s == m_socket)
            onDisconnected();
    });
    connect(s, &QWebSocket::aboutToClose, this, [this, s] {
        if (s == m_socket)
            m_closeHandshake = true;
    });
    connect(s, &QWebSocket::textMessageReceived, this, &PacedSender::onTextMessage);
    connect(s, &QWebSocket::binaryMessageReceived, this, &PacedSender::onBinaryMessage);
    connect(s, &QWebSocket::pong, this, &PacedSender::onPong);
    connect(s, &QWebSocket::bytesWritten, this, [this, s] {
        if (s == m_socket)
            pumpSendQueue();
    });
    connect(s, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), this,
            [this, s](QAbstractSocket::SocketError error) {
                if (s != m_socket)
                    return;
                if (error == QAbstractSocket::SslHandshakeFailedError) {
                    // sslErrors() already named every certificate problem (expired, untrusted,
                    // wrong host); errorString() has only the first of them.
                    if (!m_lastSocketError.startsWith(QLatin1String("TLS certificate")))
                        m_lastSocketError = QStringLiteral("TLS handshake failed: ") + s->errorString();
                }
                else if (m_lastSocketError.isEmpty() || !m_lastSocketError.startsWith(QLatin1String("TLS")))
                    m_lastSocketError = s->errorString();
                // A failed connect never reaches "disconnected": handle it here.
                if (s->state() == QAbstractSocket::UnconnectedState && !m_connectedOnce)
                    onDisconnected();
            });
#ifndef QT_NO_SSL
    connect(s, &QWebSocket::sslErrors, this, [this, s](const QList<QSslError> &errors) {
        if (s != m_socket)
            return;
        QStringList texts;
        for (const QSslError &e : errors)
            texts << e.errorString();
        m_lastSocketError = QStringLiteral("TLS certificate not trusted: ") + texts.join(QStringLiteral("; "));
        Q_EMIT logMessage(QStringLiteral("error"), m_lastSocketError);
    });
#endif
}

void PacedSender::onConnected()
{
    m_connectedOnce = true;
    m_lastSocketError.clear();
    m_reconnectAttempts = 0;
    m_pingOutstanding = false;
    m_missedPongsInRow = 0;
    if (m_cfg.pingIntervalMs > 0)
        m_pingTimer->start(m_cfg.pingIntervalMs);
    const QString peer = m_clientMode ? m_url.toDisplayString()
                                      : QStringLiteral("%1:%2")
                                            .arg(m_socket->peerAddress().toString())
                                            .arg(m_socket->peerPort());
    if (!m_fixedStreamSid.isEmpty()) {
        m_streamSid = m_fixedStreamSid;
        startStreaming();
    } else {
        setState(m_clientMode ? EngineState::Connecting : EngineState::Listening,
                 QStringLiteral("connected to %1; waiting for its start message (streamSid)").arg(peer));
    }
}

void PacedSender::onDisconnected()
{
    QWebSocket *s = m_socket;
    if (!s)
        return;
    QString why;
    if (!m_abortReason.isEmpty()) {
        why = m_abortReason;
    } else if (m_connectedOnce) {
        // closeCode() reads 1000 after a reset too: only a close handshake makes it meaningful.
        why = m_closeHandshake ? QStringLiteral("connection closed by the peer (%1)").arg(closeText(s))
                               : QStringLiteral("connection dropped without a close frame (reset or lost)");
        if (!m_lastSocketError.isEmpty())
            why += QStringLiteral("; ") + m_lastSocketError;
    } else {
        why = !m_lastSocketError.isEmpty() ? m_lastSocketError : s->errorString();
    }
    const bool wasConnected = m_connectedOnce;
    m_socket = nullptr;
    s->disconnect(this);
    s->deleteLater();
    stopClock();
    m_pingTimer->stop();
    m_pingOutstanding = false;
    const int lost = int(m_sendQueue.size() + m_prepared.size());
    m_sendQueue.clear();
    m_prepared.clear();
    m_connectedOnce = false;
    m_lastSocketError.clear();
    m_abortReason.clear();
    m_closeHandshake = false;
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
    if (m_clientMode) {
        const QString msg = wasConnected ? why
                                         : QStringLiteral("cannot connect to %1: %2").arg(m_url.toDisplayString(), why);
        if (m_cfg.reconnect
            && (m_cfg.reconnectMaxAttempts == 0 || m_reconnectAttempts < m_cfg.reconnectMaxAttempts)) {
            Q_EMIT errorOccurred(msg);
            Q_EMIT logMessage(QStringLiteral("warning"), msg);
            scheduleReconnect();
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

void PacedSender::scheduleReconnect()
{
    const qint64 delay = std::min<qint64>(qint64(m_cfg.reconnectInitialMs) << std::min(m_reconnectAttempts, 20),
                                          m_cfg.reconnectMaxMs);
    ++m_reconnectAttempts;
    setState(EngineState::Connecting, QStringLiteral("reconnecting to %1 in %2 ms (attempt %3)")
                                           .arg(m_url.toDisplayString())
                                           .arg(delay)
                                           .arg(m_reconnectAttempts));
    m_reconnectTimer->start(int(delay));
}

void PacedSender::onTextMessage(const QString &text)
{
    const QByteArray json = text.toUtf8();
    if (m_cfg.messageTap)
        m_cfg.messageTap(steadyNowNs() / 1000, false, false, json);
    Q_EMIT peerMessage(json);
    const twilio::ParseResult r = twilio::parseFromTwilio(json);
    if (!r.ok()) {
        Q_EMIT logMessage(QStringLiteral("warning"),
                          QStringLiteral("peer sent an invalid message (%1): %2")
                              .arg(twilio::parseErrorName(r.error), r.detail));
        return;
    }
    if (r.message.event == twilio::Event::Start) {
        QString sid = r.message.streamSid;
        if (sid.isEmpty())
            sid = r.message.start.streamSid;
        if (sid.isEmpty()) {
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
    } else if (r.message.event == twilio::Event::Stop) {
        Q_EMIT logMessage(QStringLiteral("info"), QStringLiteral("peer sent stop: the stream has ended"));
    }
}

void PacedSender::onBinaryMessage(const QByteArray &data)
{
    Q_EMIT logMessage(QStringLiteral("warning"),
                      QStringLiteral("peer sent a binary frame (%1 bytes); ignored").arg(data.size()));
}

void PacedSender::onPingTimer()
{
    if (!m_socket || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    if (m_pingOutstanding) {
        ++m_missedPongs;
        ++m_missedPongsInRow;
        Q_EMIT logMessage(QStringLiteral("warning"),
                          QStringLiteral("no pong for the previous ping (%1 missed)").arg(m_missedPongs));
        if (m_cfg.maxMissedPongs > 0 && m_missedPongsInRow >= m_cfg.maxMissedPongs) {
            // A peer that vanished without a FIN never closes the socket: only silence shows it.
            m_abortReason = QStringLiteral("no pong for %1 pings in a row (%2 ms apart): the peer is gone, "
                                           "connection dropped")
                                .arg(m_missedPongsInRow)
                                .arg(m_cfg.pingIntervalMs);
            QWebSocket *s = m_socket;
            s->abort();
            if (m_socket == s) // abort() did not report the disconnect: do it here
                onDisconnected();
            return;
        }
    }
    m_socket->ping(QByteArray::number(++m_pingSeq));
    m_pingOutstanding = true;
}

void PacedSender::onPong(quint64 elapsedMs, const QByteArray &payload)
{
    Q_UNUSED(payload);
    m_lastRttMs = int(std::min<quint64>(elapsedMs, 1u << 30));
    m_pingOutstanding = false;
    m_missedPongsInRow = 0;
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
    setState(EngineState::Connected, QStringLiteral("streaming to streamSid %1").arg(m_streamSid));
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

void PacedSender::preciseWait()
{
    // The event loop brought us within wakeLeadUs; sleep on an absolute deadline for all but the
    // last spinUs (the kernel wakes a sleeper late by tens of µs, more in a VM), then spin.
    const qint64 sleepUntil = m_pacer.sleepUntilNs();
    const qint64 deadline = m_pacer.deadlineNs();
    if (steadyNowNs() < sleepUntil) {
#ifdef Q_OS_UNIX
        timespec ts;
        ts.tv_sec = time_t(sleepUntil / 1000000000);
        ts.tv_nsec = long(sleepUntil % 1000000000);
        // steady_clock (steadyNowNs) is CLOCK_MONOTONIC on Linux/glibc.
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
        }
#else
        std::this_thread::sleep_until(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(sleepUntil)));
#endif
    }
    while (steadyNowNs() < deadline) {
    }
}

void PacedSender::onClockTimer()
{
    if (!m_streaming || !m_socket)
        return;
    if (m_cfg.pacing == SenderConfig::Pacing::FixedSleep) {
        tickFixedSleep();
        return;
    }
    const qint64 now = steadyNowNs();
    if (m_pacer.wokeEarly(now)) {
        armTimer(); // the event loop woke us early
        return;
    }
    // Pop and encode now, before the precise wait, so the deadline only costs the hand-off.
    if (m_prepared.empty() && !sendQueueFull())
        prepareNext();
    const bool work = !m_prepared.empty() || !m_sendQueue.empty()
                      || m_shared->clearRequests.load() != m_clearsHandled;
    // An idle slot needs no precision: do not burn the wait on it.
    if (work && m_pacer.remainingNs(now) > 0)
        preciseWait();
    tickAbsolute();
}

bool PacedSender::sendQueueFull() const
{
    return m_cfg.sendQueueCapacity > 0 && int(m_sendQueue.size()) >= m_cfg.sendQueueCapacity;
}

void PacedSender::tickAbsolute()
{
    processClearRequests();
    if (sendQueueFull()) {
        m_telemetry.stalled();
    } else {
        if (m_prepared.empty())
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
    if (sendQueueFull()) {
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

void PacedSender::prepareMark(const TxItem &item)
{
    Outgoing o;
    o.json = twilio::encodeMark(m_streamSid, item.markName);
    o.markName = item.markName;
    o.enqueuedNs = item.enqueuedNs;
    m_prepared.push_back(std::move(o));
}

void PacedSender::prepareNext()
{
    // Marks ahead of the next frame, the frame (or comfort silence), then the marks right behind
    // it: a mark leaves with the audio it follows.
    std::optional<TxItem> item = m_queue->tryPop();
    while (item.has_value() && item->kind == TxItem::Mark) {
        prepareMark(*item);
        item = m_queue->tryPop();
    }
    Outgoing o;
    o.isMedia = true;
    if (item) {
        o.json = twilio::encodeMedia(m_streamSid, item->payload);
        o.enqueuedNs = item->enqueuedNs;
    } else if (m_cfg.comfortSilence) {
        static const QByteArray silence(kFrameBytes, char(0xFF)); // mu-law silence
        o.json = twilio::encodeMedia(m_streamSid, silence);
        o.comfort = true;
    } else {
        return; // marks alone, if any
    }
    m_prepared.push_back(std::move(o));
    while (auto m = m_queue->tryPopMark())
        prepareMark(*m);
}

bool PacedSender::releasePrepared()
{
    if (m_prepared.empty())
        return false;
    bool hasMedia = false;
    bool fromQueue = false;
    for (auto &o : m_prepared) {
        hasMedia |= o.isMedia;
        fromQueue |= o.isMedia && !o.comfort;
        m_sendQueue.push_back(std::move(o));
    }
    m_prepared.clear();
    qint64 lateUs = 0;
    qint64 driftUs = 0;
    if (hasMedia) {
        // Lateness: the moment the frame is handed to the writer, against its slot on the grid.
        const qint64 release = steadyNowNs();
        lateUs = m_pacer.latenessUs(release);
        driftUs = m_pacer.driftUs(release);
    }
    m_telemetry.released(hasMedia, fromQueue, lateUs, driftUs, int(m_sendQueue.size()));
    pumpSendQueue();
    return hasMedia;
}

void PacedSender::pumpSendQueue()
{
    if (!m_socket || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    while (!m_sendQueue.empty()) {
        if (m_socket->bytesToWrite() > m_cfg.maxBytesToWrite)
            break; // the peer reads too slowly: keep the frame, the queues absorb and then drop
        Outgoing o = std::move(m_sendQueue.front());
        m_sendQueue.pop_front();
        if (!writeText(o.json))
            break;
        if (o.isMedia) {
            m_telemetry.mediaWritten(o.json.size(), o.comfort, o.comfort ? 0 : steadyNowNs(), o.enqueuedNs);
        } else {
            m_telemetry.markWritten(o.json.size());
            Q_EMIT markSent(o.markName);
        }
    }
    m_telemetry.socketBuffer(m_socket->bytesToWrite());
    finishStopIfDrained();
}

bool PacedSender::writeText(const QByteArray &json)
{
    // The single transmit path: only the sender thread writes to the socket.
    if (QThread::currentThread() != thread()) {
        m_shared->offThreadWrites.fetch_add(1);
        Q_ASSERT_X(false, "PacedSender::writeText", "socket write off the sender thread");
    }
    if (!m_socket)
        return false;
    m_socket->sendTextMessage(QString::fromUtf8(json));
    if (m_cfg.messageTap)
        m_cfg.messageTap(steadyNowNs() / 1000, true, false, json);
    return true;
}

bool PacedSender::processClearRequests()
{
    const quint64 requested = m_shared->clearRequests.load();
    if (requested == m_clearsHandled)
        return false;
    m_clearsHandled = requested;
    const int dropped = int(m_sendQueue.size() + m_prepared.size());
    m_sendQueue.clear();
    m_prepared.clear();
    if (m_streaming && m_socket && m_socket->state() == QAbstractSocket::ConnectedState) {
        writeText(twilio::encodeClear(m_streamSid));
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
    m_reconnectTimer->stop();
    m_queue->close(); // producers learn at once that nothing more will be sent
    if (!m_socket) {
        resetConnection();
        finishStopped(QStringLiteral("stopped"));
        return;
    }
    if (m_cfg.stopMode == SenderConfig::StopMode::Discard || !m_streaming) {
        m_queue->clear(true);
        m_sendQueue.clear();
        m_prepared.clear();
        closeSocket(QStringLiteral("stopped"));
        return;
    }
    m_drainStartedNs = steadyNowNs();
    setState(EngineState::Closing, QStringLiteral("draining %1 queued items")
                                        .arg(m_queue->size() + int(m_sendQueue.size() + m_prepared.size())));
    finishStopIfDrained();
}

void PacedSender::finishStopIfDrained()
{
    if (!m_stopping || !m_socket || !m_streaming)
        return;
    const bool drained = m_queue->isEmpty() && m_prepared.empty() && m_sendQueue.empty()
                         && m_socket->bytesToWrite() == 0;
    const bool timedOut = steadyNowNs() - m_drainStartedNs > qint64(m_cfg.drainTimeoutMs) * 1000000;
    if (!drained && !timedOut)
        return;
    if (!drained) {
        const int left = m_queue->clear(true) + int(m_sendQueue.size() + m_prepared.size());
        m_sendQueue.clear();
        m_prepared.clear();
        Q_EMIT logMessage(QStringLiteral("warning"),
                          QStringLiteral("drain timed out after %1 ms; %2 items discarded").arg(m_cfg.drainTimeoutMs).arg(left));
    }
    closeSocket(QStringLiteral("drained"));
}

void PacedSender::closeSocket(const QString &why)
{
    stopClock();
    m_pingTimer->stop();
    if (m_server) {
        m_server->close();
        m_shared->listeningPort.store(0);
    }
    if (!m_socket) {
        finishStopped(why);
        return;
    }
    setState(EngineState::Closing, QStringLiteral("closing the connection (%1)").arg(why));
    if (m_socket->state() == QAbstractSocket::ConnectedState) {
        m_socket->close(QWebSocketProtocol::CloseCodeNormal, why);
        // A peer that never answers the close handshake must not hold the stop forever.
        QPointer<QWebSocket> s = m_socket;
        QTimer::singleShot(2000, this, [s] {
            if (s)
                s->abort();
        });
    } else {
        m_socket->abort();
        if (m_socket)
            onDisconnected();
    }
}

void PacedSender::finishStopped(const QString &why)
{
    stopClock();
    m_pingTimer->stop();
    if (m_server) {
        QWebSocketServer *srv = m_server;
        m_server = nullptr;
        srv->disconnect(this);
        srv->close();
        srv->deleteLater();
        m_shared->listeningPort.store(0);
    }
    if (m_telemetryTimer->isActive()) {
        m_telemetryTimer->stop();
        onTelemetryTimer(); // the last partial second
    }
    if (m_jsonl.isOpen())
        m_jsonl.close();
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
    m_sendQueue.clear();
    m_prepared.clear();
    stopClock();
    m_pingTimer->stop();
    m_reconnectTimer->stop();
    m_telemetryTimer->stop();
    if (m_socket) {
        QWebSocket *s = m_socket;
        m_socket = nullptr;
        s->disconnect(this);
        if (s->state() == QAbstractSocket::ConnectedState) {
            s->close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("sender shut down"));
            s->flush();
        }
        // Deleted now, not later: this thread's event loop ends right after shutdown(), and the
        // events close() posted would outlive it (LeakSanitizer saw them). Deleting an object
        // removes its posted events.
        delete s;
    }
    if (m_server) {
        m_server->close();
        delete m_server;
        m_server = nullptr;
        m_shared->listeningPort.store(0);
    }
    if (m_jsonl.isOpen())
        m_jsonl.close();
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
    end.sendQueueDepth = int(m_sendQueue.size());
    end.dropsTotal = m_queue->totalDrops();
    end.bytesToWrite = m_socket ? m_socket->bytesToWrite() : 0;
    end.pingRttMs = m_lastRttMs;
    end.missedPongs = m_missedPongs;
    end.offThreadWrites = m_shared->offThreadWrites.load();
    const TelemetrySnapshot s = m_telemetry.closeSecond(end);

    // The sinks: shared state (lastTelemetry), the signal, the JSONL file.
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->lastTelemetry = s;
    }
    publishTotals();
    Q_EMIT telemetry(s);
    if (m_jsonl.isOpen()) {
        m_jsonl.write(QJsonDocument(s.toJson()).toJson(QJsonDocument::Compact) + '\n');
        m_jsonl.flush();
    }
}

void PacedSender::publishTotals()
{
    const SenderTotals t = m_telemetry.totals(m_shared->offThreadWrites.load());
    std::lock_guard lock(m_shared->mutex);
    m_shared->totals = t;
}

} // namespace pacelab
