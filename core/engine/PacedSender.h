#pragma once

#include "engine/EngineShared.h"
#include "engine/Pacer.h"
#include "engine/PeerReader.h"
#include "engine/SendQueue.h"
#include "engine/SenderConfig.h"
#include "engine/SenderTransport.h"
#include "engine/Telemetry.h"
#include "engine/TelemetryAccumulator.h"
#include "engine/TelemetrySinks.h"
#include "engine/TxQueue.h"

#include <QObject>
#include <QTimer>

#include <memory>

namespace pacelab {

// The worker of the sender thread: the clock of one stream. It wakes at each deadline (Pacer),
// moves the slot's traffic from the tx queue through its SendQueue to the socket of its
// SenderTransport, handles clear and stop, and closes a telemetry second every second
// (TelemetryAccumulator -> TelemetrySinks). Create it, move it to its QThread, then drive it only
// through queued calls (SenderEngine does exactly that).
class PacedSender final : public QObject, private TransportListener
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
    void peerData(const QByteArray &data, bool binary);
    void markSent(const QString &name);
    void markEchoed(const QString &name);
    void errorOccurred(const QString &message);

private:
    // TransportListener
    void transportConnected(const QString &peer) override;
    void transportDisconnected(const QString &why, bool wasConnected) override;
    void transportMessage(const QByteArray &data, bool binary) override;
    void transportWritable() override { pumpSendQueue(); }
    void transportLog(const QString &level, const QString &text) override { Q_EMIT logMessage(level, text); }
    void transportState(EngineState state, const QString &message) override { setState(state, message); }

    void ensureThreadSetup();
    void startSession(); // telemetry, JSONL file, queue reopened
    void finishStopped(const QString &why);
    void setState(EngineState s, const QString &message);
    void fail(const QString &message);
    void resetConnection();

    void startStreaming();   // streamSid known: start the clock
    void stopClock();
    void armTimer();
    void onClockTimer();
    void tickAbsolute();
    void tickFixedSleep();
    void tickBypass();
    void prepareNext();
    bool releasePrepared();  // hand it to the writer; false: no audio
    void pumpSendQueue();
    bool writeMessage(const QByteArray &data, bool binary, qint64 *sentNs = nullptr);
    bool processClearRequests();
    void finishStopIfDrained();
    void closeSocket(const QString &why);

    void onTelemetryTimer();
    void publishTotals();

    SenderConfig m_cfg;
    PeerReader m_peer; // the provider profile: what the peer's messages mean
    TxQueue *m_queue;
    std::shared_ptr<EngineShared> m_shared;

    SenderTransport *m_transport = nullptr; // created on the sender thread, our child
    QString m_streamSid;
    QString m_fixedStreamSid; // given by the caller, not learnt
    bool m_stopping = false;

    // Clock: the QTimer wakes the thread, the pacer says when and what for.
    QTimer *m_clockTimer = nullptr;
    bool m_streaming = false;
    Pacer m_pacer;
    qint64 m_drainStartedNs = 0;

    SendQueue m_send;
    bool m_pumping = false; // a flush may report bytesWritten from inside the pump
    quint64 m_clearsHandled = 0;

    // Telemetry: counted by the accumulator, published once a second by the sinks.
    QTimer *m_telemetryTimer = nullptr;
    TelemetryAccumulator m_telemetry;
    TelemetrySinks m_sinks;
};

} // namespace pacelab
