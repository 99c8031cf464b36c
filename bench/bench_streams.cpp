// pacelab-bench pacing --streams N[,N...]: MultiStreamSender (one pacing thread, a deadline
// wheel) serving N streams, against a single-stream QTimer(PreciseTimer) baseline
// (BaselineSender) in the same run. Lateness of every frame is taken after the write and the flush (when the bytes reached the
// kernel), against its tick on the absolute 20 ms grid. The receiver is a separate process
// (`pacelab-bench streams-sink`: WebSocket handshake, then it only reads), so the CPU figure
// (getrusage of this process) is the sender's and its producer's, not the receiver's.
#include "BaselineSender.h"
#include "BenchUtil.h"
#include "Benchmarks.h"

#include "engine/MultiStreamSender.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace pacelab;

namespace {

using bench::runEventsFor;

// ---- the receiver process -------------------------------------------------------------------

int runSink(const QStringList &args)
{
    // With --rt the receiver runs SCHED_FIFO too (one below the sender): a receiver starved by
    // the load would back the sockets up and the figure would be the receiver's.
    if (args.size() >= 2 && args[0] == QLatin1String("--rt") && args[1].toInt() > 1)
        bench::setThreadFifo(args[1].toInt() - 1);
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
    QString sched; // what the pacing thread ran at
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
    const qint64 rss0 = bench::rssKiB();
    SenderConfig cfg;
    cfg.pingIntervalMs = 0;
    cfg.stopMode = SenderConfig::StopMode::Discard;
    cfg.realtimePriority = rt;
    MultiStreamSender sender(cfg, phases);
    // What the pacing thread got: MultiStreamSender says it once, in its log.
    r.sched = QStringLiteral("?");
    QObject::connect(&sender, &MultiStreamSender::logMessage, &sender, [&r](int, const QString &, const QString &text) {
        static const QString kPrefix = QStringLiteral("sender thread scheduling: ");
        if (!text.startsWith(kPrefix))
            return;
        r.sched = text.mid(kPrefix.size()).section(QStringLiteral(" (not real-time"), 0, 0).section(QLatin1Char(';'), 0, 0);
        if (text.contains(QLatin1String("not real-time")))
            std::printf("  [note] %s\n", qPrintable(text));
    });
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
    bench::runEventsUntil([&] { return sender.totals().streaming == n; }, 60000);
    runEventsFor(1500); // warm-up: connections settled, queues full
    r.connected = sender.totals().streaming;
    sender.resetTotals();
    runEventsFor(50);
    const double cpu0 = bench::cpuSeconds();
    QElapsedTimer wall;
    wall.start();
    runEventsFor(seconds * 1000);
    runEventsFor(1100); // the next per-second publish carries the whole window
    const double cpu = bench::cpuSeconds() - cpu0;
    const double wallS = double(wall.elapsed()) / 1000.0;
    const qint64 rss1 = bench::rssKiB();
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
    r.kibPerStream = double(rss1 - rss0) / n;
    r.ticksPerSec = double(t.ticks) / wallS;
    return r;
}

// The naive single stream (BaselineSender), measured like the wheel: lateness after the write
// and the flush against the absolute grid.
Row runBaseline(const QUrl &url, int seconds, int rt)
{
    Row r;
    r.name = QStringLiteral("QTimer baseline");
    r.streams = 1;
    bench::BaselineOptions bo;
    bo.url = url;
    bo.streamSid = QStringLiteral("MZbaseline");
    bo.frames = seconds * 50;
    bo.fifoPriority = rt; // the same scheduling as the wheel's thread with --rt: the comparison is the method's
    bo.threadPriority = QThread::TimeCriticalPriority;
    bench::BaselineSender baseline(bo);
    baseline.run(seconds * 4000 + 10000);
    if (!baseline.error().isEmpty())
        std::printf("  [baseline] connection failed: %s\n", qPrintable(baseline.error()));
    const bench::BaselineSender::Summary late = baseline.summary();
    r.sched = baseline.scheduling();
    r.connected = baseline.error().isEmpty() ? 1 : 0;
    r.frames = baseline.latenessUs().size();
    r.p50 = late.p50;
    r.p99 = late.p99;
    r.max = late.max;
    r.cores = baseline.processCores();
    r.ticksPerSec = 50;
    return r;
}

void printRow(const Row &r)
{
    std::printf("%-16s %-17s %7d %6d %9d %9llu %8lld %8lld %9lld %7llu %8llu %7.3f %7.3f %10.1f %8.0f\n",
                qPrintable(r.name), qPrintable(r.sched), r.streams, r.phases, r.connected, (unsigned long long)r.frames, (long long)r.p50,
                (long long)r.p99, (long long)r.max, (unsigned long long)r.lateResets, (unsigned long long)r.stalled,
                r.cores, r.threadCores, r.kibPerStream, r.ticksPerSec);
    std::fflush(stdout);
}

int usage(const QString &error)
{
    return bench::printUsage("pacelab-bench pacing --streams", error,
                             QString::fromUtf8("usage: pacelab-bench pacing --streams N[,N...] [--seconds S] [--phases P] [--rt PRIO]\n"
                                               "  --streams   stream counts to run, e.g. 1,10,100,500,1000 (each 1..5000)\n"
                                               "  --seconds   measured seconds per row (default 10)\n"
                                               "  --phases    wheel ticks per 20 ms (default %1)\n"
                                               "  --rt PRIO   both pacing threads SCHED_FIFO at PRIO (1..99). Default 0: the wheel's thread asks\n"
                                               "              for real-time scheduling as the system allows, the baseline runs at normal\n"
                                               "              scheduling; the table says what each got\n")
                                 .arg(MultiStreamSender::kDefaultPhases));
}

} // namespace

namespace pacelab::bench {

int runStreamsBench(const QStringList &args)
{
    QList<int> counts;
    int seconds = 10;
    int phases = 0;
    int rt = 0;
    QString countList;
    bench::OptionParser options;
    options.addString("--streams", &countList);
    options.addInt("--seconds", 1, 3600, &seconds);
    options.addInt("--phases", 1, 200, &phases);
    options.addInt("--rt", 0, 99, &rt);
    if (const int rc = options.parse(args, usage); rc >= 0)
        return rc;
    for (const QString &part : countList.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int n = part.toInt(&ok);
        if (!ok || n < 1 || n > 5000)
            return usage(QStringLiteral("--streams wants counts 1..5000, got '%1'").arg(part));
        counts << n;
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
    // What each pacing thread actually got is in the table's scheduling column.
    std::printf("pacing --streams: %d s measured per row, 20 ms grid, loopback to a receiver process, %s, "
                "scheduling asked: %s\n",
                seconds, qPrintable(bench::machineSummary()),
                rt > 0 ? qPrintable(QStringLiteral("SCHED_FIFO %1 for both").arg(rt))
                       : "the wheel's default (real-time as the system allows), baseline normal");
    std::printf("%-16s %-17s %7s %6s %9s %9s %8s %8s %9s %7s %8s %7s %7s %10s %8s\n", "sender", "scheduling", "streams", "phases",
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
