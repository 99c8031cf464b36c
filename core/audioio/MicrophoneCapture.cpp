#include "MicrophoneCapture.h"

#include "audio/Framer.h"
#include "engine/TxQueue.h"
#include "util/ThreadCaller.h"

#include <QAudioSource>
#include <QElapsedTimer>
#include <QThread>
#include <QtEndian>
#include <cmath>

namespace pacelab::audioio {

bool convertToPcm16(const QByteArray &raw, int sampleFormat, QVector<qint16> *out)
{
    out->clear();
    switch (QAudioFormat::SampleFormat(sampleFormat)) {
    case QAudioFormat::Int16: {
        const qsizetype n = raw.size() / 2;
        out->resize(n);
        memcpy(out->data(), raw.constData(), size_t(n) * 2);
        return true;
    }
    case QAudioFormat::UInt8: {
        out->reserve(raw.size());
        for (char c : raw)
            out->append(qint16((int(quint8(c)) - 128) << 8));
        return true;
    }
    case QAudioFormat::Int32: {
        const qsizetype n = raw.size() / 4;
        out->reserve(n);
        const char *p = raw.constData();
        for (qsizetype i = 0; i < n; ++i) {
            qint32 v;
            memcpy(&v, p + 4 * i, 4);
            out->append(qint16(v >> 16));
        }
        return true;
    }
    case QAudioFormat::Float: {
        const qsizetype n = raw.size() / 4;
        out->reserve(n);
        const char *p = raw.constData();
        for (qsizetype i = 0; i < n; ++i) {
            float v;
            memcpy(&v, p + 4 * i, 4);
            out->append(qint16(std::lround(std::clamp(double(v), -1.0, 1.0) * 32767.0)));
        }
        return true;
    }
    default:
        return false;
    }
}

class MicWorker : public QObject
{
    Q_OBJECT
public:
    explicit MicWorker(TxQueue *queue)
        : m_queue(queue)
    {
    }
    ~MicWorker() override { stop(); }

    bool start(const QAudioDevice &device, const MediaFormat &target, QString *error);
    void stop();

    std::atomic<bool> active{false};
    std::atomic<bool> sending{true};
    std::atomic<qint64> pushed{0};

Q_SIGNALS:
    void level(double peakDbfs);
    void errorOccurred(const QString &message);

private:
    void onReadyRead();

