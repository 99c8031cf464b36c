// `pacelab emulate`: the Twilio emulator, headless. --listen waits for a sender (PaceLab's own or
// any client); --bot connects to a bot's WebSocket exactly as Twilio would. Prints one [RX] line
// per second, violations as they happen, and a summary (optionally as JSON).
// Options -> run -> print, each its own function. Over 500 lines because both runs share the one
// option parser: one stream (TwilioEmulator in a Session) and many (ListenEmulator, --max-streams).
#include "CliOutput.h"
#include "CliUtil.h"
#include "Commands.h"
#include "SessionOptions.h"

#include "emulator/TwilioEmulator.h"
#include "load/FdLimit.h"
#include "load/CallMetrics.h"
#include "load/ListenEmulator.h"
#include "load/LoadReport.h"
#include "replay/Capture.h"
#include "session/Session.h"
#include "util/FileUtil.h"

#include <algorithm>
#include <cmath>

#include "audio/SignalGenerator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QHash>
#include <QHostInfo>
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
    int maxStreams = 1;     // --max-streams: > 1 = the many-stream listener (ListenEmulator)
    bool streamLines = true; // --no-stream-lines: only the [LISTEN] line per second
    QString junitPath;
    QString htmlPath;
    int realtimePriority = 0; // --rt: SCHED_FIFO for the many-stream workers
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
        "clear, barge-in, and Twilio's message rules (31950/31951/31931). --provider "
        "telnyx|vonage|plivo|exotel speaks and judges that provider's protocol instead.\n"
        "  --listen HOST:PORT   wait for a sender to connect (PaceLab's engine or any client)\n"
        "  --bot URL            connect to a bot's ws:// or wss:// URL, as Twilio does\n"
        "  --listen HOST:PORT --max-streams N   accept up to N concurrent streams, each judged on its own\n"
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
    const QCommandLineOption recordFmtOpt(QStringLiteral("record-format"), QStringLiteral("mulaw (as received, default) or pcm16. An L16 stream (Vonage, Exotel) is always written as pcm16 at its rate."), QStringLiteral("FMT"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Write the summary as JSON to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption bargeAtOpt(QStringLiteral("barge-in-at"), QStringLiteral("S seconds into the stream, speak over the bot and measure clear / silence."), QStringLiteral("S"));
    const QCommandLineOption bargeMsOpt(QStringLiteral("barge-in-ms"), QStringLiteral("Length of the barge-in speech (default 800 ms)."), QStringLiteral("MS"));
    const QCommandLineOption bargeFileOpt(QStringLiteral("barge-in-file"), QStringLiteral("Barge-in speech from a WAV file instead of a tone."), QStringLiteral("FILE.wav"));
    const QCommandLineOption captureOpt(QStringLiteral("capture"), QStringLiteral("Record every WebSocket message and [RX] second to this capture file (replay it with 'pacelab replay')."), QStringLiteral("FILE"));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"), QStringLiteral("No per-second lines, only the summary."));
    const QCommandLineOption maxStreamsOpt(QStringLiteral("max-streams"), QStringLiteral("--listen: accept up to N concurrent streams (default 1; more are refused with the reason). "
                                                                                          "With N > 1: an [RX] line per stream and a [LISTEN] line across streams each second, a verdict per stream at the end."), QStringLiteral("N"));
    const QCommandLineOption noStreamLinesOpt(QStringLiteral("no-stream-lines"), QStringLiteral("--max-streams > 1: no [RX] line per stream, only the [LISTEN] line."));
    const QCommandLineOption junitOpt(QStringLiteral("junit"), QStringLiteral("--max-streams > 1: the per-stream verdicts as JUnit XML."), QStringLiteral("FILE"));
    const QCommandLineOption htmlOpt(QStringLiteral("html"), QStringLiteral("--max-streams > 1: the report as HTML."), QStringLiteral("FILE"));
    const QCommandLineOption rtOpt(QStringLiteral("rt"), QStringLiteral("--max-streams > 1: SCHED_FIFO at PRIO (1..99) for the emulator's worker threads, when the system allows it."), QStringLiteral("PRIO"));
    for (const auto &opt : {listenOpt, botOpt, callerOpt, toneOpt, durationOpt, onceOpt, tokenOpt, headerOpt, caOpt, paramOpt,
                          streamSidOpt, recordOpt, recordFmtOpt, jsonOpt, bargeAtOpt, bargeMsOpt, bargeFileOpt, quietOpt, captureOpt,
                          maxStreamsOpt, noStreamLinesOpt, junitOpt, htmlOpt, rtOpt})
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
    if (parser.isSet(maxStreamsOpt)) {
        if (!listenMode)
            return usage(QStringLiteral("--max-streams applies to --listen only"));
        double n = 0;
        if (!parseNumber(QStringLiteral("max-streams"), parser.value(maxStreamsOpt), 1, ListenOptions::kMaxStreams, &n, &error, QStringLiteral("a stream count")))
            return usage(error);
        if (n != std::floor(n))
            return usage(QStringLiteral("--max-streams wants a whole number, got '%1'").arg(parser.value(maxStreamsOpt)));
        o->maxStreams = int(n);
    }
    if (o->maxStreams > 1) {
        // One file and one SID describe one stream: with many, each stream has its own.
        for (const auto &opt : {recordOpt, recordFmtOpt, captureOpt, streamSidOpt})
            if (parser.isSet(opt))
                return usage(QStringLiteral("--%1 applies to one stream only (--max-streams 1)").arg(opt.names().first()));
    } else {
        for (const auto &opt : {noStreamLinesOpt, junitOpt, htmlOpt, rtOpt})
            if (parser.isSet(opt))
                return usage(QStringLiteral("--%1 applies with --max-streams > 1 only").arg(opt.names().first()));
    }
    if (parser.isSet(rtOpt)) {
        double prio = 0;
        if (!parseNumber(QStringLiteral("rt"), parser.value(rtOpt), 1, 99, &prio, &error, QStringLiteral("a SCHED_FIFO priority")))
            return usage(error);
        if (prio != std::floor(prio))
            return usage(QStringLiteral("--rt wants a whole number, got '%1'").arg(parser.value(rtOpt)));
        o->realtimePriority = int(prio);
    }
    o->streamLines = !parser.isSet(noStreamLinesOpt);
    o->junitPath = parser.value(junitOpt);
    o->htmlPath = parser.value(htmlOpt);
    for (const auto &[name, path] : {std::pair{QStringLiteral("junit"), o->junitPath}, std::pair{QStringLiteral("html"), o->htmlPath}})
        if (!path.isEmpty() && !checkOutputOption(name, path, &error))
            return usage(error);
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
    QJsonArray sessions;  // each stream's summary (one stream at a time)
    std::optional<LoadRun> many; // --max-streams > 1: every stream, judged
    int totalViolations = 0;
    QString lastError;    // the emulator's, for the "no stream" message
};

// Ctrl+C / SIGTERM: a signal handler may only set a flag; a timer on the loop looks at it.
void installSignals()
{
    g_signal.store(0);
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
}

void restoreSignals()
{
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

// One stream at a time (--bot, or --listen with --max-streams 1): the TwilioEmulator of a
// Session, on the session's emulator thread. Runs until the stream ends, --duration or Ctrl+C.
// Live lines ([RX] per second, violations, barge-in verdicts, each stream's summary) are printed
// as they come, on this thread: every signal reaches `ctx` queued, in the order emitted; what
// needs the emulator's state (its summary when a stream ends) is read on its thread first.
EmulateResult runEmulateOne(const EmulateOptions &o)
{
    EmulateResult res;
    auto early = [&res](int exit, const QString &message, bool isUsage) {
        res.earlyExit = exit;
        res.earlyMessage = message;
        res.earlyIsUsage = isUsage;
        return res;
    };
    const bool listenMode = o.listenMode;
    capture::CaptureWriter captureWriter; // outlives the session: the emulator's thread records into it
    if (o.capturePath) {
        if (!captureWriter.open(*o.capturePath,
                                capture::withProvider(QJsonObject{{QStringLiteral("tool"), QStringLiteral("pacelab emulate")},
                                                                  {QStringLiteral("peer"), listenMode ? QStringLiteral("listen") : o.botUrl.toDisplayString()}},
                                                      provider::name(o.emulator.provider))))
            return early(ExitUsage, QStringLiteral("--capture: %1").arg(captureWriter.errorString()), true);
    }
    SessionConfig cfg;
    cfg.emulator = o.emulator;
    QString why;
    std::unique_ptr<Session> session = Session::create(cfg, &why);
    if (!session)
        return early(ExitUsage, why, true);
    TwilioEmulator *emu = session->createEmulator();
    QObject ctx; // this thread's receiver of the emulator's signals
    int printedViolations = 0;
    QTimer bargeTimer;
    bargeTimer.setSingleShot(true);

    if (captureWriter.isOpen())
        QObject::connect(emu, &TwilioEmulator::secondTick, emu, [&captureWriter](const PerSecondRx &rx) {
            captureWriter.recordRxSecond(rx.toJson()); // thread-safe writer, on the emulator's thread
        }, Qt::DirectConnection);
    QObject::connect(emu, &TwilioEmulator::secondTick, &ctx, [&](const PerSecondRx &rx) {
        if (!o.quiet)
            out() << rx.toLine() << Qt::endl;
    });
    QObject::connect(emu, &TwilioEmulator::violation, &ctx, [&](const Violation &v) {
        // every one is counted; printing is throttled so a flood stays readable
        if (printedViolations < 20 || printedViolations % 100 == 0)
            err() << "[VIOLATION] " << v.code << " at " << QString::number(v.sessionSec, 'f', 3) << " s: " << v.message << Qt::endl;
        ++printedViolations;
    });
    QObject::connect(emu, &TwilioEmulator::logMessage, &ctx, [&](const QString &level, const QString &text) {
        if (level != QLatin1String("warning") || !text.startsWith(QLatin1String("violation")))
            err() << "[" << level << "] " << text << Qt::endl;
    });
    QObject::connect(emu, &TwilioEmulator::errorOccurred, emu, [&, emu](const QString &) {
        const bool streaming = emu->mode() == TwilioEmulator::Mode::Streaming;
        QMetaObject::invokeMethod(&ctx, [&, streaming] {
            res.failed = true;
            if (!streaming && !listenMode)
                QCoreApplication::exit(ExitFailed);
        }, Qt::QueuedConnection);
    }, Qt::DirectConnection);
    QObject::connect(emu, &TwilioEmulator::sessionStarted, &ctx, [&](const QString &) {
        printedViolations = 0;
        if (o.bargeAtSec >= 0)
            bargeTimer.start(int(o.bargeAtSec * 1000));
    });
    QObject::connect(&bargeTimer, &QTimer::timeout, &ctx, [&] {
        const auto r = session->onEmulator([&o](TwilioEmulator &e) {
            const bool ok = o.bargeSpeech.samples.isEmpty() ? e.startBargeInTone(o.bargeMs) : e.startBargeIn(o.bargeSpeech);
            return ok ? QString() : e.errorString();
        });
        if (r && !r->isEmpty())
            err() << "[error] barge-in not started: " << *r << Qt::endl;
    });
    QObject::connect(emu, &TwilioEmulator::bargeInFinished, &ctx, [&](const BargeInResult &r) {
        out() << "[BARGE-IN] " << r.verdict << Qt::endl;
    });
    QObject::connect(emu, &TwilioEmulator::clientDisconnected, emu, [&, emu](const QString &) {
        // The summary of the stream that just ended, before a next one can start.
        const QString text = emu->summaryText();
        const QJsonObject json = emu->summaryJson();
        const int violations = emu->violationCount();
        QMetaObject::invokeMethod(&ctx, [&, text, json, violations] {
            bargeTimer.stop();
            out() << "\n" << text << "\n" << Qt::endl;
            res.sessions.append(json);
            res.totalViolations += violations;
            if (!listenMode || o.once)
                QCoreApplication::exit(0);
        }, Qt::QueuedConnection);
    }, Qt::DirectConnection);

    struct Started
    {
        bool ok = false;
        QString error;
        QUrl url;
    };
    const Started st = session->onEmulator([&](TwilioEmulator &e) {
        if (captureWriter.isOpen()) {
            // What the bot sent is its outbound path ("out"); the emulator's messages are "in".
            e.setMessageTap([&captureWriter](qint64 tUs, bool fromBot, bool binary, const QByteArray &data) {
                captureWriter.recordMessage(fromBot ? capture::Dir::Out : capture::Dir::In,
                                            binary ? capture::MsgKind::Binary : capture::MsgKind::Text, data, tUs);
            });
        }
        Started s;
        if (listenMode) {
            e.setOptions(o.emulator);
            s.ok = e.listen(o.listenAddress, o.listenPort);
            s.url = e.serverUrl();
        } else {
            s.ok = e.connectToBot(o.botUrl, o.emulator);
        }
        s.error = e.errorString();
        return s;
    }).value_or(Started{false, QStringLiteral("the emulator's thread did not start"), {}});
    // (The emulator's first lines wait for the loop: a handler may end it, which only works
    // once it runs.)
    if (!st.ok)
        return listenMode ? early(ExitFailed, st.error, false) : early(ExitUsage, st.error, true);
    if (listenMode)
        out() << "Emulator listening on " << st.url.toString() << " (Ctrl+C to stop)" << Qt::endl;
    else
        out() << "Connecting to " << o.botUrl.toDisplayString() << " as "
              << (o.emulator.provider == provider::Id::Twilio ? QStringLiteral("Twilio")
                                                              : provider::profile(o.emulator.provider).displayName())
              << " would..." << Qt::endl;

    installSignals();
    QTimer signalPoll;
    QObject::connect(&signalPoll, &QTimer::timeout, &ctx, [&] {
        if (g_signal.load() != 0) {
            err() << "\n[info] interrupted, stopping" << Qt::endl;
            session->onEmulator([](TwilioEmulator &e) {
                if (e.isStreaming())
                    e.stop(); // emits clientDisconnected -> summary
                return true;
            });
            QCoreApplication::exit(0);
        }
    });
    signalPoll.start(100);
    QTimer durationTimer;
    durationTimer.setSingleShot(true);
    QObject::connect(&durationTimer, &QTimer::timeout, &ctx, [&] {
        const bool wasStreaming = session->onEmulator([](TwilioEmulator &e) {
            const bool streaming = e.isStreaming();
            if (streaming)
                e.stop();
            return streaming;
        }).value_or(false);
        if (!wasStreaming && !listenMode)
            res.failed = true; // never got a stream
        QCoreApplication::exit(0);
    });
    if (o.durationSec > 0)
        durationTimer.start(int(o.durationSec * 1000));

    res.loopExit = QCoreApplication::exec();
    restoreSignals();
    res.lastError = session->onEmulator([](TwilioEmulator &e) {
        e.stop(); // a stream still up ends here, with its summary
        return e.errorString();
    }).value_or(QString());
    QCoreApplication::sendPostedEvents(); // what the emulator said up to its stop, printed
    bargeTimer.stop();
    session.reset(); // joins the emulator's thread: nothing records into the capture after this
    if (o.capturePath) {
        captureWriter.close(); // moves <path>.part to <path>
        if (!captureWriter.errorString().isEmpty()) {
            err() << "pacelab emulate: " << captureWriter.errorString() << "\n";
            res.failed = true;
        }
    }
    return res;
}

// The load report in the words of streams received (no knee: one step), then every stream's
// verdict when they fit on a screen (the report itself lists the failed ones, worst first).
QString listenReport(const LoadRun &run)
{
    QStringList lines = loadTextReport(run).split(QLatin1Char('\n'));
    lines.removeIf([](const QString &l) { return l.startsWith(QLatin1String("Knee: ")); });
    QString text = lines.join(QLatin1Char('\n'));
    text.replace(QLatin1String("Load run against "), QLatin1String("Streams received on "));
    text.replace(QLatin1String(" concurrent calls: "), QLatin1String(" streams: ")); // all streams of the run, not all at once
    text.replace(QLatin1String(" % per call"), QLatin1String(" % per stream"));
    text.replace(QLatin1String("failed calls (worst first)"), QLatin1String("failed streams (worst first)"));
    const QList<CallResult> &calls = run.steps.value(0).calls;
    if (!calls.isEmpty() && calls.size() <= 50) {
        text += QStringLiteral("Per stream:\n");
        for (const CallResult &c : calls)
            text += QStringLiteral("  #%1 %2 frames=%3 fps p1=%4 jitter=%5ms buffered max=%6s marks=%7/%8 violations=%9: %10\n")
                        .arg(c.index).arg(c.streamSid).arg(c.frames)
                        .arg(c.fpsP1, 0, 'f', 0).arg(c.jitterMs, 0, 'f', 2).arg(c.maxBufferedSec, 0, 'f', 2)
                        .arg(c.marksEchoed).arg(c.marksSent).arg(c.violations)
                        .arg(c.pass ? QStringLiteral("PASS") : QStringLiteral("FAIL (%1)").arg(c.verdictReason));
    }
    return text;
}

// --listen with --max-streams N > 1: the ListenEmulator (a few worker threads, one grid tick
// each). Per second: an [RX] line per stream (unless --no-stream-lines) and one [LISTEN] line
// across the streams; at the end every stream judged with the load run's limits (LoadReport).
EmulateResult runEmulateMany(const EmulateOptions &o)
{
    EmulateResult res;
    auto early = [&res](int exit, const QString &message, bool isUsage) {
        res.earlyExit = exit;
        res.earlyMessage = message;
        res.earlyIsUsage = isUsage;
        return res;
    };
    QString why;
    if (!ensureFdLimit(fdsNeededForCalls(o.maxStreams), &why))
        return early(ExitUsage, QStringLiteral("--max-streams %1: %2").arg(o.maxStreams).arg(why), false);
    ListenOptions lo;
    lo.address = o.listenAddress;
    lo.port = o.listenPort;
    lo.maxStreams = o.maxStreams;
    lo.realtimePriority = o.realtimePriority;
    lo.call = o.emulator;
    const MediaFormat inFormat = provider::profile(o.emulator.provider).inboundFormat();
    if (!CallerAudio::encoded(o.emulator.caller, &lo.call.caller, &why, inFormat)) // one copy for every stream
        return early(ExitUsage, QStringLiteral("--caller: %1").arg(why), true);
    lo.bargeInAtSec = o.bargeAtSec;
    lo.bargeInSpeech = o.bargeSpeech;
    if (o.bargeAtSec >= 0 && o.bargeSpeech.samples.isEmpty()) {
        lo.bargeInSpeech.sampleRate = inFormat.sampleRate;
        lo.bargeInSpeech.samples = signal::sine(inFormat.sampleRate, o.bargeMs / 1000.0, 440.0, -10.0); // as startBargeInTone
    }

    ListenEmulator emu;
    if (!emu.listen(lo, &why))
        return early(ExitFailed, why, false);
    out() << "Emulator listening on " << emu.url().toString() << " for up to " << o.maxStreams
          << " streams (Ctrl+C to stop)" << Qt::endl;
    const QString startedUtc = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    const double cpu0 = emu.workersCpuSec();

    QList<PerSecondRx> thisSecond;     // seconds the streams closed since the last [LISTEN] line
    QHash<int, PerSecondRx> lastOfStream; // totals of the streams up
    qint64 underrunsEnded = 0, violationsEnded = 0;
    int ended = 0;
    int printedViolations = 0;
    QObject::connect(&emu, &ListenEmulator::streamStarted, &emu, [&](int index, const QString &sid, const QString &peer) {
        if (!o.quiet)
            err() << "[info] stream " << index << " (" << sid << ") started, from " << peer << Qt::endl;
    });
    QObject::connect(&emu, &ListenEmulator::seconds, &emu, [&](const QList<StreamSecond> &batch) {
        for (const StreamSecond &s : batch) {
            thisSecond.append(s.rx);
            lastOfStream.insert(s.index, s.rx);
            if (!o.quiet && o.streamLines)
                out() << "[RX] stream=" << s.index << s.rx.toLine().mid(4) << "\n";
        }
    });
    QObject::connect(&emu, &ListenEmulator::violationFound, &emu, [&](int index, const Violation &v) {
        if (printedViolations < 20 || printedViolations % 100 == 0)
            err() << "[VIOLATION] stream=" << index << " " << v.code << " at " << QString::number(v.sessionSec, 'f', 3)
                  << " s: " << v.message << Qt::endl;
        ++printedViolations;
    });
    QObject::connect(&emu, &ListenEmulator::connectionRefused, &emu, [&](const QString &peer, const QString &reason) {
        err() << "[warning] refused a connection from " << peer << ": " << reason << Qt::endl;
    });
    QObject::connect(&emu, &ListenEmulator::bargeInFinished, &emu, [&](int index, const BargeInResult &r) {
        out() << "[BARGE-IN] stream=" << index << " " << r.verdict << Qt::endl;
    });
    QObject::connect(&emu, &ListenEmulator::streamEnded, &emu, [&](const CallResult &r) {
        ++ended;
        underrunsEnded += r.underruns;
        violationsEnded += r.violations;
        lastOfStream.remove(r.index);
        if (!o.quiet)
            err() << "[info] stream " << r.index << " (" << r.streamSid << ") ended: "
                  << (r.failReason.isEmpty() ? r.verdictReason : r.failReason) << Qt::endl;
        if (o.once && emu.active() == 0)
            QCoreApplication::exit(0);
    });
    QTimer secondTimer;
    QObject::connect(&secondTimer, &QTimer::timeout, &emu, [&] {
        qint64 underruns = underrunsEnded, violations = violationsEnded;
        for (const PerSecondRx &rx : std::as_const(lastOfStream)) {
            underruns += rx.underrunsTotal;
            violations += rx.violationsTotal;
        }
        if (!o.quiet)
            out() << listenSecondLine(emu.active(), o.maxStreams, emu.refused(), ended, thisSecond, underruns, violations) << Qt::endl;
        thisSecond.clear();
    });
    secondTimer.start(1000);

    installSignals();
    QTimer signalPoll;
    QObject::connect(&signalPoll, &QTimer::timeout, &emu, [&] {
        if (g_signal.load() != 0) {
            err() << "\n[info] interrupted, stopping" << Qt::endl;
            QCoreApplication::exit(0);
        }
    });
    signalPoll.start(100);
    if (o.durationSec > 0)
        QTimer::singleShot(int(o.durationSec * 1000), &emu, [] { QCoreApplication::exit(0); });

    res.loopExit = QCoreApplication::exec();
    restoreSignals();
    secondTimer.stop();
    const double cpu = emu.workersCpuSec() - cpu0;
    if (!emu.realtimeError().isEmpty())
        err() << "[warning] --rt: real-time scheduling refused, the workers ran at normal priority: " << emu.realtimeError() << Qt::endl;
    emu.stop(); // every stream still up: `stop`, a normal close, its result final
    QCoreApplication::sendPostedEvents(); // their last lines
    LoadStep step;
    step.calls = emu.results();
    step.targetCalls = int(step.calls.size());
    double streamSeconds = 0.0;
    for (const CallResult &c : std::as_const(step.calls)) {
        streamSeconds += c.durationSec;
        res.totalViolations += c.violations;
        if (c.droppedMidCall) {
            ++step.callsFailed;
            res.failed = true; // a stream dropped without a close: as for one stream, exit 1
        } else {
            ++step.callsUp;
        }
    }
    step.cpuPerCallPct = streamSeconds > 0 ? cpu / streamSeconds * 100.0 : -1.0;
    LoadRun run;
    run.botUrl = emu.url().toString();
    run.provider = provider::name(o.emulator.provider);
    run.startedUtc = startedUtc;
    run.host = QHostInfo::localHostName();
    run.steps.append(step);
    judgeRun(run, loadThresholdsFor(provider::profile(o.emulator.provider).outboundFormat()));
    if (step.calls.isEmpty())
        out() << "\nNo stream connected (" << emu.refused() << " refused).\n";
    else
        out() << "\n" << listenReport(run) << Qt::endl;
    if (emu.refused() > 0)
        out() << emu.refused() << " connection(s) refused: more than " << o.maxStreams << " at once (--max-streams)\n";
    res.many = run;
    return res;
}

EmulateResult runEmulate(const EmulateOptions &o)
{
    return o.listenMode && o.maxStreams > 1 ? runEmulateMany(o) : runEmulateOne(o);
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
    QString error;
    if (res.many) {
        // The load run's formats: `pacelab report merge` reads the JSON too.
        if ((!o.jsonPath.isEmpty() && !writeLoadJson(*res.many, o.jsonPath, &error))
            || (!o.junitPath.isEmpty() && !writeLoadJUnit(*res.many, o.junitPath, &error))
            || (!o.htmlPath.isEmpty() && !writeLoadHtml(*res.many, o.htmlPath, &error))) {
            err() << "pacelab emulate: " << error << "\n";
            return ExitFailed;
        }
    } else if (!o.jsonPath.isEmpty()) {
        const QJsonObject root = o.listenMode || res.sessions.size() != 1
            ? QJsonObject{{QStringLiteral("sessions"), res.sessions}}
            : res.sessions.first().toObject();
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
