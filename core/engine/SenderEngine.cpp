#include "engine/SenderEngine.h"

#include "engine/PacedSender.h"
#include "util/ThreadCaller.h"

#include <QTimer>


namespace pacelab {

void SenderEngine::ThreadStopper::operator()(QThread *t) const
{
    if (!t)
        return;
    t->quit();
    t->wait();
    delete t;
}

SenderEngine::SenderEngine(SenderConfig cfg, QObject *parent)
    : QObject(parent),
      m_cfg(std::move(cfg)),
      m_queue(std::make_unique<TxQueue>(m_cfg.queueCapacity, m_cfg.highWater)),
      m_shared(std::make_shared<EngineShared>())
{
    qRegisterMetaType<pacelab::TelemetrySnapshot>();
    qRegisterMetaType<pacelab::SenderEngine::State>();
    qRegisterMetaType<pacelab::ConnectRequest>();
    qRegisterMetaType<pacelab::ListenRequest>();

    m_queue->setDropWarnInterval(m_cfg.dropWarnIntervalMs);
    // Runs on whichever thread dropped; emitting a signal from there is safe (queued to the
    // receivers' threads).
    m_queue->setWarningHandler([this](const QString &text) {
        Q_EMIT logMessage(QStringLiteral("warning"), text);
    });

    m_thread.reset(new QThread);
    m_thread->setObjectName(QStringLiteral("pacelab-sender"));
    m_sender = new PacedSender(m_cfg, m_queue.get(), m_shared);
    // Every request reaches the sender through one ThreadCaller, in call order: the request's
    // values cross threads under its mutex, so no argument is handed over by Qt's event queue
    // alone (invisible to ThreadSanitizer with a Qt not built for it).
    m_caller = new ThreadCaller(m_sender); // a child: moves to the thread with it
    m_sender->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_sender, &QObject::deleteLater);

    connect(m_sender, &PacedSender::telemetry, this, [this](TelemetrySnapshot s) {
        s.sched = m_scheduling.tag();
        Q_EMIT telemetry(s);
    });
    // The worker speaks EngineState (as int: it does not know this class); the values are ours.
    connect(m_sender, &PacedSender::stateChanged, this,
            [this](int state, const QString &message) { Q_EMIT stateChanged(State(state), message); });
    connect(m_sender, &PacedSender::logMessage, this, &SenderEngine::logMessage);
    connect(m_sender, &PacedSender::peerMessage, this, &SenderEngine::peerMessage);
    connect(m_sender, &PacedSender::peerData, this, &SenderEngine::peerData);
    connect(m_sender, &PacedSender::markSent, this, &SenderEngine::markSent);
    connect(m_sender, &PacedSender::markEchoed, this, &SenderEngine::markEchoed);
    connect(m_sender, &PacedSender::errorOccurred, this, &SenderEngine::errorOccurred);

    m_thread->start(QThread::TimeCriticalPriority);
    // Real-time scheduling, asked for once on the sender thread itself (it acts on its TID).
    RealtimeRequest rt;
    rt.enabled = m_cfg.realtime;
    if (m_cfg.realtimePriority > 0)
        rt.priority = m_cfg.realtimePriority;
    if (auto r = m_caller->call([rt] { return applyRealtimeScheduling(rt); }))
        m_scheduling = *r;
    // Said once, when the owner's event loop runs (its log connections are made by then). At
    // "info" even when refused: the text carries why and the fix, and a machine's permissions
    // must not turn a clean run into one with warnings.
    QTimer::singleShot(0, this, [this] { Q_EMIT logMessage(QStringLiteral("info"), m_scheduling.summary()); });
}

SenderEngine::~SenderEngine()
{
    // Producers blocked in pushBlocking() must not outlive the queue.
    m_queue->close();
    if (m_sender) // waits: the sender has shut down when this returns
        m_caller->call([s = m_sender] { s->shutdown(); return true; });
    m_queue->setWarningHandler({});
    m_thread.reset(); // quit + wait; the sender is deleted on its thread as it finishes
}

// connectTo/listen: the sender thread gets a request of plain values built here into fresh
// buffers, copied into the queued event. Nothing it holds refers to the caller's stack or
// shares data with the caller's objects, and nothing comes back through it: the outcome
// arrives as stateChanged / errorOccurred signals.
void SenderEngine::connectTo(const QUrl &url, const QString &streamSid)
{
    m_shared->state.store(Connecting);
    m_caller->post([s = m_sender, request = ConnectRequest::make(url, streamSid)] { s->connectTo(request); });
}

void SenderEngine::listen(const QHostAddress &addr, quint16 port)
{
    m_caller->post([s = m_sender, request = ListenRequest::make(addr, port)] { s->listen(request); });
}

void SenderEngine::stop()
{
    m_caller->post([s = m_sender] { s->stop(); });
}

bool SenderEngine::enqueueFrame(QByteArray frame, bool blocking)
{
    TxItem item = TxItem::media(std::move(frame));
    if (blocking)
        return m_queue->pushBlocking(std::move(item));
    const auto r = m_queue->pushDropOldest(std::move(item));
    return r == TxQueue::PushResult::Ok || r == TxQueue::PushResult::DroppedOldest;
}

void SenderEngine::mark(QString name)
{
    m_queue->pushAlways(TxItem::mark(std::move(name)));
}

void SenderEngine::clear()
{
    // Local audio goes at once; the sender thread then empties the send queue and sends
    // `clear` before it takes anything queued after this call.
    const int removed = m_queue->clear(true);
    m_shared->clearRequests.fetch_add(1);
    m_caller->post([s = m_sender] { s->handleClear(); });
    if (removed > 0)
        Q_EMIT logMessage(QStringLiteral("info"),
                          QStringLiteral("clear: %1 items removed from the tx queue").arg(removed));
}

SenderEngine::State SenderEngine::state() const
{
    return State(m_shared->state.load());
}

QString SenderEngine::streamSid() const
{
    std::lock_guard lock(m_shared->mutex);
    return m_shared->streamSid;
}

quint16 SenderEngine::listeningPort() const
{
    return m_shared->listeningPort.load();
}

TelemetrySnapshot SenderEngine::lastTelemetry() const
{
    std::lock_guard lock(m_shared->mutex);
    TelemetrySnapshot s = m_shared->lastTelemetry;
    s.sched = m_scheduling.tag();
    return s;
}

SenderTotals SenderEngine::totals() const
{
    std::lock_guard lock(m_shared->mutex);
    return m_shared->totals;
}

quint64 SenderEngine::offThreadWrites() const
{
    return m_shared->offThreadWrites.load();
}

QString SenderEngine::stateName(State s)
{
    switch (s) {
    case Idle: return QStringLiteral("idle");
    case Connecting: return QStringLiteral("connecting");
    case Listening: return QStringLiteral("listening");
    case Connected: return QStringLiteral("connected");
    case Closing: return QStringLiteral("closing");
    case Error: return QStringLiteral("error");
    }
    return QStringLiteral("unknown");
}

} // namespace pacelab
