// `pacelab replay FILE [--analyze|--send URL|--as-caller URL] [--json FILE]`: a recorded call
// (PaceLab capture, Twilio-style dump or WAV) analysed, re-sent through the paced sender, or
// played as the caller to a bot.
#include "CliUtil.h"
#include "Commands.h"

#include "emulator/TwilioEmulator.h"
#include "engine/SenderEngine.h"
#include "replay/Replay.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QThread>
#include <QUrl>

#include <atomic>
#include <cmath>
#include <thread>

using namespace pacelab;
using namespace pacelab::replay;

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

} // namespace

static int runReplay(const QStringList &args)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Replays a recorded call: a PaceLab capture (JSON Lines), a Twilio-style JSON Lines dump of "
        "media events, or a WAV file.\n"
        "  --analyze (default): the recorded outbound timing through the emulator's arrival "
        "analytics and playout model, with verdicts.\n"
        "  --send URL: the outbound audio, re-cut into 20 ms frames, through PaceLab's paced "
        "sender to URL (ws:// or wss://) or to the built-in emulator (URL = emulator), compared "
        "with the original pacing.\n"
        "  --as-caller URL: the inbound audio played as the caller to a bot at URL.\n"
        "Exit status: 0 fine, 1 problems found or the run failed, 2 bad usage or unreadable input."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Capture, dump or WAV file."));
    const QCommandLineOption analyzeOpt(QStringLiteral("analyze"), QStringLiteral("Analyse the recorded timing (default)."));
    const QCommandLineOption sendOpt(QStringLiteral("send"), QStringLiteral("Re-send the outbound audio to URL, or to the built-in emulator with 'emulator'."), QStringLiteral("URL"));
    const QCommandLineOption callerOpt(QStringLiteral("as-caller"), QStringLiteral("Play the inbound audio as the caller to the bot at URL."), QStringLiteral("URL"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Write the results as JSON to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption outWavOpt(QStringLiteral("export-out"), QStringLiteral("Write the outbound (bot) audio to a WAV file."), QStringLiteral("WAV"));
    const QCommandLineOption inWavOpt(QStringLiteral("export-in"), QStringLiteral("Write the inbound (caller) audio to a WAV file."), QStringLiteral("WAV"));
    const QCommandLineOption pcmOpt(QStringLiteral("pcm16"), QStringLiteral("Export WAVs as PCM16 instead of mu-law."));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"), QStringLiteral("No progress line."));
    parser.addOptions({analyzeOpt, sendOpt, callerOpt, jsonOpt, outWavOpt, inWavOpt, pcmOpt, quietOpt});

    QStringList argv{args.value(0, QStringLiteral("pacelab")) + QStringLiteral(" replay")};
    argv += args.mid(2);
    if (!parser.parse(argv)) {
        err << "pacelab replay: " << parser.errorText() << "\nTry 'pacelab replay --help'.\n";
        return app::ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out << parser.helpText();
        return app::ExitOk;
    }
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 1) {
        err << "pacelab replay: " << (pos.isEmpty() ? "missing FILE" : "exactly one FILE expected")
            << ".\nUsage: pacelab replay FILE [--analyze|--send URL|--as-caller URL] [--json FILE]\n";
        return app::ExitUsage;
    }
    const int modes = int(parser.isSet(analyzeOpt)) + int(parser.isSet(sendOpt)) + int(parser.isSet(callerOpt));
    if (modes > 1) {
        err << "pacelab replay: choose one of --analyze, --send and --as-caller.\n";
        return app::ExitUsage;
    }
    QUrl url;
    QString urlError;
    const bool toEmulator = parser.value(sendOpt) == QLatin1String("emulator");
    if (parser.isSet(sendOpt) && !toEmulator && !app::parseWebSocketUrl(QStringLiteral("send"), parser.value(sendOpt), &url, &urlError)) {
        err << "pacelab replay: " << urlError << " (or --send emulator).\n";
        return app::ExitUsage;
    }
    if (parser.isSet(callerOpt) && !app::parseWebSocketUrl(QStringLiteral("as-caller"), parser.value(callerOpt), &url, &urlError)) {
        err << "pacelab replay: " << urlError << ".\n";
        return app::ExitUsage;
    }
    const bool progress = !parser.isSet(quietOpt);

    LoadOptions lo;
    bool progressShown = false;
    if (progress)
        lo.progress = [&](qint64 done, qint64 total) {
            progressShown = true;
            err << "\rreading " << fmt(done / 1e6) << (total > 0 ? QStringLiteral(" / %1").arg(fmt(total / 1e6)) : QString()) << " MB" << Qt::flush;
        };
    const LoadResult lr = loadCall(pos.first(), lo);
    if (progressShown)
        err << "\r" << QString(40, QLatin1Char(' ')) << "\r" << Qt::flush;
    if (!lr.ok) {
        err << "pacelab replay: " << pos.first() << ": " << lr.error << "\n";
        return app::ExitUsage;
    }
    const LoadedCall &call = lr.call;
    const char *sourceName = call.source == LoadedCall::Source::Capture ? "PaceLab capture"
        : call.source == LoadedCall::Source::TwilioDump                 ? "Twilio-style dump"
                                                                        : "WAV";
    out << pos.first() << ": " << sourceName;
    if (call.hasTiming())
        out << ", " << call.outMessages << " outbound / " << call.inMessages << " inbound message(s), "
            << fmt(call.outAudioSec(), 2) << " s out / " << fmt(call.inAudioSec(), 2) << " s in";
    else
        out << ", " << fmt(call.wavPcm.durationSec(), 2) << " s, " << call.wavPcm.sampleRate << " Hz x" << call.wavPcm.channels;
    out << "\n";
    for (const capture::ReadError &e : call.errors.mid(0, 5))
        err << "warning: " << e.message << "\n";

    QJsonObject json{{QStringLiteral("file"), pos.first()}, {QStringLiteral("source"), QString::fromLatin1(sourceName)},
                     {QStringLiteral("header"), call.header}, {QStringLiteral("notes"), QJsonArray::fromStringList(call.notes)}};
    int exit = app::ExitOk;

    const wav::Encoding enc = parser.isSet(pcmOpt) ? wav::Encoding::Pcm16 : wav::Encoding::Mulaw;
    for (const auto &[opt, dir] : {std::pair{outWavOpt, capture::Dir::Out}, std::pair{inWavOpt, capture::Dir::In}}) {
        if (!parser.isSet(opt))
            continue;
        QString e;
        if (!exportWav(call, dir, parser.value(opt), enc, &e)) {
            err << "pacelab replay: export to " << parser.value(opt) << " failed: " << e << "\n";
            exit = app::ExitFailed;
        } else {
            out << "wrote " << parser.value(opt) << "\n";
        }
    }

    const Analysis original = analyze(call);
    if (modes == 0 || parser.isSet(analyzeOpt)) {
        if (!call.hasTiming() && parser.isSet(analyzeOpt)) {
            err << "pacelab replay: a WAV has no message timing to analyse; use --send or --as-caller.\n";
            return app::ExitUsage;
        }
        out << original.toText();
        json.insert(QStringLiteral("analysis"), original.toJson());
        if (original.problems)
            exit = app::ExitFailed;
    } else if (parser.isSet(sendOpt)) {
        int padded = 0;
        const QList<QByteArray> frames = framesForResend(call, &padded);
        if (frames.isEmpty()) {
            err << "pacelab replay: the recording has no outbound audio to send.\n";
            return app::ExitUsage;
        }
        std::unique_ptr<TwilioEmulator> emu;
        if (toEmulator) {
            emu = std::make_unique<TwilioEmulator>();
            EmulatorOptions eo;
            eo.sendInboundMedia = false;
            emu->setOptions(eo);
            if (!emu->listen(QHostAddress::LocalHost, 0)) {
                err << "pacelab replay: emulator: " << emu->errorString() << "\n";
                return app::ExitFailed;
            }
            url = emu->serverUrl();
        }
        SenderEngine engine;
        QString engineError;
        QObject::connect(&engine, &SenderEngine::errorOccurred, &engine, [&](const QString &e) { engineError = e; });
        // The streamSid is learnt from the peer's `start`: the recorded one belongs to the old call.
        engine.connectTo(url);
        if (!waitUntil([&] { return engine.state() == SenderEngine::Connected || !engineError.isEmpty(); }, 15000)) {
            err << "pacelab replay: could not connect to " << url.toString() << "\n";
            return app::ExitFailed;
        }
        if (engine.state() != SenderEngine::Connected) {
            err << "pacelab replay: " << engineError << "\n";
            return app::ExitFailed;
        }
        std::atomic<int> pushed{0};
        std::thread producer([&] {
            for (const QByteArray &f : frames) {
                if (!engine.enqueueFrame(f, true)) // back-pressure: the sender sets the pace
                    break;
                ++pushed;
            }
        });
        const qint64 expectMs = qint64(frames.size()) * 20 + 10000;
        const bool done = waitUntil(
            [&] { return (pushed == frames.size() && engine.queue()->size() == 0 && engine.totals().framesSent >= quint64(frames.size()))
                         || !engineError.isEmpty(); },
            expectMs, [&] {
                if (progress)
                    err << "\rsent " << engine.totals().framesSent << "/" << frames.size() << " frames" << Qt::flush;
            });
        engine.queue()->close();
        producer.join();
        if (progress)
            err << "\n";
        ArrivalStats received;
        int receivedUnderruns = 0;
        if (emu) {
            waitUntil([&] { return emu->stats().frames >= qint64(frames.size()); }, 3000);
            received = emu->stats();
            receivedUnderruns = emu->playout().underrunCount();
        }
        engine.stop();
        waitUntil([&] { return engine.state() == SenderEngine::Idle || engine.state() == SenderEngine::Error; }, 5000);
        const SenderTotals tot = engine.totals();
        out << "Re-sent " << tot.framesSent << " of " << frames.size() << " frames through the paced sender"
            << (padded ? QStringLiteral(" (last frame padded with %1 B of silence)").arg(padded) : QString()) << "\n";
        out << "Sender: lateness p50/p99/max " << fmt(tot.latenessP50Us / 1000.0, 2) << "/" << fmt(tot.latenessP99Us / 1000.0, 2) << "/"
            << fmt(tot.latenessMaxUs / 1000.0, 2) << " ms, late resets " << tot.lateResets << ", final drift " << fmt(tot.finalDriftUs / 1000.0, 2) << " ms\n";
        QJsonObject resend{{QStringLiteral("framesSent"), qint64(tot.framesSent)}, {QStringLiteral("frames"), frames.size()},
                           {QStringLiteral("paddedBytes"), padded}, {QStringLiteral("latenessP99Us"), tot.latenessP99Us},
                           {QStringLiteral("lateResets"), qint64(tot.lateResets)}, {QStringLiteral("url"), url.toString()}};
        if (!done || !engineError.isEmpty()) {
            err << "pacelab replay: re-send incomplete" << (engineError.isEmpty() ? QString() : QStringLiteral(": ") + engineError) << "\n";
            exit = app::ExitFailed;
        }
        if (emu) {
            const ArrivalStats &p = received;
            const ArrivalStats &o = original.stats;
            out << "\n                    original    PaceLab\n";
            auto row = [&](const char *name, const QString &a, const QString &b) {
                out << QStringLiteral("%1 %2 %3\n").arg(QString::fromLatin1(name), -18).arg(a, 10).arg(b, 10);
            };
            row("frames", QString::number(o.frames), QString::number(p.frames));
            row("fps (mean)", fmt(meanSendingFps(o)), fmt(meanSendingFps(p)));
            row("delta p99 (ms)", fmt(o.deltaP99Ms), fmt(p.deltaP99Ms));
            row("delta max (ms)", fmt(o.deltaMaxMs), fmt(p.deltaMaxMs));
            row("jitter (ms)", fmt(o.jitterMs, 2), fmt(p.jitterMs, 2));
            row("bursts", QString::number(o.burstCount), QString::number(p.burstCount));
            row("underruns", QString::number(original.underruns), QString::number(receivedUnderruns));
            row("drift (ppm)", o.driftValid ? fmt(o.driftPpm, 0) : QStringLiteral("-"), p.driftValid ? fmt(p.driftPpm, 0) : QStringLiteral("-"));
            row("non-160 B frames", QString::number(o.nonStandardFrames), QString::number(p.nonStandardFrames));
            resend.insert(QStringLiteral("original"), o.toJson());
            resend.insert(QStringLiteral("pacelab"), p.toJson());
        }
        json.insert(QStringLiteral("resend"), resend);
    } else if (parser.isSet(callerOpt)) {
        const PcmBuffer pcm = pcmAudio(call, capture::Dir::In);
        if (pcm.samples.isEmpty()) {
            err << "pacelab replay: the recording has no inbound (caller) audio.\n";
            return app::ExitUsage;
        }
        TwilioEmulator emu;
        EmulatorOptions eo;
        eo.caller = CallerAudio::fromPcm(pcm, false);
        QString emuError;
        QObject::connect(&emu, &TwilioEmulator::errorOccurred, &emu, [&](const QString &e) { emuError = e; });
        if (!emu.connectToBot(url, eo)) {
            err << "pacelab replay: " << emu.errorString() << "\n";
            return app::ExitFailed;
        }
        const qint64 runMs = qint64(pcm.durationSec() * 1000) + 2000;
        QElapsedTimer t;
        t.start();
        waitUntil([&] { return t.elapsed() >= runMs || !emuError.isEmpty(); }, runMs + 15000, [&] {
            if (progress)
                err << "\rcaller audio " << fmt(std::min<double>(t.elapsed() / 1000.0, pcm.durationSec())) << " / " << fmt(pcm.durationSec()) << " s" << Qt::flush;
        });
        if (progress)
            err << "\n";
        emu.stop();
        out << emu.summaryText() << "\n";
        json.insert(QStringLiteral("asCaller"), emu.summaryJson());
        if (!emuError.isEmpty()) {
            err << "pacelab replay: " << emuError << "\n";
            exit = app::ExitFailed;
        }
    }

    if (parser.isSet(jsonOpt)) {
        QFile f(parser.value(jsonOpt));
        const QByteArray data = QJsonDocument(json).toJson(QJsonDocument::Indented);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(data) != data.size()) {
            err << "pacelab replay: cannot write " << parser.value(jsonOpt) << ": " << f.errorString() << "\n";
            return app::ExitFailed;
        }
    }
    return exit;
}

PACELAB_COMMAND(replayCommand, "replay", "replay a recorded call (capture, Twilio dump or WAV): analyse, re-send, or play as caller", runReplay);
