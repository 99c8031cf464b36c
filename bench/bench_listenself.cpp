// pacelab-bench listen-self --streams 100,300,500,1000: the many-stream listening emulator's own
// noise and cost (`pacelab emulate --listen --max-streams N`, core/load/ListenEmulator) against
// PaceLab's own many-stream sender (MultiStreamSender: one pacing thread) in a SEPARATE process
// (this benchmark re-run as `listen-self --send URL`), so the sender's CPU stays out of this
// process's figures. Per step (a 10-stream baseline first, in the same run): streams up, the
// receiver-measured jitter across streams (RFC 3550 and inter-arrival p99 − 20 ms:
// p50/p99/worst), fps p1, underruns, the emulator threads' CPU per stream, the sender process's
// CPU per stream and its lateness p99 after the flush. Whatever the sender does not do perfectly
// shows here as the emulator's noise, so every figure is an upper bound. docs/load-emulator.md.
#include "BenchUtil.h"
#include "Benchmarks.h"
#include "Spread.h"

#include "audio/G711.h"
#include "audio/SignalGenerator.h"
#include "engine/MultiStreamSender.h"
#include "load/CallMetrics.h"
#include "load/FdLimit.h"
#include "load/ListenEmulator.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QTextStream>
#include <QTimer>

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>

using namespace pacelab;

namespace {

// Pins this process (every thread started after) to one CPU; false when the system refuses.
bool pinToCpu(int cpu)
{
    if (cpu < 0)
        return true;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set) == 0;
}

using bench::Spread;
using bench::spreadOf;

// The child: N streams of a tone from one MultiStreamSender to url for `seconds`, then drained
// and closed; prints "sender: cpu=S frames=N lateness_p99_us=L failed=F" last.
int runSender(const QUrl &url, int streams, double seconds, int rt)
{
    QTextStream out(stdout);
    SenderConfig cfg;
    cfg.realtimePriority = rt; // the pacing thread at SCHED_FIFO too when the emulator asks for it
    MultiStreamSender sender(cfg);
    for (int i = 0; i < streams; ++i)
        if (sender.addStream(url) < 0)
            return 2;
    const QVector<qint16> pcm = signal::sine(8000, 1.0, 440.0, -12.0);
    QList<QByteArray> tone;
    for (qsizetype at = 0; at + 160 <= pcm.size(); at += 160)
        tone << g711::encodeMulaw(pcm.constData() + at, 160);
    std::vector<int> next(size_t(streams), 0);
    QTimer feeder; // tops every queue up to its high-water mark, as --headless --streams does
    feeder.setTimerType(Qt::PreciseTimer);
    QObject::connect(&feeder, &QTimer::timeout, [&] {
        for (int i = 0; i < streams; ++i) {
            TxQueue *q = sender.queue(i);
            while (q->size() < q->highWater()
                   && q->tryPush(TxItem::media(tone[next[size_t(i)]])) == TxQueue::PushResult::Ok)
                next[size_t(i)] = (next[size_t(i)] + 1) % int(tone.size());
        }
    });
    feeder.start(20);
    QTimer::singleShot(qint64(seconds * 1000), QCoreApplication::instance(), &QCoreApplication::quit);
    QCoreApplication::exec();
    feeder.stop();
    sender.stop();
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        for (int i = 0; i < streams; ++i)
            if (sender.streamState(i) != EngineState::Idle && sender.streamState(i) != EngineState::Error)
                return;
        loop.quit();
    });
    poll.start(50);
    QTimer::singleShot(20000, &loop, &QEventLoop::quit);
    loop.exec();
    const MultiStreamTotals t = sender.totals();
    int failed = 0;
    quint64 frames = 0;
    for (int i = 0; i < streams; ++i) {
        failed += sender.streamState(i) == EngineState::Error;
        frames += sender.streamStats(i).framesSent;
    }
    out << "sender: cpu=" << bench::cpuSeconds() << " frames=" << frames << " lateness_p99_us=" << t.latenessP99Us
        << " failed=" << failed << "\n";
    return 0;
}

struct Row
{
    int streams = 0, up = 0, refused = 0;
    Spread jit, d99;
    double fpsP1Min = 0, bufMax = 0, cpuEmu = 0, cpuSender = -1, senderLateP99Us = -1;
    qint64 underruns = 0, framesRx = 0, framesTx = -1;
};

