#pragma once

#include "engine/EngineState.h"
#include "engine/SenderConfig.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QUrl>

class QTimer;
class QWebSocket;
class QWebSocketServer;

namespace pacelab {

// What a transport reports to the clock that owns it (PacedSender, a stream of
// MultiStreamSender). Called on the transport's thread.
class TransportListener
{
public:
    virtual ~TransportListener() = default;
    // The socket is open (client: handshake done; listen: a connection accepted). peer: for logs.
    virtual void transportConnected(const QString &peer) = 0;
    // The socket is gone (already released); why: the reason in words; wasConnected: it had
    // reached Connected (else the connection attempt failed).
    virtual void transportDisconnected(const QString &why, bool wasConnected) = 0;
    // A message from the peer: text (UTF-8 JSON) or binary (Vonage's audio frames); the owner's
    // provider profile says what it means.
    virtual void transportMessage(const QByteArray &data, bool binary) = 0;
    virtual void transportWritable() = 0; // the socket wrote bytes: there may be room again
    virtual void transportLog(const QString &level, const QString &text) = 0;
    virtual void transportState(EngineState state, const QString &message) = 0;
};

// One WebSocket connection of the sender: client (ws/wss, TLS with an extra CA, upgrade headers,
// connect timeout, reconnect with exponential backoff) or server (listen, accept one stream,
// refuse the rest), plus keep-alive (a ping every pingIntervalMs; maxMissedPongs in a row
// without a pong drops the half-open connection). It never paces or queues: the owner writes
// through sendText() and learns everything else through its TransportListener. Lives on the
// sender thread, a child of its owner.
class SenderTransport final : public QObject
{
    Q_OBJECT
public:
    SenderTransport(const SenderConfig &cfg, TransportListener *listener, QObject *parent);
    ~SenderTransport() override;

    // Checks a client URL (scheme, host, port, TLS support, CA file); empty when usable.
    static QString checkClientUrl(const QUrl &url, const SenderConfig &cfg);

    // Client mode: remembers the URL (checked by checkClientUrl) and opens the connection.
    void openClient(const QUrl &url);
    void reopenClient(); // the next attempt (the reconnect timer calls it)
    // Server mode; returns an error message, empty when listening.
    QString listen(const QHostAddress &addr, quint16 port);
    quint16 serverPort() const;
    void closeServer();   // stop accepting; the object stays until destroyServer()
    void destroyServer();

    bool clientMode() const { return m_clientMode; }
    QUrl url() const { return m_url; }
    bool hasSocket() const { return m_socket != nullptr; }
    bool isConnected() const;
    qint64 bytesToWrite() const;
    // Writes one message, text or binary (as the provider profile encoded it), and flushes it
    // towards the kernel (as far as the socket takes it without blocking). False when there is
    // no socket.
    bool send(const QByteArray &data, bool binary);
    bool sendText(const QByteArray &json) { return send(json, false); }

    // Refuse further connections / attempts (the owner is stopping).
    void setStopping(bool stopping);
    void resetAttempts() { m_reconnectAttempts = 0; }
    bool reconnectAllowed() const;
    void scheduleReconnect();
    void stopKeepAlive();

    // Drops everything at once (socket aborted, server closed, timers stopped); no callback.
    void reset();
    // Graceful close with a close frame; a peer that never answers is aborted after 2 s. The
    // listener hears transportDisconnected() when the socket is gone. False: no socket.
    bool close(const QString &why);
    // Immediate: close frame flushed if connected, socket deleted now (the thread ends next).
    void shutdown();

    int lastRttMs() const { return m_lastRttMs; }
    int missedPongs() const { return m_missedPongs; }

private:
    void attachSocket(QWebSocket *socket);
    void onConnected();
    void onDisconnected();
    void onNewConnection();
    void onPingTimer();
    void onPong(quint64 elapsedMs, const QByteArray &payload);

    const SenderConfig &m_cfg;
    TransportListener *m_listener;
    QWebSocket *m_socket = nullptr;
    QWebSocketServer *m_server = nullptr;
    QUrl m_url;
    bool m_clientMode = false;
    bool m_stopping = false;
    bool m_connectedOnce = false; // this socket reached Connected
    QString m_lastSocketError;
    int m_reconnectAttempts = 0;
    QTimer *m_reconnectTimer = nullptr;

    QTimer *m_pingTimer = nullptr;
    bool m_pingOutstanding = false;
    quint64 m_pingSeq = 0;
    int m_lastRttMs = -1;
    int m_missedPongs = 0;
    int m_missedPongsInRow = 0;
    bool m_closeHandshake = false; // a close frame was sent or received on this socket
    QString m_abortReason; // set when we drop a dead connection ourselves: the disconnect's reason
};

} // namespace pacelab
