#include "engine/SenderTransport.h"

#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>
#ifndef QT_NO_SSL
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#endif

#include <algorithm>

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

SenderTransport::SenderTransport(const SenderConfig &cfg, TransportListener *listener, QObject *parent)
    : QObject(parent), m_cfg(cfg), m_listener(listener)
{
    m_pingTimer = new QTimer(this);
    m_pingTimer->setTimerType(Qt::CoarseTimer);
    connect(m_pingTimer, &QTimer::timeout, this, &SenderTransport::onPingTimer);

    m_reconnectTimer = new QTimer(this);
    m_reconnectTimer->setSingleShot(true);
    connect(m_reconnectTimer, &QTimer::timeout, this, &SenderTransport::reopenClient);
}

SenderTransport::~SenderTransport() = default;

QString SenderTransport::checkClientUrl(const QUrl &url, const SenderConfig &cfg)
{
    const QString shown = url.toDisplayString();
    if (!url.isValid())
        return QStringLiteral("invalid URL: %1").arg(url.errorString());
    const QString scheme = url.scheme().toLower();
    if (scheme.isEmpty())
        return QStringLiteral("URL '%1' has no scheme: use ws:// or wss://").arg(shown);
    if (scheme != QLatin1String("ws") && scheme != QLatin1String("wss"))
        return QStringLiteral("unsupported URL scheme '%1' in '%2': use ws:// or wss://").arg(url.scheme(), shown);
    if (url.host().isEmpty())
        return QStringLiteral("URL '%1' has no host").arg(shown);
    if (url.port() == 0)
        return QStringLiteral("URL '%1': port 0 is not a valid destination").arg(shown);
#ifdef QT_NO_SSL
    if (scheme == QLatin1String("wss"))
        return QStringLiteral("wss:// needs TLS support, which this Qt build lacks");
#endif
    if (!cfg.caFile.isEmpty() && scheme == QLatin1String("wss")) {
#ifndef QT_NO_SSL
        if (QSslCertificate::fromPath(cfg.caFile, QSsl::Pem).isEmpty())
            return QStringLiteral("cannot load a PEM CA certificate from '%1'").arg(cfg.caFile);
#endif
    }
    return {};
}

void SenderTransport::openClient(const QUrl &url)
{
    m_url = url;
    m_clientMode = true;
    reopenClient();
}

void SenderTransport::reopenClient()
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
    m_listener->transportState(EngineState::Connecting,
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

QString SenderTransport::listen(const QHostAddress &addr, quint16 port)
{
    m_clientMode = false;
    m_server = new QWebSocketServer(QStringLiteral("PaceLab"), QWebSocketServer::NonSecureMode, this);
    if (!m_server->listen(addr, port))
        return QStringLiteral("cannot listen on %1:%2: %3").arg(addr.toString()).arg(port).arg(m_server->errorString());
    connect(m_server, &QWebSocketServer::newConnection, this, &SenderTransport::onNewConnection);
    return {};
}

quint16 SenderTransport::serverPort() const
{
    return m_server ? m_server->serverPort() : 0;
}

void SenderTransport::closeServer()
{
    if (m_server)
        m_server->close();
}

void SenderTransport::destroyServer()
{
    if (!m_server)
        return;
    QWebSocketServer *srv = m_server;
    m_server = nullptr;
    srv->disconnect(this);
    srv->close();
    srv->deleteLater();
}

bool SenderTransport::isConnected() const
{
    return m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
}

qint64 SenderTransport::bytesToWrite() const
{
    return m_socket ? m_socket->bytesToWrite() : 0;
}

bool SenderTransport::send(const QByteArray &data, bool binary)
{
    if (!m_socket)
        return false;
    if (binary)
        m_socket->sendBinaryMessage(data);
    else
        m_socket->sendTextMessage(QString::fromUtf8(data));
    // Hand the bytes to the kernel now, on this thread, instead of at the next event-loop pass:
    // the "sent" timestamp the caller takes next is then the wire's, not the hand-off's.
    m_socket->flush();
    return true;
}

bool SenderTransport::reconnectAllowed() const
{
    return m_cfg.reconnect && (m_cfg.reconnectMaxAttempts == 0 || m_reconnectAttempts < m_cfg.reconnectMaxAttempts);
}

void SenderTransport::scheduleReconnect()
{
    const qint64 delay = std::min<qint64>(qint64(m_cfg.reconnectInitialMs) << std::min(m_reconnectAttempts, 20),
                                          m_cfg.reconnectMaxMs);
    ++m_reconnectAttempts;
    m_listener->transportState(EngineState::Connecting, QStringLiteral("reconnecting to %1 in %2 ms (attempt %3)")
                                                            .arg(m_url.toDisplayString())
                                                            .arg(delay)
                                                            .arg(m_reconnectAttempts));
    m_reconnectTimer->start(int(delay));
}

void SenderTransport::stopKeepAlive()
{
    m_pingTimer->stop();
}

void SenderTransport::setStopping(bool stopping)
{
    m_stopping = stopping;
    if (stopping)
        m_reconnectTimer->stop();
}

void SenderTransport::reset()
{
    m_pingTimer->stop();
    m_reconnectTimer->stop();
    m_pingOutstanding = false;
    if (m_socket) {
        QWebSocket *s = m_socket;
        m_socket = nullptr;
        s->disconnect(this);
        s->abort();
        s->deleteLater();
    }
    destroyServer();
}

bool SenderTransport::close(const QString &why)
{
    if (!m_socket)
        return false;
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
    return true;
}

void SenderTransport::shutdown()
{
    m_stopping = true;
    m_pingTimer->stop();
    m_reconnectTimer->stop();
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
    }
}

