#include "LoadReferenceBot.h"

#include "audio/SignalGenerator.h"
#include "check/ProfileAudio.h"
#include "load/ThreadPriority.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <chrono>
#include <ctime>
#include <memory>
#include <vector>

namespace pacelab {

namespace {

qint64 steadyUs()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

qint64 threadCpuUs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

// Real CPU work (not sleep): spins until this thread has used `us` more CPU time.
void burnCpu(int us)
{
    const qint64 until = threadCpuUs() + us;
    volatile quint64 x = 0;
    while (threadCpuUs() < until)
        for (int i = 0; i < 200; ++i)
            x = x + quint64(i);
}
} // namespace

// Hands each accepted descriptor to a worker thread (QTcpServer is meant to be subclassed for
// exactly this; the socket is created in the thread that serves it).
class LoadBotServer final : public QTcpServer
{
public:
    explicit LoadBotServer(LoadReferenceBot *bot) : QTcpServer(bot), m_bot(bot) {}

protected:
    void incomingConnection(qintptr descriptor) override { m_bot->dispatch(descriptor); }

private:
    LoadReferenceBot *m_bot;
};

class LoadBotWorker final : public QObject
{
public:
    LoadBotWorker(LoadReferenceBot *bot, LoadBotOptions opt)
        : m_bot(bot), m_opt(opt), m_profile(provider::profile(opt.provider)),
          m_frameUs(m_profile.outboundFormat().frameUs()),
          m_startEvent(check::streamStartEvent(m_profile))
    {
        // A child, so it moves to the worker's thread with it.
        m_ws = new QWebSocketServer(QStringLiteral("load bot"), QWebSocketServer::NonSecureMode, this);
        m_tick = new QTimer(this);
        m_tick->setTimerType(Qt::PreciseTimer);
        m_tick->setSingleShot(true);
        connect(m_tick, &QTimer::timeout, this, [this] { tick(); });
        connect(m_ws, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *s = m_ws->nextPendingConnection())
                adopt(s);
        });
        m_origin = steadyUs();
    }
    ~LoadBotWorker() override
    {
        for (auto &c : m_calls)
            if (c->ws) {
                c->ws->disconnect(this);
                c->ws->abort();
                delete c->ws;
            }
    }

    void accept(qintptr descriptor, int acceptIndex)
    {
        auto *tcp = new QTcpSocket(this);
        if (!tcp->setSocketDescriptor(descriptor)) {
            delete tcp;
            return;
        }
        if (m_opt.resetOnAccept) {
            tcp->abort();
            tcp->deleteLater();
            return;
        }
        m_pendingIndex.append(acceptIndex);
        m_ws->handleConnection(tcp);
    }

