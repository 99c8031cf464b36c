// pacelab-bench load-self --calls N: the load emulator's own noise and cost. N calls from the
// LoadEmulator against a bot that paces perfectly (the in-process LoadReferenceBot by default,
// or any bot given with --bot, e.g. PaceLab's many-stream sender listening), with a baseline of
// 10 calls in the same run. Per step: calls up, the receiver-measured jitter across calls
// (RFC 3550 jitter and inter-arrival delta p99 − 20 ms: p50/p99/worst), fps p1, buffered,
// underruns, the emulator threads' CPU per call, the whole process's CPU and RSS per call.
// Everything the bot does not do perfectly shows here as the emulator's noise, so a run against
// the in-process bot is an upper bound (the bot shares the two cores). docs/load-emulator.md.
#include "BenchUtil.h"
#include "Benchmarks.h"
#include "Spread.h"

#include "load/CallMetrics.h"
#include "load/FdLimit.h"
#include "load/LoadEmulator.h"
#include "load/LoadReferenceBot.h"
#include "load/LoadReport.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTextStream>
#include <QTimer>

#include <memory>

using namespace pacelab;

namespace {

using bench::rssKiB;

using bench::Spread;
using bench::spreadOf;

int runLoadSelf(const QStringList &args)
{
    QTextStream out(stdout);
    int calls = 1000;
    double seconds = 20;
    double ramp = 200;
    int workers = 0;
    int botWorkers = 2;
    int baseline = 10;
    int rt = 0; // SCHED_FIFO priority for the emulator's and the bot's threads
    int serve = 0; // > 0: only run the reference bot on this port (for a bot in its own process)
    int botCpuUs = 0; // the CPU-heavy twin: busy work per frame sent (a knee at ~20000 / (us x bot threads))
    QList<int> steps;  // instead of baseline + calls
    QUrl botUrl;
    const char *usage = "usage: pacelab-bench load-self [--calls N] [--duration S] [--ramp R] [--workers N]"
                        " [--bot-workers N] [--baseline N] [--bot ws://...] [--rt PRIO] [--serve PORT]"
                        " [--bot-cpu-us US] [--steps 20,40,60]\n";
    for (int i = 0; i < args.size(); i += 2) {
        const QString k = args[i];
        if (k == QLatin1String("--help") || k == QLatin1String("-h")) {
            out << usage;
            return 0;
        }
        if (i + 1 >= args.size()) {
            QTextStream(stderr) << "load-self: " << k << " needs a value\n" << usage;
            return 2;
        }
        const QString v = args[i + 1];
        if (k == QLatin1String("--calls")) calls = v.toInt();
        else if (k == QLatin1String("--duration")) seconds = v.toDouble();
        else if (k == QLatin1String("--ramp")) ramp = v.toDouble();
        else if (k == QLatin1String("--workers")) workers = v.toInt();
        else if (k == QLatin1String("--bot-workers")) botWorkers = v.toInt();
        else if (k == QLatin1String("--baseline")) baseline = v.toInt();
        else if (k == QLatin1String("--bot")) botUrl = QUrl(v);
        else if (k == QLatin1String("--rt")) rt = v.toInt();
        else if (k == QLatin1String("--serve")) serve = v.toInt();
        else if (k == QLatin1String("--bot-cpu-us")) botCpuUs = v.toInt();
        else if (k == QLatin1String("--steps")) {
            QString why;
            if (!parseSteps(v, &steps, &why)) {
                QTextStream(stderr) << "load-self: " << why << "\n";
                return 2;
            }
        }
        else {
            QTextStream(stderr) << "load-self: unknown option '" << k << "'\n" << usage;
            return 2;
        }
    }
    if (serve > 0) {
        // The bot alone, in its own process (e.g. pinned to another core with taskset), until
        // killed or --duration seconds.
        LoadBotOptions bo;
        bo.workers = botWorkers;
        bo.realtimePriority = rt;
        LoadReferenceBot alone(bo);
        QString err;
        ensureFdLimit(fdsNeededForCalls(calls), &err);
        if (!alone.listen(QHostAddress::LocalHost, quint16(serve), &err)) {
            QTextStream(stderr) << "load-self: " << err << "\n";
            return 1;
        }
        out << "load-self: reference bot on " << alone.url().toString() << "\n";
        out.flush();
        QTimer::singleShot(qint64(seconds * 1000), QCoreApplication::instance(), &QCoreApplication::quit);
        QCoreApplication::exec();
        out << "load-self: bot sent " << alone.framesSent() << " frames to " << alone.started() << " calls\n";
        return 0;
    }
    if (!steps.isEmpty())
        calls = steps.last(), baseline = 0;
    if (calls < 1 || seconds < 2 || (steps.isEmpty() && (baseline < 1 || baseline >= calls))) {
        QTextStream(stderr) << "load-self: need calls > baseline >= 1 and duration >= 2 s\n";
        return 2;
    }
    QString error;
    if (!ensureFdLimit(fdsNeededForCalls(calls) * (botUrl.isEmpty() ? 2 : 1), &error)) {
        QTextStream(stderr) << "load-self: " << error << "\n";
        return 2;
    }
    std::unique_ptr<LoadReferenceBot> bot;
    if (botUrl.isEmpty()) {
        LoadBotOptions bo;
        bo.workers = botWorkers;
        bo.realtimePriority = rt;
        bo.cpuUsPerFrame = botCpuUs;
        bot = std::make_unique<LoadReferenceBot>(bo);
        if (!bot->listen(QHostAddress::LocalHost, 0, &error)) {
            QTextStream(stderr) << "load-self: " << error << "\n";
            return 1;
        }
        botUrl = bot->url();
    }

    LoadOptions o;
    o.botUrl = botUrl;
    o.steps = steps.isEmpty() ? QList<int>{baseline, calls} : steps;
    o.rampPerSec = ramp;
    o.durationSec = ramp > 0 ? std::max(seconds, calls / ramp + 2.0) : seconds;
    o.workers = workers;
    o.dtmfAtSec = -1;
    o.realtimePriority = rt;
    if (!o.validate(&error)) {
        QTextStream(stderr) << "load-self: " << error << "\n";
        return 2;
    }
    out << "load-self: " << calls << " calls (baseline " << baseline << ") against "
        << (bot ? QStringLiteral("the in-process reference bot (%1 threads)").arg(botWorkers) : botUrl.toString())
        << ", " << o.workerCount() << " emulator threads" << (rt > 0 ? QStringLiteral(" (SCHED_FIFO %1)").arg(rt) : QString()) << ", ramp " << ramp << "/s, " << o.durationSec << " s per step\n";
    out.flush();

    LoadEmulator emu;
    QElapsedTimer wall;
    double cpu0 = 0;
    qint64 rss0 = rssKiB();
    struct Row
    {
        int calls, up;
        Spread jit, d99;
        double fpsP1Min, bufMax, cpuEmu, cpuProc;
        int underruns;
        qint64 rssPerCall;
        qint64 framesRx;
        qint64 botFrames;
    };
    QList<Row> rows;
    QObject::connect(&emu, &LoadEmulator::stepStarted, [&](int) {
        wall.start();
        cpu0 = bench::cpuSeconds();
    });
    QObject::connect(&emu, &LoadEmulator::secondElapsed, [&](const LoadStep &s) {
        int up = 0;
        QList<double> jit;
        for (const CallResult &c : s.calls) {
            up += c.connected && c.failReason.isEmpty();
            if (c.frames > 50)
                jit.append(c.jitterMs);
        }
        const Spread j = spreadOf(jit);
        out << QStringLiteral("  [%1 s] calls up %2/%3, jitter p50 %4 ms p99 %5 ms, RSS %6 MiB\n")
                   .arg(s.durationSec, 0, 'f', 0).arg(up).arg(s.targetCalls)
                   .arg(j.p50, 0, 'f', 3).arg(j.p99, 0, 'f', 3).arg(rssKiB() / 1024);
        out.flush();
    });
    QObject::connect(&emu, &LoadEmulator::stepFinished, [&](const LoadStep &s) {
        Row r{};
        r.calls = s.targetCalls;
        r.up = s.callsUp;
        QList<double> jit, d99;
        r.fpsP1Min = 1e9;
        for (const CallResult &c : s.calls) {
            if (!c.connected || c.frames < 50)
                continue;
            jit.append(c.jitterMs);
            d99.append(c.deltaP99Ms - 20.0);
            r.fpsP1Min = std::min(r.fpsP1Min, c.fpsP1);
            r.bufMax = std::max(r.bufMax, c.maxBufferedSec);
            r.underruns += c.underruns;
            r.framesRx += c.frames;
        }
        r.jit = spreadOf(jit);
        r.d99 = spreadOf(d99);
        r.cpuEmu = s.cpuPerCallPct;
        r.cpuProc = (bench::cpuSeconds() - cpu0) / std::max(1e-3, wall.nsecsElapsed() / 1e9) * 100.0;
        r.rssPerCall = (rssKiB() - rss0) / std::max(1, s.targetCalls);
        static qint64 botBefore = 0;
        r.botFrames = bot ? bot->framesSent() - botBefore : -1;
        botBefore = bot ? bot->framesSent() : 0;
        rows.append(r);
    });
    QObject::connect(&emu, &LoadEmulator::finished, QCoreApplication::instance(), &QCoreApplication::quit);
    if (!emu.start(o, &error)) {
        QTextStream(stderr) << "load-self: " << error << "\n";
        return 2;
    }
    QCoreApplication::exec();
    if (!emu.realtimeError().isEmpty())
        out << "real-time scheduling refused: " << emu.realtimeError() << "\n";

    out << "\ncalls  up     jitter p50/p99/worst ms   delta p99-20 p50/p99/worst ms   fps p1 min  buffered max  underruns"
           "  emulator CPU/call  process CPU  RSS/call\n";
    for (const Row &r : rows)
        out << QStringLiteral("%1 %2   %3/%4/%5           %6/%7/%8                 %9       %10 s       %11         %12 %        %13 %      %14 KiB\n")
                   .arg(r.calls, 5).arg(r.up, 5)
                   .arg(r.jit.p50, 0, 'f', 3).arg(r.jit.p99, 0, 'f', 3).arg(r.jit.worst, 0, 'f', 3)
                   .arg(r.d99.p50, 0, 'f', 2).arg(r.d99.p99, 0, 'f', 2).arg(r.d99.worst, 0, 'f', 2)
                   .arg(r.fpsP1Min > 1e8 ? 0.0 : r.fpsP1Min, 0, 'f', 1)
                   .arg(r.bufMax, 0, 'f', 2)
                   .arg(r.underruns, 5)
                   .arg(r.cpuEmu, 0, 'f', 3)
                   .arg(r.cpuProc, 0, 'f', 0)
                   .arg(r.rssPerCall);
    for (const Row &r : rows)
        out << QStringLiteral("%1 calls: frames received %2 (%3 per call-second), bot sent %4\n")
                   .arg(r.calls).arg(r.framesRx).arg(r.framesRx / std::max(1.0, r.calls * o.durationSec), 0, 'f', 1).arg(r.botFrames);
    LoadRun judged = emu.run();
    judgeRun(judged, check::Thresholds());
    QList<StepSummary> summaries;
    for (const LoadStep &st : judged.steps)
        summaries.append(summarizeStep(st));
    out << "verdict (checklist limits): " << findKnee(summaries, check::Thresholds()).sentence << "\n";
    out << "(jitter = RFC 3550 per call as the emulator measured it; emulator CPU = its worker threads' CPU "
           "per call-second; process CPU includes the in-process bot)\n";
    return 0;
}

} // namespace

const bench::Registrar reg("load-self", "the load emulator's own noise and CPU at N calls against a well-paced bot "
                                        "(--calls 1000), with a 10-call baseline in the same run",
                           runLoadSelf);
