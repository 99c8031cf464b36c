#include "engine/MultiStreamSender.h"

#include "engine/MultiStreamWorker.h"
#include "engine/SenderTransport.h"
#include "util/ThreadCaller.h"

#include <QJsonObject>

namespace pacelab {

QString MultiStreamSecond::toLine() const
{
    return QStringLiteral("[TX] streams=%1/%2 fps=%3 min_fps=%4 frames=%5 qmax=%6 drops=%7 late=%8 "
                          "p50=%9us p99=%10us max=%11us stalled=%12 ticks=%13")
        .arg(streaming)
        .arg(streams)
        .arg(fpsPerStream, 0, 'f', 1)
        .arg(minFps)
        .arg(framesSent)
        .arg(queueMax)
        .arg(drops)
        .arg(lateResets)
        .arg(latenessP50Us)
        .arg(latenessP99Us)
        .arg(latenessMaxUs)
        .arg(stalledFrames)
        .arg(ticks);
}

QJsonObject MultiStreamSecond::toJson() const
{
    return QJsonObject{{QStringLiteral("second"), secondIndex},
                       {QStringLiteral("wallTimeMs"), wallTimeMs},
                       {QStringLiteral("streams"), streams},
                       {QStringLiteral("streaming"), streaming},
                       {QStringLiteral("framesSent"), framesSent},
                       {QStringLiteral("fpsPerStream"), fpsPerStream},
                       {QStringLiteral("minFps"), minFps},
                       {QStringLiteral("queueMax"), queueMax},
                       {QStringLiteral("drops"), drops},
                       {QStringLiteral("dropsTotal"), qint64(dropsTotal)},
                       {QStringLiteral("lateResets"), lateResets},
                       {QStringLiteral("latenessP50Us"), latenessP50Us},
                       {QStringLiteral("latenessP99Us"), latenessP99Us},
                       {QStringLiteral("latenessMaxUs"), latenessMaxUs},
                       {QStringLiteral("stalledFrames"), stalledFrames},
                       {QStringLiteral("ticks"), qint64(ticks)}};
}

void MultiStreamSender::ThreadStopper::operator()(QThread *t) const
{
    if (!t)
        return;
    t->quit();
    t->wait();
    delete t;
}

MultiStreamSender::MultiStreamSender(SenderConfig cfg, int phases, QObject *parent)
    : QObject(parent), m_cfg(std::move(cfg)), m_phases(phases == 0 ? kDefaultPhases : phases)
{
    qRegisterMetaType<pacelab::MultiStreamSecond>();
    m_thread.reset(new QThread);
    m_thread->setObjectName(QStringLiteral("pacelab-streams"));
    m_worker = new MultiStreamWorker(m_cfg, std::max(1, m_phases), this);
    m_caller = new ThreadCaller(m_worker);
    m_worker->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start(QThread::TimeCriticalPriority);
}

MultiStreamSender::~MultiStreamSender()
{
    {
        std::lock_guard lock(m_mutex);
        for (auto &s : m_streams)
            s->queue.close(); // producers blocked in pushBlocking() must not outlive the queue
    }
    m_caller->call([w = m_worker] { w->shutdown(); return true; });
    m_thread.reset();
    std::lock_guard lock(m_mutex);
    for (auto &s : m_streams)
        s->queue.setWarningHandler({});
}

QString MultiStreamSender::validate() const
{
    const QString err = m_cfg.validate();
    if (!err.isEmpty())
        return err;
    if (m_phases < 1 || m_cfg.frameIntervalUs * 1000 / m_phases < 100000)
        return QStringLiteral("phases must be 1..%1 (at least 100 us apart), got %2")
            .arg(m_cfg.frameIntervalUs / 100)
            .arg(m_phases);
    return {};
}

int MultiStreamSender::addStream(const QUrl &url, const QString &streamSid, QString *error)
{
    QString err = validate();
    if (!err.isEmpty())
        err = QStringLiteral("invalid sender configuration: ") + err;
    else if (!url.isValid())
        err = QStringLiteral("invalid URL: %1").arg(url.errorString());
    else
        err = SenderTransport::checkClientUrl(url, m_cfg);
    if (!err.isEmpty()) {
        if (error)
            *error = err;
        return -1;
    }
    std::shared_ptr<StreamShared> s;
    {
        std::lock_guard lock(m_mutex);
        s = std::make_shared<StreamShared>(int(m_streams.size()), m_cfg);
        m_streams.push_back(s);
    }
    const int id = s->id;
    // Runs on whichever thread dropped; the signal is queued to the receivers' threads.
    s->queue.setWarningHandler([this, id](const QString &text) {
        Q_EMIT logMessage(id, QStringLiteral("warning"), QStringLiteral("stream %1: %2").arg(id).arg(text));
    });
    s->state.store(int(EngineState::Connecting));
    // Deep copies: nothing the worker holds shares data with the caller's objects.
    const QByteArray encoded = url.toEncoded();
    const QString sid(streamSid.constData(), streamSid.size());
    m_caller->post([w = m_worker, s, encoded, sid] { w->addStream(s, QUrl::fromEncoded(encoded), sid); });
    return id;
}

int MultiStreamSender::streamCount() const
{
    std::lock_guard lock(m_mutex);
    return int(m_streams.size());
}

std::shared_ptr<StreamShared> MultiStreamSender::shared(int stream) const
{
    std::lock_guard lock(m_mutex);
    if (stream < 0 || size_t(stream) >= m_streams.size())
        return {};
    return m_streams[size_t(stream)];
}

TxQueue *MultiStreamSender::queue(int stream)
{
    const auto s = shared(stream);
    return s ? &s->queue : nullptr; // the streams live as long as this object
}

bool MultiStreamSender::enqueueFrame(int stream, QByteArray frame, bool blocking)
{
    const auto s = shared(stream);
    if (!s)
        return false;
    TxItem item = TxItem::media(std::move(frame));
    if (blocking)
        return s->queue.pushBlocking(std::move(item));
    const auto r = s->queue.pushDropOldest(std::move(item));
    return r == TxQueue::PushResult::Ok || r == TxQueue::PushResult::DroppedOldest;
}

void MultiStreamSender::mark(int stream, QString name)
{
    if (const auto s = shared(stream))
        s->queue.pushAlways(TxItem::mark(std::move(name)));
}

void MultiStreamSender::clear(int stream)
{
    const auto s = shared(stream);
    if (!s)
        return;
    s->queue.clear(true);
    s->clearRequests.fetch_add(1);
    m_caller->post([w = m_worker, stream] { w->handleClear(stream); });
}

void MultiStreamSender::resetTotals()
{
    m_caller->post([w = m_worker] { w->resetTotals(); });
}

void MultiStreamSender::stop()
{
    m_caller->post([w = m_worker] { w->stop(); });
}

EngineState MultiStreamSender::streamState(int stream) const
{
    const auto s = shared(stream);
    return s ? EngineState(s->state.load()) : EngineState::Idle;
}

StreamStats MultiStreamSender::streamStats(int stream) const
{
    const auto s = shared(stream);
    if (!s)
        return {};
    std::lock_guard lock(s->mutex);
    StreamStats st = s->stats;
    st.state = EngineState(s->state.load());
    return st;
}

TelemetrySnapshot MultiStreamSender::streamTelemetry(int stream) const
{
    const auto s = shared(stream);
    if (!s)
        return {};
    std::lock_guard lock(s->mutex);
    return s->lastTelemetry;
}

MultiStreamSecond MultiStreamSender::lastSecond() const
{
    std::lock_guard lock(m_mutex);
    return m_last;
}

MultiStreamTotals MultiStreamSender::totals() const
{
    std::lock_guard lock(m_mutex);
    return m_totals;
}

} // namespace pacelab