Row runStep(int streams, double seconds, int workers, int rt, int senderCpu, QTextStream &out)
{
    Row r;
    r.streams = streams;
    ListenEmulator emu;
    ListenOptions lo;
    lo.maxStreams = streams;
    lo.workers = workers;
    lo.realtimePriority = rt;
    QString error;
    if (!emu.listen(lo, &error)) {
        out << "listen-self: " << error << "\n";
        return r;
    }
    const double cpu0 = emu.workersCpuSec();
    QProcess child;
    child.setProcessChannelMode(QProcess::SeparateChannels);
    QEventLoop loop;
    QObject::connect(&child, &QProcess::finished, &loop, &QEventLoop::quit);
    child.start(QCoreApplication::applicationFilePath(),
                {QStringLiteral("listen-self"), QStringLiteral("--send"), emu.url().toString(), QStringLiteral("--streams"),
                 QString::number(streams), QStringLiteral("--duration"), QString::number(seconds),
                 QStringLiteral("--sender-cpu"), QString::number(senderCpu), QStringLiteral("--rt"), QString::number(rt)});
    QTimer::singleShot(qint64(seconds * 1000) + 60000, &loop, &QEventLoop::quit); // a hung child
    loop.exec();
    if (child.state() != QProcess::NotRunning) {
        child.kill();
        child.waitForFinished(5000);
    }
    const double cpuEmu = emu.workersCpuSec() - cpu0;
    emu.stop();
    const QList<CallResult> results = emu.results();
    r.refused = emu.refused();
    QList<double> jit, d99;
    r.fpsP1Min = 1e9;
    double streamSeconds = 0;
    for (const CallResult &c : results) {
        streamSeconds += c.durationSec;
        if (c.failReason.isEmpty())
            ++r.up;
        if (c.frames < 50)
            continue;
        jit.append(c.jitterMs);
        d99.append(c.deltaP99Ms - 20.0);
        r.fpsP1Min = std::min(r.fpsP1Min, c.fpsP1);
        r.bufMax = std::max(r.bufMax, c.maxBufferedSec);
        r.underruns += c.underruns;
        r.framesRx += c.frames;
    }
    if (r.fpsP1Min > 1e8)
        r.fpsP1Min = 0;
    r.jit = spreadOf(jit);
    r.d99 = spreadOf(d99);
    r.cpuEmu = streamSeconds > 0 ? cpuEmu / streamSeconds * 100.0 : -1;
    for (const QByteArray &line : child.readAllStandardOutput().split('\n')) {
        if (!line.startsWith("sender: "))
            continue;
        for (const QByteArray &kv : line.mid(8).split(' ')) {
            const qsizetype eq = kv.indexOf('=');
            const QByteArray k = kv.left(eq), v = kv.mid(eq + 1);
            if (k == "cpu" && streamSeconds > 0)
                r.cpuSender = v.toDouble() / streamSeconds * 100.0;
            else if (k == "frames")
                r.framesTx = v.toLongLong();
            else if (k == "lateness_p99_us")
                r.senderLateP99Us = v.toDouble();
        }
    }
    return r;
}

