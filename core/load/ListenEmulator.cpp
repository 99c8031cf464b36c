// The many-stream listening emulator: its acceptor, its worker (private to this file: the
// streams' sockets, EmulatedCalls and one grid tick per thread) and the owner-side facade.
// A little over 500 lines because the worker is an implementation detail kept out of the headers.
#include "ListenEmulator.h"

#include "CallMetrics.h"
#include "LoadReport.h"
#include "Shard.h"
#include "ThreadPriority.h"
#include "WorkerResults.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <vector>

namespace pacelab {

namespace {
constexpr qint64 kGridUs = 20'000;

qint64 nowUs()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

QString closeCodeText(int code)
{
    switch (code) {
    case QWebSocketProtocol::CloseCodeNormal: return QStringLiteral("normal");
    case QWebSocketProtocol::CloseCodeGoingAway: return QStringLiteral("going away");
    case QWebSocketProtocol::CloseCodeProtocolError: return QStringLiteral("protocol error");
    case QWebSocketProtocol::CloseCodeWrongDatatype: return QStringLiteral("invalid data (e.g. invalid UTF-8)");
    case QWebSocketProtocol::CloseCodeTooMuchData: return QStringLiteral("message too big");
    default: return QStringLiteral("code %1").arg(code);
    }
}
} // namespace

int ListenOptions::workerCount() const
{
    const int n = workers > 0 ? workers : std::max(2, QThread::idealThreadCount());
    return std::max(1, std::min(n, maxStreams));
}

bool ListenOptions::validate(QString *error) const
{
    if (maxStreams < 1 || maxStreams > kMaxStreams) {
        *error = QStringLiteral("--max-streams wants 1..%1, got %2").arg(kMaxStreams).arg(maxStreams);
        return false;
    }
    if (workers < 0 || workers > 64) {
        *error = QStringLiteral("--workers wants 0..64 (0 = one per core), got %1").arg(workers);
        return false;
    }
    return true;
}

// Accepts on the first worker's thread and deals the descriptors round-robin to the workers
// (QTcpServer is meant to be subclassed for this: the socket is created where it is served).
class ListenAcceptor final : public QTcpServer
{
public:
    explicit ListenAcceptor(QList<ListenWorker *> workers) : m_workers(std::move(workers)) {}

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    QList<ListenWorker *> m_workers;
    int m_next = 0;
};

// One event loop carrying many server-side streams, with one 20 ms grid tick for all of them
// (the LoadWorker pattern, for accepted connections). All methods run on its thread.
class ListenWorker final : public QObject
{
    Q_OBJECT
public:
    ListenWorker(const ListenOptions &opt, std::shared_ptr<ListenEmulator::Shared> shared)
        : m_opt(opt), m_shared(std::move(shared))
    {
        // Children, so they move to the worker's thread with it.
        m_ws = new QWebSocketServer(QStringLiteral("PaceLab Twilio emulator"), QWebSocketServer::NonSecureMode, this);
        m_tick = new QTimer(this);
        m_tick->setTimerType(Qt::PreciseTimer);
        m_tick->setSingleShot(true);
        connect(m_tick, &QTimer::timeout, this, &ListenWorker::tick);
        connect(m_ws, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *s = m_ws->nextPendingConnection())
                adopt(s);
        });
        m_gridOriginUs = nowUs();
    }
    ~ListenWorker() override
    {
        for (auto &c : m_calls)
            if (c->socket) {
                c->socket->disconnect(this);
                c->socket->abort();
                delete c->socket;
            }
    }

    void accept(qintptr descriptor)
    {
        auto *tcp = new QTcpSocket(this);
        if (!tcp->setSocketDescriptor(descriptor)) {
            delete tcp;
            return;
        }
        m_ws->handleConnection(tcp); // the handshake; newConnection follows
    }

    void endAll(); // `stop` + normal close for every stream
    QList<CallResult> results() const;
    double threadCpuSec() const
    {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
    }

