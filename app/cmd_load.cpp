// `pacelab load --bot URL --calls N ...`: many concurrent Twilio calls against one bot.
// Options -> run (LoadEmulator, one live line a second) -> print (LoadReport), each its own function.
#include "CliOutput.h"
#include "CliUtil.h"
#include "Commands.h"
#include "ProviderOption.h"

#include "load/CallMetrics.h"
#include "load/FdLimit.h"
#include "load/LoadEmulator.h"
#include "load/LoadReport.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QPointer>
#include <QSslCertificate>
#include <QSslConfiguration>

#include <csignal>

using namespace pacelab;
using namespace pacelab::app;

namespace {

const QString kCommand = QStringLiteral("load");

struct LoadCliOptions
{
    LoadOptions load;
    QString jsonPath;
    QString junitPath;
    QString htmlPath;
    QString helpText;
};

Parse usage(const QString &message, QString *error)
{
    *error = withTryHelp(kCommand, message);
    return Parse::Usage;
}

// --ca-file: a readable PEM file with at least one certificate (a wrong file would otherwise
// surface as every call failing its TLS handshake).
bool readableCaFile(const QString &path, QString *out, QString *why)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *why = QStringLiteral("--ca-file: cannot read '%1': %2").arg(path, f.errorString());
        return false;
    }
    if (QSslCertificate::fromData(f.read(4 * 1024 * 1024), QSsl::Pem).isEmpty()) {
        *why = QStringLiteral("--ca-file: '%1' holds no PEM certificate").arg(path);
        return false;
    }
    *out = path;
    return true;
}