int runListenSelf(const QStringList &args)
{
    QTextStream out(stdout);
    QList<int> counts{100, 300, 500, 1000};
    double seconds = 15;
    int workers = 0, rt = 0, baseline = 10;
    int emulatorCpu = -1, senderCpu = -1; // --emulator-cpu / --sender-cpu: pin each to one core
    QUrl sendTo;
    for (int i = 0; i + 1 < args.size(); i += 2) {
        const QString k = args[i], v = args[i + 1];
        if (k == QLatin1String("--streams")) {
            counts.clear();
            for (const QString &n : v.split(QLatin1Char(',')))
                counts.append(n.toInt());
        } else if (k == QLatin1String("--duration")) seconds = v.toDouble();
        else if (k == QLatin1String("--workers")) workers = v.toInt();
        else if (k == QLatin1String("--rt")) rt = v.toInt();
        else if (k == QLatin1String("--baseline")) baseline = v.toInt();
        else if (k == QLatin1String("--send")) sendTo = QUrl(v);
        else if (k == QLatin1String("--emulator-cpu")) emulatorCpu = v.toInt();
        else if (k == QLatin1String("--sender-cpu")) senderCpu = v.toInt();
        else {
            QTextStream(stderr) << "usage: pacelab-bench listen-self [--streams 100,300,500,1000] [--duration S] [--workers N]"
                                   " [--rt PRIO] [--baseline N] [--emulator-cpu C --sender-cpu C]\n";
            return 2;
        }
    }
    for (int n : counts)
        if (n < 1 || n > ListenOptions::kMaxStreams) {
            QTextStream(stderr) << "listen-self: --streams wants counts from 1 to " << ListenOptions::kMaxStreams << "\n";
            return 2;
        }
    if (seconds < 2) {
        QTextStream(stderr) << "listen-self: --duration wants >= 2 s\n";
        return 2;
    }
    const int most = *std::max_element(counts.cbegin(), counts.cend());
    QString error;
    if (!ensureFdLimit(fdsNeededForCalls(most), &error)) {
        QTextStream(stderr) << "listen-self: " << error << "\n";
        return 2;
    }
    if (!sendTo.isEmpty()) {
        pinToCpu(senderCpu);
        return runSender(sendTo, counts.value(0, 1), seconds, rt);
    }
    if (!pinToCpu(emulatorCpu)) {
        QTextStream(stderr) << "listen-self: cannot pin to CPU " << emulatorCpu << "\n";
        return 2;
    }

    if (baseline > 0)
        counts.prepend(baseline);
    ListenOptions shown;
    shown.maxStreams = most;
    shown.workers = workers;
    out << "listen-self: the listening emulator (" << shown.workerCount()
        << " worker threads" << (rt > 0 ? QStringLiteral(", SCHED_FIFO %1").arg(rt) : QString())
        << ") against MultiStreamSender in a child process, " << seconds << " s per step"
        << (emulatorCpu >= 0 ? QStringLiteral(", emulator on CPU %1, sender on CPU %2").arg(emulatorCpu).arg(senderCpu) : QString()) << "\n";
    out.flush();
    QList<Row> rows;
    for (int n : counts) {
        rows.append(runStep(n, seconds, workers, rt, senderCpu, out));
        const Row &r = rows.last();
        out << QStringLiteral("  %1 streams: up %2, jitter p99 %3 ms, underruns %4\n").arg(n).arg(r.up).arg(r.jit.p99, 0, 'f', 3).arg(r.underruns);
        out.flush();
    }
    out << "\nstreams  up    jitter p50/p99/worst ms   delta p99-20 p50/p99/worst ms   fps p1 min  buffered max  underruns"
           "  emulator CPU/stream  sender CPU/stream  sender lateness p99  frames rx/tx\n";
    for (const Row &r : rows)
        out << QStringLiteral("%1 %2   %3/%4/%5          %6/%7/%8                 %9       %10 s     %11        %12 %            %13 %          %14 us        %15/%16\n")
                   .arg(r.streams, 6).arg(r.up, 5)
                   .arg(r.jit.p50, 0, 'f', 3).arg(r.jit.p99, 0, 'f', 3).arg(r.jit.worst, 0, 'f', 3)
                   .arg(r.d99.p50, 0, 'f', 2).arg(r.d99.p99, 0, 'f', 2).arg(r.d99.worst, 0, 'f', 2)
                   .arg(r.fpsP1Min, 0, 'f', 1)
                   .arg(r.bufMax, 0, 'f', 2)
                   .arg(r.underruns, 5)
                   .arg(r.cpuEmu, 0, 'f', 3)
                   .arg(r.cpuSender, 0, 'f', 3)
                   .arg(r.senderLateP99Us, 0, 'f', 0)
                   .arg(r.framesRx).arg(r.framesTx);
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    out << "(jitter = RFC 3550 per stream as the emulator measured it; emulator CPU = its worker threads' CPU per "
           "stream-second; sender CPU = the child process's; load average "
        << QString::number(load[0], 'f', 1) << ")\n";
    return 0;
}

} // namespace

const bench::Registrar listenReg("listen-self", "the listening emulator (emulate --listen --max-streams N) against the "
                                                "many-stream sender in a child process: jitter, underruns, CPU per stream "
                                                "(--streams 100,300,500,1000)",
                                 runListenSelf);
