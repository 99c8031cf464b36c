// pacelab-bench pacing --streams N[,N...]: MultiStreamSender (one pacing thread, a deadline
// wheel) serving N streams, against a single-stream QTimer(PreciseTimer) baseline in the same
// run. Lateness of every frame is taken after the write and the flush (when the bytes reached the
// kernel), against its tick on the absolute 20 ms grid. The receiver is a separate process
// (`pacelab-bench streams-sink`: WebSocket handshake, then it only reads), so the CPU figure
// (getrusage of this process) is the sender's and its producer's, not the receiver's.
#include "Benchmarks.h"

#include "engine/MultiStreamSender.h"
#include "twilio/TwilioMessages.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QWebSocket>

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace pacelab;

namespace {

double cpuSeconds()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

qint64 rssBytes()
{
    QFile f(QStringLiteral("/proc/self/statm"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> parts = f.readAll().split(' ');
    return parts.size() > 1 ? parts[1].toLongLong() * sysconf(_SC_PAGESIZE) : 0;
}

void runEventsFor(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

bool waitFor(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs)
            return false;
        runEventsFor(10);
    }
    return true;
}

// ---- the receiver process -------------------------------------------------------------------

int runSink(const QStringList &args)
{
    // With --rt the receiver runs SCHED_FIFO too (one below the sender): a receiver starved by
    // the load would back the sockets up and the figure would be the receiver's.
    if (args.size() >= 2 && args[0] == QLatin1String("--rt") && args[1].toInt() > 1) {
        sched_param sp{};
        sp.sched_priority = args[1].toInt() - 1;
        pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    }
    // A WebSocket peer that costs next to nothing: answers the upgrade, then discards.
    auto *server = new QTcpServer(qApp);
    if (!server->listen(QHostAddress::LocalHost, 0))
        return 1;
    QObject::connect(server, &QTcpServer::newConnection, server, [server] {
        while (QTcpSocket *s = server->nextPendingConnection()) {
            auto upgraded = std::make_shared<bool>(false);
            auto head = std::make_shared<QByteArray>();
            QObject::connect(s, &QTcpSocket::readyRead, s, [s, upgraded, head] {
                const QByteArray data = s->readAll();
                if (*upgraded)
                    return;
                head->append(data);
                const int end = int(head->indexOf("\r\n\r\n"));
                if (end < 0)
                    return;
                QByteArray key;
                for (const QByteArray &line : head->left(end).split('\n'))
                    if (line.toLower().startsWith("sec-websocket-key:"))
                        key = line.mid(18).trimmed();
                const QByteArray accept = QCryptographicHash::hash(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
                                                                   QCryptographicHash::Sha1)
                                              .toBase64();
                s->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: " + accept + "\r\n\r\n");
                *upgraded = true;
            });
            QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
        }
    });
    std::printf("%d\n", server->serverPort());
    std::fflush(stdout);
    return qApp->exec();
}

struct Sink
{
    QProcess proc;
    quint16 port = 0;
    bool start(int rt)
    {
        QStringList args{QStringLiteral("streams-sink")};
        if (rt > 0)
            args << QStringLiteral("--rt") << QString::number(rt);
        proc.start(QCoreApplication::applicationFilePath(), args);
        if (!proc.waitForStarted(10000) || !proc.waitForReadyRead(10000))
            return false;
        port = quint16(proc.readLine().trimmed().toUInt());
        return port != 0;
    }
    ~Sink()
    {
        proc.kill(); // our child, by its own handle
        proc.waitForFinished(5000);
    }
    QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port)); }
};

// ---- measurements ---------------------------------------------------------------------------

struct Row
{
    QString name;
    int streams = 0;
    int phases = 0;
    int connected = 0;
    quint64 frames = 0;
    qint64 p50 = 0, p99 = 0, max = 0;
    quint64 lateResets = 0, stalled = 0;
    double cores = 0;       // CPU of this process / wall
    double threadCores = 0; // CPU of the pacing thread / wall
    double kibPerStream = 0;
    double ticksPerSec = 0;
};