Parse parseLoadOptions(const QStringList &args, LoadCliOptions *o, QString *error)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Places many concurrent Twilio Media Streams calls against a bot and judges the audio every "
        "call receives (fps, jitter, drift, bursts, buffered audio, underruns, marks, barge-in, "
        "protocol). With --steps, one step per call count and the knee: the most calls the bot "
        "holds. Exit status: 0 every call of every step passed, 1 some did not, 2 bad usage."));
    parser.addHelpOption();
    const QCommandLineOption botOpt(QStringLiteral("bot"), QStringLiteral("The bot's WebSocket URL (ws:// or wss://)."), QStringLiteral("URL"));
    const QCommandLineOption callsOpt(QStringLiteral("calls"), QStringLiteral("Concurrent calls (1..100000)."), QStringLiteral("N"));
    const QCommandLineOption rampOpt(QStringLiteral("ramp"), QStringLiteral("Calls placed per second (0 = all at once; default 20)."), QStringLiteral("CALLS_PER_S"));
    const QCommandLineOption durationOpt(QStringLiteral("duration"), QStringLiteral("Length of each step from its first call, seconds (default: ramp + hold)."), QStringLiteral("S"));
    const QCommandLineOption holdOpt(QStringLiteral("hold"), QStringLiteral("Seconds each step holds its full count after the ramp (default 10)."), QStringLiteral("S"));
    const QCommandLineOption callerOpt(QStringLiteral("caller"), QStringLiteral("What every caller says: a WAV file, looped (default: silence)."), QStringLiteral("FILE.wav"));
    const QCommandLineOption bargeOpt(QStringLiteral("barge-in-every"), QStringLiteral("A barge-in probe (1 s of caller speech) per call every S seconds."), QStringLiteral("S"));
    const QCommandLineOption stepsOpt(QStringLiteral("steps"), QStringLiteral("Ascending call counts, one step each (e.g. 10,50,100,200)."), QStringLiteral("LIST"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Write the run (every call) as JSON."), QStringLiteral("FILE"));
    const QCommandLineOption junitOpt(QStringLiteral("junit"), QStringLiteral("Write a JUnit XML report."), QStringLiteral("FILE"));
    const QCommandLineOption htmlOpt(QStringLiteral("html"), QStringLiteral("Write an HTML report."), QStringLiteral("FILE"));
    const QCommandLineOption shardOpt(QStringLiteral("shard"), QStringLiteral("This host's part i/n of a run on several hosts (0-based; calls and steps are per shard)."), QStringLiteral("i/n"));
    const QCommandLineOption workersOpt(QStringLiteral("workers"), QStringLiteral("Emulator threads (default: one per core)."), QStringLiteral("N"));
    const QCommandLineOption caOpt(QStringLiteral("ca-file"), QStringLiteral("wss: also trust the CA certificate(s) in this PEM file."), QStringLiteral("FILE"));
    const QCommandLineOption tokenOpt(QStringLiteral("auth-token"), QStringLiteral("Sign every call's upgrade request with X-Twilio-Signature using this auth token."), QStringLiteral("TOKEN"));
    parser.addOptions({botOpt, callsOpt, rampOpt, durationOpt, holdOpt, callerOpt, bargeOpt, stepsOpt, jsonOpt,
                       junitOpt, htmlOpt, shardOpt, workersOpt, caOpt, tokenOpt});
    addProviderOption(parser); // the protocol every call speaks to the bot

    if (const Parse p = parseCommandLine(parser, kCommand, args, &o->helpText, error); p != Parse::Run)
        return p;
    if (!parser.positionalArguments().isEmpty())
        return usage(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()), error);
    if (!parser.isSet(botOpt))
        return usage(QStringLiteral("--bot URL is required (the bot's ws:// or wss:// URL)"), error);

    QString why;
    LoadOptions &l = o->load;
    if (!readProviderOption(parser, &l.call.provider, &why))
        return usage(why, error);
    if (!parseWebSocketUrl(QStringLiteral("bot"), parser.value(botOpt), &l.botUrl, &why))
        return usage(why, error);
    double v = 0;
    if (parser.isSet(callsOpt)) {
        if (!parseNumber(QStringLiteral("calls"), parser.value(callsOpt), 1, 100000, &v, &why, QStringLiteral("a call count")))
            return usage(why, error);
        if (v != std::floor(v))
            return usage(QStringLiteral("--calls wants a whole number, got '%1'").arg(parser.value(callsOpt)), error);
        l.calls = int(v);
    }
    if (parser.isSet(stepsOpt) && !parseSteps(parser.value(stepsOpt), &l.steps, &why))
        return usage(why, error);
    if (!parser.isSet(callsOpt) && l.steps.isEmpty())
        return usage(QStringLiteral("--calls N (or --steps) is required"), error);
    auto number = [&](const QCommandLineOption &opt, const QString &name, double min, double max, double *out,
                      const QString &what) {
        if (!parser.isSet(opt))
            return true;
        return parseNumber(name, parser.value(opt), min, max, out, &why, what);
    };
    if (!number(rampOpt, QStringLiteral("ramp"), 0, 10000, &l.rampPerSec, QStringLiteral("calls per second"))
        || !number(durationOpt, QStringLiteral("duration"), 1, 7 * 86400, &l.durationSec, QStringLiteral("seconds"))
        || !number(holdOpt, QStringLiteral("hold"), 0, 7 * 86400, &l.holdSec, QStringLiteral("seconds"))
        || !number(bargeOpt, QStringLiteral("barge-in-every"), 1, 3600, &l.bargeInEverySec, QStringLiteral("seconds")))
        return usage(why, error);
    if (parser.isSet(workersOpt)) {
        if (!parseNumber(QStringLiteral("workers"), parser.value(workersOpt), 1, 256, &v, &why, QStringLiteral("a thread count")))
            return usage(why, error);
        l.workers = int(v);
    }
    if (parser.isSet(shardOpt) && !parseShard(parser.value(shardOpt), &l.shard, &why))
        return usage(why, error);
    if (parser.isSet(callerOpt) && !CallerAudio::fromWavFile(parser.value(callerOpt), &l.caller, &why))
        return usage(QStringLiteral("--caller: %1").arg(why), error);
    if (parser.isSet(caOpt) && !readableCaFile(parser.value(caOpt), &l.call.caFile, &why))
        return usage(why, error);
    if (parser.isSet(tokenOpt)) {
        l.call.authToken = parser.value(tokenOpt);
        if (l.call.authToken.trimmed().isEmpty())
            return usage(QStringLiteral("--auth-token is empty"), error);
    }
    o->jsonPath = parser.value(jsonOpt);
    o->junitPath = parser.value(junitOpt);
    o->htmlPath = parser.value(htmlOpt);
    for (const auto &[name, path] : {std::pair{QStringLiteral("json"), o->jsonPath}, std::pair{QStringLiteral("junit"), o->junitPath},
                                     std::pair{QStringLiteral("html"), o->htmlPath}})
        if (!path.isEmpty() && !checkOutputOption(name, path, &why))
            return usage(why, error);
    if (!l.validate(&why))
        return usage(why, error);
    return Parse::Run;
}

