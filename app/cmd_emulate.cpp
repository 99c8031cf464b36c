// `pacelab emulate`: the Twilio emulator, headless. --listen waits for a sender (PaceLab's own or
// any client); --bot connects to a bot's WebSocket exactly as Twilio would. Prints one [RX] line
// per second, violations as they happen, and a summary (optionally as JSON).
// Options -> run -> print, each its own function.
#include "CliOutput.h"
#include "CliUtil.h"
#include "Commands.h"
#include "SessionOptions.h"

#include "emulator/TwilioEmulator.h"
#include "replay/Capture.h"
#include "util/FileUtil.h"

#include <algorithm>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <atomic>
#include <optional>
#include <csignal>

using namespace pacelab;
using namespace pacelab::app;

namespace {

std::atomic<int> g_signal{0};

void onSignal(int sig)
{
    g_signal.store(sig);
}

const QString kCommand = QStringLiteral("emulate");

struct EmulateOptions
{
    bool listenMode = false; // --listen; else --bot
    QHostAddress listenAddress;
    quint16 listenPort = 0;
    QUrl botUrl;
    EmulatorOptions emulator;
    double durationSec = 0; // 0 = no limit
    bool once = false;
    bool quiet = false;
    QString jsonPath;
    std::optional<QString> capturePath;
    double bargeAtSec = -1; // < 0 = no barge-in
    int bargeMs = 800;
    PcmBuffer bargeSpeech; // empty = a tone
    QString helpText;
};

Parse parseEmulateOptions(const QStringList &args, EmulateOptions *o, QString *usageText)
{
    auto usage = [usageText](const QString &msg) {
        *usageText = withTryHelp(kCommand, msg);
        return Parse::Usage;
    };
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Behaves like Twilio on a bidirectional Media Stream and judges the audio it receives: "
        "pace (fps, jitter, drift, bursts), Twilio's buffer (seconds buffered, underruns), marks, "
        "clear, barge-in, and Twilio's message rules (31950/31951/31931).\n"
        "  --listen HOST:PORT   wait for a sender to connect (PaceLab's engine or any client)\n"
        "  --bot URL            connect to a bot's ws:// or wss:// URL, as Twilio does\n"
        "Exit status: 0 no violations, 1 violations found or the connection failed, 2 bad usage."));
    parser.addHelpOption();
    const QCommandLineOption listenOpt(QStringLiteral("listen"), QStringLiteral("Listen on HOST:PORT (port 0 = any free port)."), QStringLiteral("HOST:PORT"));
    const QCommandLineOption botOpt(QStringLiteral("bot"), QStringLiteral("Connect to the bot at URL (ws:// or wss://)."), QStringLiteral("URL"));
    const QCommandLineOption callerOpt(QStringLiteral("caller"), QStringLiteral("Caller audio sent to the bot (WAV, any rate; looped). Default: silence."), QStringLiteral("FILE.wav"));
    const QCommandLineOption toneOpt(QStringLiteral("tone"), QStringLiteral("Caller audio: a sine of HZ instead of silence."), QStringLiteral("HZ"));
    const QCommandLineOption durationOpt(QStringLiteral("duration"), QStringLiteral("Stop after S seconds (default: --bot until the bot closes; --listen until Ctrl+C)."), QStringLiteral("S"));
    const QCommandLineOption onceOpt(QStringLiteral("once"), QStringLiteral("--listen: exit when the first stream ends."));
    const QCommandLineOption tokenOpt(QStringLiteral("auth-token"), QStringLiteral("Sign the upgrade request with X-Twilio-Signature using this auth token."), QStringLiteral("TOKEN"));
    const QCommandLineOption headerOpt(QStringLiteral("header"), QStringLiteral("Extra upgrade-request header 'Name: value' (repeatable)."), QStringLiteral("HEADER"));
    const QCommandLineOption caOpt(QStringLiteral("ca-file"), QStringLiteral("wss: also trust the CA certificate(s) in this PEM file."), QStringLiteral("FILE"));
    const QCommandLineOption paramOpt(QStringLiteral("param"), QStringLiteral("customParameters entry k=v sent in start (repeatable)."), QStringLiteral("k=v"));
    const QCommandLineOption streamSidOpt(QStringLiteral("stream-sid"), QStringLiteral("Use this streamSid instead of a generated one."), QStringLiteral("SID"));
    const QCommandLineOption recordOpt(QStringLiteral("record"), QStringLiteral("Write the audio received to a WAV file."), QStringLiteral("out.wav"));
    const QCommandLineOption recordFmtOpt(QStringLiteral("record-format"), QStringLiteral("mulaw (as received, default) or pcm16."), QStringLiteral("FMT"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Write the summary as JSON to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption bargeAtOpt(QStringLiteral("barge-in-at"), QStringLiteral("S seconds into the stream, speak over the bot and measure clear / silence."), QStringLiteral("S"));
    const QCommandLineOption bargeMsOpt(QStringLiteral("barge-in-ms"), QStringLiteral("Length of the barge-in speech (default 800 ms)."), QStringLiteral("MS"));
    const QCommandLineOption bargeFileOpt(QStringLiteral("barge-in-file"), QStringLiteral("Barge-in speech from a WAV file instead of a tone."), QStringLiteral("FILE.wav"));
    const QCommandLineOption captureOpt(QStringLiteral("capture"), QStringLiteral("Record every WebSocket message and [RX] second to this capture file (replay it with 'pacelab replay')."), QStringLiteral("FILE"));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"), QStringLiteral("No per-second lines, only the summary."));
    for (const auto &opt : {listenOpt, botOpt, callerOpt, toneOpt, durationOpt, onceOpt, tokenOpt, headerOpt, caOpt, paramOpt,
                          streamSidOpt, recordOpt, recordFmtOpt, jsonOpt, bargeAtOpt, bargeMsOpt, bargeFileOpt, quietOpt, captureOpt})
        parser.addOption(opt);
    addSessionOptions(parser, SessionGroups::Emulator); // --jitter-buffer-ms and the model's other settings

    if (const Parse p = parseCommandLine(parser, kCommand, args, &o->helpText, usageText); p != Parse::Run)
        return p;
    if (!parser.positionalArguments().isEmpty())
        return usage(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    const bool listenMode = o->listenMode = parser.isSet(listenOpt);
    if (listenMode == parser.isSet(botOpt))
        return usage(QStringLiteral("give exactly one of --listen HOST:PORT or --bot URL"));

    QString error;
    EmulatorOptions &opts = o->emulator;
    QHostAddress &listenAddr = o->listenAddress;
    quint16 &listenPort = o->listenPort;
    QUrl &botUrl = o->botUrl;
    if (listenMode) {
        if (!parseHostPort(QStringLiteral("listen"), parser.value(listenOpt), 0, &listenAddr, &listenPort, &error))
            return usage(error);
        for (const auto &opt : {tokenOpt, headerOpt, caOpt})
            if (parser.isSet(opt))
                return usage(QStringLiteral("--%1 applies to --bot only").arg(opt.names().first()));
    } else {
        if (!parseWebSocketUrl(QStringLiteral("bot"), parser.value(botOpt), &botUrl, &error))
            return usage(error);
        if (parser.isSet(onceOpt))
            return usage(QStringLiteral("--once applies to --listen only"));
    }
    if (parser.isSet(callerOpt) && parser.isSet(toneOpt))
        return usage(QStringLiteral("give --caller or --tone, not both"));
    if (parser.isSet(callerOpt) && !CallerAudio::fromWavFile(parser.value(callerOpt), &opts.caller, &error))
        return usage(error);
    if (parser.isSet(toneOpt)) {
        double hz = 0;
        if (!parseNumber(QStringLiteral("tone"), parser.value(toneOpt), 1, 3999, &hz, &error, QStringLiteral("a frequency in Hz")))
            return usage(error);
        opts.caller = CallerAudio::tone(hz);
    }
    double &duration = o->durationSec;
    if (parser.isSet(durationOpt) && !parseNumber(QStringLiteral("duration"), parser.value(durationOpt), 0.1, 86400, &duration, &error, QStringLiteral("seconds")))
        return usage(error);
    opts.authToken = parser.value(tokenOpt);
    for (const QString &h : parser.values(headerOpt)) {
        const int colon = h.indexOf(QLatin1Char(':'));
        if (colon <= 0 || h.left(colon).trimmed().contains(QLatin1Char(' ')))
            return usage(QStringLiteral("--header wants 'Name: value', got '%1'").arg(h));
        opts.extraHeaders.append({h.left(colon).trimmed().toUtf8(), h.mid(colon + 1).trimmed().toUtf8()});
    }
    if (parser.isSet(caOpt)) {
        opts.caFile = parser.value(caOpt);
        if (!QFileInfo(opts.caFile).isReadable())
            return usage(QStringLiteral("--ca-file '%1' cannot be read").arg(opts.caFile));
    }
    for (const QString &p : parser.values(paramOpt)) {
        const int eq = p.indexOf(QLatin1Char('='));
        if (eq <= 0)
            return usage(QStringLiteral("--param wants k=v with a non-empty key, got '%1'").arg(p));
        opts.customParameters.insert(p.left(eq), p.mid(eq + 1));
    }
    if (parser.isSet(streamSidOpt)) {
        // It is echoed in every message and compared byte for byte: printable ASCII, no spaces.
        const QString sid = parser.value(streamSidOpt);
        const bool printable = std::all_of(sid.cbegin(), sid.cend(), [](QChar c) { return c.unicode() > 0x20 && c.unicode() < 0x7f; });
        if (sid.isEmpty() || sid.size() > 64 || !printable)
            return usage(QStringLiteral("--stream-sid wants 1..64 printable ASCII characters without spaces (e.g. MZ0123...), got '%1'").arg(sid));
        opts.streamSid = sid;
    }
    if (parser.isSet(recordOpt)) {
        if (!checkOutputOption(QStringLiteral("record"), parser.value(recordOpt), &error))
            return usage(error);
        opts.recordPath = parser.value(recordOpt);
    }
    if (parser.isSet(recordFmtOpt)) {
        const QString f = parser.value(recordFmtOpt).toLower();
        if (f == QLatin1String("mulaw"))
            opts.recordEncoding = EmulatorOptions::RecordEncoding::Mulaw;
        else if (f == QLatin1String("pcm16"))
            opts.recordEncoding = EmulatorOptions::RecordEncoding::Pcm16;
        else
            return usage(QStringLiteral("--record-format wants mulaw or pcm16, got '%1'").arg(parser.value(recordFmtOpt)));
    }
    const QString jsonPath = o->jsonPath = parser.value(jsonOpt);
    if (!jsonPath.isEmpty() && !checkOutputOption(QStringLiteral("json"), jsonPath, &error))
        return usage(error);
    double &bargeAt = o->bargeAtSec;
    if (parser.isSet(bargeAtOpt) && !parseNumber(QStringLiteral("barge-in-at"), parser.value(bargeAtOpt), 0.0, 86400, &bargeAt, &error, QStringLiteral("seconds")))
        return usage(error);
    int &bargeMs = o->bargeMs;
    if (parser.isSet(bargeMsOpt)) {
        bool ok = false;
        bargeMs = parser.value(bargeMsOpt).toInt(&ok);
        if (!ok || bargeMs < 20 || bargeMs > 60000)
            return usage(QStringLiteral("--barge-in-ms wants 20..60000, got '%1'").arg(parser.value(bargeMsOpt)));
    }
    PcmBuffer &bargeSpeech = o->bargeSpeech;
    if (parser.isSet(bargeFileOpt)) {
        CallerAudio a;
        if (!CallerAudio::fromWavFile(parser.value(bargeFileOpt), &a, &error))
            return usage(QStringLiteral("--barge-in-file: %1").arg(error));
        bargeSpeech = a.pcm;
    }
    if ((parser.isSet(bargeMsOpt) || parser.isSet(bargeFileOpt)) && bargeAt < 0)
        return usage(QStringLiteral("--barge-in-ms / --barge-in-file need --barge-in-at"));
    SessionConfig settings;
    settings.emulator = opts;
    if (!readSessionOptions(parser, &settings, &error, SessionGroups::Emulator))
        return usage(error);
    opts = settings.emulator;
    o->quiet = parser.isSet(quietOpt);
    o->once = parser.isSet(onceOpt);
    if (parser.isSet(captureOpt))
        o->capturePath = parser.value(captureOpt);
    return Parse::Run;

}

struct EmulateResult
{
    // Set when the run could not start: the exit code and the message after "pacelab emulate: ".
    std::optional<int> earlyExit;
    QString earlyMessage;
    bool earlyIsUsage = false; // the message gets the "Try ... --help" line

    int loopExit = 0;     // the event loop's exit code
    bool failed = false;  // an error, or no stream when one was expected
    QJsonArray sessions;  // each stream's summary
    int totalViolations = 0;
    QString lastError;    // the emulator's, for the "no stream" message
};

// Runs the emulator until the stream ends, --duration or Ctrl+C. Live lines ([RX] per second,
// violations, barge-in verdicts, each stream's summary) are printed as they come.
EmulateResult runEmulate(const EmulateOptions &o)
{
    EmulateResult res;
    auto early = [&res](int exit, const QString &message, bool isUsage) {
        res.earlyExit = exit;
        res.earlyMessage = message;
        res.earlyIsUsage = isUsage;
        return res;
    };
    const bool listenMode = o.listenMode;
    TwilioEmulator emu;
    capture::CaptureWriter captureWriter;
    if (o.capturePath) {
        if (!captureWriter.open(*o.capturePath,
                                QJsonObject{{QStringLiteral("tool"), QStringLiteral("pacelab emulate")},
                                            {QStringLiteral("peer"), listenMode ? QStringLiteral("listen") : o.botUrl.toDisplayString()}}))
            return early(ExitUsage, QStringLiteral("--capture: %1").arg(captureWriter.errorString()), true);
        // What the bot sent is its outbound path ("out"); the emulator's messages are "in".
        emu.setMessageTap([&captureWriter](qint64 tUs, bool fromBot, bool binary, const QByteArray &data) {
            captureWriter.recordMessage(fromBot ? capture::Dir::Out : capture::Dir::In,
                                        binary ? capture::MsgKind::Binary : capture::MsgKind::Text, data, tUs);
        });
    }
    int printedViolations = 0;
    QTimer bargeTimer;
    bargeTimer.setSingleShot(true);

    QObject::connect(&emu, &TwilioEmulator::secondTick, &emu, [&](const PerSecondRx &rx) {
        if (captureWriter.isOpen())
            captureWriter.recordRxSecond(rx.toJson());
        if (!o.quiet)
            out() << rx.toLine() << Qt::endl;
    });
    QObject::connect(&emu, &TwilioEmulator::violation, &emu, [&](const Violation &v) {
        // every one is counted; printing is throttled so a flood stays readable
        if (printedViolations < 20 || printedViolations % 100 == 0)
            err() << "[VIOLATION] " << v.code << " at " << QString::number(v.sessionSec, 'f', 3) << " s: " << v.message << Qt::endl;
        ++printedViolations;
    });
    QObject::connect(&emu, &TwilioEmulator::logMessage, &emu, [&](const QString &level, const QString &text) {
        if (level != QLatin1String("warning") || !text.startsWith(QLatin1String("violation")))
            err() << "[" << level << "] " << text << Qt::endl;
    });
    QObject::connect(&emu, &TwilioEmulator::errorOccurred, &emu, [&](const QString &) {
        res.failed = true;
        if (emu.mode() != TwilioEmulator::Mode::Streaming && !listenMode)
            QCoreApplication::exit(ExitFailed);
    });
    QObject::connect(&emu, &TwilioEmulator::sessionStarted, &emu, [&](const QString &) {
        printedViolations = 0;
        if (o.bargeAtSec >= 0)
            bargeTimer.start(int(o.bargeAtSec * 1000));
    });
    QObject::connect(&bargeTimer, &QTimer::timeout, &emu, [&] {
        const bool ok = o.bargeSpeech.samples.isEmpty() ? emu.startBargeInTone(o.bargeMs) : emu.startBargeIn(o.bargeSpeech);
        if (!ok)
            err() << "[error] barge-in not started: " << emu.errorString() << Qt::endl;
    });
    QObject::connect(&emu, &TwilioEmulator::bargeInFinished, &emu, [&](const BargeInResult &r) {
        out() << "[BARGE-IN] " << r.verdict << Qt::endl;
    });
    QObject::connect(&emu, &TwilioEmulator::clientDisconnected, &emu, [&](const QString &) {
        bargeTimer.stop();
        out() << "\n" << emu.summaryText() << "\n" << Qt::endl;
        res.sessions.append(emu.summaryJson());
        res.totalViolations += emu.violationCount();
        if (!listenMode || o.once)
            QCoreApplication::exit(0);
    });

    if (listenMode) {
        emu.setOptions(o.emulator);
        if (!emu.listen(o.listenAddress, o.listenPort))
            return early(ExitFailed, emu.errorString(), false);
        out() << "Emulator listening on " << emu.serverUrl().toString() << " (Ctrl+C to stop)" << Qt::endl;
    } else {
        if (!emu.connectToBot(o.botUrl, o.emulator))
            return early(ExitUsage, emu.errorString(), true);
        out() << "Connecting to " << o.botUrl.toDisplayString() << " as Twilio would..." << Qt::endl;
    }

    g_signal.store(0);
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    QTimer signalPoll; // a signal handler may only set a flag; the loop looks at it
    QObject::connect(&signalPoll, &QTimer::timeout, &emu, [&] {
        if (g_signal.load() != 0) {
            err() << "\n[info] interrupted, stopping" << Qt::endl;
            if (emu.isStreaming())
                emu.stop(); // emits clientDisconnected -> summary
            QCoreApplication::exit(0);
        }
    });
    signalPoll.start(100);
    QTimer durationTimer;
    durationTimer.setSingleShot(true);
    QObject::connect(&durationTimer, &QTimer::timeout, &emu, [&] {
        if (emu.isStreaming())
            emu.stop();
        else if (!listenMode)
            res.failed = true; // never got a stream
        QCoreApplication::exit(0);
    });
    if (o.durationSec > 0)
        durationTimer.start(int(o.durationSec * 1000));

    res.loopExit = QCoreApplication::exec();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    emu.stop();
    res.lastError = emu.errorString();
    if (o.capturePath) {
        captureWriter.close(); // moves <path>.part to <path>
        if (!captureWriter.errorString().isEmpty()) {
            err() << "pacelab emulate: " << captureWriter.errorString() << "\n";
            res.failed = true;
        }
    }
    return res;
}

// The end of the run: the "no stream" message, the JSON summary, the exit code.
int printEmulate(const EmulateOptions &o, EmulateResult res)
{
    if (res.earlyExit) {
        if (res.earlyIsUsage)
            return endParse(kCommand, Parse::Usage, QString(), withTryHelp(kCommand, res.earlyMessage));
        err() << "pacelab emulate: " << res.earlyMessage << "\n";
        return *res.earlyExit;
    }
    if (!o.listenMode && res.sessions.isEmpty()) {
        err() << "pacelab emulate: no stream with " << o.botUrl.toDisplayString() << ": "
              << (res.lastError.isEmpty() ? QStringLiteral("timed out") : res.lastError) << "\n";
        res.failed = true;
    }
    if (!o.jsonPath.isEmpty()) {
        const QJsonObject root = o.listenMode || res.sessions.size() != 1
            ? QJsonObject{{QStringLiteral("sessions"), res.sessions}}
            : res.sessions.first().toObject();
        QString error;
        if (!saveJson(o.jsonPath, root, &error)) {
            err() << "pacelab emulate: " << error << "\n";
            return ExitFailed;
        }
    }
    if (res.loopExit != 0 || res.failed)
        return ExitFailed;
    return res.totalViolations > 0 ? ExitFailed : ExitOk;
}

int emulateCommand(const QStringList &args)
{
    return runCommand(kCommand, args, parseEmulateOptions, [](const EmulateOptions &o) { return printEmulate(o, runEmulate(o)); });
}

} // namespace

PACELAB_COMMAND(emulateCommandReg, "emulate", "Run the Twilio emulator (--listen HOST:PORT or --bot URL)", emulateCommand);