    TxQueue *m_queue;
    std::unique_ptr<QAudioSource> m_source;
    QIODevice *m_io = nullptr;
    std::unique_ptr<Framer> m_framer;
    QAudioFormat m_format;
    QElapsedTimer m_levelTimer;
    int m_peak = 0;
};

bool MicWorker::start(const QAudioDevice &device, const MediaFormat &target, QString *error)
{
    stop();
    if (device.isNull()) {
        *error = QStringLiteral("No audio input device found");
        return false;
    }
    // Native rate and channels; PCM16 when the device offers it, else its own sample format.
    QAudioFormat fmt = device.preferredFormat();
    QAudioFormat int16 = fmt;
    int16.setSampleFormat(QAudioFormat::Int16);
    if (device.isFormatSupported(int16))
        fmt = int16;
    if (fmt.sampleRate() <= 0 || fmt.channelCount() <= 0) {
        *error = QStringLiteral("%1 reports no usable format").arg(device.description());
        return false;
    }
    QVector<qint16> probe;
    if (!convertToPcm16(QByteArray(), fmt.sampleFormat(), &probe)) {
        *error = QStringLiteral("%1: unsupported sample format").arg(device.description());
        return false;
    }
    m_framer = std::make_unique<Framer>(fmt.sampleRate(), fmt.channelCount(), target);
    if (!m_framer->isValid()) {
        *error = QStringLiteral("%1: %2").arg(device.description(), m_framer->errorString());
        return false;
    }
    m_format = fmt;
    m_source = std::make_unique<QAudioSource>(device, fmt);
    m_source->setBufferSize(fmt.bytesForDuration(100000)); // 100 ms: low latency, few wakeups
    m_io = m_source->start();
    if (!m_io || m_source->error() != QAudio::NoError) {
        *error = QStringLiteral("%1: could not start capture (error %2)")
                     .arg(device.description()).arg(int(m_source->error()));
        m_source.reset();
        m_io = nullptr;
        return false;
    }
    connect(m_io, &QIODevice::readyRead, this, &MicWorker::onReadyRead);
    m_levelTimer.start();
    active = true;
    return true;
}

void MicWorker::stop()
{
    if (m_source)
        m_source->stop();
    m_source.reset();
    m_io = nullptr;
    m_framer.reset();
    active = false;
}

void MicWorker::onReadyRead()
{
    if (!m_io)
        return;
    const QByteArray raw = m_io->readAll();
    QVector<qint16> pcm;
    if (!convertToPcm16(raw, m_format.sampleFormat(), &pcm))
        return;
    for (qint16 s : pcm)
        m_peak = std::max(m_peak, std::abs(int(s)));
    if (m_levelTimer.elapsed() >= 100) {
        m_levelTimer.restart();
        Q_EMIT level(m_peak > 0 ? 20.0 * std::log10(m_peak / 32767.0) : -96.0);
        m_peak = 0;
    }
    const qsizetype frames = pcm.size() / m_format.channelCount();
    const QList<QByteArray> out = m_framer->push(pcm.constData(), frames);
    if (!sending)
        return;
    for (const QByteArray &f : out)
        if (m_queue->pushDropOldest(TxItem::media(f)) != TxQueue::PushResult::Closed)
            ++pushed;
}

void MicrophoneCapture::ThreadDeleter::operator()(QThread *t) const
{
    t->quit();
    t->wait();
    delete t;
}

MicrophoneCapture::MicrophoneCapture(TxQueue *queue, QObject *parent)
    : MicrophoneCapture(queue, MediaFormat::mulaw8k(), parent)
{
}

MicrophoneCapture::MicrophoneCapture(TxQueue *queue, const MediaFormat &format, QObject *parent)
    : QObject(parent)
    , m_queue(queue)
    , m_format(format)
{
    m_thread.reset(new QThread);
    m_thread->setObjectName(QStringLiteral("microphone"));
    m_worker = new MicWorker(queue);
    m_caller = new ThreadCaller(m_worker); // moves with its parent, dies with it
    m_worker->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &MicWorker::level, this, &MicrophoneCapture::level);
    connect(m_worker, &MicWorker::errorOccurred, this, &MicrophoneCapture::errorOccurred);
    m_thread->start();
}

MicrophoneCapture::~MicrophoneCapture()
{
    stop();
}

namespace {
struct StartResult
{
    bool ok = false;
    QString error;
};
} // namespace

bool MicrophoneCapture::start(const QAudioDevice &device, QString *error)
{
    if (!m_queue) {
        if (error)
            *error = QStringLiteral("no tx queue to feed");
        return false;
    }
    MicWorker *worker = m_worker;
    const auto r = m_caller->call([worker, device, format = m_format] {
        StartResult r;
        r.ok = worker->start(device, format, &r.error);
        return r;
    });
    if (!r) {
        if (error)
            *error = QStringLiteral("microphone thread is not running");
        return false;
    }
    if (!r->ok && error)
        *error = r->error;
    return r->ok;
}

void MicrophoneCapture::stop()
{
    if (m_worker && m_worker->active) {
        MicWorker *worker = m_worker;
        m_caller->call([worker] {
            worker->stop();
            return true;
        });
    }
}

void MicrophoneCapture::setFormat(const MediaFormat &format)
{
    m_format = format;
}

bool MicrophoneCapture::isActive() const
{
    return m_worker && m_worker->active;
}

qint64 MicrophoneCapture::framesPushed() const
{
    return m_worker ? m_worker->pushed.load() : 0;
}

void MicrophoneCapture::setSending(bool sending)
{
    if (m_worker)
        m_worker->sending = sending;
}

} // namespace pacelab::audioio

#include "MicrophoneCapture.moc"
