// pacelab-bench wsrecv --impl qt,beast --calls 100,500,1000 [--stress off|on|both]: which WebSocket
// implementation can receive N calls' 20 ms Twilio media without adding noise of its own?
// The same paced sender (a minimal raw-socket sender in a child process: one thread, an absolute
// 20 ms grid, one send() per connection per tick, pre-masked frames, so it costs next to nothing)
// feeds N connections of a receiver in another child process: (a) QtWebSockets the way
// ListenWorker does it (QTcpServer deals descriptors to worker QThreads, QWebSocketServer
// handshakes, textMessageReceived per message) or (b) Boost.Beast (bench/beast/BeastReceiver.cpp:
// one asio io_context per thread, async_read per connection). Both do the same work per message
// (steady_clock stamp when the message reaches the application, look for the media event, keep
// the stamp) and the same number of threads. Per run: inter-arrival deviation |Δ − 20 ms| p99 per
// call (p50/p99/worst across calls), messages/s, the receiver process's CPU per call
// (getrusage over the measuring window) and per message, the sender's own lateness (so a late
// sender is told apart from a noisy receiver); then the qt/beast ratios. docs/load-emulator.md.
// Over 500 lines because the sender, the Qt receiver and the orchestrator are one experiment that
// must agree on its protocol and figures; the Beast receiver is apart only for its heavy headers.
#include "BenchUtil.h"
#include "Benchmarks.h"
#include "WsRecv.h"

#include "load/FdLimit.h"
#include "load/ListenEmulator.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTextStream>
#include <QThread>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

using namespace pacelab;
using namespace pacelab::bench::wsrecv;

