#include "BaselineSender.h"

#include "BenchUtil.h"

#include "audio/AudioFormat.h"
#include "engine/TxQueue.h" // steadyNowNs: the engine's clock
#include "twilio/TwilioMessages.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>

namespace pacelab::bench {

BaselineSender::BaselineSender(BaselineOptions options)
    : m_options(std::move(options))
{
    m_lateness.reserve(size_t(std::max(0, m_options.frames)));
}

BaselineSender::~BaselineSender()
{
    stop(0);
}

void BaselineSender::start()
{
    if (m_started)
        return;
    m_started = true;
    m_context = std::make_unique<QObject>();
    m_context->moveToThread(&m_thread);
    m_thread.setObjectName(QStringLiteral("baseline-sender"));
    m_thread.start(m_options.threadPriority);
    QMetaObject::invokeMethod(m_context.get(), [this] {
        // Everything below runs on the baseline's thread; the members it writes are read by
        // the owner only after stop() has joined the thread.
        QObject *ctx = m_context.get();
        m_scheduling = setThreadFifo(m_options.fifoPriority, &m_refusal);
        auto *socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, ctx);
        auto *timer = new QTimer(ctx);
        timer->setTimerType(Qt::PreciseTimer);
        timer->setInterval(int(m_options.intervalUs / 1000));
        const QByteArray silence(kFrameBytes, char(0xFF)); // mu-law silence
        auto next = std::make_shared<QByteArray>(twilio::encodeMedia(m_options.streamSid, silence));
        auto anchorNs = std::make_shared<qint64>(0);
        QObject::connect(timer, &QTimer::timeout, ctx, [this, socket, timer, next, anchorNs, silence] {
            // The naive pacer: one frame per tick, trusting the timer. Written and flushed here,
            // then stamped: the moment the bytes reached the kernel, as PaceLab's sender does.
            socket->sendTextMessage(QString::fromUtf8(*next));
            socket->flush();
            const qint64 nowNs = steadyNowNs();
            const qint64 slotNs = *anchorNs + m_options.intervalUs * 1000 * qint64(m_lateness.size() + 1);
            m_lateness.push_back((nowNs - slotNs) / 1000);
            if (int(m_lateness.size()) >= m_options.frames) {
                timer->stop();
                socket->close();
                m_finished.store(true, std::memory_order_release);
                return;
            }
            *next = twilio::encodeMedia(m_options.streamSid, silence);
        });
        QObject::connect(socket, &QWebSocket::connected, ctx, [timer, anchorNs] {
            *anchorNs = steadyNowNs();
            timer->start();
        });
        QObject::connect(socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), ctx, [this, socket, timer] {
            if (isFinished())
                return;
            timer->stop();
            m_error = socket->errorString();
            m_finished.store(true, std::memory_order_release);
        });
        socket->open(m_options.url);
    });
}

bool BaselineSender::run(int timeoutMs, const std::function<bool()> &alsoDone, int graceMs)
{
    const double cpu0 = cpuSeconds();
    QElapsedTimer wall;
    wall.start();
    start();
    const bool done = runEventsUntil([&] { return isFinished() && (!alsoDone || alsoDone()); }, timeoutMs);
    m_processCores = (cpuSeconds() - cpu0) / std::max(1e-3, double(wall.nsecsElapsed()) / 1e9);
    stop(graceMs);
    return done;
}

BaselineSender::Summary BaselineSender::summary() const
{
    Summary s;
    s.p50 = percentile(m_lateness, 0.50);
    s.p99 = percentile(m_lateness, 0.99);
    s.max = m_lateness.empty() ? 0 : *std::max_element(m_lateness.begin(), m_lateness.end());
    s.last = m_lateness.empty() ? 0 : m_lateness.back();
    return s;
}

void BaselineSender::stop(int graceMs)
{
    if (!m_started || m_stopped)
        return;
    m_stopped = true;
    if (graceMs > 0)
        runEventsFor(graceMs);
    // The socket and the timer go on their own thread, then the thread.
    QMetaObject::invokeMethod(
        m_context.get(), [ctx = m_context.get()] {
            const QObjectList children = ctx->children(); // a copy: deleting edits the list
            qDeleteAll(children);
        }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

} // namespace pacelab::bench