Row runStreams(const QUrl &url, int n, int phases, int seconds, int rt)
{
    Row r;
    r.name = QStringLiteral("wheel");
    r.streams = n;
    const qint64 rss0 = rssBytes();
    SenderConfig cfg;
    cfg.pingIntervalMs = 0;
    cfg.stopMode = SenderConfig::StopMode::Discard;
    cfg.realtimePriority = rt;
    MultiStreamSender sender(cfg, phases);
    r.phases = phases == 0 ? MultiStreamSender::kDefaultPhases : phases;
    for (int i = 0; i < n; ++i)
        sender.addStream(url, QStringLiteral("MZ%1").arg(i, 32, 10, QLatin1Char('0')));
    const QByteArray tone(160, char(0xFF));
    QTimer feeder; // tops every queue up to its high-water mark (as --headless --streams does)
    feeder.setTimerType(Qt::PreciseTimer);
    QObject::connect(&feeder, &QTimer::timeout, [&] {
        for (int i = 0; i < n; ++i) {
            TxQueue *q = sender.queue(i);
            while (q->size() < q->highWater() && q->tryPush(TxItem::media(tone)) == TxQueue::PushResult::Ok) {
            }
        }
    });
    feeder.start(20);
    waitFor([&] { return sender.totals().streaming == n; }, 60000);
    runEventsFor(1500); // warm-up: connections settled, queues full
    r.connected = sender.totals().streaming;
    sender.resetTotals();
    runEventsFor(50);
    const double cpu0 = cpuSeconds();
    QElapsedTimer wall;
    wall.start();
    runEventsFor(seconds * 1000);
    runEventsFor(1100); // the next per-second publish carries the whole window
    const double cpu = cpuSeconds() - cpu0;
    const double wallS = double(wall.elapsed()) / 1000.0;
    const qint64 rss1 = rssBytes();
    const MultiStreamTotals t = sender.totals();
    feeder.stop();
    r.frames = t.framesSent;
    r.p50 = t.latenessP50Us;
    r.p99 = t.latenessP99Us;
    r.max = t.latenessMaxUs;
    r.lateResets = t.lateResets;
    r.stalled = t.stalledFrames;
    r.cores = cpu / wallS;
    r.threadCores = double(t.threadCpuUs) / 1e6 / wallS;
    r.kibPerStream = double(rss1 - rss0) / 1024.0 / n;
    r.ticksPerSec = double(t.ticks) / wallS;
    return r;
}

// The naive single stream: a 20 ms PreciseTimer on its own thread, one frame per tick, written
// and flushed, lateness taken after the flush against the absolute grid (same as the wheel's).
Row runBaseline(const QUrl &url, int seconds, int rt)
{
    Row r;
    r.name = QStringLiteral("QTimer baseline");
    r.streams = 1;
    const int frames = seconds * 50;
    std::vector<qint64> late;
    late.reserve(size_t(frames));
    std::atomic<bool> finished{false};
    QThread thread;
    QObject ctx;
    ctx.moveToThread(&thread);
    thread.start(QThread::TimeCriticalPriority);
    const double cpu0 = cpuSeconds();
    QElapsedTimer wall;
    wall.start();
    QMetaObject::invokeMethod(&ctx, [&] {
        if (rt > 0) { // the same scheduling as the wheel's thread: the comparison is the method's
            sched_param sp{};
            sp.sched_priority = rt;
            pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
        }
        auto *socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, &ctx);
        auto *timer = new QTimer(&ctx);
        timer->setTimerType(Qt::PreciseTimer);
        timer->setInterval(20);
        auto sent = std::make_shared<int>(0);
        auto anchor = std::make_shared<qint64>(0);
        const QByteArray json = twilio::encodeMedia(QStringLiteral("MZbaseline"), QByteArray(160, char(0xFF)));
        QObject::connect(timer, &QTimer::timeout, &ctx, [=, &late, &finished] {
            socket->sendTextMessage(QString::fromUtf8(json));
            socket->flush();
            const qint64 slot = *anchor + 20000000LL * (*sent + 1);
            late.push_back((steadyNowNs() - slot) / 1000);
            if (++*sent >= frames) {
                timer->stop();
                socket->close();
                finished = true;
            }
        });
        QObject::connect(socket, &QWebSocket::connected, &ctx, [=] {
            *anchor = steadyNowNs();
            timer->start();
        });
        socket->open(url);
    });
    waitFor([&] { return finished.load(); }, seconds * 4000 + 10000);
    thread.quit();
    thread.wait();
    const double cpu = cpuSeconds() - cpu0;
    std::sort(late.begin(), late.end());
    auto pct = [&](double q) {
        return late.empty() ? 0 : late[std::min(late.size() - 1, size_t(q * double(late.size())))];
    };
    r.connected = 1;
    r.frames = late.size();
    r.p50 = pct(0.5);
    r.p99 = pct(0.99);
    r.max = late.empty() ? 0 : late.back();
    r.cores = cpu / (double(wall.elapsed()) / 1000.0);
    r.ticksPerSec = 50;
    return r;
}

void printRow(const Row &r)
{
    std::printf("%-16s %7d %6d %9d %9llu %8lld %8lld %9lld %7llu %8llu %7.3f %7.3f %10.1f %8.0f\n",
                qPrintable(r.name), r.streams, r.phases, r.connected, (unsigned long long)r.frames, (long long)r.p50,
                (long long)r.p99, (long long)r.max, (unsigned long long)r.lateResets, (unsigned long long)r.stalled,
                r.cores, r.threadCores, r.kibPerStream, r.ticksPerSec);
    std::fflush(stdout);
}