namespace {

constexpr int64_t kIntervalNs = 20'000'000;

// ---- the sender (child process) ----------------------------------------------------------------

bool sendAll(int fd, const char *p, size_t n)
{
    while (n > 0) {
        const ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= size_t(w);
    }
    return true;
}

int connectAndUpgrade(uint16_t port, QString *error)
{
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        *error = QStringLiteral("connect: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const char req[] = "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    QByteArray resp;
    char c;
    if (sendAll(fd, req, sizeof req - 1))
        while (!resp.endsWith("\r\n\r\n") && resp.size() < 8192 && recv(fd, &c, 1, 0) == 1)
            resp.append(c);
    if (!resp.startsWith("HTTP/1.1 101")) {
        *error = QStringLiteral("no WebSocket upgrade: '%1'").arg(QString::fromLatin1(resp.left(40)));
        close(fd);
        return -1;
    }
    return fd;
}

// One masked client text frame of a Twilio outbound media message (160 bytes of mu-law silence,
// base64) for stream i: built once, sent every tick.
QByteArray mediaFrame(const QString &streamSid)
{
    const QByteArray json = QStringLiteral("{\"event\":\"media\",\"streamSid\":\"%1\",\"media\":{\"payload\":\"%2\"}}")
                                .arg(streamSid)
                                .arg(QString::fromLatin1(QByteArray(160, char(0xFF)).toBase64()))
                                .toUtf8();
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    QByteArray f;
    f.append(char(0x81));
    f.append(char(0x80 | 126));
    f.append(char((json.size() >> 8) & 0xFF));
    f.append(char(json.size() & 0xFF));
    f.append(reinterpret_cast<const char *>(mask), 4);
    for (qsizetype k = 0; k < json.size(); ++k)
        f.append(char(json[k] ^ mask[k % 4]));
    return f;
}

// The streamSid of the emulator's `start` (it judges media of another stream a violation).
QString readStartStreamSid(int fd)
{
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    QByteArray got;
    char buf[4096];
    while (got.size() < 65536) {
        const qsizetype at = got.indexOf("\"event\":\"start\"");
        const qsizetype sid = at >= 0 ? got.indexOf("\"streamSid\":\"", at) : -1;
        if (sid >= 0 && got.indexOf('"', sid + 13) > sid + 13)
            return QString::fromLatin1(got.mid(sid + 13, got.indexOf('"', sid + 13) - sid - 13));
        const ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            break;
        got.append(buf, r);
    }
    return {};
}

int runSender(uint16_t port, int calls, double seconds, int rt, bool readStart)
// rt: the sender's SCHED_FIFO priority (it is the reference, not under test)
{
    std::vector<int> fds;
    std::vector<QByteArray> frames;
    for (int i = 0; i < calls; ++i) {
        QString error;
        const int fd = connectAndUpgrade(port, &error);
        if (fd < 0) {
            QTextStream(stderr) << "wsrecv sender: connection " << i << ": " << error << "\n";
            return 1;
        }
        fds.push_back(fd);
        QString sid = QStringLiteral("MZ%1").arg(i, 32, 10, QLatin1Char('0'));
        if (readStart && (sid = readStartStreamSid(fd)).isEmpty()) {
            QTextStream(stderr) << "wsrecv sender: connection " << i << ": no `start` from the emulator\n";
            return 1;
        }
        frames.push_back(mediaFrame(sid));
    }
    bench::setThreadFifo(rt);
    const double cpu0 = bench::cpuSeconds();
    std::vector<std::string> pending(fds.size()); // the rest of a frame a full send buffer cut
    std::vector<qint64> lateUs, burstUs; // tick lateness; time to hand one tick's frames to the kernel
    int64_t sent = 0, blocked = 0, reanchors = 0;
    timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    const int64_t ticks = int64_t(seconds * 50);
    for (int64_t t = 0; t < ticks; ++t) {
        next.tv_nsec += kIntervalNs;
        if (next.tv_nsec >= 1'000'000'000) {
            next.tv_nsec -= 1'000'000'000;
            ++next.tv_sec;
        }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr) == EINTR) {
        }
        timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        const int64_t late = (int64_t(now.tv_sec) - next.tv_sec) * 1'000'000'000 + (now.tv_nsec - next.tv_nsec);
        lateUs.push_back(late / 1000);
        for (size_t i = 0; i < fds.size(); ++i) {
            if (fds[i] < 0)
                continue;
            if (!pending[i].empty()) {
                const ssize_t w = send(fds[i], pending[i].data(), pending[i].size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w > 0)
                    pending[i].erase(0, size_t(w));
                if (!pending[i].empty()) {
                    ++blocked;
                    continue;
                }
            }
            const QByteArray &f = frames[i];
            const ssize_t w = send(fds[i], f.constData(), size_t(f.size()), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w >= 0) {
                ++sent;
                if (w < f.size())
                    pending[i].assign(f.constData() + w, size_t(f.size() - w));
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                ++blocked; // the receiver fell a send buffer behind
            } else {
                close(fds[i]); // the receiver left (it stops after its window)
                fds[i] = -1;
            }
        }
        timespec done;
        clock_gettime(CLOCK_MONOTONIC, &done);
        // What the receiver sends back is read and dropped, a tenth of the connections a tick
        // (after the burst is timed), so no receive window ever closes.
        static char scratch[65536];
        for (size_t i = size_t(t % 10); i < fds.size(); i += 10)
            while (fds[i] >= 0 && recv(fds[i], scratch, sizeof scratch, MSG_DONTWAIT) == ssize_t(sizeof scratch)) {
            }
        burstUs.push_back(((int64_t(done.tv_sec) - now.tv_sec) * 1'000'000'000 + (done.tv_nsec - now.tv_nsec)) / 1000);
        if (late > kIntervalNs) { // a whole tick late: the next one is on the grid from now
            next = now;
            ++reanchors;
        }
    }
    const double cpu = bench::cpuSeconds() - cpu0;
    for (int fd : fds)
        if (fd >= 0)
            close(fd);
    QTextStream(stdout) << "SENDER cpu=" << cpu << " sent=" << sent << " blocked=" << blocked
                        << " late_p99_us=" << bench::percentile(lateUs, 0.99)
                        << " late_max_us=" << (lateUs.empty() ? 0 : *std::max_element(lateUs.begin(), lateUs.end()))
                        << " reanchors=" << reanchors << " burst_p50_us=" << bench::percentile(burstUs, 0.50)
                        << " burst_p99_us=" << bench::percentile(burstUs, 0.99) << "\n";
    return 0;
}

// ---- the QtWebSockets receiver (ListenWorker's way) --------------------------------------------

class QtRecvWorker : public QObject
{
public:
    explicit QtRecvWorker(Shared &shared) : m_shared(shared), m_payload(QString::fromStdString(shared.txPayload))
    {
        // One 20 ms tick for all this worker's connections (the emulator's grid tick); a child,
        // so it moves to the worker's thread; started there by the first connection.
        m_tick = new QTimer(this);
        m_tick->setTimerType(Qt::PreciseTimer);
        m_tick->setInterval(20);
        connect(m_tick, &QTimer::timeout, this, [this] {
            for (QWebSocket *s : std::as_const(m_sockets)) {
                if (s->state() != QAbstractSocket::ConnectedState)
                    continue;
                m_shared.countSent(s->sendTextMessage(m_payload) > 0);
            }
        });
        m_ws = new QWebSocketServer(QStringLiteral("wsrecv"), QWebSocketServer::NonSecureMode, this);
        connect(m_ws, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *s = m_ws->nextPendingConnection())
                adopt(s);
        });
    }
    void accept(qintptr descriptor)
    {
        auto *tcp = new QTcpSocket(this);
        if (!tcp->setSocketDescriptor(descriptor)) {
            delete tcp;
            return;
        }
        m_ws->handleConnection(tcp);
    }

private:
    void adopt(QWebSocket *s)
    {
        s->setParent(this);
        m_sockets.append(s);
        if (m_shared.tx && !m_tick->isActive())
            m_tick->start();
        const int index = m_shared.connected.fetch_add(1);
        connect(s, &QWebSocket::textMessageReceived, this, [this, index](const QString &text) {
            const int64_t stamp = nowNs();
            m_shared.onMessage(index, stamp, QStringView(text).contains(u"\"event\":\"media\""));
        });
    }