Q_SIGNALS:
    void streamStarted(int index, const QString &streamSid, const QString &peer);
    void streamEnded(const pacelab::CallResult &result);
    void seconds(const QList<pacelab::StreamSecond> &batch);
    void violationFound(int index, const pacelab::Violation &v);
    void bargeInFinished(int index, const pacelab::BargeInResult &result);
    void connectionRefused(const QString &peer, const QString &reason);

private:
    struct Call final : public EmulatedCall::Events
    {
        ListenWorker *worker = nullptr;
        CallResult result;
        QWebSocket *socket = nullptr;
        EmulatedCall emu{this};
        ProbeTally probes;
        qint64 bargeAtUs = -1;
        bool finished = false;
        bool closing = false; // a close handshake began (either side)
        QString lastError;

        void sendToBot(const provider::WireMessage &m) override
        {
            if (!socket || socket->state() != QAbstractSocket::ConnectedState)
                return;
            if (m.binary)
                socket->sendBinaryMessage(m.data);
            else
                socket->sendTextMessage(QString::fromUtf8(m.data));
        }
        void closeToBot(const QString &reason) override
        {
            if (socket && socket->state() == QAbstractSocket::ConnectedState)
                socket->close(QWebSocketProtocol::CloseCodeNormal, reason);
        }
        void secondTick(const PerSecondRx &rx) override { worker->m_batch.append(StreamSecond{result.index, rx}); }
        void violation(const Violation &v) override { Q_EMIT worker->violationFound(result.index, v); }
        void bargeInFinished(const BargeInResult &r) override
        {
            probes.add(r);
            Q_EMIT worker->bargeInFinished(result.index, r);
        }
    };

    void adopt(QWebSocket *s);
    void onDisconnected(Call *c);
    void finishCall(Call *c, qint64 now, const QString &reason, bool dropped);
    void tick();
    void armTick();
    void flushBatch()
    {
        if (!m_batch.isEmpty()) {
            Q_EMIT seconds(m_batch);
            m_batch.clear();
        }
    }

    ListenOptions m_opt;
    std::shared_ptr<ListenEmulator::Shared> m_shared;
    QWebSocketServer *m_ws = nullptr;
    QTimer *m_tick = nullptr;
    qint64 m_gridOriginUs = 0;
    std::vector<std::unique_ptr<Call>> m_calls; // streams up (finished ones leave at the next tick)
    QList<CallResult> m_done;                   // results of the streams that ended
    QList<StreamSecond> m_batch;                // seconds closed since the last flush
};

void ListenAcceptor::incomingConnection(qintptr descriptor)
{
    ListenWorker *w = m_workers[m_next++ % m_workers.size()];
    QMetaObject::invokeMethod(w, [w, descriptor] { w->accept(descriptor); }, Qt::QueuedConnection);
}

