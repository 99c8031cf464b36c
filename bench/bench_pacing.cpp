// pacelab-bench pacing: PacedSender (absolute deadlines + precise finish) against a baseline
// driven by a plain QTimer(Qt::PreciseTimer) 20 ms tick, both over a loopback WebSocket, in the
// same run. Lateness is measured the same way for both: the moment a frame (already encoded)
// is handed to the socket, against its slot on the absolute 20 ms grid.
#include "Benchmarks.h"

#include "engine/SenderEngine.h"
#include "session/Session.h"
#include "twilio/TwilioMessages.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QThread>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

using namespace pacelab;
using Clock = std::chrono::steady_clock;

namespace pacelab::bench {
int runStreamsBench(const QStringList &args); // bench_streams.cpp
}

namespace {

const QString kSid = QStringLiteral("MZbench0000000000000000000000000");

struct Figures
{
    qint64 p50 = 0, p99 = 0, max = 0, driftUs = 0;
    quint64 lateResets = 0;
    quint64 frames = 0;
    double cpuPercent = 0;
    double recvDriftMs = 0;
    qint64 recvJitterP99Us = 0; // p99 of |arrival interval - 20 ms| at the receiver
};

double cpuSeconds()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
           + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

qint64 pct(std::vector<qint64> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t idx = std::min(v.size() - 1, size_t(std::max(0.0, q * double(v.size()) - 1e-9)));
    return v[idx];
}

// Loopback peer on the main thread: counts media and records arrival times.
class Peer
{
public:
    Peer()
    {
        ok = server.listen(QHostAddress::LocalHost, 0);
        QObject::connect(&server, &QWebSocketServer::newConnection, &server, [this] {
            while (QWebSocket *s = server.nextPendingConnection()) {
                s->setParent(&server);
                QObject::connect(s, &QWebSocket::textMessageReceived, s, [this](const QString &t) {
                    if (t.contains(QLatin1String("\"media\"")))
                        arrivals.push_back(Clock::now());
                });
            }
        });
    }
    QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(server.serverPort())); }
    double driftMs(qint64 intervalUs) const
    {
        if (arrivals.size() < 2)
            return 0;
        const auto ideal = arrivals.front() + std::chrono::microseconds(intervalUs * qint64(arrivals.size() - 1));
        return std::chrono::duration<double, std::milli>(arrivals.back() - ideal).count();
    }
    qint64 jitterP99Us(qint64 intervalUs) const
    {
        std::vector<qint64> dev;
        for (size_t i = 1; i < arrivals.size(); ++i)
            dev.push_back(std::llabs(std::chrono::duration_cast<std::chrono::microseconds>(arrivals[i] - arrivals[i - 1]).count()
                                     - intervalUs));
        return pct(dev, 0.99);
    }
    QWebSocketServer server{QStringLiteral("bench-peer"), QWebSocketServer::NonSecureMode};
    std::vector<Clock::time_point> arrivals;
    bool ok = false;
};

void spinEventsUntil(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < timeoutMs) {
        // Sleep in the event loop (the peer's socket is served here), never busy-poll.
        QEventLoop loop;
        QTimer::singleShot(10, &loop, &QEventLoop::quit);
        loop.exec();
    }
}

Figures runOurs(int frames, qint64 intervalUs, int rtPriority, int leadUs, int spinUs)
{
    Peer peer;
    SenderConfig cfg;
    cfg.frameIntervalUs = intervalUs;
    cfg.pingIntervalMs = 0;
    cfg.realtimePriority = rtPriority;
    cfg.wakeLeadUs = leadUs;
    cfg.spinUs = std::min(spinUs, leadUs);
    SessionConfig sc;
    sc.sender = cfg;
    QString problem;
    const std::unique_ptr<Session> session = Session::create(sc, &problem);
    if (!session) {
        std::printf("  invalid sender settings: %s\n", qPrintable(problem));
        return {};
    }
    SenderEngine &engine = *session->engine();
    QObject::connect(&engine, &SenderEngine::logMessage, &engine, [](const QString &level, const QString &text) {
        if (level != QLatin1String("info") || text.contains(QLatin1String("SCHED_FIFO")))
            std::printf("  [%s] %s\n", qPrintable(level), qPrintable(text));
    });
    const QByteArray silence(160, char(0xFF));
    std::thread producer([&] {
        for (int i = 0; i < frames; ++i)
            if (!engine.queue()->pushBlocking(TxItem::media(silence)))
                break;
    });
    const double cpu0 = cpuSeconds();
    QElapsedTimer wall;
    wall.start();
    engine.connectTo(peer.url(), kSid);
    spinEventsUntil([&] { return int(peer.arrivals.size()) >= frames; },
                    int(frames * intervalUs / 1000) * 2 + 10000);
    session->stopEngine(10000);
    producer.join();
    const double cpu = cpuSeconds() - cpu0;
    const SenderTotals t = engine.totals();
    Figures f;
    f.p50 = t.latenessP50Us;
    f.p99 = t.latenessP99Us;
    f.max = t.latenessMaxUs;
    f.driftUs = t.finalDriftUs;
    f.lateResets = t.lateResets;
    f.frames = t.framesSent;
    f.cpuPercent = 100.0 * cpu / (double(wall.elapsed()) / 1000.0);
    f.recvDriftMs = peer.driftMs(intervalUs);
    f.recvJitterP99Us = peer.jitterP99Us(intervalUs);
    return f;
}