    Shared &m_shared;
    QString m_payload;
    QWebSocketServer *m_ws = nullptr;
    QTimer *m_tick = nullptr;
    QList<QWebSocket *> m_sockets;
};

class QtAcceptor final : public QTcpServer
{
public:
    explicit QtAcceptor(QList<QtRecvWorker *> workers) : m_workers(std::move(workers)) {}

protected:
    void incomingConnection(qintptr descriptor) override
    {
        QtRecvWorker *w = m_workers[m_next++ % m_workers.size()];
        QMetaObject::invokeMethod(w, [w, descriptor] { w->accept(descriptor); }, Qt::QueuedConnection);
    }

private:
    QList<QtRecvWorker *> m_workers;
    int m_next = 0;
};

class QtReceiver final : public Receiver
{
public:
    explicit QtReceiver(Shared &shared) : m_shared(shared) {}
    ~QtReceiver() override { stop(); }

    uint16_t start(int threads, int rtPriority, std::string *error) override
    {
        QList<QtRecvWorker *> workers;
        for (int i = 0; i < std::max(1, threads); ++i) {
            auto *t = new QThread;
            auto *w = new QtRecvWorker(m_shared);
            w->moveToThread(t);
            QObject::connect(t, &QThread::finished, w, &QObject::deleteLater);
            t->start();
            QMetaObject::invokeMethod(w, [rtPriority] { bench::setThreadFifo(rtPriority); }, Qt::QueuedConnection);
            m_threads.append(t);
            workers.append(w);
        }
        m_acceptor = std::make_unique<QtAcceptor>(workers);
        m_acceptor->setMaxPendingConnections(1 << 20);
        if (!m_acceptor->listen(QHostAddress::LocalHost, 0)) {
            *error = "cannot listen on 127.0.0.1: " + m_acceptor->errorString().toStdString();
            return 0;
        }
        return m_acceptor->serverPort();
    }

    void stop() override
    {
        m_acceptor.reset();
        for (QThread *t : m_threads) {
            t->quit();
            t->wait();
            delete t;
        }
        m_threads.clear();
    }

private:
    Shared &m_shared;
    std::unique_ptr<QtAcceptor> m_acceptor;
    QList<QThread *> m_threads;
};

// ---- the whole listening emulator (for scale: what the transport is of its cost) --------------