int usage(const QString &error)
{
    if (!error.isEmpty())
        std::fprintf(stderr, "pacelab-bench pacing --streams: %s\n", qPrintable(error));
    std::fprintf(stderr,
                 "usage: pacelab-bench pacing --streams N[,N...] [--seconds S] [--phases P] [--rt PRIO]\n"
                 "  --streams   stream counts to run, e.g. 1,10,100,500,1000 (each 1..5000)\n"
                 "  --seconds   measured seconds per row (default 10)\n"
                 "  --phases    wheel ticks per 20 ms (default %d)\n"
                 "  --rt PRIO   both pacing threads SCHED_FIFO at PRIO (default 0 = normal)\n",
                 MultiStreamSender::kDefaultPhases);
    return 2;
}

} // namespace

namespace pacelab::bench {

int runStreamsBench(const QStringList &args)
{
    QList<int> counts;
    int seconds = 10;
    int phases = 0;
    int rt = 0;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("--streams") && i + 1 < args.size()) {
            for (const QString &part : args[++i].split(QLatin1Char(','))) {
                bool ok = false;
                const int n = part.toInt(&ok);
                if (!ok || n < 1 || n > 5000)
                    return usage(QStringLiteral("--streams wants counts 1..5000, got '%1'").arg(part));
                counts << n;
            }
        } else if (a == QLatin1String("--seconds") && i + 1 < args.size()) {
            bool ok = false;
            seconds = args[++i].toInt(&ok);
            if (!ok || seconds < 1 || seconds > 3600)
                return usage(QStringLiteral("--seconds wants 1..3600, got '%1'").arg(args[i]));
        } else if (a == QLatin1String("--phases") && i + 1 < args.size()) {
            bool ok = false;
            phases = args[++i].toInt(&ok);
            if (!ok || phases < 1 || phases > 200)
                return usage(QStringLiteral("--phases wants 1..200, got '%1'").arg(args[i]));
        } else if (a == QLatin1String("--rt") && i + 1 < args.size()) {
            bool ok = false;
            rt = args[++i].toInt(&ok);
            if (!ok || rt < 0 || rt > 99)
                return usage(QStringLiteral("--rt wants a priority 0..99, got '%1'").arg(args[i]));
        } else if (a == QLatin1String("--help") || a == QLatin1String("-h")) {
            usage({});
            return 0;
        } else {
            return usage(QStringLiteral("unknown option '%1'").arg(a));
        }
    }
    if (counts.isEmpty())
        return usage(QStringLiteral("--streams needs at least one count"));
    const int most = *std::max_element(counts.begin(), counts.end());
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rlim_t(most + 64) > rl.rlim_cur) {
        rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, rlim_t(most + 64));
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rlim_t(most + 64) > rl.rlim_cur)
            return usage(QStringLiteral("%1 streams need %2 file descriptors: raise the limit (ulimit -n %2)")
                             .arg(most)
                             .arg(most + 64));
    }
    Sink sink;
    if (!sink.start(rt)) {
        std::fprintf(stderr, "pacelab-bench: cannot start the receiver process\n");
        return 1;
    }
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    std::printf("pacing --streams: %d s measured per row, 20 ms grid, loopback to a receiver process, %d CPUs, "
                "load average %.1f, scheduling %s\n",
                seconds, QThread::idealThreadCount(), load[0],
                rt > 0 ? qPrintable(QStringLiteral("SCHED_FIFO %1").arg(rt)) : "normal");
    std::printf("%-16s %7s %6s %9s %9s %8s %8s %9s %7s %8s %7s %7s %10s %8s\n", "sender", "streams", "phases",
                "streaming", "frames", "p50(us)", "p99(us)", "max(us)", "resets", "stalled", "cores", "thread",
                "KiB/stream", "ticks/s");
    std::fflush(stdout);
    printRow(runBaseline(sink.url(), seconds, rt));
    bool met500 = false, had500 = false;
    for (int n : counts) {
        const Row r = runStreams(sink.url(), n, phases, seconds, rt);
        printRow(r);
        if (n == 500) {
            had500 = true;
            met500 = r.p99 <= 2000 && r.cores <= 1.0 && r.connected == 500;
        }
    }
    if (had500)
        std::printf("target at 500 streams (p99 <= 2000 us, <= 1 core): %s\n", met500 ? "met" : "MISSED");
    std::printf("(lateness = after write + flush vs the frame's tick on the absolute 20 ms grid, every frame of "
                "every stream; cores = CPU time of this process (pacing thread + producer) / wall; thread = the pacing thread's alone; KiB/stream = "
                "RSS growth / streams)\n");
    return 0;
}

} // namespace pacelab::bench

namespace {
const bench::Registrar regSink("streams-sink", "(internal) the receiver process of pacing --streams", &runSink);
} // namespace
