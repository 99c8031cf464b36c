#pragma once

#include "engine/EngineState.h"
#include "engine/Pacer.h"
#include "engine/SenderConfig.h"
#include "engine/Telemetry.h"
#include "engine/TelemetryAccumulator.h"
#include "engine/TxQueue.h"

#include <QByteArray>
#include <QFile>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>
#include <QVector>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

class QWebSocket;
class QWebSocketServer;

namespace pacelab {

// State the sender thread publishes and any thread reads (SenderEngine's getters).
struct EngineShared
{
    std::atomic<int> state{int(EngineState::Idle)};
    std::atomic<quint16> listeningPort{0};
    std::atomic<quint64> offThreadWrites{0};
    std::atomic<quint64> clearRequests{0}; // bumped by SenderEngine::clear(), handled in order
    mutable std::mutex mutex;              // guards the members below
    QString streamSid;
    TelemetrySnapshot lastTelemetry;
    SenderTotals totals;
};

// What SenderEngine::connectTo()/listen() hand to the sender thread: plain values built on the
// caller's thread into fresh buffers, so the queued call carries copies that share no data
// (not even implicitly shared QUrl/QHostAddress/QString payloads) with objects the caller keeps.
struct ConnectRequest
{
    bool urlValid = false;
    QByteArray url;   // QUrl::toEncoded() when valid
    QString urlError; // QUrl::errorString() when not
    QString streamSid;

    static ConnectRequest make(const QUrl &url, const QString &streamSid);
};

struct ListenRequest
{
    int protocol = -1; // QAbstractSocket::NetworkLayerProtocol
    quint32 ipv4 = 0;
    Q_IPV6ADDR ipv6{};
    QString scopeId;
    quint16 port = 0;

    static ListenRequest make(const QHostAddress &addr, quint16 port);
    QHostAddress address() const;
};

} // namespace pacelab

Q_DECLARE_METATYPE(pacelab::ConnectRequest)
Q_DECLARE_METATYPE(pacelab::ListenRequest)

namespace pacelab {

// The worker of the sender thread: owns the WebSocket (client) or WebSocketServer (listen
// mode), runs the clock, writes every frame. Create it, move it to its QThread, then drive it
// only through queued calls (SenderEngine does exactly that).
class PacedSender final : public QObject
{
    Q_OBJECT
public:
    PacedSender(SenderConfig cfg, TxQueue *queue, std::shared_ptr<EngineShared> shared);
    ~PacedSender() override;

public Q_SLOTS:
    void connectTo(const pacelab::ConnectRequest &request);
    void listen(const pacelab::ListenRequest &request);
    void stop();
    void shutdown();     // immediate discard + close; the engine's destructor calls it blocking
    void handleClear();  // processes SenderEngine::clear() requests

Q_SIGNALS:
    void telemetry(const pacelab::TelemetrySnapshot &snapshot);
    void stateChanged(int state, const QString &message); // an EngineState (SenderEngine::State)
    void logMessage(const QString &level, const QString &text);
    void peerMessage(const QByteArray &json);
    void markSent(const QString &name);
    void errorOccurred(const QString &message);

private:
    struct Outgoing
    {
        QByteArray json;
        bool isMedia = false;
        bool comfort = false;
        QString markName;
        qint64 enqueuedNs = 0;
    };

    void ensureThreadSetup();
    void startSession(); // telemetry, JSONL file, queue reopened
    void finishStopped(const QString &why);
    void setState(EngineState s, const QString &message);
    void fail(const QString &message);
    void resetConnection();
    void attachSocket(QWebSocket *socket);
    void openClient();
    void onConnected();
    void onDisconnected();
    void onTextMessage(const QString &text);
    void onBinaryMessage(const QByteArray &data);
    void onPong(quint64 elapsedMs, const QByteArray &payload);
    void onNewConnection();
    void onPingTimer();
    void scheduleReconnect();

    void startStreaming();   // streamSid known: start the clock
    void stopClock();
    void armTimer();
    void onClockTimer();
    void preciseWait(); // to the pacer's deadline
    void tickAbsolute();
    void tickFixedSleep();
    bool sendQueueFull() const;
    void prepareNext();                              // pop + encode the next slot's traffic
    void prepareMark(const TxItem &item);
    bool releasePrepared();                          // hand it to the writer; false: no audio
    void pumpSendQueue();
    bool writeText(const QByteArray &json);
    bool processClearRequests();
    void finishStopIfDrained();
    void closeSocket(const QString &why);

    void onTelemetryTimer();
    void publishTotals();

    SenderConfig m_cfg;
    TxQueue *m_queue;
    std::shared_ptr<EngineShared> m_shared;

    // Transport (created on the sender thread, children of this object).
    QWebSocket *m_socket = nullptr;
    QWebSocketServer *m_server = nullptr;
    QUrl m_url;
    bool m_clientMode = false;
    QString m_streamSid;
    QString m_fixedStreamSid; // given by the caller, not learnt
    bool m_stopping = false;
    bool m_connectedOnce = false; // this socket reached Connected
    QString m_lastSocketError;
    int m_reconnectAttempts = 0;
    QTimer *m_reconnectTimer = nullptr;

    // Keep-alive.
    QTimer *m_pingTimer = nullptr;
    bool m_pingOutstanding = false;
    quint64 m_pingSeq = 0;
    int m_lastRttMs = -1;
    int m_missedPongs = 0;
    int m_missedPongsInRow = 0;
    bool m_closeHandshake = false; // a close frame was sent or received on this socket
    QString m_abortReason; // set when we drop a dead connection ourselves: the disconnect's reason

    // Clock: the QTimer wakes the thread, the pacer says when and what for.
    QTimer *m_clockTimer = nullptr;
    bool m_streaming = false;
    Pacer m_pacer;
    qint64 m_drainStartedNs = 0;

    // Popped and encoded ahead of the deadline (one frame plus the marks around it).
    std::vector<Outgoing> m_prepared;
    // Send queue: clock -> socket writer.
    std::deque<Outgoing> m_sendQueue;
    quint64 m_clearsHandled = 0;

    // Telemetry: counted by the accumulator, emitted once a second (signal, stdout, JSONL).
    QTimer *m_telemetryTimer = nullptr;
    TelemetryAccumulator m_telemetry;
    QFile m_jsonl;
};

} // namespace pacelab