void ListenWorker::adopt(QWebSocket *s)
{
    const QString peer = QStringLiteral("%1:%2").arg(s->peerAddress().toString()).arg(s->peerPort());
    // Take a slot, or refuse with the reason (a completed handshake, so the peer reads it).
    int cur = m_shared->active.load();
    do {
        if (cur >= m_shared->maxStreams) {
            const QString reason = QStringLiteral("the emulator serves at most %1 concurrent stream%2 (--max-streams %1)")
                                       .arg(m_shared->maxStreams)
                                       .arg(m_shared->maxStreams == 1 ? QString() : QStringLiteral("s"));
            m_shared->refused++;
            s->setParent(this);
            s->close(QWebSocketProtocol::CloseCodePolicyViolated, reason);
            QTimer::singleShot(1000, s, &QObject::deleteLater); // after the close frame went out
            Q_EMIT connectionRefused(peer, reason);
            return;
        }
    } while (!m_shared->active.compare_exchange_weak(cur, cur + 1));

    const int index = m_shared->accepted++;
    auto owned = std::make_unique<Call>();
    Call *c = owned.get();
    m_calls.push_back(std::move(owned));
    c->worker = this;
    c->socket = s;
    s->setParent(this);
    c->result.index = index;
    c->result.callSid = callSidFor(ShardSpec{}, m_shared->maxStreams, index);
    c->result.streamSid = streamSidFor(ShardSpec{}, m_shared->maxStreams, index);
    c->result.connected = true;
    c->result.connectMs = 0.0; // the sender connected to us: no handshake time of ours to judge
    const quint64 maxMsg = quint64(std::max<qint64>(m_opt.call.maxIncomingMessageBytes, 1024));
    s->setMaxAllowedIncomingMessageSize(maxMsg);
    s->setMaxAllowedIncomingFrameSize(maxMsg);
    connect(s, &QWebSocket::textMessageReceived, this, [c](const QString &text) { c->emu.onText(nowUs(), text); });
    connect(s, &QWebSocket::binaryMessageReceived, this, [c](const QByteArray &data) { c->emu.onBinary(nowUs(), data); });
    connect(s, &QWebSocket::aboutToClose, this, [c] { c->closing = true; });
    connect(s, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [c] {
        if (c->socket)
            c->lastError = c->socket->errorString();
    });
    connect(s, &QWebSocket::disconnected, this, [this, c] { onDisconnected(c); });

    const qint64 now = nowUs();
    EmulatorOptions o = m_opt.call;
    o.callSid = c->result.callSid;
    o.streamSid = c->result.streamSid;
    // Inbound frames on this worker's grid, so its one tick serves this stream too.
    const qint64 firstFrame = m_gridOriginUs + ((now - m_gridOriginUs) / kGridUs + 1) * kGridUs;
    c->emu.start(o, now, firstFrame);
    if (m_opt.bargeInAtSec >= 0)
        c->bargeAtUs = now + qint64(m_opt.bargeInAtSec * 1e6);
    Q_EMIT streamStarted(index, c->result.streamSid, peer);
    if (!m_tick->isActive())
        armTick();
}

void ListenWorker::onDisconnected(Call *c)
{
    if (c->finished || !c->socket)
        return;
    const int code = c->socket->closeCode();
    const QString closeReason = c->socket->closeReason();
    const qint64 now = nowUs();
    // The same words as the one-stream emulator (TwilioEmulator::onDisconnected).
    if (code == QWebSocketProtocol::CloseCodeTooMuchData || code == QWebSocketProtocol::CloseCodeWrongDatatype
        || code == QWebSocketProtocol::CloseCodeProtocolError) {
        QString what = closeReason.isEmpty() ? closeCodeText(code) : closeReason;
        if (code == QWebSocketProtocol::CloseCodeTooMuchData)
            what += QStringLiteral(" (limit %1 bytes per message)").arg(m_opt.call.maxIncomingMessageBytes);
        c->emu.addViolation(c->emu.profile().codeFor(provider::Fault::ProtocolError), QStringLiteral("WebSocket protocol error: %1; stream closed (close code %2)").arg(what).arg(code), now);
        finishCall(c, now, QStringLiteral("closed after a protocol error: %1 (close code %2)").arg(what).arg(code), true);
    } else if (!c->closing) {
        finishCall(c, now, QStringLiteral("connection dropped by the peer without a close frame%1")
                               .arg(c->lastError.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(c->lastError)), true);
    } else {
        // A normal end of the stream: not a failure.
        finishCall(c, now, QStringLiteral("peer closed the WebSocket (%1%2)")
                               .arg(closeCodeText(code), closeReason.isEmpty() ? QString() : QStringLiteral(": ") + closeReason), false);
    }
}

void ListenWorker::finishCall(Call *c, qint64 now, const QString &reason, bool dropped)
{
    c->finished = true;
    c->emu.advance(now);
    c->emu.end(now, reason);
    c->result.droppedMidCall = dropped;
    c->result.failReason = dropped ? reason : QString();
    fillCallMetrics(c->emu, c->probes, now, &c->result);
    if (c->socket) {
        c->socket->disconnect(this);
        // Kept a moment, so a close frame queued by endAll() goes out before the socket goes.
        QTimer::singleShot(1000, c->socket, &QObject::deleteLater);
        c->socket = nullptr;
    }
    m_done.append(c->result);
    m_shared->active--;
    flushBatch(); // the stream's last seconds before its end
    CallResult ended = c->result;
    if (ended.failReason.isEmpty())
        ended.verdictReason = reason; // how it ended, for the owner's line (judgeCall rewrites it)
    Q_EMIT streamEnded(ended);
}

