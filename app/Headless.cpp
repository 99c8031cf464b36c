#include "Headless.h"

#include "CliOutput.h"
#include "CliUtil.h"
#include "HeadlessStreams.h"
#include "SessionOptions.h"

#include "audio/WavFile.h"
#include "audioio/FrameProducer.h"
#include "audioio/PcmSource.h"
#include "session/Session.h"
#include "tts/EspeakTts.h"
#include "util/FileUtil.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QEventLoop>
#include <QTextStream>
#include <QTimer>
#include <cmath>

#include <csignal>
#include <optional>

namespace pacelab::app {

namespace {

// Generated sources run at the provider's rate (no resampling); files and speech at their own.
std::unique_ptr<audioio::PcmSource> makeSource(const HeadlessOptions &o, int rate)
{
    using namespace audioio;
    if (o.source == QLatin1String("silence"))
        return std::make_unique<SilenceSource>(rate);
    if (o.source == QLatin1String("noise"))
        return std::make_unique<NoiseSource>(o.levelDbfs, rate);
    if (o.source == QLatin1String("file")) {
        const QString path = o.file;
        return std::make_unique<BufferSource>(
            QStringLiteral("file %1").arg(path),
            [path](PcmBuffer *pcm, QString *error) {
                wav::ReadResult r = wav::readFile(path);
                if (!r.ok) {
                    *error = QStringLiteral("%1: %2").arg(path, r.error);
                    return false;
                }
                *pcm = std::move(r.pcm);
                return true;
            },
            true);
    }
    if (o.source == QLatin1String("tts")) {
        const QString text = o.text;
        return std::make_unique<BufferSource>(
            QStringLiteral("tts"),
            [text](PcmBuffer *pcm, QString *error) {
                tts::EspeakTts tts;
                if (!tts.initialize(error))
                    return false;
                std::vector<qint16> samples;
                if (!tts.synthesize(text, &samples, error))
                    return false;
                pcm->sampleRate = tts.sampleRate();
                pcm->channels = 1;
                pcm->samples = QVector<qint16>(samples.begin(), samples.end());
                return true;
            },
            false);
    }
    return std::make_unique<ToneSource>(o.toneHz, o.levelDbfs, rate);
}

} // namespace

void HeadlessOptions::addTo(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("headless"), QStringLiteral("Run without a window: stream a source through the paced sender to the built-in emulator (or --target / --listen) and print telemetry.")});
    parser.addOption({QStringLiteral("duration"), QStringLiteral("Headless run length in seconds (default 10)."), QStringLiteral("seconds")});
    parser.addOption({QStringLiteral("source"), QStringLiteral("Headless source: tone (default), silence, noise, file, tts."), QStringLiteral("kind")});
    parser.addOption({QStringLiteral("tone-hz"), QStringLiteral("Tone frequency in Hz (default 440)."), QStringLiteral("hz")});
    parser.addOption({QStringLiteral("level"), QStringLiteral("Tone/noise level in dBFS (default -12)."), QStringLiteral("dbfs")});
    parser.addOption({QStringLiteral("file"), QStringLiteral("WAV file for --source file (looped)."), QStringLiteral("path")});
    parser.addOption({QStringLiteral("text"), QStringLiteral("Text for --source tts (espeak-ng)."), QStringLiteral("text")});
    parser.addOption({QStringLiteral("target"), QStringLiteral("Send to this ws:// or wss:// peer instead of the built-in emulator."), QStringLiteral("url")});
    parser.addOption({QStringLiteral("listen"), QStringLiteral("Listen for a Twilio stream on HOST:PORT instead of using the emulator."), QStringLiteral("host:port")});
    parser.addOption({QStringLiteral("telemetry-jsonl"), QStringLiteral("Append one JSON object per telemetry second to this file."), QStringLiteral("file")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Write the run summary as JSON to this file."), QStringLiteral("file")});
    parser.addOption({QStringLiteral("capture"), QStringLiteral("Record every WebSocket message and telemetry second of the run to this capture file (JSON Lines; replay it with 'pacelab replay')."), QStringLiteral("file")});
    parser.addOption({QStringLiteral("streams"), QStringLiteral("Send N streams of the tone at once from one pacing thread to --target (1..10000)."), QStringLiteral("n")});
    addSessionOptions(parser);
}

bool HeadlessOptions::read(const QCommandLineParser &parser, QString *error)
{
    auto number = [&](const char *name, double min, double max, double *value) {
        const QString key = QString::fromLatin1(name);
        return !parser.isSet(key) || parseNumber(key, parser.value(key), min, max, value, error);
    };
    if (!number("duration", 0.1, 86400, &durationSec) || !number("tone-hz", 1, 3999, &toneHz)
        || !number("level", -120, 0, &levelDbfs))
        return false;

    if (parser.isSet(QStringLiteral("source"))) {
        source = parser.value(QStringLiteral("source"));
        static const QStringList kinds{QStringLiteral("tone"), QStringLiteral("silence"),
                                       QStringLiteral("noise"), QStringLiteral("file"),
                                       QStringLiteral("tts")};
        if (!kinds.contains(source)) {
            *error = QStringLiteral("--source must be one of %1, got '%2'.")
                         .arg(kinds.join(QStringLiteral(", ")), source);
            return false;
        }
    }
    file = parser.value(QStringLiteral("file"));
    text = parser.value(QStringLiteral("text"));
    if (source == QLatin1String("file") && file.isEmpty()) {
        *error = QStringLiteral("--source file needs --file PATH.");
        return false;
    }
    if (source == QLatin1String("file")) {
        // Fail before connecting anything: a bad file is a usage error here.
        const wav::ReadResult r = wav::readFile(file);
        if (!r.ok) {
            *error = QStringLiteral("cannot use '%1': %2").arg(file, r.error);
            return false;
        }
    }
    if (source == QLatin1String("tts") && text.trimmed().isEmpty()) {
        *error = QStringLiteral("--source tts needs --text \"...\".");
        return false;
    }
    if (parser.isSet(QStringLiteral("target")) && parser.isSet(QStringLiteral("listen"))) {
        *error = QStringLiteral("--target and --listen exclude each other.");
        return false;
    }
    if (parser.isSet(QStringLiteral("target"))
        && !parseWebSocketUrl(QStringLiteral("target"), parser.value(QStringLiteral("target")), &target, error))
        return false;
    if (parser.isSet(QStringLiteral("listen"))) {
        listen = true;
        if (!parseHostPort(QStringLiteral("listen"), parser.value(QStringLiteral("listen")), 0, &listenAddress, &listenPort, error))
            return false;
    }
    if (parser.isSet(QStringLiteral("streams"))) {
        double n = 0;
        if (!parseNumber(QStringLiteral("streams"), parser.value(QStringLiteral("streams")), 1, 10000, &n, error))
            return false;
        if (n != std::floor(n)) {
            *error = QStringLiteral("--streams wants a whole number, got '%1'.").arg(parser.value(QStringLiteral("streams")));
            return false;
        }
        streams = int(n);
        if (!parser.isSet(QStringLiteral("target"))) {
            *error = QStringLiteral("--streams needs --target URL (each stream learns its streamSid from the peer's start).");
            return false;
        }
        for (const char *excluded : {"listen", "capture"})
            if (parser.isSet(QString::fromLatin1(excluded))) {
                *error = QStringLiteral("--streams cannot be combined with --%1.").arg(QString::fromLatin1(excluded));
                return false;
            }
        if (source != QLatin1String("tone")) {
            *error = QStringLiteral("--streams sends a test tone; --source %1 is not supported with it.").arg(source);
            return false;
        }
    }
    telemetryJsonl = parser.value(QStringLiteral("telemetry-jsonl"));
    summaryJson = parser.value(QStringLiteral("json"));
    capturePath = parser.value(QStringLiteral("capture"));
    // Outputs are checked before anything runs: a run must not end by failing to save.
    for (const auto &[option, path] : {std::pair{QStringLiteral("telemetry-jsonl"), telemetryJsonl},
                                       std::pair{QStringLiteral("json"), summaryJson},
                                       std::pair{QStringLiteral("capture"), capturePath}})
        if (!path.isEmpty() && !checkOutputOption(option, path, error))
            return false;
    session.sender.telemetryJsonlPath = telemetryJsonl;
    session.capturePath = capturePath;
    session.captureHeader = QJsonObject{{QStringLiteral("source"), source},
                                        {QStringLiteral("tool"), QStringLiteral("pacelab --headless")}};
    return readSessionOptions(parser, &session, error);
}

namespace {

// What a headless session ended with, for printHeadless.
struct HeadlessRun
{
    std::optional<int> earlyExit; // the session could not start (the message is printed)
    int exitCode = 0;             // 1 after an engine or source error
    SenderTotals totals;
    qint64 drops = 0;
    bool withEmulator = false;
    QString emulatorText;
    QJsonObject emulatorJson;
    std::optional<qint64> captureRecords; // set when a capture was written
    QString captureError;                 // the capture could not be written completely
};

// Streams the source through the sender for the duration; the per-second [TX]/[RX] lines and
// the log are printed as they come.
HeadlessRun runSession(const HeadlessOptions &opts)
{
    HeadlessRun run;
    auto early = [&run](int code) {
        run.earlyExit = code;
        return run;
    };
    QString problem;
    const std::unique_ptr<Session> session = Session::create(opts.session, &problem);
    if (!session) {
        err() << "pacelab: " << problem << "\n";
        return early(2);
    }
    QObject context; // the printing slots run on this (the main) thread
    if (opts.target.isEmpty() && !opts.listen) {
        if (!session->startEmulator(&problem)) {
            err() << "pacelab: " << problem << "\n";
            return early(1);
        }
        QObject::connect(session->emulator(), &TwilioEmulator::secondTick, &context, [](const PerSecondRx &rx) {
            out() << rx.toLine() << "\n";
            out().flush();
        });
        QObject::connect(session->emulator(), &TwilioEmulator::violation, &context, [](const Violation &v) {
            err() << "[RX] violation " << v.code << ": " << v.message << "\n";
        });
    }

    SenderEngine &engine = *session->engine();
    int exitCode = 0;
    QObject::connect(&engine, &SenderEngine::telemetry, &context, [](const TelemetrySnapshot &s) {
        out() << s.toLine() << "\n";
        out().flush();
    });
    QObject::connect(&engine, &SenderEngine::logMessage, &context, [](const QString &level, const QString &text) {
        err() << "[" << level << "] " << text << "\n";
    });
    QObject::connect(&engine, &SenderEngine::errorOccurred, &context, [&exitCode](const QString &message) {
        err() << "pacelab: " << message << "\n";
        exitCode = 1;
        QCoreApplication::quit();
    });

    const MediaFormat format = engine.format();
    audioio::FrameProducer producer(makeSource(opts, format.sampleRate), engine.queue(),
                                    audioio::FrameProducer::Policy::BackPressure, format);
    QObject::connect(&producer, &audioio::FrameProducer::finished,
                     [&exitCode](const QString &reason, bool error) {
                         if (error) {
                             err() << "pacelab: source failed: " << reason << "\n";
                             exitCode = 1;
                             QCoreApplication::quit();
                         }
                     });

    QString peer;
    if (session->hasEmulator()) {
        peer = QStringLiteral("built-in emulator at %1").arg(session->emulatorUrl().toString());
        engine.connectTo(session->emulatorUrl());
    } else if (opts.listen) {
        const provider::Id id = engine.config().provider;
        peer = QStringLiteral("%1 (listening on %2:%3)")
                   .arg(id == provider::Id::Twilio ? QStringLiteral("Twilio") : provider::profile(id).displayName(),
                        opts.listenAddress.toString())
                   .arg(opts.listenPort);
        engine.listen(opts.listenAddress, opts.listenPort);
    } else {
        peer = opts.target.toString();
        engine.connectTo(opts.target);
    }
    out() << "pacelab " << PACELAB_VERSION << ": " << opts.source << " -> " << peer << " for "
          << opts.durationSec << " s\n";
    out() << providerLine(engine.config()) << "\n";
    out().flush();
    producer.start();

    runEventLoopFor(opts.durationSec);

    producer.stop();
    // Stop (drain) before reading the totals: the sender publishes them once a second and on
    // stop, so read earlier they miss up to a second of frames the peer did receive.
    session->stopEngine(engine.config().drainTimeoutMs + 5000);
    run.exitCode = exitCode;
    run.totals = engine.totals();
    run.drops = qint64(engine.queue()->totalDrops());
    if (session->hasEmulator())
        session->waitEmulatorFrames(qint64(run.totals.framesSent), 3000);
    if (const auto summary = session->onEmulator([](TwilioEmulator &e) { return std::pair{e.summaryText(), e.summaryJson()}; })) {
        run.withEmulator = true;
        run.emulatorText = summary->first;
        run.emulatorJson = summary->second;
    }
    if (session->hasCapture()) {
        // closeCapture() moves <path>.part to <path>; a write error (disk full) is reported.
        const qint64 records = session->closeCapture(&run.captureError);
        if (records >= 0)
            run.captureRecords = records;
    }
    return run;
}

// The [TX] summary, the emulator's summary, the capture line and the --json file.
int printHeadless(const HeadlessOptions &opts, const HeadlessRun &run)
{
    const SenderTotals &totals = run.totals;
    QJsonObject summary{
        {QStringLiteral("framesSent"), qint64(totals.framesSent)},
        {QStringLiteral("lateResets"), qint64(totals.lateResets)},
        {QStringLiteral("latenessP50Us"), totals.latenessP50Us},
        {QStringLiteral("latenessP99Us"), totals.latenessP99Us},
        {QStringLiteral("latenessMaxUs"), totals.latenessMaxUs},
        {QStringLiteral("finalDriftUs"), totals.finalDriftUs},
        {QStringLiteral("offThreadWrites"), qint64(totals.offThreadWrites)},
        {QStringLiteral("dropsTotal"), run.drops},
    };
    out() << QStringLiteral("[TX] summary: frames=%1 drops=%2 late_resets=%3 lateness p50=%4us p99=%5us max=%6us drift=%7us\n")
                 .arg(totals.framesSent).arg(run.drops).arg(totals.lateResets)
                 .arg(totals.latenessP50Us).arg(totals.latenessP99Us).arg(totals.latenessMaxUs)
                 .arg(totals.finalDriftUs);
    if (run.withEmulator) {
        out() << run.emulatorText << "\n";
        summary.insert(QStringLiteral("emulator"), run.emulatorJson);
    }
    out().flush();
    int exitCode = run.exitCode;
    if (!run.captureError.isEmpty()) {
        err() << "pacelab: " << run.captureError << "\n";
        exitCode = 1;
    } else if (run.captureRecords) {
        out() << "capture: " << *run.captureRecords << " records in " << opts.capturePath << "\n";
    }
    QString writeError;
    if (!opts.summaryJson.isEmpty() && !saveFileAtomically(opts.summaryJson, QJsonDocument(summary).toJson(), &writeError)) {
        err() << "pacelab: " << writeError << "\n";
        return 1;
    }
    return exitCode;
}

} // namespace

QString providerLine(const SenderConfig &cfg)
{
    const provider::Profile &p = provider::profile(cfg.provider);
    QString line = QStringLiteral("[TX] provider=%1 %2").arg(p.name(), cfg.outboundFormat().describe());
    if (p.outboundAudioIsBinary())
        line += QStringLiteral(", binary messages");
    return line;
}

int runHeadless(const HeadlessOptions &opts)
{
    if (opts.streams > 0)
        return runHeadlessStreams(HeadlessStreamsOptions::fromHeadless(opts, opts.streams));
    const HeadlessRun run = runSession(opts);
    const int rc = run.earlyExit ? *run.earlyExit : printHeadless(opts, run);
    out().flush();
    err().flush();
    return rc;
}

} // namespace pacelab::app