Figures runBaseline(int frames, qint64 intervalUs, int rtPriority)
{
    Peer peer;
    std::vector<qint64> lateness;
    lateness.reserve(size_t(frames));
    std::atomic<bool> finished{false};
    QThread thread;
    QObject ctx;
    ctx.moveToThread(&thread);
    thread.start(QThread::TimeCriticalPriority);
    const QUrl url = peer.url();
    const double cpu0 = cpuSeconds();
    QElapsedTimer wall;
    wall.start();
    QMetaObject::invokeMethod(&ctx, [&] {
        if (rtPriority > 0) {
            // Same scheduling as ours, so the comparison is about the pacing method only.
            sched_param sp{};
            sp.sched_priority = rtPriority;
            pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
        }
        auto *socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, &ctx);
        auto *timer = new QTimer(&ctx);
        timer->setTimerType(Qt::PreciseTimer);
        timer->setInterval(int(intervalUs / 1000));
        auto sent = std::make_shared<int>(0);
        auto anchor = std::make_shared<Clock::time_point>();
        const QByteArray silence(160, char(0xFF));
        QObject::connect(timer, &QTimer::timeout, &ctx, [=, &lateness, &finished] {
            // The naive pacer: one frame per tick, trusting the timer.
            const QByteArray json = twilio::encodeMedia(kSid, silence);
            const auto now = Clock::now();
            const auto slot = *anchor + std::chrono::microseconds(intervalUs * qint64(*sent + 1));
            lateness.push_back(std::chrono::duration_cast<std::chrono::microseconds>(now - slot).count());
            socket->sendTextMessage(QString::fromUtf8(json));
            if (++*sent >= frames) {
                timer->stop();
                socket->close();
                finished = true;
            }
        });
        QObject::connect(socket, &QWebSocket::connected, &ctx, [=] {
            *anchor = Clock::now();
            timer->start();
        });
        socket->open(url);
    });
    spinEventsUntil([&] { return finished.load() && int(peer.arrivals.size()) >= frames; },
                    int(frames * intervalUs / 1000) * 2 + 10000);
    thread.quit();
    thread.wait();
    const double cpu = cpuSeconds() - cpu0;
    Figures f;
    f.frames = lateness.size();
    f.p50 = pct(lateness, 0.50);
    f.p99 = pct(lateness, 0.99);
    f.max = lateness.empty() ? 0 : *std::max_element(lateness.begin(), lateness.end());
    f.driftUs = lateness.empty() ? 0 : lateness.back();
    f.cpuPercent = 100.0 * cpu / (double(wall.elapsed()) / 1000.0);
    f.recvDriftMs = peer.driftMs(intervalUs);
    f.recvJitterP99Us = peer.jitterP99Us(intervalUs);
    return f;
}

int usage(const QString &error)
{
    if (!error.isEmpty())
        std::fprintf(stderr, "pacelab-bench pacing: %s\n", qPrintable(error));
    std::fprintf(stderr,
                 "usage: pacelab-bench pacing [--frames N] [--rt PRIO] [--lead US] [--spin US] [--only ours|baseline]\n"
                 "  --frames N   frames per sender (default 1500 = 30 s at 20 ms; 30000 = 10 min)\n"
                 "  --lead US    PacedSender's event-loop wake lead before each deadline (default 2000)\n"
                 "  --spin US    the spinning last part of that wait (default 300)\n"
                 "  --rt PRIO    run both sender threads SCHED_FIFO at PRIO (1..99; default 0 = normal)\n");
    return 2;
}