void ListenWorker::armTick()
{
    const qint64 now = nowUs();
    const qint64 next = m_gridOriginUs + ((now - m_gridOriginUs) / kGridUs + 1) * kGridUs;
    m_tick->start(int((next - now + 999) / 1000));
}

void ListenWorker::tick()
{
    const qint64 now = nowUs();
    for (auto &owned : m_calls) {
        Call *c = owned.get();
        if (c->finished)
            continue;
        if (c->bargeAtUs >= 0 && now >= c->bargeAtUs) {
            c->bargeAtUs = -1;
            QString err;
            if (!c->emu.bargeInActive())
                c->emu.startBargeIn(now, m_opt.bargeInSpeech, m_opt.bargeInTailMs, &err);
        }
        c->emu.advance(now);
    }
    m_calls.erase(std::remove_if(m_calls.begin(), m_calls.end(), [](const auto &c) { return c->finished; }), m_calls.end());
    flushBatch();
    if (!m_calls.empty())
        armTick();
}

void ListenWorker::endAll()
{
    const qint64 now = nowUs();
    for (auto &owned : m_calls) {
        Call *c = owned.get();
        if (c->finished)
            continue;
        c->emu.advance(now);
        c->emu.sendStop();
        if (c->socket) {
            c->socket->disconnect(this);
            c->socket->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("stream stopped"));
        }
        finishCall(c, now, QStringLiteral("stopped by the emulator"), false);
    }
    m_calls.clear();
    m_tick->stop();
}

QList<CallResult> ListenWorker::results() const
{
    const qint64 now = nowUs();
    QList<CallResult> out = m_done;
    for (const auto &c : m_calls) {
        if (c->finished)
            continue;
        CallResult r = c->result;
        fillCallMetrics(c->emu, c->probes, now, &r);
        out.append(r);
    }
    return out;
}

// ---- ListenEmulator -------------------------------------------------------------------------

ListenEmulator::ListenEmulator(QObject *parent)
    : QObject(parent)
    , m_shared(std::make_shared<Shared>())
{
    qRegisterMetaType<pacelab::StreamSecond>();
    qRegisterMetaType<QList<pacelab::StreamSecond>>();
    qRegisterMetaType<pacelab::CallResult>();
    qRegisterMetaType<pacelab::Violation>();
    qRegisterMetaType<pacelab::BargeInResult>();
}

ListenEmulator::~ListenEmulator()
{
    stop();
    stopWorkers();
}