QPointer<LoadEmulator> g_running;

void onSigint(int)
{
    // Ends the run cleanly (the steps so far are reported) instead of killing it mid-write.
    if (g_running)
        QMetaObject::invokeMethod(g_running.data(), [] { if (g_running) g_running->abort(); }, Qt::QueuedConnection);
}

struct LoadOutcome
{
    LoadRun run;
    QString startError; // the run could not start (fd limit, caller audio)
};

LoadOutcome runLoad(const LoadCliOptions &o)
{
    LoadOutcome r;
    QString why;
    long long limit = 0;
    if (!ensureFdLimit(fdsNeededForCalls(o.load.maxCalls()), &why, &limit)) {
        r.startError = why;
        return r;
    }
#ifndef QT_NO_SSL
    // --ca-file: trusted by every call's socket (each takes the default configuration).
    if (!o.load.call.caFile.isEmpty()) {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.addCaCertificates(QSslCertificate::fromPath(o.load.call.caFile, QSsl::Pem));
        QSslConfiguration::setDefaultConfiguration(ssl);
    }
#endif
    LoadEmulator emu;
    QEventLoop loop;
    RampRecorder ramp; // per-second breaks of each step: the knee of a ramp
    QList<QList<RampSecond>> ramps;
    QObject::connect(&emu, &LoadEmulator::secondElapsed, &loop, [&ramp](const LoadStep &s) {
        ramp.add(s);
        out() << liveLine(s) << "\n";
        out().flush();
    });
    QObject::connect(&emu, &LoadEmulator::stepStarted, &loop, [&o](int calls) {
        out() << "[LOAD] step: " << calls << " calls at " << o.load.botUrl.toDisplayString() << "\n";
        out().flush();
    });
    QObject::connect(&emu, &LoadEmulator::stepFinished, &loop, [&ramp, &ramps](const LoadStep &s) {
        ramp.add(s);
        ramps.append(ramp.take());
        out() << liveLine(s) << " (step done)\n";
        out().flush();
    });
    QObject::connect(&emu, &LoadEmulator::finished, &loop, &QEventLoop::quit);
    if (!emu.start(o.load, &why)) {
        r.startError = why;
        return r;
    }
    g_running = &emu;
    std::signal(SIGINT, onSigint);
    std::signal(SIGTERM, onSigint);
    loop.exec();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    g_running = nullptr;
    r.run = emu.run();
    for (qsizetype i = 0; i < r.run.steps.size() && i < ramps.size(); ++i) {
        r.run.steps[i].ramp = ramps.at(i);
        r.run.steps[i].rampPerSec = o.load.rampPerSec;
    }
    judgeRun(r.run, loadThresholdsFor(provider::profile(o.load.call.provider).outboundFormat()));
    return r;
}

int printLoad(const LoadCliOptions &o, const LoadOutcome &r)
{
    if (!r.startError.isEmpty()) {
        err() << "pacelab load: " << r.startError << "\n";
        return ExitUsage;
    }
    out() << loadTextReport(r.run);
    out().flush();
    QString why;
    int rc = ExitOk;
    if (!o.jsonPath.isEmpty() && !writeLoadJson(r.run, o.jsonPath, &why))
        rc = ExitFailed, err() << "pacelab load: " << why << "\n";
    if (!o.junitPath.isEmpty() && !writeLoadJUnit(r.run, o.junitPath, &why))
        rc = ExitFailed, err() << "pacelab load: " << why << "\n";
    if (!o.htmlPath.isEmpty() && !writeLoadHtml(r.run, o.htmlPath, &why))
        rc = ExitFailed, err() << "pacelab load: " << why << "\n";
    for (const LoadStep &s : r.run.steps)
        if (!summarizeStep(s).holds)
            rc = ExitFailed;
    if (r.run.steps.isEmpty())
        rc = ExitFailed;
    return rc;
}

int loadCommand(const QStringList &args)
{
    return runCommand(kCommand, args, parseLoadOptions, [](const LoadCliOptions &o) { return printLoad(o, runLoad(o)); });
}

} // namespace

PACELAB_COMMAND(loadCommandReg, "load", "many concurrent calls against a bot: per-call verdicts, distributions, the knee", loadCommand);
