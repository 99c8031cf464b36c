#pragma once

#include "engine/SenderConfig.h"
#include "engine/SenderEngine.h"
#include "engine/Telemetry.h"
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
#include <chrono>
#include <deque>
#include <mutex>
#include <vector>

class QWebSocket;
class QWebSocketServer;

namespace pacelab {

// State the sender thread publishes and any thread reads (SenderEngine's getters).
struct EngineShared
{
    std::atomic<int> state{SenderEngine::Idle};
    std::atomic<quint16> listeningPort{0};
    std::atomic<quint64> offThreadWrites{0};
    std::atomic<quint64> clearRequests{0}; // bumped by SenderEngine::clear(), handled in order
    mutable std::mutex mutex;              // guards the members below
    QString streamSid;
    TelemetrySnapshot lastTelemetry;
    SenderTotals totals;
};

// The worker of the sender thread: owns the WebSocket (client) or WebSocketServer (listen
// mode), runs the clock, writes every frame. Create it, move it to its QThread, then drive it
// only through queued calls (SenderEngine does exactly that).
class PacedSender final : public QObject
{
    Q_OBJECT
public:
    using Clock = std::chrono::steady_clock;

    PacedSender(SenderConfig cfg, TxQueue *queue, std::shared_ptr<EngineShared> shared);
    ~PacedSender() override;

public Q_SLOTS:
    void connectTo(const QUrl &url, const QString &streamSid);
    void listen(const QHostAddress &addr, quint16 port);
    void stop();
    void shutdown();     // immediate discard + close; the engine's destructor calls it blocking
    void handleClear();  // processes SenderEngine::clear() requests

Q_SIGNALS:
    void telemetry(const pacelab::TelemetrySnapshot &snapshot);
    void stateChanged(pacelab::SenderEngine::State state, const QString &message);
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
    void setState(SenderEngine::State s, const QString &message);
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
    void preciseWaitUntil(Clock::time_point t);
    void tickAbsolute();
    void tickFixedSleep();
    bool sendQueueFull() const;
    void prepareNext();                              // pop + encode the next slot's traffic
    void prepareMark(const TxItem &item);
    bool releasePrepared(Clock::time_point slot);    // hand it to the writer; false: no audio
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

    // Clock.
    QTimer *m_clockTimer = nullptr;
    bool m_streaming = false;
    Clock::time_point m_deadline{};
    Clock::time_point m_gridAnchor{};
    quint64 m_gridSlots = 0; // slots elapsed since m_gridAnchor (sent, idle or stalled)
    Clock::time_point m_drainStarted{};

    // Popped and encoded ahead of the deadline (one frame plus the marks around it).
    std::vector<Outgoing> m_prepared;
    // Send queue: clock -> socket writer.
    std::deque<Outgoing> m_sendQueue;
    quint64 m_clearsHandled = 0;

    // Per-second accumulators.
    QTimer *m_telemetryTimer = nullptr;
    qint64 m_secondIndex = 0;
    int m_secFrames = 0;
    int m_secComfort = 0;
    int m_secMarks = 0;
    int m_secLateResets = 0;
    int m_secStalled = 0;
    int m_secSendQueueMax = 0;
    int m_secMediaFromQueue = 0;
    qint64 m_secBytes = 0;
    QVector<qint64> m_secLateness;
    QVector<qint64> m_secEnqueueToSend;
    quint64 m_lastDropsTotal = 0;
    QFile m_jsonl;

    // Whole run.
    SenderTotals m_totals;
    QVector<quint32> m_latenessHistogram; // 1 µs buckets up to its size, then the max only
    QVector<qint64> m_latenessOverflow;  // samples beyond the histogram (rare, capped)
    quint64 m_latenessCount = 0;
};

} // namespace pacelab