bool ListenEmulator::listen(const ListenOptions &options, QString *error)
{
    if (!m_workers.isEmpty()) {
        *error = QStringLiteral("the emulator is already listening");
        return false;
    }
    if (!options.validate(error))
        return false;
    m_opt = options;
    m_opt.call.maxRecordBytes = 0; // nothing recorded: N streams x hours would not fit
    m_opt.call.recordPath.clear();
    m_opt.call.streamSid.clear();  // each stream its own
    m_opt.call.callSid.clear();
    m_shared->maxStreams = m_opt.maxStreams;
    for (int i = 0; i < m_opt.workerCount(); ++i) {
        auto *thread = new QThread(this);
        thread->setObjectName(QStringLiteral("listen-worker-%1").arg(i));
        auto *w = new ListenWorker(m_opt, m_shared);
        w->moveToThread(thread);
        connect(w, &ListenWorker::streamStarted, this, &ListenEmulator::streamStarted);
        connect(w, &ListenWorker::streamEnded, this, &ListenEmulator::streamEnded);
        connect(w, &ListenWorker::seconds, this, &ListenEmulator::seconds);
        connect(w, &ListenWorker::violationFound, this, &ListenEmulator::violationFound);
        connect(w, &ListenWorker::bargeInFinished, this, &ListenEmulator::bargeInFinished);
        connect(w, &ListenWorker::connectionRefused, this, &ListenEmulator::connectionRefused);
        thread->start();
        if (m_opt.realtimePriority > 0)
            askWorkerRealtime(w, m_opt.realtimePriority, this, [this](const QString &why) { m_realtimeError = why; });
        m_threads.append(thread);
        m_workers.append(w);
    }
    m_acceptor = new ListenAcceptor(m_workers);
    m_acceptor->setMaxPendingConnections(4096);
    m_acceptor->moveToThread(m_threads.first());
    bool ok = false;
    QString why;
    ListenAcceptor *acc = m_acceptor;
    const QHostAddress addr = m_opt.address;
    const quint16 port = m_opt.port;
    QMetaObject::invokeMethod(acc, [acc, addr, port, &ok, &why] {
        ok = acc->listen(addr, port);
        if (!ok)
            why = acc->errorString();
    }, Qt::BlockingQueuedConnection);
    if (!ok) {
        *error = QStringLiteral("cannot listen on %1:%2: %3").arg(addr.toString()).arg(port).arg(why);
        stopWorkers();
        return false;
    }
    QHostAddress a = acc->serverAddress();
    if (a == QHostAddress::Any || a == QHostAddress::AnyIPv4 || a == QHostAddress::AnyIPv6)
        a = QHostAddress::LocalHost;
    m_url = QUrl();
    m_url.setScheme(QStringLiteral("ws"));
    m_url.setHost(a.toString());
    m_url.setPort(acc->serverPort());
    m_url.setPath(QStringLiteral("/"));
    return true;
}

QUrl ListenEmulator::url() const
{
    return m_url;
}

void ListenEmulator::stop()
{
    if (m_acceptor) {
        ListenAcceptor *acc = m_acceptor;
        QMetaObject::invokeMethod(acc, [acc] { acc->close(); }, Qt::BlockingQueuedConnection);
    }
    for (ListenWorker *w : m_workers)
        QMetaObject::invokeMethod(w, [w] { w->endAll(); }, Qt::BlockingQueuedConnection);
}

QList<CallResult> ListenEmulator::results() const
{
    return collectWorkerResults(m_workers);
}

double ListenEmulator::workersCpuSec() const
{
    return sumWorkerCpuSec(m_workers);
}

void ListenEmulator::stopWorkers()
{
    if (m_acceptor) {
        ListenAcceptor *acc = m_acceptor;
        QMetaObject::invokeMethod(acc, [acc] { delete acc; }, Qt::BlockingQueuedConnection);
        m_acceptor = nullptr;
    }
    stopWorkerThreads(m_workers, m_threads);
}

QString listenSecondLine(int up, int maxStreams, int refused, int ended, const QList<PerSecondRx> &second,
                         qint64 underrunsTotal, qint64 violationsTotal)
{
    QString line = QStringLiteral("[LISTEN] streams=%1/%2").arg(up).arg(maxStreams);
    if (refused > 0)
        line += QStringLiteral(" refused=%1").arg(refused);
    if (ended > 0)
        line += QStringLiteral(" ended=%1").arg(ended);
    if (second.isEmpty()) {
        line += QStringLiteral(" fps p1=- p50=- jitter worst=- buffered max=-");
    } else {
        QList<double> fps;
        double jitter = 0.0, buffered = 0.0;
        for (const PerSecondRx &rx : second) {
            fps.append(rx.fps);
            jitter = std::max(jitter, rx.jitterMs);
            buffered = std::max(buffered, rx.bufferedSec);
        }
        line += QStringLiteral(" fps p1=%1 p50=%2 jitter worst=%3ms buffered max=%4s")
                    .arg(percentileNearestRank(fps, 1), 0, 'f', 0)
                    .arg(percentileNearestRank(fps, 50), 0, 'f', 0)
                    .arg(jitter, 0, 'f', 1)
                    .arg(buffered, 0, 'f', 2);
    }
    line += QStringLiteral(" underruns=%1 violations=%2").arg(underrunsTotal).arg(violationsTotal);
    return line;
}

} // namespace pacelab

#include "ListenEmulator.moc"