// core/load/ListenEmulator as `pacelab emulate --listen --max-streams N` runs it (EmulatedCall per
// stream: JSON, validation, playout, analytics, the per-tick inbound media it sends), fed by the
// same sender. Its jitter figure is its own (inter-arrival delta p99 − 20 ms over the whole
// stream, stamped when the message reaches EmulatedCall), so compare it loosely; CPU is comparable.
int runEmulatorReceiver(int calls, double seconds, int threads, int rt)
{
    ListenEmulator emu;
    ListenOptions lo;
    lo.maxStreams = calls;
    lo.workers = threads;
    lo.realtimePriority = rt;
    QString error;
    if (!emu.listen(lo, &error)) {
        QTextStream(stderr) << "wsrecv: " << error << "\n";
        return 1;
    }
    QTextStream out(stdout);
    out << "LISTENING " << emu.url().port() << "\n";
    out.flush();
    if (!bench::runEventsUntil([&] { return emu.accepted() >= calls; }, 120000)) {
        QTextStream(stderr) << "wsrecv: only " << emu.accepted() << " of " << calls << " calls connected\n";
        return 1;
    }
    bench::runEventsFor(1000);
    auto frames = [&] {
        qint64 n = 0;
        for (const CallResult &c : emu.results())
            n += c.frames;
        return n;
    };
    const qint64 frames0 = frames();
    const double cpu0 = bench::cpuSeconds();
    const int64_t t0 = nowNs();
    bench::runEventsFor(int((seconds - 2.0) * 1000));
    const double cpu = bench::cpuSeconds() - cpu0;
    const double wall = double(nowNs() - t0) / 1e9;
    const QList<CallResult> results = emu.results();
    qint64 messages = 0;
    for (const CallResult &c : results)
        messages += c.frames;
    messages -= frames0;
    emu.stop();
    QList<double> d99;
    for (const CallResult &c : results)
        d99.append(std::max(0.0, c.deltaP99Ms - 20.0));
    std::sort(d99.begin(), d99.end());
    auto at = [&](double p) {
        return d99.isEmpty() ? 0.0 : d99[qsizetype(std::min<double>(double(d99.size() - 1), std::ceil(p * double(d99.size())) - 1))];
    };
    QJsonObject o;
    o[QLatin1String("impl")] = QStringLiteral("emulator");
    o[QLatin1String("calls")] = calls;
    o[QLatin1String("connected")] = emu.accepted();
    o[QLatin1String("windowSec")] = wall;
    o[QLatin1String("messages")] = messages;
    o[QLatin1String("messagesPerSec")] = double(messages) / wall;
    o[QLatin1String("cpuSec")] = cpu;
    o[QLatin1String("cpuPerCallPct")] = cpu / wall / calls * 100.0;
    o[QLatin1String("cpuUsPerMessage")] = messages > 0 ? cpu * 1e6 / double(messages) : 0.0;
    o[QLatin1String("dev99P50Ms")] = at(0.50);
    o[QLatin1String("dev99P99Ms")] = at(0.99);
    o[QLatin1String("dev99WorstMs")] = at(1.0);
    o[QLatin1String("devMaxMs")] = -1.0; // not kept per message by the emulator
    o[QLatin1String("callsShort")] = 0;
    o[QLatin1String("rssKiB")] = bench::rssKiB();
    out << "RESULT " << QJsonDocument(o).toJson(QJsonDocument::Compact) << "\n";
    return 0;
}

// ---- the receiver (child process) --------------------------------------------------------------

// Listens, prints "LISTENING <port>", waits for every call, keeps arrivals over the window
// [1 s, seconds − 1 s] after the last upgrade, then prints "RESULT <json>".
// What the emulator sends each stream every 20 ms: a Twilio inbound media message.
std::string inboundMedia()
{
    return QStringLiteral("{\"event\":\"media\",\"sequenceNumber\":\"2\",\"media\":{\"track\":\"inbound\",\"chunk\":\"1\","
                          "\"timestamp\":\"20\",\"payload\":\"%1\"},\"streamSid\":\"MZ%2\"}")
        .arg(QString::fromLatin1(QByteArray(160, char(0xFF)).toBase64()))
        .arg(0, 32, 10, QLatin1Char('0'))
        .toStdString();
}