void SenderTransport::onNewConnection()
{
    while (QWebSocket *s = m_server ? m_server->nextPendingConnection() : nullptr) {
        if (m_socket || m_stopping) {
            // One stream per sender, like one Twilio stream per bot connection.
            s->setParent(this); // deleted with the sender if its close never completes
            s->close(QWebSocketProtocol::CloseCodePolicyViolated,
                     QStringLiteral("this sender already serves a stream"));
            connect(s, &QWebSocket::disconnected, s, &QObject::deleteLater);
            m_listener->transportLog(QStringLiteral("warning"),
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

void SenderTransport::attachSocket(QWebSocket *s)
{
    m_closeHandshake = false;
    // A provider's largest message (a start with customParameters) is a few KiB. Without a cap Qt
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
    connect(s, &QWebSocket::textMessageReceived, this,
            [this](const QString &text) { m_listener->transportMessage(text.toUtf8(), false); });
    connect(s, &QWebSocket::binaryMessageReceived, this,
            [this](const QByteArray &data) { m_listener->transportMessage(data, true); });
    connect(s, &QWebSocket::pong, this, &SenderTransport::onPong);
    connect(s, &QWebSocket::bytesWritten, this, [this, s] {
        if (s == m_socket)
            m_listener->transportWritable();
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
        m_listener->transportLog(QStringLiteral("error"), m_lastSocketError);
    });
#endif
}

void SenderTransport::onConnected()
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
    m_listener->transportConnected(peer);
}

void SenderTransport::onDisconnected()
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
    m_pingTimer->stop();
    m_pingOutstanding = false;
    m_connectedOnce = false;
    m_lastSocketError.clear();
    m_abortReason.clear();
    m_closeHandshake = false;
    m_listener->transportDisconnected(why, wasConnected);
}

void SenderTransport::onPingTimer()
{
    if (!isConnected())
        return;
    if (m_pingOutstanding) {
        ++m_missedPongs;
        ++m_missedPongsInRow;
        m_listener->transportLog(QStringLiteral("warning"),
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

void SenderTransport::onPong(quint64 elapsedMs, const QByteArray &payload)
{
    Q_UNUSED(payload);
    m_lastRttMs = int(std::min<quint64>(elapsedMs, 1u << 30));
    m_pingOutstanding = false;
    m_missedPongsInRow = 0;
}

} // namespace pacelab
