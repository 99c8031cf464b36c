#pragma once

#include "engine/EngineState.h"
#include "engine/PeerReader.h"
#include "engine/SendQueue.h"
#include "engine/SenderConfig.h"
#include "engine/SenderTransport.h"
#include "engine/Telemetry.h"
#include "engine/TelemetryAccumulator.h"
#include "engine/TxQueue.h"

#include <QUrl>

#include <atomic>
#include <memory>
#include <mutex>

namespace pacelab {

// One stream's whole-run figures, as MultiStreamSender::streamStats() returns them.
struct StreamStats
{
    int id = -1;
    EngineState state = EngineState::Idle;
    QString streamSid;
    quint64 framesSent = 0;
    quint64 comfortFrames = 0;
    quint64 marksSent = 0;
    quint64 marksEchoed = 0; // mark events the peer sent back
    quint64 clearsSent = 0;
    quint64 drops = 0;       // tx queue drop-oldest
    quint64 lateResets = 0;
    quint64 stalledFrames = 0;
    qint64 latenessMaxUs = 0;
    QString lastError;
};

// What every thread may touch of one stream: the producers' tx queue, the clear counter, and
// what the sender thread publishes (state, stats, the last telemetry second).
struct StreamShared
{
    StreamShared(int streamId, const SenderConfig &cfg);
    const int id;
    TxQueue queue;
    std::atomic<int> state{int(EngineState::Idle)};
    std::atomic<quint64> clearRequests{0};
    mutable std::mutex mutex; // guards the two below
    StreamStats stats;
    TelemetrySnapshot lastTelemetry;
};

class StreamState;

// What a stream needs from the thread that serves it (MultiStreamSender's worker).
class StreamHost
{
public:
    virtual ~StreamHost() = default;
    virtual void streamLog(const StreamState &s, const QString &level, const QString &text) = 0;
    virtual void streamStarted(StreamState &s) = 0; // streamSid known: put it on the wheel
    virtual void streamEnded(StreamState &s) = 0;   // off the wheel (disconnected, stopped)
    virtual void streamMark(const StreamState &s, const QString &name, bool echoed) = 0;
    // Across all streams: the whole-run lateness histogram and the per-second summary.
    virtual TelemetryAccumulator &aggregate() = 0;
};

// One stream of MultiStreamSender on the sender thread: its transport (client), its send
// queue, clear, drain and telemetry. It has no clock: the wheel calls prepare() before a tick's
// precise wait and serve() at the tick, for every stream of that tick.
class StreamState final : private TransportListener
{
public:
    StreamState(std::shared_ptr<StreamShared> shared, const SenderConfig &cfg, StreamHost *host,
                QObject *transportParent);
    ~StreamState() override;

    int id() const { return m_shared->id; }
    StreamShared &shared() { return *m_shared; }
    const QString &streamSid() const { return m_streamSid; }
    bool isStreaming() const { return m_streaming; }
    bool isOpen() const { return m_transport->hasSocket(); }

    void open(const QUrl &url, const QString &streamSid); // URL already checked
    // Before the tick's wait: pending clear, then pop and encode the next slot's traffic.
    // Returns whether the tick has anything to write for this stream.
    bool prepare();
    // At the tick: the prepared traffic goes to the socket (deadlineNs: the tick's).
    void serve(qint64 deadlineNs);
    void lateReset();
    void handleClear();

    // Drain: keep serving until everything queued is written, then close; Discard: close now.
    void stop(bool drain, qint64 nowNs);
    void shutdown(); // immediate; the thread ends next
    // Ends the telemetry second of this stream and publishes its stats.
    void closeSecond(qint64 wallTimeMs);
    void publishStats();

private:
    // TransportListener
    void transportConnected(const QString &peer) override;
    void transportDisconnected(const QString &why, bool wasConnected) override;
    void transportMessage(const QByteArray &data, bool binary) override;
    void transportWritable() override { pump(); }
    void transportLog(const QString &level, const QString &text) override;
    void transportState(EngineState state, const QString &message) override;

    void setState(EngineState s, const QString &message);
    void startStreaming();
    void endStreaming();
    void pump();
    bool write(const QByteArray &data, bool binary, qint64 *sentNs);
    void processClear();
    void finishIfDrained();

    std::shared_ptr<StreamShared> m_shared;
    const SenderConfig &m_cfg;
    PeerReader m_peer;
    StreamHost *m_host;
    SenderTransport *m_transport;
    QString m_streamSid;
    QString m_fixedStreamSid;
    bool m_streaming = false;
    bool m_stopping = false;
    bool m_drain = false;
    bool m_pumping = false;
    qint64 m_drainStartedNs = 0;
    quint64 m_clearsHandled = 0;
    quint64 m_marksEchoed = 0;
    QString m_lastError;
    SendQueue m_send;
    TelemetryAccumulator m_telemetry{false}; // lateness percentiles: the host's histogram
};

} // namespace pacelab
