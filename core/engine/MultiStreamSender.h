#pragma once

#include "engine/EngineState.h"
#include "engine/SenderConfig.h"
#include "engine/StreamState.h"
#include "engine/Telemetry.h"

#include <QJsonObject>
#include <QObject>
#include <QThread>
#include <QUrl>

#include <memory>
#include <mutex>
#include <vector>

namespace pacelab {

class MultiStreamWorker;
class ThreadCaller;

// One second across every stream of a MultiStreamSender: "[TX] streams=500/500 fps=50.0 ...".
struct MultiStreamSecond
{
    qint64 secondIndex = 0;
    qint64 wallTimeMs = 0;
    int streams = 0;         // added so far
    int streaming = 0;       // with a streamSid, on the wheel
    int framesSent = 0;      // all streams, that second
    double fpsPerStream = 0; // framesSent / streaming
    int minFps = 0;          // the slowest streaming stream that second
    int queueMax = 0;        // deepest tx queue
    int drops = 0;
    quint64 dropsTotal = 0;
    int lateResets = 0;
    qint64 latenessP50Us = 0; // across all streams' frames that second, after the flush
    qint64 latenessP99Us = 0;
    qint64 latenessMaxUs = 0;
    int stalledFrames = 0;
    quint64 ticks = 0;       // wakes of the pacing thread that second

    QString toLine() const;
    QJsonObject toJson() const;
};

// Whole run across all streams.
struct MultiStreamTotals
{
    int streams = 0;
    int streaming = 0;
    int failed = 0; // in Error
    quint64 framesSent = 0;
    quint64 marksSent = 0;
    quint64 clearsSent = 0;
    quint64 drops = 0;
    quint64 lateResets = 0; // wheel ticks re-anchored
    quint64 stalledFrames = 0;
    quint64 ticks = 0;
    qint64 threadCpuUs = 0; // CPU time of the pacing thread since the start (or resetTotals)
    qint64 latenessP50Us = 0; // every frame of every stream, measured after the flush
    qint64 latenessP99Us = 0;
    qint64 latenessMaxUs = 0;
};

// N outbound streams from ONE pacing thread: the many-stream form of SenderEngine (client mode
// only). Each stream has its own connection, bounded tx queue (drop-oldest with a throttled
// warning, or back-pressure), marks, clear and telemetry; one DeadlineWheel wakes the thread
// once per grid tick and serves every stream due at it. Thread-safe like SenderEngine: call it
// from any thread; the sockets live on the sender thread only.
// Not here: listen mode, the FixedSleep pacer, bypassClock and messageTap (SenderEngine's).
class MultiStreamSender final : public QObject
{
    Q_OBJECT
public:
    // phases: ticks per frame interval (see DeadlineWheel); 0 = kDefaultPhases.
    static constexpr int kDefaultPhases = 20; // 1 ms apart (see docs/engine.md)

    explicit MultiStreamSender(SenderConfig cfg = {}, int phases = 0, QObject *parent = nullptr);
    ~MultiStreamSender() override; // discards what is queued, closes every socket, joins

    const SenderConfig &config() const { return m_cfg; }
    // What one queued frame must be: the provider profile's outbound format.
    MediaFormat format() const { return m_cfg.outboundFormat(); }
    // Checks the config and the phases; empty when usable (addStream fails otherwise).
    QString validate() const;

    // A new stream to url (ws:// or wss://); streamSid empty: learnt from the peer's start.
    // Returns its id (0, 1, 2, ...) or -1 with *error set (bad URL or config).
    int addStream(const QUrl &url, const QString &streamSid = {}, QString *error = nullptr);
    int streamCount() const;

    TxQueue *queue(int stream); // nullptr for an unknown id
    // One frame of format(). blocking false: drop-oldest when full (the default for many
    // streams fed by one thread).
    bool enqueueFrame(int stream, QByteArray frame, bool blocking = false);
    void mark(int stream, QString name);
    void clear(int stream); // empties only that stream's queues, then sends its `clear`
    void stop();            // per config().stopMode, every stream; asynchronous

    EngineState streamState(int stream) const;
    StreamStats streamStats(int stream) const;
    TelemetrySnapshot streamTelemetry(int stream) const; // its last closed second
    MultiStreamSecond lastSecond() const;
    MultiStreamTotals totals() const;
    // Starts the whole-run figures (lateness histogram, ticks, frames) afresh, e.g. after a
    // benchmark's warm-up; per-stream stats are kept. Asynchronous, in order with other calls.
    void resetTotals();
    QThread *senderThread() const { return m_thread.get(); }

Q_SIGNALS:
    void second(const pacelab::MultiStreamSecond &s); // once a second
    void logMessage(int stream, const QString &level, const QString &text); // stream -1: all
    void markSent(int stream, const QString &name);
    void markEchoed(int stream, const QString &name); // the peer played it

private:
    friend class MultiStreamWorker;
    struct ThreadStopper
    {
        void operator()(QThread *t) const;
    };
    std::shared_ptr<StreamShared> shared(int stream) const;

    SenderConfig m_cfg;
    int m_phases;
    mutable std::mutex m_mutex; // guards m_streams, m_last, m_totals
    std::vector<std::shared_ptr<StreamShared>> m_streams;
    MultiStreamSecond m_last;
    MultiStreamTotals m_totals;
    std::unique_ptr<QThread, ThreadStopper> m_thread;
    MultiStreamWorker *m_worker = nullptr;
    ThreadCaller *m_caller = nullptr;
};

} // namespace pacelab

Q_DECLARE_METATYPE(pacelab::MultiStreamSecond)
