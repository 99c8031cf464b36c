#include "FrameProducer.h"

#include "audio/Framer.h"
#include "engine/TxQueue.h"

#include <QThread>
#include <atomic>
#include <chrono>
#include <thread>

namespace pacelab::audioio {

struct ProducerShared
{
    std::atomic<bool> stop{false};
    std::atomic<bool> running{false};
    std::atomic<int> policy{0};
    std::atomic<qint64> pushed{0};
    std::atomic<qint64> lost{0};
};

class ProducerWorker : public QObject
{
    Q_OBJECT
public:
    ProducerWorker(std::unique_ptr<PcmSource> source, TxQueue *queue, const MediaFormat &format,
                   std::shared_ptr<ProducerShared> shared)
        : m_source(std::move(source))
        , m_queue(queue)
        , m_format(format)
        , m_shared(std::move(shared))
    {
    }

    void run();

Q_SIGNALS:
    void progress(double fraction, qint64 framesPushed);
    void finished(const QString &reason, bool error);

private:
    bool pushFrame(QByteArray frame); // false = stop requested
    void sleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

    std::unique_ptr<PcmSource> m_source;
    TxQueue *m_queue;
    const MediaFormat m_format;
    std::shared_ptr<ProducerShared> m_shared;
    using Clock = std::chrono::steady_clock;
    Clock::time_point m_deadline = Clock::now();
    int m_burstFrames = 0;
};

void ProducerWorker::run()
{
    m_shared->running = true;
    auto done = [this](const QString &reason, bool error) {
        m_shared->running = false;
        Q_EMIT finished(reason, error);
    };
    QString error;
    if (!m_source->open(&error)) {
        done(error, true);
        return;
    }
    Framer framer(m_source->sampleRate(), m_source->channels(), m_format);
    if (!framer.isValid()) {
        done(QStringLiteral("%1: %2").arg(m_source->name(), framer.errorString()), true);
        return;
    }
    // One frame's duration at the source rate per read.
    const qsizetype chunk = qMax<qsizetype>(1, qsizetype(m_source->sampleRate()) * m_format.frameMs / 1000);
    auto lastProgress = Clock::now();
    m_deadline = Clock::now();
    QVector<qint16> pcm;
    while (!m_shared->stop) {
        pcm.clear();
        const qsizetype n = m_source->read(pcm, chunk);
        const bool end = n == 0;
        const QList<QByteArray> frames = end ? framer.flush().frames : framer.push(pcm);
        for (const QByteArray &f : frames)
            if (!pushFrame(f)) {
                done(QStringLiteral("stopped"), false);
                return;
            }
        const auto now = Clock::now();
        if (end || now - lastProgress >= std::chrono::milliseconds(200)) {
            lastProgress = now;
            Q_EMIT progress(m_source->progress(), m_shared->pushed.load());
        }
        if (end) {
            done(QStringLiteral("finished"), false);
            return;
        }
    }
    done(QStringLiteral("stopped"), false);
}

bool ProducerWorker::pushFrame(QByteArray frame)
{
    using Policy = FrameProducer::Policy;
    const auto policy = Policy(m_shared->policy.load());
    if (policy == Policy::BackPressure) {
        for (;;) {
            if (m_shared->stop)
                return false;
            if (m_queue->isClosed()) {
                sleepMs(100); // not connected: wait for the stream to reopen the queue
                continue;
            }
            switch (m_queue->pushWaiting(TxItem::media(frame), 200)) {
            case TxQueue::PushResult::Ok:
                ++m_shared->pushed;
                return true;
            case TxQueue::PushResult::Aborted:
                ++m_shared->lost; // clear() aborted the wait: this frame is stale speech
                return true;
            default:
                continue; // closed meanwhile, or a plain timeout: try again
            }
        }
    }
    if (policy == Policy::DropOldest) {
        // Real time: a live source cannot run ahead of the clock.
        m_deadline += std::chrono::milliseconds(m_format.frameMs);
        const auto now = Clock::now();
        if (now - m_deadline > std::chrono::milliseconds(200))
            m_deadline = now; // we were suspended: do not catch up in a burst
        while (Clock::now() < m_deadline) {
            if (m_shared->stop)
                return false;
            std::this_thread::sleep_until(std::min(m_deadline, Clock::now() + std::chrono::milliseconds(50)));
        }
    } else { // Burst
        if (++m_burstFrames >= std::max(1, 1000 / m_format.frameMs)) { // 1 s of audio
            m_burstFrames = 0;
            for (int i = 0; i < 2 && !m_shared->stop; ++i)
                sleepMs(100);
        }
        m_deadline = Clock::now();
    }
    if (m_shared->stop)
        return false;
    const auto r = m_queue->pushDropOldest(TxItem::media(std::move(frame)));
    if (r == TxQueue::PushResult::Closed)
        ++m_shared->lost;
    else
        ++m_shared->pushed;
    return true;
}

void FrameProducer::ThreadDeleter::operator()(QThread *t) const
{
    t->quit();
    t->wait();
    delete t;
}

FrameProducer::FrameProducer(std::unique_ptr<PcmSource> source, TxQueue *queue, Policy policy,
                             QObject *parent)
    : FrameProducer(std::move(source), queue, policy, MediaFormat::mulaw8k(), parent)
{
}

FrameProducer::FrameProducer(std::unique_ptr<PcmSource> source, TxQueue *queue, Policy policy,
                             const MediaFormat &format, QObject *parent)
    : QObject(parent)
    , m_name(source ? source->name() : QString())
    , m_shared(std::make_shared<ProducerShared>())
    , m_pendingSource(std::move(source))
    , m_queue(queue)
    , m_format(format)
{
    m_shared->policy = int(policy);
}

FrameProducer::~FrameProducer()
{
    stop();
}

void FrameProducer::setPolicy(Policy policy)
{
    m_shared->policy = int(policy);
}

FrameProducer::Policy FrameProducer::policy() const
{
    return Policy(m_shared->policy.load());
}

void FrameProducer::start()
{
    if (m_thread || !m_pendingSource || !m_queue) {
        if (!m_queue || (!m_thread && !m_pendingSource))
            Q_EMIT finished(QStringLiteral("nothing to play"), true);
        return;
    }
    m_thread.reset(new QThread);
    m_thread->setObjectName(QStringLiteral("producer: %1").arg(m_name));
    m_worker = new ProducerWorker(std::move(m_pendingSource), m_queue, m_format, m_shared);
    m_worker->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::started, m_worker, &ProducerWorker::run);
    connect(m_thread.get(), &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &ProducerWorker::progress, this, &FrameProducer::progress);
    connect(m_worker, &ProducerWorker::finished, this, &FrameProducer::finished);
    m_shared->running = true;
    m_thread->start();
}

void FrameProducer::stop()
{
    m_shared->stop = true;
    m_thread.reset(); // quit + wait: run() returns within ~200 ms of the stop flag
    m_worker = nullptr;
}

bool FrameProducer::isRunning() const
{
    return m_thread && m_shared->running;
}

qint64 FrameProducer::framesPushed() const
{
    return m_shared->pushed;
}

qint64 FrameProducer::framesLost() const
{
    return m_shared->lost;
}

} // namespace pacelab::audioio

#include "FrameProducer.moc"