int runReceiver(const QString &impl, int calls, double seconds, int threads, int rt, bool tx)
{
    if (impl == QLatin1String("emulator"))
        return runEmulatorReceiver(calls, seconds, threads, rt);
    Shared shared(calls);
    shared.tx = tx;
    shared.txPayload = inboundMedia();
    std::unique_ptr<Receiver> rx;
    if (impl == QLatin1String("qt"))
        rx = std::make_unique<QtReceiver>(shared);
#ifdef PACELAB_HAVE_BEAST
    else if (impl == QLatin1String("beast") || impl == QLatin1String("beast-kts"))
        rx.reset(newBeastReceiver(shared, impl == QLatin1String("beast-kts")));
#endif
    if (!rx) {
        QTextStream(stderr) << "wsrecv: no receiver '" << impl << "' in this build\n";
        return 2;
    }
    std::string error;
    const uint16_t port = rx->start(threads, rt, &error);
    if (port == 0) {
        QTextStream(stderr) << "wsrecv: " << QString::fromStdString(error) << "\n";
        return 1;
    }
    QTextStream out(stdout);
    out << "LISTENING " << port << "\n";
    out.flush();
    if (!bench::runEventsUntil([&] { return shared.connected.load() >= calls; }, 120000)) {
        QTextStream(stderr) << "wsrecv: only " << shared.connected.load() << " of " << calls << " calls connected\n";
        rx->stop();
        return 1;
    }
    bench::runEventsFor(1000); // warm-up: the first seconds carry the handshakes' after-effects
    const double windowSec = seconds - 2.0;
    const double cpu0 = bench::cpuSeconds();
    const int64_t t0 = nowNs();
    shared.measuring = true;
    bench::runEventsFor(int(windowSec * 1000));
    shared.measuring = false;
    const double cpu = bench::cpuSeconds() - cpu0;
    const double wall = double(nowNs() - t0) / 1e9;
    rx->stop();

    // Per call: |Δ − 20 ms| (ms) p99 and worst; a frame missing from the window counts as a gap.
    QList<double> callP99, callMax;
    qint64 fewFrames = 0;
    const int64_t expected = int64_t(wall * 50);
    for (const auto &a : shared.arrivals) {
        if (int64_t(a.size()) < expected * 9 / 10)
            ++fewFrames;
        if (a.size() < 2)
            continue;
        std::vector<qint64> dev;
        dev.reserve(a.size());
        for (size_t i = 1; i < a.size(); ++i)
            dev.push_back(std::llabs(a[i] - a[i - 1] - kIntervalNs) / 1000);
        callP99.append(double(bench::percentile(dev, 0.99)) / 1000.0);
        callMax.append(double(*std::max_element(dev.begin(), dev.end())) / 1000.0);
    }
    auto pct = [](QList<double> v, double p) {
        if (v.isEmpty())
            return 0.0;
        std::sort(v.begin(), v.end());
        return v[qsizetype(std::min<double>(double(v.size() - 1), std::ceil(p * double(v.size())) - 1))];
    };
    QJsonObject o;
    o[QLatin1String("impl")] = impl;
    o[QLatin1String("calls")] = calls;
    o[QLatin1String("connected")] = shared.connected.load();
    o[QLatin1String("windowSec")] = wall;
    o[QLatin1String("messages")] = qint64(shared.messages.load());
    o[QLatin1String("messagesPerSec")] = double(shared.messages.load()) / wall;
    o[QLatin1String("cpuSec")] = cpu;
    o[QLatin1String("cpuPerCallPct")] = cpu / wall / calls * 100.0;
    o[QLatin1String("cpuUsPerMessage")] = shared.messages.load() > 0 ? cpu * 1e6 / double(shared.messages.load()) : 0.0;
    o[QLatin1String("dev99P50Ms")] = pct(callP99, 0.50);
    o[QLatin1String("dev99P99Ms")] = pct(callP99, 0.99);
    o[QLatin1String("dev99WorstMs")] = pct(callP99, 1.0);
    o[QLatin1String("devMaxMs")] = pct(callMax, 1.0);
    o[QLatin1String("callsShort")] = fewFrames;
    o[QLatin1String("mergedReads")] = qint64(shared.mergedReads.load());
    o[QLatin1String("txSent")] = qint64(shared.sent.load());
    o[QLatin1String("txSkipped")] = qint64(shared.skipped.load());
    o[QLatin1String("rssKiB")] = bench::rssKiB();
    out << "RESULT " << QJsonDocument(o).toJson(QJsonDocument::Compact) << "\n";
    return 0;
}

// ---- the orchestrator --------------------------------------------------------------------------

struct Run
{
    QString condition, impl;
    int calls = 0;
    QJsonObject rx;
    QMap<QString, double> tx;
    QString error;
};

Run runOne(const QString &condition, const QString &impl, int calls, double seconds, int threads, int rt, int senderRt, bool tx)
{
    Run r;
    r.condition = condition;
    r.impl = impl;
    r.calls = calls;
    const QString self = QCoreApplication::applicationFilePath();
    const QStringList common{QStringLiteral("--calls"), QString::number(calls), QStringLiteral("--duration"),
                             QString::number(seconds), QStringLiteral("--rt"), QString::number(rt)};
    QProcess receiver;
    receiver.setProcessChannelMode(QProcess::SeparateChannels);
    receiver.start(self, QStringList{QStringLiteral("wsrecv"), QStringLiteral("--serve"), impl, QStringLiteral("--threads"),
                                     QString::number(threads), QStringLiteral("--tx"), tx ? QStringLiteral("on") : QStringLiteral("off")}
                             + common);
    QByteArray rxOut;
    uint16_t port = 0;
    QElapsedTimer waited;
    waited.start();
    while (port == 0 && waited.elapsed() < 10000 && receiver.state() != QProcess::NotRunning) {
        receiver.waitForReadyRead(100);
        rxOut += receiver.readAllStandardOutput();
        if (const qsizetype at = rxOut.indexOf("LISTENING "); at >= 0 && rxOut.indexOf('\n', at) > at)
            port = uint16_t(rxOut.mid(at + 10, rxOut.indexOf('\n', at) - at - 10).trimmed().toUInt());
    }
    if (port == 0) {
        r.error = QStringLiteral("receiver did not listen: ") + QString::fromLocal8Bit(receiver.readAllStandardError()).trimmed();
        receiver.kill();
        receiver.waitForFinished(5000);
        return r;
    }
    QProcess sender;
    sender.setProcessChannelMode(QProcess::SeparateChannels);
    QStringList senderArgs = QStringList{QStringLiteral("wsrecv"), QStringLiteral("--send"), QString::number(port)} + common;
    senderArgs.replace(senderArgs.indexOf(QStringLiteral("--rt")) + 1, QString::number(senderRt));
    if (impl == QLatin1String("emulator"))
        senderArgs << QStringLiteral("--read-start") << QStringLiteral("1");
    sender.start(self, senderArgs);
    const int limitMs = int(seconds * 1000) + 120000;
    sender.waitForFinished(limitMs);
    receiver.waitForFinished(limitMs);
    for (QProcess *p : {&sender, &receiver})
        if (p->state() != QProcess::NotRunning) {
            p->kill();
            p->waitForFinished(5000);
        }
    rxOut += receiver.readAllStandardOutput();
    if (const qsizetype at = rxOut.indexOf("RESULT "); at >= 0)
        r.rx = QJsonDocument::fromJson(rxOut.mid(at + 7, rxOut.indexOf('\n', at) - at - 7)).object();
    else
        r.error = QStringLiteral("receiver: ") + QString::fromLocal8Bit(receiver.readAllStandardError()).trimmed();
    const QByteArray txOut = sender.readAllStandardOutput();
    if (const qsizetype at = txOut.indexOf("SENDER "); at >= 0) {
        for (const QByteArray &kv : txOut.mid(at + 7, txOut.indexOf('\n', at) - at - 7).split(' ')) {
            const qsizetype eq = kv.indexOf('=');
            if (eq > 0)
                r.tx[QString::fromLatin1(kv.left(eq))] = kv.mid(eq + 1).toDouble();
        }
    } else if (r.error.isEmpty()) {
        r.error = QStringLiteral("sender: ") + QString::fromLocal8Bit(sender.readAllStandardError()).trimmed();
    }
    return r;
}