private:
    struct Call
    {
        QWebSocket *ws = nullptr;
        int acceptIndex = 0;
        QString streamSid;
        provider::WireMessage media; // the whole media message, built once
        bool started = false;
        bool paused = false;
        qint64 nextFrameUs = 0;
        qint64 periodUs = 0;
        qint64 closeAtUs = -1;
        qint64 frames = 0;
        int marks = 0;
        int loudRun = 0;
        int quietMs = 0;
        bool callerTalking = false;
    };

    void adopt(QWebSocket *s)
    {
        auto owned = std::make_unique<Call>();
        Call *c = owned.get();
        c->ws = s;
        c->acceptIndex = m_pendingIndex.isEmpty() ? 0 : m_pendingIndex.takeFirst();
        m_calls.push_back(std::move(owned));
        connect(s, &QWebSocket::textMessageReceived, this, [this, c](const QString &t) { onMessage(c, t.toUtf8(), false); });
        connect(s, &QWebSocket::binaryMessageReceived, this, [this, c](const QByteArray &b) { onMessage(c, b, true); });
        connect(s, &QWebSocket::disconnected, this, [this, c] { drop(c); });
    }

    void drop(Call *c)
    {
        for (auto it = m_calls.begin(); it != m_calls.end(); ++it)
            if (it->get() == c) {
                c->ws->disconnect(this);
                c->ws->deleteLater();
                m_calls.erase(it);
                return;
            }
    }

    void send(Call *c, const provider::WireMessage &m)
    {
        if (m.binary)
            c->ws->sendBinaryMessage(m.data);
        else
            c->ws->sendTextMessage(QString::fromUtf8(m.data));
    }

    qint64 nextGridUs(qint64 now) const { return m_origin + ((now - m_origin) / m_frameUs + 1) * m_frameUs; }

    void startCall(Call *c, const QString &streamId)
    {
        c->streamSid = streamId;
        c->started = true;
        m_bot->m_started++;
        // A quiet 400 Hz tone: the same frame every time, in the provider's outbound format.
        const MediaFormat fmt = m_profile.outboundFormat();
        const QVector<qint16> pcm = signal::sine(fmt.sampleRate, fmt.frameMs / 1000.0, 400.0, -20.0);
        c->media = m_profile.encodeMedia(c->streamSid, fmt.encode(pcm));
        const qint64 now = steadyUs();
        c->periodUs = m_frameUs;
        c->nextFrameUs = nextGridUs(now);
        if (m_opt.properCalls > 0 && c->acceptIndex >= m_opt.properCalls)
            c->periodUs = 2 * m_frameUs;
        if (m_opt.closeAfterMs > 0)
            c->closeAtUs = now + qint64(m_opt.closeAfterMs) * 1000;
        if (!m_tick->isActive())
            arm();
    }

    void onMessage(Call *c, const QByteArray &data, bool binary)
    {
        const provider::ParseResult r = m_profile.parseFromProvider(data, binary);
        if (!r.ok())
            return;
        if (r.message.event == m_startEvent && !c->started) {
            startCall(c, r.message.streamId);
            return;
        }
        switch (r.message.event) {
        case provider::Event::Media: {
            const MediaFormat in = r.message.format.value_or(m_profile.inboundFormat());
            const double level = check::audioDbfs(r.message.audio, in);
            if (level > m_opt.speechDbfs) {
                ++c->loudRun;
                c->quietMs = 0;
            } else {
                c->loudRun = 0;
                c->quietMs += qMax(1, int(in.bytesToMs(r.message.audio.size())));
            }
            if (!c->callerTalking && c->loudRun >= m_opt.speechFrames) {
                c->callerTalking = true;
                if (!c->paused && !m_opt.silent && c->started) {
                    send(c, m_profile.encodeClear(c->streamSid));
                    m_bot->m_clears++;
                }
                c->paused = true;
            } else if (c->callerTalking && c->quietMs >= m_opt.quietMsToResume) {
                c->callerTalking = false;
                c->paused = false;
                c->nextFrameUs = nextGridUs(steadyUs());
            }
            break;
        }
        case provider::Event::Stop:
            m_bot->m_stops++;
            break;
        case provider::Event::Dtmf:
            m_bot->m_dtmf++;
            break;
        default:
            break;
        }
    }

    void arm()
    {
        const qint64 now = steadyUs();
        m_tick->start(int((nextGridUs(now) - now + 999) / 1000));
    }

    void tick()
    {
        const qint64 now = steadyUs();
        std::vector<Call *> closing;
        for (auto &owned : m_calls) {
            Call *c = owned.get();
            if (!c->started)
                continue;
            if (c->closeAtUs >= 0 && now >= c->closeAtUs) {
                closing.push_back(c);
                continue;
            }
            if (m_opt.silent || c->paused)
                continue;
            while (c->nextFrameUs <= now) {
                if (m_opt.cpuUsPerFrame > 0)
                    burnCpu(m_opt.cpuUsPerFrame);
                send(c, c->media);
                c->nextFrameUs += c->periodUs;
                ++c->frames;
                m_bot->m_frames++;
                if (m_opt.markEveryFrames > 0 && c->frames % m_opt.markEveryFrames == 0)
                    send(c, m_profile.encodeMark(c->streamSid, QStringLiteral("m%1").arg(++c->marks)));
                // A bot that cannot keep up (the CPU twin) falls behind here: the next frame
                // is due already and is sent late, as one overloaded event loop would.
                if (m_opt.cpuUsPerFrame > 0)
                    break;
            }
        }
        for (Call *c : closing) {
            c->closeAtUs = -1;
            c->ws->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("bot hung up"));
        }
        if (m_calls.empty())
            return;
        // An overloaded bot (the CPU twin) goes straight on with the frames already due, as one
        // busy event loop would: each call then gets a frame every N x cpuUsPerFrame.
        bool behind = false;
        const qint64 after = steadyUs();
        for (const auto &c : m_calls)
            behind = behind || (c->started && !c->paused && !m_opt.silent && c->nextFrameUs <= after);
        if (behind)
            m_tick->start(0);
        else
            arm();
    }

    LoadReferenceBot *m_bot;
    LoadBotOptions m_opt;
    const provider::Profile &m_profile;
    qint64 m_frameUs;
    provider::Event m_startEvent; // Start, or the last handshake event of a provider without one
    QWebSocketServer *m_ws = nullptr;
    QTimer *m_tick = nullptr;
    qint64 m_origin = 0;
    std::vector<std::unique_ptr<Call>> m_calls;
    QList<int> m_pendingIndex;
};

LoadReferenceBot::LoadReferenceBot(LoadBotOptions options, QObject *parent)
    : QObject(parent), m_opt(options)
{
    const int n = std::max(1, m_opt.workers);
    for (int i = 0; i < n; ++i) {
        auto *t = new QThread(this);
        t->setObjectName(QStringLiteral("load-bot-%1").arg(i));
        auto *w = new LoadBotWorker(this, m_opt);
        w->moveToThread(t);
        t->start();
        if (m_opt.realtimePriority > 0)
            QMetaObject::invokeMethod(w, [prio = m_opt.realtimePriority] {
                QString why;
                setCurrentThreadRealtime(prio, &why); // best effort: a test bot
            }, Qt::QueuedConnection);
        m_threads.append(t);
        m_workers.append(w);
    }
}

LoadReferenceBot::~LoadReferenceBot()
{
    if (m_server)
        m_server->close();
    for (int i = 0; i < m_workers.size(); ++i) {
        LoadBotWorker *w = m_workers[i];
        QMetaObject::invokeMethod(w, [w] { delete w; }, Qt::BlockingQueuedConnection);
        m_threads[i]->quit();
        m_threads[i]->wait();
    }
}

bool LoadReferenceBot::listen(const QHostAddress &address, quint16 port, QString *error)
{
    m_server = new LoadBotServer(this);
    m_server->setMaxPendingConnections(4096);
    if (!m_server->listen(address, port)) {
        if (error)
            *error = QStringLiteral("load bot cannot listen: %1").arg(m_server->errorString());
        return false;
    }
    return true;
}

QUrl LoadReferenceBot::url() const
{
    QUrl u;
    u.setScheme(QStringLiteral("ws"));
    u.setHost(QStringLiteral("127.0.0.1"));
    u.setPort(m_server ? m_server->serverPort() : 0);
    u.setPath(QStringLiteral("/"));
    return u;
}

void LoadReferenceBot::dispatch(qintptr descriptor)
{
    const int index = m_accepted++;
    LoadBotWorker *w = m_workers[m_next++ % m_workers.size()];
    QMetaObject::invokeMethod(w, [w, descriptor, index] { w->accept(descriptor, index); }, Qt::QueuedConnection);
}

} // namespace pacelab
