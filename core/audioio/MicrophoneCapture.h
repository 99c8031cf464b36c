#pragma once

#include "audio/MediaFormat.h"

#include <QAudioDevice>
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>

class QThread;

namespace pacelab {
class ThreadCaller;
class TxQueue;
}

namespace pacelab::audioio {

class MicWorker;

// Microphone -> tx queue. QAudioSource runs at the device's native rate and format on its own
// thread; the audio is converted to PCM16, resampled and cut into frames of the sender's format
// (core/audio Framer; 20 ms of 8 kHz mu-law by default, the provider's outbound format with
// setFormat), and pushed drop-oldest: live audio never waits, a full queue loses its oldest
// frames instead.
class MicrophoneCapture : public QObject
{
    Q_OBJECT
public:
    explicit MicrophoneCapture(TxQueue *queue, QObject *parent = nullptr);
    MicrophoneCapture(TxQueue *queue, const MediaFormat &format, QObject *parent = nullptr);
    ~MicrophoneCapture() override;

    // The frames the queue wants (SenderEngine::format()); applies from the next start().
    void setFormat(const MediaFormat &format);
    MediaFormat format() const { return m_format; }

    // False with a specific message for a null device, an unusable format or a failed start.
    bool start(const QAudioDevice &device, QString *error);
    void stop();
    bool isActive() const;
    qint64 framesPushed() const;
    // Applies while running: false = the mic is captured (level meter) but not sent.
    void setSending(bool sending);

Q_SIGNALS:
    void level(double peakDbfs); // ~10 per second
    void errorOccurred(const QString &message);

private:
    struct ThreadDeleter
    {
        void operator()(QThread *t) const;
    };
    TxQueue *m_queue;
    MediaFormat m_format;
    std::unique_ptr<QThread, ThreadDeleter> m_thread;
    MicWorker *m_worker = nullptr;
    ThreadCaller *m_caller = nullptr; // runs start/stop on the microphone thread
};

// Converts one block of raw device audio (any QAudioFormat sample format) to PCM16. Exposed for
// tests. Returns false for a format it cannot read.
bool convertToPcm16(const QByteArray &raw, int sampleFormat, QVector<qint16> *out);

} // namespace pacelab::audioio