int usage(const QString &error)
{
    return bench::printUsage(
        "pacelab-bench wsrecv", error,
        QStringLiteral("usage: pacelab-bench wsrecv [--impl qt,beast,beast-kts,emulator] [--calls 100,500,1000] [--duration S (8)]\n"
                       "                            [--threads N (2)] [--rt PRIO (0)] [--sender-rt PRIO (50)] [--stress off|on|both (off)]\n"
                       "                            [--tx on|off (on)]\n"
                       "  The same raw paced sender (child process) feeds N calls of 20 ms Twilio media to a\n"
                       "  QtWebSockets and a Boost.Beast receiver (child processes, same threads, same work per\n"
                       "  message); prints jitter across calls, CPU per call and per message, and qt/beast ratios.\n"
                       "  emulator: the whole listening emulator (ListenEmulator) on the same sender, for scale.\n"
                       "  beast-kts: Beast with the kernel's receive time of each read (SO_TIMESTAMPNS) as the arrival.\n"
                       "  --tx on: like the emulator, each receiver also sends every call one inbound media message\n"
                       "  per 20 ms (one tick per thread); off: receive only.\n"
                       "  --stress on runs `stress-ng --cpu 2` during the runs; both = quiet first, then stressed.\n"));
}

QString fmt(double v, int decimals = 2)
{
    return QString::number(v, 'f', decimals);
}