void printRow(const char *name, const Figures &f)
{
    std::printf("%-16s %7llu %8lld %8lld %9lld %+11.3f %+12.3f %12lld %7llu %6.1f%%\n", name,
                (unsigned long long)f.frames, (long long)f.p50, (long long)f.p99, (long long)f.max,
                double(f.driftUs) / 1000.0, f.recvDriftMs, (long long)f.recvJitterP99Us,
                (unsigned long long)f.lateResets, f.cpuPercent);
}

int runPacing(const QStringList &args)
{
    if (args.contains(QLatin1String("--streams")))
        return bench::runStreamsBench(args);
    int frames = 1500;
    QString only;
    int rt = 0;
    int lead = SenderConfig().wakeLeadUs;
    int spin = SenderConfig().spinUs;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("--frames") && i + 1 < args.size()) {
            bool ok = false;
            frames = args[++i].toInt(&ok);
            if (!ok || frames < 10 || frames > 1000000)
                return usage(QStringLiteral("--frames wants a number between 10 and 1000000, got '%1'").arg(args[i]));
        } else if (a == QLatin1String("--rt") && i + 1 < args.size()) {
            bool ok = false;
            rt = args[++i].toInt(&ok);
            if (!ok || rt < 0 || rt > 99)
                return usage(QStringLiteral("--rt wants a priority 0..99, got '%1'").arg(args[i]));
        } else if (a == QLatin1String("--lead") && i + 1 < args.size()) {
            bool ok = false;
            lead = args[++i].toInt(&ok);
            if (!ok || lead < 0 || lead > 20000)
                return usage(QStringLiteral("--lead wants 0..20000 us, got '%1'").arg(args[i]));
        } else if (a == QLatin1String("--spin") && i + 1 < args.size()) {
            bool ok = false;
            spin = args[++i].toInt(&ok);
            if (!ok || spin < 0 || spin > 20000)
                return usage(QStringLiteral("--spin wants 0..20000 us, got '%1'").arg(args[i]));
        } else if (a == QLatin1String("--only") && i + 1 < args.size()) {
            only = args[++i];
            if (only != QLatin1String("ours") && only != QLatin1String("baseline"))
                return usage(QStringLiteral("--only wants 'ours' or 'baseline', got '%1'").arg(only));
        } else if (a == QLatin1String("--help") || a == QLatin1String("-h")) {
            usage({});
            return 0;
        } else {
            return usage(QStringLiteral("unknown option '%1'").arg(a));
        }
    }
    constexpr qint64 intervalUs = 20000;
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    std::printf("pacing: %d frames per sender (%.1f s each), 20 ms grid, loopback WebSocket, %d CPUs, "
                "load average %.1f, scheduling %s\n",
                frames, frames * intervalUs / 1e6, QThread::idealThreadCount(), load[0],
                rt > 0 ? qPrintable(QStringLiteral("SCHED_FIFO %1").arg(rt)) : "normal");
    std::fflush(stdout);
    Figures ours, base;
    if (only != QLatin1String("baseline"))
        ours = runOurs(frames, intervalUs, rt, lead, spin);
    if (only != QLatin1String("ours"))
        base = runBaseline(frames, intervalUs, rt);
    std::printf("%-16s %7s %8s %8s %9s %11s %12s %12s %7s %7s\n", "sender", "frames", "p50(us)", "p99(us)",
                "max(us)", "drift(ms)", "rx-drift(ms)", "rx-jit99(us)", "resets", "cpu");
    if (only != QLatin1String("baseline"))
        printRow("PacedSender", ours);
    if (only != QLatin1String("ours"))
        printRow("QTimer baseline", base);
    if (only.isEmpty()) {
        const double ratio = ours.p99 > 0 ? double(base.p99) / double(ours.p99) : 0.0;
        std::printf("p99 ratio baseline/ours: %.1fx (target >= 3)\n", ratio);
        std::printf("targets: p99 <= 250 us: %s; ratio >= 3: %s; |drift| < 1 ms: %s\n",
                    ours.p99 <= 250 ? "met" : "MISSED", ratio >= 3 ? "met" : "MISSED",
                    std::llabs(ours.driftUs) < 1000 ? "met" : "MISSED");
    }
    std::printf("(lateness = hand-off to the socket vs the absolute grid; drift = last frame vs its grid "
                "slot; rx-drift = same at the receiver; rx-jit99 = p99 of |arrival interval - 20 ms| at the "
                "receiver, which shows jitter apart from drift; cpu = whole process during the run)\n");
    return 0;
}

const bench::Registrar reg("pacing",
                           "PacedSender vs a QTimer(PreciseTimer) baseline over loopback: lateness p50/p99/max, drift",
                           &runPacing);

} // namespace
