// `pacelab replay FILE [--analyze|--send URL|--as-caller URL] [--json FILE] [--provider NAME]`: a
// recorded call of any provider (PaceLab capture, JSON Lines dump, pcap/pcapng or WAV) analysed,
// re-sent through the paced sender, or played as the caller to a bot. Options -> run (load, then one mode) -> print, each its own function.
#include "CliOutput.h"
#include "CliUtil.h"
#include "Commands.h"
#include "SessionOptions.h"

#include "emulator/TwilioEmulator.h"
#include "replay/Replay.h"
#include "session/Session.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QThread>
#include <QUrl>

#include <atomic>
#include <cmath>
#include <optional>
#include <thread>
#include <variant>

using namespace pacelab;
using namespace pacelab::replay;
using namespace pacelab::app;

namespace {

bool waitUntil(const std::function<bool()> &done, qint64 timeoutMs, const std::function<void()> &tick = {})
{
    QElapsedTimer t;
    t.start();
    qint64 lastTick = -1000;
    while (!done()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(5);
        if (tick && t.elapsed() - lastTick >= 500) {
            tick();
            lastTick = t.elapsed();
        }
    }
    return true;
}

QString fmt(double v, int prec = 1)
{
    return std::isfinite(v) ? QString::number(v, 'f', prec) : QStringLiteral("-");
}

const QString kCommand = QStringLiteral("replay");

struct ReplayOptions
{
    enum class Mode { Analyze, Send, AsCaller };
    Mode mode = Mode::Analyze;
    bool analyzeAsked = false; // --analyze given (a WAV then is a usage error, not a note)
    QString file;
    QUrl url;                // --send / --as-caller
    bool toEmulator = false; // --send emulator
    std::optional<QString> jsonPath; // set = given (an empty path then fails as unwritable)
    std::optional<QString> exportOut, exportIn;
    bool pcm16 = false;
    bool progress = true;
    SessionConfig session; // --send: the engine's and the emulator's settings
    QString helpText;
    // input format options (LoadOptions)
    QString stream;            // --stream
    int callerChannel = 0;     // --caller-channel (0-based; -1 = mix)
    QList<int> wsPorts;        // --ws-port
    QString tlsKeyLog;         // --tls-keylog
    std::optional<provider::Id> provider; // --provider: the recording's protocol (else header / detected)
};

Parse parseReplayOptions(const QStringList &args, ReplayOptions *o, QString *error)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Replays a recorded call: a PaceLab capture (JSON Lines), a JSON Lines dump of media-stream "
        "messages (one per line), a pcap/pcapng of the WebSocket traffic (read with tshark), or a WAV "
        "file (a two-channel one is a dual-channel call recording: caller, then bot).\n"
        "The provider (twilio, telnyx, vonage, plivo, exotel) is --provider if given, else the "
        "capture header's, else detected from the messages (Twilio when none is recognised).\n"
        "  --analyze (default): the recorded outbound timing through the emulator's arrival "
        "analytics and playout model, with verdicts.\n"
        "  --send URL: the outbound audio, re-cut into the provider's frames, through PaceLab's paced "
        "sender to URL (ws:// or wss://) or to the built-in emulator (URL = emulator), compared "
        "with the original pacing.\n"
        "  --as-caller URL: the inbound audio played as the caller to a bot at URL.\n"
        "Exit status: 0 fine, 1 problems found or the run failed, 2 bad usage or unreadable input."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Capture, dump, pcap/pcapng or WAV file."));
    const QCommandLineOption analyzeOpt(QStringLiteral("analyze"), QStringLiteral("Analyse the recorded timing (default)."));
    const QCommandLineOption sendOpt(QStringLiteral("send"), QStringLiteral("Re-send the outbound audio to URL, or to the built-in emulator with 'emulator'."), QStringLiteral("URL"));
    const QCommandLineOption callerOpt(QStringLiteral("as-caller"), QStringLiteral("Play the inbound audio as the caller to the bot at URL."), QStringLiteral("URL"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Write the results as JSON to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption outWavOpt(QStringLiteral("export-out"), QStringLiteral("Write the outbound (bot) audio to a WAV file."), QStringLiteral("WAV"));
    const QCommandLineOption inWavOpt(QStringLiteral("export-in"), QStringLiteral("Write the inbound (caller) audio to a WAV file."), QStringLiteral("WAV"));
    const QCommandLineOption pcmOpt(QStringLiteral("pcm16"), QStringLiteral("Export WAVs as PCM16 instead of the recorded encoding (mu-law; L16 is PCM16 already)."));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"), QStringLiteral("No progress line."));
    parser.addOptions({analyzeOpt, sendOpt, callerOpt, jsonOpt, outWavOpt, inWavOpt, pcmOpt, quietOpt});
    const QCommandLineOption streamOpt(QStringLiteral("stream"), QStringLiteral("A file with several streams (pcap): the one to replay, by number (1 = first), streamSid or callSid."), QStringLiteral("ID"));
    const QCommandLineOption channelOpt(QStringLiteral("caller-channel"), QStringLiteral("A two-channel WAV: the caller's channel, 1 (default) or 2; the other is the bot. 'mix' mixes both."), QStringLiteral("N"));
    const QCommandLineOption wsPortOpt(QStringLiteral("ws-port"), QStringLiteral("pcap: decode this TCP port as WebSocket (the capture starts after the handshake). Repeatable."), QStringLiteral("PORT"));
    const QCommandLineOption keylogOpt(QStringLiteral("tls-keylog"), QStringLiteral("pcap: TLS keys (an SSLKEYLOGFILE) to read wss:// traffic."), QStringLiteral("FILE"));
    parser.addOptions({streamOpt, channelOpt, wsPortOpt, keylogOpt});
    addSessionOptions(parser); // for --send

    if (const Parse p = parseCommandLine(parser, kCommand, args, &o->helpText, error); p != Parse::Run)
        return p;
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 1) {
        *error = QStringLiteral("%1.\nUsage: pacelab replay FILE [--analyze|--send URL|--as-caller URL] [--json FILE]\n")
                     .arg(pos.isEmpty() ? QStringLiteral("missing FILE") : QStringLiteral("exactly one FILE expected"));
        return Parse::Usage;
    }
    const int modes = int(parser.isSet(analyzeOpt)) + int(parser.isSet(sendOpt)) + int(parser.isSet(callerOpt));
    if (modes > 1) {
        *error = QStringLiteral("choose one of --analyze, --send and --as-caller.\n");
        return Parse::Usage;
    }
    QString urlError;
    o->toEmulator = parser.value(sendOpt) == QLatin1String("emulator");
    if (parser.isSet(sendOpt) && !o->toEmulator && !parseWebSocketUrl(QStringLiteral("send"), parser.value(sendOpt), &o->url, &urlError)) {
        *error = urlError + QStringLiteral(" (or --send emulator).\n");
        return Parse::Usage;
    }
    if (parser.isSet(callerOpt) && !parseWebSocketUrl(QStringLiteral("as-caller"), parser.value(callerOpt), &o->url, &urlError)) {
        *error = urlError + QStringLiteral(".\n");
        return Parse::Usage;
    }
    o->mode = parser.isSet(sendOpt) ? ReplayOptions::Mode::Send
        : parser.isSet(callerOpt)   ? ReplayOptions::Mode::AsCaller
                                    : ReplayOptions::Mode::Analyze;
    o->analyzeAsked = parser.isSet(analyzeOpt);
    o->file = pos.first();
    auto given = [&](const QCommandLineOption &opt) {
        return parser.isSet(opt) ? std::optional<QString>(parser.value(opt)) : std::nullopt;
    };
    o->jsonPath = given(jsonOpt);
    o->exportOut = given(outWavOpt);
    o->exportIn = given(inWavOpt);
    o->pcm16 = parser.isSet(pcmOpt);
    o->progress = !parser.isSet(quietOpt);
    o->stream = parser.value(streamOpt);
    if (parser.isSet(channelOpt)) {
        const QString c = parser.value(channelOpt).toLower();
        if (c == QLatin1String("mix"))
            o->callerChannel = -1;
        else if (c == QLatin1String("1") || c == QLatin1String("left"))
            o->callerChannel = 0;
        else if (c == QLatin1String("2") || c == QLatin1String("right"))
            o->callerChannel = 1;
        else {
            *error = QStringLiteral("--caller-channel wants 1, 2 or mix, got '%1'.\n").arg(parser.value(channelOpt));
            return Parse::Usage;
        }
    }
    for (const QString &v : parser.values(wsPortOpt)) {
        bool ok = false;
        const int port = v.toInt(&ok);
        if (!ok || port < 1 || port > 65535) {
            *error = QStringLiteral("--ws-port wants a TCP port from 1 to 65535, got '%1'.\n").arg(v);
            return Parse::Usage;
        }
        o->wsPorts << port;
    }
    o->tlsKeyLog = parser.value(keylogOpt);
    if (parser.isSet(keylogOpt) && !QFileInfo(o->tlsKeyLog).isFile()) {
        *error = QStringLiteral("--tls-keylog: '%1' is not a readable file.\n").arg(o->tlsKeyLog);
        return Parse::Usage;
    }
    // The re-sent audio goes to the emulator without inbound media (nothing listens to it).
    o->session.emulator.sendInboundMedia = false;
    if (!readSessionOptions(parser, &o->session, error)) {
        *error += QStringLiteral(".\n");
        return Parse::Usage;
    }
    if (parser.isSet(QStringLiteral("provider")))
        o->provider = o->session.provider(); // validated by readSessionOptions
    return Parse::Run;
}

// A mode that ended early: the message after "pacelab replay: " and the exit code.
struct Stop
{
    QString message;
    int exit = ExitFailed;
};

// ---- load ----

const char *sourceName(const LoadedCall &call)
{
    return call.source == LoadedCall::Source::Capture  ? "PaceLab capture"
        : call.source == LoadedCall::Source::JsonDump   ? "JSON Lines dump"
        : call.source == LoadedCall::Source::Pcap       ? "pcap (tshark)"
        : call.wavCallerChannel >= 0                    ? "dual-channel WAV"
                                                        : "WAV";
}

LoadResult loadReplayCall(const ReplayOptions &o)
{
    LoadOptions lo;
    lo.stream = o.stream;
    lo.provider = o.provider;
    lo.callerChannel = o.callerChannel;
    lo.pcap.websocketPorts = o.wsPorts;
    lo.pcap.tlsKeyLogFile = o.tlsKeyLog;
    bool progressShown = false;
    if (o.progress)
        lo.progress = [&](qint64 done, qint64 total) {
            progressShown = true;
            err() << "\rreading " << fmt(done / 1e6) << (total > 0 ? QStringLiteral(" / %1").arg(fmt(total / 1e6)) : QString()) << " MB" << Qt::flush;
        };
    LoadResult lr = loadCall(o.file, lo);
    if (progressShown)
        err() << "\r" << QString(40, QLatin1Char(' ')) << "\r" << Qt::flush;
    return lr;
}

void printLoaded(const ReplayOptions &o, const LoadedCall &call)
{
    out() << o.file << ": " << sourceName(call);
    if (call.hasTiming())
        out() << ", " << call.outMessages << " outbound / " << call.inMessages << " inbound message(s), "
              << fmt(call.outAudioSec(), 2) << " s out / " << fmt(call.inAudioSec(), 2) << " s in";
    else
        out() << ", " << fmt(call.wavPcm.durationSec(), 2) << " s, " << call.wavPcm.sampleRate << " Hz x" << call.wavPcm.channels;
    out() << "\n";
    // --analyze prints the provider with the analysis (Analysis::toText): here the audio formats.
    if (call.hasTiming() && o.mode != ReplayOptions::Mode::Analyze)
        out() << "provider: " << call.profile().displayName() << " (" << call.providerReason << ")\n";
    if (call.hasTiming())
        out() << "audio: " << call.outFormat.describe() << " out, " << call.inFormat.describe() << " in\n";
    for (const capture::ReadError &e : call.errors.mid(0, 5))
        err() << "warning: " << e.message << "\n";
}

// Writes the --export-out / --export-in WAVs; false if one failed.
bool exportWavs(const ReplayOptions &o, const LoadedCall &call)
{
    bool ok = true;
    const wav::Encoding enc = o.pcm16 ? wav::Encoding::Pcm16 : wav::Encoding::Mulaw;
    for (const auto &[path, dir] : {std::pair{o.exportOut, capture::Dir::Out}, std::pair{o.exportIn, capture::Dir::In}}) {
        if (!path)
            continue;
        QString e;
        if (!exportWav(call, dir, *path, enc, &e)) {
            err() << "pacelab replay: export to " << *path << " failed: " << e << "\n";
            ok = false;
        } else {
            out() << "wrote " << *path << "\n";
        }
    }
    return ok;
}

// ---- --send ----

struct ResendResult
{
    int frames = 0;
    int frameMs = 20;
    int frameBytes = 160;
    int padded = 0;
    QUrl url;
    SenderTotals totals;
    bool complete = false;
    QString engineError;
    bool viaEmulator = false; // then `received` and `receivedUnderruns` are the emulator's
    ArrivalStats received;
    int receivedUnderruns = 0;
};

std::variant<ResendResult, Stop> runResend(const ReplayOptions &o, const LoadedCall &call)
{
    ResendResult r;
    // The recording's protocol unless --provider names another.
    SessionConfig cfg = o.session;
    if (!o.provider && call.hasTiming() && cfg.provider() != call.provider)
        cfg.setProvider(call.provider);
    const MediaFormat format = provider::profile(cfg.provider()).outboundFormat();
    const QList<QByteArray> frames = framesForResend(call, format, &r.padded);
    if (frames.isEmpty())
        return Stop{QStringLiteral("the recording has no outbound audio to send."), ExitUsage};
    r.frames = int(frames.size());
    r.frameMs = format.frameMs;
    r.frameBytes = format.frameBytes();
    r.url = o.url;
    QString problem;
    const std::unique_ptr<Session> session = Session::create(cfg, &problem);
    if (!session)
        return Stop{problem, ExitUsage};
    if (o.toEmulator) {
        if (!session->startEmulator(&problem))
            return Stop{problem};
        r.url = session->emulatorUrl();
    }
    SenderEngine &engine = *session->engine();
    QString engineError;
    QObject::connect(&engine, &SenderEngine::errorOccurred, &engine, [&](const QString &e) { engineError = e; });
    // The streamSid is learnt from the peer's `start`: the recorded one belongs to the old call.
    engine.connectTo(r.url);
    if (!waitUntil([&] { return engine.state() == SenderEngine::Connected || !engineError.isEmpty(); }, 15000))
        return Stop{QStringLiteral("could not connect to %1").arg(r.url.toString())};
    if (engine.state() != SenderEngine::Connected)
        return Stop{engineError};
    std::atomic<int> pushed{0};
    std::thread producer([&] {
        for (const QByteArray &f : frames) {
            if (!engine.enqueueFrame(f, true)) // back-pressure: the sender sets the pace
                break;
            ++pushed;
        }
    });
    const qint64 expectMs = qint64(frames.size()) * r.frameMs + 10000;
    r.complete = waitUntil(
        [&] { return (pushed == frames.size() && engine.queue()->size() == 0 && engine.totals().framesSent >= quint64(frames.size()))
                     || !engineError.isEmpty(); },
        expectMs, [&] {
            if (o.progress)
                err() << "\rsent " << engine.totals().framesSent << "/" << frames.size() << " frames" << Qt::flush;
        });
    engine.queue()->close();
    producer.join();
    if (o.progress)
        err() << "\n";
    if (session->hasEmulator()) {
        auto received = [&] { return session->onEmulator([](TwilioEmulator &e) { return std::pair{e.stats(), e.playout().underrunCount()}; }); };
        waitUntil([&] { return received().value_or(std::pair{ArrivalStats(), 0}).first.frames >= qint64(frames.size()); }, 3000);
        const auto got = received();
        r.viaEmulator = got.has_value();
        if (got) {
            r.received = got->first;
            r.receivedUnderruns = got->second;
        }
    }
    session->stopEngine(5000);
    r.totals = engine.totals();
    r.engineError = engineError;
    return r;
}

// Prints the re-send and, through the emulator, the original-vs-PaceLab table; returns the JSON.
QJsonObject printResend(const ResendResult &r, const Analysis &original, int *exit)
{
    const SenderTotals &tot = r.totals;
    out() << "Re-sent " << tot.framesSent << " of " << r.frames << " frames through the paced sender"
          << (r.padded ? QStringLiteral(" (last frame padded with %1 B of silence)").arg(r.padded) : QString()) << "\n";
    out() << "Sender: lateness p50/p99/max " << fmt(tot.latenessP50Us / 1000.0, 2) << "/" << fmt(tot.latenessP99Us / 1000.0, 2) << "/"
          << fmt(tot.latenessMaxUs / 1000.0, 2) << " ms, late resets " << tot.lateResets << ", final drift " << fmt(tot.finalDriftUs / 1000.0, 2) << " ms\n";
    QJsonObject resend{{QStringLiteral("framesSent"), qint64(tot.framesSent)}, {QStringLiteral("frames"), r.frames},
                       {QStringLiteral("paddedBytes"), r.padded}, {QStringLiteral("latenessP99Us"), tot.latenessP99Us},
                       {QStringLiteral("lateResets"), qint64(tot.lateResets)}, {QStringLiteral("url"), r.url.toString()}};
    if (!r.complete || !r.engineError.isEmpty()) {
        err() << "pacelab replay: re-send incomplete" << (r.engineError.isEmpty() ? QString() : QStringLiteral(": ") + r.engineError) << "\n";
        *exit = ExitFailed;
    }
    if (r.viaEmulator) {
        const ArrivalStats &p = r.received;
        const ArrivalStats &o = original.stats;
        out() << "\n                    original    PaceLab\n";
        auto row = [&](const char *name, const QString &a, const QString &b) {
            out() << QStringLiteral("%1 %2 %3\n").arg(QString::fromLatin1(name), -18).arg(a, 10).arg(b, 10);
        };
        row("frames", QString::number(o.frames), QString::number(p.frames));
        row("fps (mean)", fmt(meanSendingFps(o)), fmt(meanSendingFps(p)));
        row("delta p99 (ms)", fmt(o.deltaP99Ms), fmt(p.deltaP99Ms));
        row("delta max (ms)", fmt(o.deltaMaxMs), fmt(p.deltaMaxMs));
        row("jitter (ms)", fmt(o.jitterMs, 2), fmt(p.jitterMs, 2));
        row("bursts", QString::number(o.burstCount), QString::number(p.burstCount));
        row("underruns", QString::number(original.underruns), QString::number(r.receivedUnderruns));
        row("drift (ppm)", o.driftValid ? fmt(o.driftPpm, 0) : QStringLiteral("-"), p.driftValid ? fmt(p.driftPpm, 0) : QStringLiteral("-"));
        row(r.frameBytes == 160 ? "non-160 B frames" : "off-size frames", QString::number(o.nonStandardFrames), QString::number(p.nonStandardFrames));
        resend.insert(QStringLiteral("original"), o.toJson());
        resend.insert(QStringLiteral("pacelab"), p.toJson());
    }
    return resend;
}

// ---- --as-caller ----

struct AsCallerResult
{
    QString summaryText;
    QJsonObject summaryJson;
    QString emulatorError;
};

std::variant<AsCallerResult, Stop> runAsCaller(const ReplayOptions &o, const LoadedCall &call)
{
    const PcmBuffer pcm = pcmAudio(call, capture::Dir::In);
    if (pcm.samples.isEmpty())
        return Stop{QStringLiteral("the recording has no inbound (caller) audio."), ExitUsage};
    TwilioEmulator emu;
    EmulatorOptions eo;
    eo.caller = CallerAudio::fromPcm(pcm, false);
    eo.provider = o.provider ? *o.provider : call.hasTiming() ? call.provider : o.session.provider();
    AsCallerResult r;
    QObject::connect(&emu, &TwilioEmulator::errorOccurred, &emu, [&](const QString &e) { r.emulatorError = e; });
    if (!emu.connectToBot(o.url, eo))
        return Stop{emu.errorString()};
    const qint64 runMs = qint64(pcm.durationSec() * 1000) + 2000;
    QElapsedTimer t;
    t.start();
    waitUntil([&] { return t.elapsed() >= runMs || !r.emulatorError.isEmpty(); }, runMs + 15000, [&] {
        if (o.progress)
            err() << "\rcaller audio " << fmt(std::min<double>(t.elapsed() / 1000.0, pcm.durationSec())) << " / " << fmt(pcm.durationSec()) << " s" << Qt::flush;
    });
    if (o.progress)
        err() << "\n";
    emu.stop();
    r.summaryText = emu.summaryText();
    r.summaryJson = emu.summaryJson();
    return r;
}

// ---- the command ----

// Loads the call, runs the chosen mode and prints as it goes (a re-send takes as long as the
// call: what is known is shown first). Returns the exit code.
int replay(const ReplayOptions &o)
{
    const LoadResult lr = loadReplayCall(o);
    if (!lr.ok) {
        err() << "pacelab replay: " << o.file << ": " << lr.error << "\n";
        return ExitUsage;
    }
    const LoadedCall &call = lr.call;
    printLoaded(o, call);
    QJsonObject json{{QStringLiteral("file"), o.file}, {QStringLiteral("source"), QString::fromLatin1(sourceName(call))},
                     {QStringLiteral("provider"), QJsonObject{{QStringLiteral("name"), provider::name(call.provider)},
                                                              {QStringLiteral("reason"), call.providerReason},
                                                              {QStringLiteral("outFormat"), call.outFormat.describe()},
                                                              {QStringLiteral("inFormat"), call.inFormat.describe()}}},
                     {QStringLiteral("header"), call.header}, {QStringLiteral("notes"), QJsonArray::fromStringList(call.notes)}};
    int exit = exportWavs(o, call) ? ExitOk : ExitFailed;
    auto stopped = [](const Stop &s) {
        err() << "pacelab replay: " << s.message << "\n";
        return s.exit;
    };

    const Analysis original = analyze(call);
    switch (o.mode) {
    case ReplayOptions::Mode::Analyze:
        if (!call.hasTiming() && o.analyzeAsked)
            return stopped(Stop{QStringLiteral("a WAV has no message timing to analyse; use --send or --as-caller."), ExitUsage});
        out() << original.toText();
        json.insert(QStringLiteral("analysis"), original.toJson());
        if (original.problems)
            exit = ExitFailed;
        break;
    case ReplayOptions::Mode::Send: {
        const auto r = runResend(o, call);
        if (const Stop *s = std::get_if<Stop>(&r))
            return stopped(*s);
        json.insert(QStringLiteral("resend"), printResend(std::get<ResendResult>(r), original, &exit));
        break;
    }
    case ReplayOptions::Mode::AsCaller: {
        const auto r = runAsCaller(o, call);
        if (const Stop *s = std::get_if<Stop>(&r))
            return stopped(*s);
        const AsCallerResult &c = std::get<AsCallerResult>(r);
        out() << c.summaryText << "\n";
        json.insert(QStringLiteral("asCaller"), c.summaryJson);
        if (!c.emulatorError.isEmpty()) {
            err() << "pacelab replay: " << c.emulatorError << "\n";
            exit = ExitFailed;
        }
        break;
    }
    }

    QString error;
    if (o.jsonPath && !saveJson(*o.jsonPath, json, &error)) {
        err() << "pacelab replay: " << error << "\n";
        return ExitFailed;
    }
    return exit;
}

int replayCommand(const QStringList &args)
{
    return runCommand(kCommand, args, parseReplayOptions, replay);
}

} // namespace

PACELAB_COMMAND(replayCommandReg, "replay", "replay a recorded call of any provider (capture, JSON Lines dump, pcap or WAV): analyse, re-send, or play as caller", replayCommand);