int runWsRecv(const QStringList &args)
{
    QStringList impls{QStringLiteral("qt")};
#ifdef PACELAB_HAVE_BEAST
    impls << QStringLiteral("beast");
#endif
    QList<int> counts{100, 500, 1000};
    double seconds = 8;
    int threads = 2, rt = 0, senderRt = 50, sendPort = -1;
    bool readStart = false, tx = true;
    QString serveImpl, stress = QStringLiteral("off");
    for (int i = 0; i < args.size(); ++i) {
        const QString k = args[i];
        if (k == QLatin1String("--help") || k == QLatin1String("-h"))
            return usage({}), 0;
        if (i + 1 >= args.size())
            return usage(QStringLiteral("%1 needs a value").arg(k));
        const QString v = args[++i];
        bool ok = true;
        if (k == QLatin1String("--impl")) {
            impls = v.split(QLatin1Char(','), Qt::SkipEmptyParts);
            for (const QString &n : impls)
                if (n != QLatin1String("qt") && n != QLatin1String("beast") && n != QLatin1String("beast-kts")
                    && n != QLatin1String("emulator"))
                    return usage(QStringLiteral("--impl wants qt, beast, beast-kts and/or emulator, got '%1'").arg(n));
        } else if (k == QLatin1String("--calls")) {
            counts.clear();
            for (const QString &n : v.split(QLatin1Char(','))) {
                const int c = n.toInt(&ok);
                if (!ok || c < 1 || c > 20000)
                    return usage(QStringLiteral("--calls wants counts from 1 to 20000, got '%1'").arg(n));
                counts << c;
            }
        } else if (k == QLatin1String("--duration")) {
            seconds = v.toDouble(&ok);
            if (!ok || seconds < 3 || seconds > 600)
                return usage(QStringLiteral("--duration wants 3..600 s, got '%1'").arg(v));
        } else if (k == QLatin1String("--threads")) {
            threads = v.toInt(&ok);
            if (!ok || threads < 1 || threads > 64)
                return usage(QStringLiteral("--threads wants 1..64, got '%1'").arg(v));
        } else if (k == QLatin1String("--rt")) {
            rt = v.toInt(&ok);
            if (!ok || rt < 0 || rt > 99)
                return usage(QStringLiteral("--rt wants 0..99, got '%1'").arg(v));
        } else if (k == QLatin1String("--sender-rt")) {
            senderRt = v.toInt(&ok);
            if (!ok || senderRt < 0 || senderRt > 99)
                return usage(QStringLiteral("--sender-rt wants 0..99, got '%1'").arg(v));
        } else if (k == QLatin1String("--stress")) {
            stress = v;
            if (stress != QLatin1String("off") && stress != QLatin1String("on") && stress != QLatin1String("both"))
                return usage(QStringLiteral("--stress wants off, on or both, got '%1'").arg(v));
        } else if (k == QLatin1String("--tx")) {
            if (v != QLatin1String("on") && v != QLatin1String("off"))
                return usage(QStringLiteral("--tx wants on or off, got '%1'").arg(v));
            tx = v == QLatin1String("on");
        } else if (k == QLatin1String("--read-start")) {
            readStart = v == QLatin1String("1");
        } else if (k == QLatin1String("--serve")) {
            serveImpl = v;
        } else if (k == QLatin1String("--send")) {
            sendPort = v.toInt(&ok);
            if (!ok || sendPort < 1 || sendPort > 65535)
                return usage(QStringLiteral("--send wants a port, got '%1'").arg(v));
        } else {
            return usage(QStringLiteral("unknown option %1").arg(k));
        }
    }
    const int most = *std::max_element(counts.cbegin(), counts.cend());
    QString error;
    if (!ensureFdLimit(fdsNeededForCalls(most), &error)) {
        QTextStream(stderr) << "wsrecv: " << error << "\n";
        return 2;
    }
    if (sendPort > 0)
        return runSender(uint16_t(sendPort), counts.first(), seconds, rt, readStart);
    if (!serveImpl.isEmpty())
        return runReceiver(serveImpl, counts.first(), seconds, threads, rt, tx);

    QTextStream out(stdout);
    out << "wsrecv: raw paced sender -> " << impls.join(QLatin1String(" / ")) << " receiver, " << threads
        << " receiver threads" << (rt > 0 ? QStringLiteral(" at SCHED_FIFO %1").arg(rt) : QStringLiteral(" at normal priority"))
        << ", sender " << (senderRt > 0 ? QStringLiteral("SCHED_FIFO %1 if allowed").arg(senderRt) : QStringLiteral("normal"))
        << (tx ? ", receivers send 20 ms inbound media back" : ", receive only")
        << ", " << seconds << " s per run (window " << seconds - 2 << " s); " << bench::machineSummary() << "\n";
    out.flush();
    QStringList conditions;
    if (stress != QLatin1String("on"))
        conditions << QStringLiteral("quiet");
    if (stress != QLatin1String("off"))
        conditions << QStringLiteral("stress");
    QList<Run> runs;
    for (const QString &cond : conditions) {
        QProcess hog;
        if (cond == QLatin1String("stress")) {
            hog.start(QStringLiteral("stress-ng"), {QStringLiteral("--cpu"), QStringLiteral("2"), QStringLiteral("--quiet")});
            if (!hog.waitForStarted(5000)) {
                QTextStream(stderr) << "wsrecv: cannot start stress-ng (apt-get install stress-ng)\n";
                return 1;
            }
            bench::runEventsFor(1000);
        }
        for (int n : counts)
            for (const QString &impl : impls) {
                runs.append(runOne(cond, impl, n, seconds, threads, rt, senderRt, tx));
                const Run &r = runs.last();
                out << "  " << cond << " " << impl << " " << n << " calls: "
                    << (r.error.isEmpty() ? QStringLiteral("dev p99 %1 ms, cpu/call %2 %")
                                                .arg(fmt(r.rx.value(QLatin1String("dev99P99Ms")).toDouble()),
                                                     fmt(r.rx.value(QLatin1String("cpuPerCallPct")).toDouble(), 3))
                                          : r.error)
                    << "\n";
                out.flush();
            }
        if (hog.state() != QProcess::NotRunning) {
            hog.terminate();
            if (!hog.waitForFinished(5000)) {
                hog.kill();
                hog.waitForFinished(5000);
            }
        }
    }

    out << "\ncondition impl   calls  up    msgs/s   |d-20ms| p99 per call: p50 / p99 / worst ms   max ms   cpu/call %"
           "  us/msg  rss MiB  short  sender late p99/max us  burst p50/p99 us  blocked  tx sent/skipped  merged reads\n";
    for (const Run &r : runs) {
        if (!r.error.isEmpty()) {
            out << QStringLiteral("%1 %2 %3  %4\n").arg(r.condition, -9).arg(r.impl, -6).arg(r.calls, 5).arg(r.error);
            continue;
        }
        const auto v = [&](const char *k) { return r.rx.value(QLatin1String(k)).toDouble(); };
        out << QStringLiteral("%1 %2 %3 %4 %5   %6 / %7 / %8              %9  %10     %11  %12    %13  %14/%15     %16/%17     %18  %19/%20  %21\n")
                   .arg(r.condition, -9).arg(r.impl, -6).arg(r.calls, 5).arg(int(v("connected")), 5)
                   .arg(fmt(v("messagesPerSec"), 0), 8)
                   .arg(fmt(v("dev99P50Ms")), 6).arg(fmt(v("dev99P99Ms")), 6).arg(fmt(v("dev99WorstMs")), 6)
                   .arg(v("devMaxMs") < 0 ? QStringLiteral("      -") : fmt(v("devMaxMs")).rightJustified(7))
                   .arg(fmt(v("cpuPerCallPct"), 3), 7)
                   .arg(fmt(v("cpuUsPerMessage"), 1), 6)
                   .arg(fmt(v("rssKiB") / 1024.0, 0), 5)
                   .arg(int(v("callsShort")), 5)
                   .arg(r.tx.value(QStringLiteral("late_p99_us")), 0, 'f', 0)
                   .arg(r.tx.value(QStringLiteral("late_max_us")), 0, 'f', 0)
                   .arg(r.tx.value(QStringLiteral("burst_p50_us")), 0, 'f', 0)
                   .arg(r.tx.value(QStringLiteral("burst_p99_us")), 0, 'f', 0)
                   .arg(r.tx.value(QStringLiteral("blocked")), 0, 'f', 0)
                   .arg(r.impl == QLatin1String("emulator") ? QStringLiteral("-") : QString::number(qint64(v("txSent"))))
                   .arg(r.impl == QLatin1String("emulator") ? QStringLiteral("-") : QString::number(qint64(v("txSkipped"))))
                   .arg(r.impl == QLatin1String("beast-kts") ? QString::number(qint64(v("mergedReads"))) : QStringLiteral("-"));
    }
    if (impls.contains(QLatin1String("qt")) && impls.contains(QLatin1String("beast"))) {
        out << "\nratios qt / beast (> 1: Beast better)\ncondition calls  |d-20ms| p99 (p99 across calls)  max  cpu per call\n";
        for (const Run &q : runs) {
            if (q.impl != QLatin1String("qt") || !q.error.isEmpty())
                continue;
            for (const Run &b : runs) {
                if (b.impl != QLatin1String("beast") || b.condition != q.condition || b.calls != q.calls || !b.error.isEmpty())
                    continue;
                const auto ratio = [&](const char *k) {
                    const double d = b.rx.value(QLatin1String(k)).toDouble();
                    return d > 0 ? fmt(q.rx.value(QLatin1String(k)).toDouble() / d, 1) + QStringLiteral("x") : QStringLiteral("-");
                };
                out << QStringLiteral("%1 %2  %3                          %4  %5\n")
                           .arg(q.condition, -9).arg(q.calls, 5).arg(ratio("dev99P99Ms"), 8).arg(ratio("devMaxMs"), 6)
                           .arg(ratio("cpuPerCallPct"), 8);
            }
        }
    }
    out << "(|d-20ms| = each call's inter-arrival deviation from 20 ms, stamped with steady_clock when the message "
           "reaches the application (beast-kts: the kernel's receive time of the read that brought it; merged reads = "
           "messages that shared a read, and so a stamp, with the one before); cpu/call = the receiver process's CPU over the window per call; "
        << bench::machineSummary() << " at the end)\n";
    return 0;
}

} // namespace

const bench::Registrar wsrecvReg("wsrecv", "QtWebSockets vs Boost.Beast receiving N calls of 20 ms media from one raw paced "
                                           "sender: jitter across calls, CPU per call, qt/beast ratios (--calls 100,500,1000)",
                                 runWsRecv);
