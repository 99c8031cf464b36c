#pragma once

#include "PcmSource.h"

#include "audio/MediaFormat.h"

#include <QObject>
#include <QString>
#include <memory>

class QThread;

namespace pacelab {
class TxQueue;
}

namespace pacelab::audioio {

class ProducerWorker;
struct ProducerShared;

// Feeds one PcmSource into the tx queue from its own thread, as frames of the sender's format
// (20 ms of 8 kHz mu-law by default; pass SenderEngine::format() for another provider: 640 B of
// 16 kHz L16 for Vonage, 100 ms chunks of 8 kHz L16 for Exotel). Several producers may feed the
// same queue at once (the queue is many-producer); their frames interleave in push order. The
// push policy says how it meets a full queue:
//  - BackPressure: waits (pushBlocking) — TTS, files, tones: never drops, never runs ahead of
//    the queue's high-water mark.
//  - DropOldest: real-time pace (one frame per frame duration by the steady clock), never
//    waits; a full queue drops its oldest frame — live sources.
//  - Burst: what a bad bot does: 1 s of audio at once every 200 ms (5x real time), never waits,
//    so the queue overflows and drops are counted.
// The policy may change while running (the UI's burst toggle).
class FrameProducer : public QObject
{
    Q_OBJECT
public:
    enum class Policy { BackPressure, DropOldest, Burst };
    Q_ENUM(Policy)

    FrameProducer(std::unique_ptr<PcmSource> source, TxQueue *queue, Policy policy,
                  QObject *parent = nullptr);
    FrameProducer(std::unique_ptr<PcmSource> source, TxQueue *queue, Policy policy, const MediaFormat &format,
                  QObject *parent = nullptr);
    ~FrameProducer() override; // stops and joins the thread

    QString name() const { return m_name; }
    // The frames the queue wants; before start() (ignored after it).
    void setFormat(const MediaFormat &format) { m_format = format; }
    MediaFormat format() const { return m_format; }
    void setPolicy(Policy policy);
    Policy policy() const;

    void start();
    // Asks the thread to stop and waits for it (it wakes at least every 200 ms).
    void stop();
    bool isRunning() const;

    qint64 framesPushed() const;
    qint64 framesLost() const; // not queued: aborted by clear(), queue closed, or dropped at once

Q_SIGNALS:
    // At most 5 per second. fraction: 0..1, or -1 for endless sources.
    void progress(double fraction, qint64 framesPushed);
    // The source ended ("finished"), failed (error = true) or was stopped ("stopped").
    void finished(const QString &reason, bool error);

private:
    struct ThreadDeleter
    {
        void operator()(QThread *t) const;
    };

    QString m_name;
    std::shared_ptr<ProducerShared> m_shared;
    std::unique_ptr<PcmSource> m_pendingSource; // moved into the worker on start()
    TxQueue *m_queue;
    MediaFormat m_format;
    std::unique_ptr<QThread, ThreadDeleter> m_thread;
    ProducerWorker *m_worker = nullptr;
};

} // namespace pacelab::audioio
