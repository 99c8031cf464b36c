#pragma once

#include "engine/EngineState.h"
#include "engine/RealtimeScheduling.h"
#include "engine/SenderConfig.h"
#include "engine/Telemetry.h"
#include "engine/TxQueue.h"

#include <QHostAddress>
#include <QObject>
#include <QThread>
#include <QUrl>

#include <memory>

namespace pacelab {

class PacedSender;
class ThreadCaller;
struct EngineShared;

// The thread-safe facade of the outbound path. Any thread (UI, producers, tests) calls it; the
// socket lives on the engine's own sender thread, inside PacedSender, and nothing else writes
// to it. Producers push into queue() (or enqueueFrame()/mark()).
class SenderEngine final : public QObject
{
    Q_OBJECT
public:
    enum State {
        Idle = int(EngineState::Idle),
        Connecting = int(EngineState::Connecting),
        Listening = int(EngineState::Listening),
        Connected = int(EngineState::Connected),
        Closing = int(EngineState::Closing),
        Error = int(EngineState::Error),
    };
    Q_ENUM(State)

    explicit SenderEngine(SenderConfig cfg = {}, QObject *parent = nullptr);
    ~SenderEngine() override; // discards what is queued, closes the socket, joins the thread

    const SenderConfig &config() const { return m_cfg; }
    // What one queued frame must be: the provider profile's outbound format (Twilio: 160 B of
    // 8 kHz mu-law per 20 ms). Producers frame their audio in it (audio/Framer).
    MediaFormat format() const { return m_cfg.outboundFormat(); }

    // Client mode, ws:// or wss://. streamSid empty: learnt from the peer's `start` message.
    void connectTo(const QUrl &url, const QString &streamSid = {});
    // Server mode, like a bot facing Twilio: accept one connection, read connected/start, send.
    // port 0 picks a free port (see listeningPort()).
    void listen(const QHostAddress &addr, quint16 port);
    // Drain (send what is queued at pace, then close) or Discard, per config().stopMode.
    // Asynchronous: state() becomes Idle when done.
    void stop();

    TxQueue *queue() { return m_queue.get(); }
    // One frame of format(). blocking: back-pressure (waits while the queue is at high water);
    // otherwise drop-oldest. Returns false when the frame was not queued (queue closed, or
    // cleared while waiting).
    bool enqueueFrame(QByteArray frame, bool blocking = true);
    // Queued in order with the audio; never blocks, never dropped.
    void mark(QString name);
    // Barge-in: empties the tx queue now (waiting producers are aborted), then the sender
    // empties the send queue and sends the provider's clear (Twilio `clear`, Plivo
    // `clearAudio`, ...) before anything queued later.
    void clear();

    State state() const;
    QString streamSid() const;
    quint16 listeningPort() const; // 0 unless listening
    TelemetrySnapshot lastTelemetry() const;
    SenderTotals totals() const;
    quint64 offThreadWrites() const; // socket writes made off the sender thread: must stay 0
    QThread *senderThread() const { return m_thread.get(); }
    // What the sender thread got when it started: SCHED_FIFO, rtkit, nice or normal, and why.
    const SchedulingResult &scheduling() const { return m_scheduling; }

    static QString stateName(State s);

Q_SIGNALS:
    void telemetry(const pacelab::TelemetrySnapshot &snapshot);
    void stateChanged(pacelab::SenderEngine::State state, const QString &message);
    void logMessage(const QString &level, const QString &text); // "info" | "warning" | "error"
    void peerMessage(const QByteArray &json); // every text message received from the peer
    // Every message received from the peer, text or binary (Vonage sends caller audio binary);
    // parse it with provider::profile(config().provider).parseFromProvider().
    void peerData(const QByteArray &data, bool binary);
    void markSent(const QString &name);
    void markEchoed(const QString &name); // the peer says the audio up to this mark has played
    void errorOccurred(const QString &message);

private:
    struct ThreadStopper
    {
        void operator()(QThread *t) const;
    };

    SenderConfig m_cfg;
    std::unique_ptr<TxQueue> m_queue;
    std::shared_ptr<EngineShared> m_shared;
    std::unique_ptr<QThread, ThreadStopper> m_thread;
    PacedSender *m_sender = nullptr; // lives on m_thread, deleted when it finishes
    ThreadCaller *m_caller = nullptr; // our requests to m_sender, run on its thread; its child
    SchedulingResult m_scheduling;    // set in the constructor, constant after
};

} // namespace pacelab
