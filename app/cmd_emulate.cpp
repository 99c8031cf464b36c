// `pacelab emulate`: the Twilio emulator, headless. --listen waits for a sender (PaceLab's own or
// any client); --bot connects to a bot's WebSocket exactly as Twilio would. Prints one [RX] line
// per second, violations as they happen, and a summary (optionally as JSON).
#include "CliUtil.h"
#include "Commands.h"

#include "emulator/TwilioEmulator.h"
#include "replay/Capture.h"

#include <algorithm>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QTimer>
#include <atomic>
#include <csignal>

using namespace pacelab;

namespace {

std::atomic<int> g_signal{0};

void onSignal(int sig)
{
    g_signal.store(sig);
}

} // namespace

static int runEmulate(const QStringList &args)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
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
    const QCommandLineOption jitterOpt(QStringLiteral("jitter-buffer-ms"), QStringLiteral("Modelled Twilio jitter buffer (default 40 ms)."), QStringLiteral("MS"));
    const QCommandLineOption captureOpt(QStringLiteral("capture"), QStringLiteral("Record every WebSocket message and [RX] second to this capture file (replay it with 'pacelab replay')."), QStringLiteral("FILE"));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"), QStringLiteral("No per-second lines, only the summary."));
    for (const auto &o : {listenOpt, botOpt, callerOpt, toneOpt, durationOpt, onceOpt, tokenOpt, headerOpt, caOpt, paramOpt,
                          streamSidOpt, recordOpt, recordFmtOpt, jsonOpt, bargeAtOpt, bargeMsOpt, bargeFileOpt, jitterOpt, quietOpt, captureOpt})
        parser.addOption(o);

    QStringList argv{args.value(0, QStringLiteral("pacelab")) + QStringLiteral(" emulate")};
    argv += args.mid(2);
    auto usage = [&err](const QString &msg) {
        err << "pacelab emulate: " << msg << "\nTry 'pacelab emulate --help'.\n";
        return int(app::ExitUsage);
    };
    if (!parser.parse(argv))
        return usage(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        out << parser.helpText();
        return app::ExitOk;
    }
    if (!parser.positionalArguments().isEmpty())
        return usage(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    const bool listenMode = parser.isSet(listenOpt);
    if (listenMode == parser.isSet(botOpt))
        return usage(QStringLiteral("give exactly one of --listen HOST:PORT or --bot URL"));

    QString error;
    EmulatorOptions opts;
    QHostAddress listenAddr;
    quint16 listenPort = 0;
    QUrl botUrl;
    if (listenMode) {
        if (!app::parseHostPort(QStringLiteral("listen"), parser.value(listenOpt), 0, &listenAddr, &listenPort, &error))
            return usage(error);
        for (const auto &o : {tokenOpt, headerOpt, caOpt})
            if (parser.isSet(o))
                return usage(QStringLiteral("--%1 applies to --bot only").arg(o.names().first()));
    } else {
        if (!app::parseWebSocketUrl(QStringLiteral("bot"), parser.value(botOpt), &botUrl, &error))
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
        if (!app::parseNumber(QStringLiteral("tone"), parser.value(toneOpt), 1, 3999, &hz, &error, QStringLiteral("a frequency in Hz")))
            return usage(error);
        opts.caller = CallerAudio::tone(hz);
    }
    double duration = 0;
    if (parser.isSet(durationOpt) && !app::parseNumber(QStringLiteral("duration"), parser.value(durationOpt), 0.1, 86400, &duration, &error, QStringLiteral("seconds")))
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
        if (!app::checkOutputOption(QStringLiteral("record"), parser.value(recordOpt), &error))
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
    const QString jsonPath = parser.value(jsonOpt);
    if (!jsonPath.isEmpty() && !app::checkOutputOption(QStringLiteral("json"), jsonPath, &error))
        return usage(error);
    double bargeAt = -1;
    if (parser.isSet(bargeAtOpt) && !app::parseNumber(QStringLiteral("barge-in-at"), parser.value(bargeAtOpt), 0.0, 86400, &bargeAt, &error, QStringLiteral("seconds")))
        return usage(error);
    int bargeMs = 800;
    if (parser.isSet(bargeMsOpt)) {
        bool ok = false;
        bargeMs = parser.value(bargeMsOpt).toInt(&ok);
        if (!ok || bargeMs < 20 || bargeMs > 60000)
            return usage(QStringLiteral("--barge-in-ms wants 20..60000, got '%1'").arg(parser.value(bargeMsOpt)));
    }
    PcmBuffer bargeSpeech;
    if (parser.isSet(bargeFileOpt)) {
        CallerAudio a;
        if (!CallerAudio::fromWavFile(parser.value(bargeFileOpt), &a, &error))
            return usage(QStringLiteral("--barge-in-file: %1").arg(error));
        bargeSpeech = a.pcm;
    }
    if ((parser.isSet(bargeMsOpt) || parser.isSet(bargeFileOpt)) && bargeAt < 0)
        return usage(QStringLiteral("--barge-in-ms / --barge-in-file need --barge-in-at"));
    if (parser.isSet(jitterOpt)) {
        bool ok = false;
        const int jb = parser.value(jitterOpt).toInt(&ok);
        if (!ok || jb < 0 || jb > 2000)
            return usage(QStringLiteral("--jitter-buffer-ms wants 0..2000, got '%1'").arg(parser.value(jitterOpt)));
        opts.playout.jitterBufferUs = qint64(jb) * 1000;
    }
    const bool quiet = parser.isSet(quietOpt);
    const bool once = parser.isSet(onceOpt);

    // ---- run ----
    TwilioEmulator emu;
    capture::CaptureWriter captureWriter;
    if (parser.isSet(captureOpt)) {
        if (!captureWriter.open(parser.value(captureOpt),
                                QJsonObject{{QStringLiteral("tool"), QStringLiteral("pacelab emulate")},
                                            {QStringLiteral("peer"), listenMode ? QStringLiteral("listen") : botUrl.toDisplayString()}}))
            return usage(QStringLiteral("--capture: %1").arg(captureWriter.errorString()));
        // What the bot sent is its outbound path ("out"); the emulator's messages are "in".
        emu.setMessageTap([&captureWriter](qint64 tUs, bool fromBot, bool binary, const QByteArray &data) {
            captureWriter.recordMessage(fromBot ? capture::Dir::Out : capture::Dir::In,
                                        binary ? capture::MsgKind::Binary : capture::MsgKind::Text, data, tUs);
        });
    }
    QJsonArray sessions;
    int totalViolations = 0;
    bool failed = false;
    int printedViolations = 0;
    bool bargeScheduled = false;
    QTimer bargeTimer;
    bargeTimer.setSingleShot(true);

    QObject::connect(&emu, &TwilioEmulator::secondTick, &emu, [&](const PerSecondRx &rx) {
        if (captureWriter.isOpen())
            captureWriter.recordRxSecond(rx.toJson());
        if (!quiet)
            out << rx.toLine() << Qt::endl;
    });
    QObject::connect(&emu, &TwilioEmulator::violation, &emu, [&](const Violation &v) {
        // every one is counted; printing is throttled so a flood stays readable
        if (printedViolations < 20 || printedViolations % 100 == 0)
            err << "[VIOLATION] " << v.code << " at " << QString::number(v.sessionSec, 'f', 3) << " s: " << v.message << Qt::endl;
        ++printedViolations;
    });
    QObject::connect(&emu, &TwilioEmulator::logMessage, &emu, [&](const QString &level, const QString &text) {
        if (level != QLatin1String("warning") || !text.startsWith(QLatin1String("violation")))
            err << "[" << level << "] " << text << Qt::endl;
    });
    QObject::connect(&emu, &TwilioEmulator::errorOccurred, &emu, [&](const QString &) {
        failed = true;
        if (emu.mode() != TwilioEmulator::Mode::Streaming && !listenMode)
            QCoreApplication::exit(app::ExitFailed);
    });
    QObject::connect(&emu, &TwilioEmulator::sessionStarted, &emu, [&](const QString &) {
        printedViolations = 0;
        if (bargeAt >= 0) {
            bargeScheduled = true;
            bargeTimer.start(int(bargeAt * 1000));
        }
    });
    QObject::connect(&bargeTimer, &QTimer::timeout, &emu, [&] {
        const bool ok = bargeSpeech.samples.isEmpty() ? emu.startBargeInTone(bargeMs) : emu.startBargeIn(bargeSpeech);
        if (!ok)
            err << "[error] barge-in not started: " << emu.errorString() << Qt::endl;
    });
    QObject::connect(&emu, &TwilioEmulator::bargeInFinished, &emu, [&](const BargeInResult &r) {
        out << "[BARGE-IN] " << r.verdict << Qt::endl;
    });
    QObject::connect(&emu, &TwilioEmulator::clientDisconnected, &emu, [&](const QString &) {
        bargeTimer.stop();
        out << "\n" << emu.summaryText() << "\n" << Qt::endl;
        sessions.append(emu.summaryJson());
        totalViolations += emu.violationCount();
        if (!listenMode || once)
            QCoreApplication::exit(0);
    });

    if (listenMode) {
        emu.setOptions(opts);
        if (!emu.listen(listenAddr, listenPort)) {
            err << "pacelab emulate: " << emu.errorString() << "\n";
            return app::ExitFailed;
        }
        out << "Emulator listening on " << emu.serverUrl().toString() << " (Ctrl+C to stop)" << Qt::endl;
    } else {
        if (!emu.connectToBot(botUrl, opts))
            return usage(emu.errorString());
        out << "Connecting to " << botUrl.toDisplayString() << " as Twilio would..." << Qt::endl;
    }

    g_signal.store(0);
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    QTimer signalPoll; // a signal handler may only set a flag; the loop looks at it
    QObject::connect(&signalPoll, &QTimer::timeout, &emu, [&] {
        if (g_signal.load() != 0) {
            err << "\n[info] interrupted, stopping" << Qt::endl;
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
            failed = true; // never got a stream
        QCoreApplication::exit(0);
    });
    if (duration > 0)
        durationTimer.start(int(duration * 1000));

    const int rc = QCoreApplication::exec();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    emu.stop();
    Q_UNUSED(bargeScheduled);

    if (!listenMode && sessions.isEmpty()) {
        err << "pacelab emulate: no stream with " << botUrl.toDisplayString() << ": "
            << (emu.errorString().isEmpty() ? QStringLiteral("timed out") : emu.errorString()) << "\n";
        failed = true;
    }
    if (!jsonPath.isEmpty()) {
        QJsonObject root = listenMode || sessions.size() != 1 ? QJsonObject{{QStringLiteral("sessions"), sessions}}
                                                              : sessions.first().toObject();
        const QByteArray json = QJsonDocument(root).toJson(QJsonDocument::Indented);
        QFile f(jsonPath);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(json) != json.size()) {
            err << "pacelab emulate: cannot write " << jsonPath << ": " << f.errorString() << "\n";
            return app::ExitFailed;
        }
    }
    if (rc != 0 || failed)
        return app::ExitFailed;
    return totalViolations > 0 ? app::ExitFailed : app::ExitOk;
}

PACELAB_COMMAND(emulateCommand, "emulate", "Run the Twilio emulator (--listen HOST:PORT or --bot URL)", runEmulate);
