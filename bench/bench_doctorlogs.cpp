// `pacelab-bench record-doctor-logs DIR`: records the real SenderEngine, against the built-in
// emulator on loopback, in each configuration the log doctor must recognise, and writes the
// engine's own "[TX] ..." telemetry lines (as a bot's logger would print them) to
// DIR/<name>.log. The doctor's verdict tests read these files instead of running the engine in
// real time (whose fps depends on the machine's load); tests/data/README.md says how to re-record.
// Each log is checked by the doctor right after recording and the verdict printed, so a
// recording spoilt by a loaded machine is seen at once (re-run it on a quiet machine).
#include "Benchmarks.h"

#include "emulator/TwilioEmulator.h"
#include "engine/SenderEngine.h"
#include "doctor/LogDoctor.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTextStream>
#include <QThread>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

using namespace pacelab;

namespace {

const QString kSid = QStringLiteral("MZ0123456789abcdef0123456789abcdef");

void pump(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QThread::msleep(2);
    }
}

using Producer = std::function<void(SenderEngine &, std::atomic<bool> &)>;

// Real-time producer: one frame of `bytes` every `periodUs` on absolute deadlines.
Producer realTime(int bytes, qint64 periodUs, bool blocking)
{
    return [=](SenderEngine &engine, std::atomic<bool> &stop) {
        const QByteArray frame(bytes, char(0x7f));
        auto next = std::chrono::steady_clock::now();
        while (!stop) {
            engine.enqueueFrame(frame, blocking);
            next += std::chrono::microseconds(periodUs);
            std::this_thread::sleep_until(next);
        }
    };
}

// Back-pressured producer (TTS-like): audio is always waiting, the pacer alone sets the rate.
Producer backPressured(int bytes)
{
    return [=](SenderEngine &engine, std::atomic<bool> &stop) {
        const QByteArray frame(bytes, char(0x7f));
        while (!stop && engine.enqueueFrame(frame, true)) {
        }
    };
}

struct Config
{
    QString name;
    QString what; // one line, written as the log's first line
    SenderConfig sender;
    Producer producer;
    double seconds = 20;
    double stallAtSec = -1; // block the sender's own thread for stallMs at this time
    int stallMs = 0;
    doctor::Kind expect = doctor::Kind::Healthy;
};

QStringList record(const Config &c, QString *error)
{
    TwilioEmulator emu;
    EmulatorOptions eo;
    eo.streamSid = kSid;
    eo.sendInboundMedia = false;
    emu.setOptions(eo);
    if (!emu.listen(QHostAddress::LocalHost, 0)) {
        *error = QStringLiteral("emulator: %1").arg(emu.errorString());
        return {};
    }
    SenderConfig cfg = c.sender;
    cfg.pingIntervalMs = 0;
    SenderEngine engine(cfg);
    std::mutex mutex;
    QStringList lines;
    // Taken on the sender thread the moment the engine makes it, like a bot's logger; the
    // unrelated lines in between are what a real log has around the metrics.
    QObject::connect(&engine, &SenderEngine::telemetry, &engine,
                     [&](const TelemetrySnapshot &s) {
                         const QString ts = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
                         std::lock_guard lock(mutex);
                         lines << ts + QStringLiteral(" INFO bot.tx: ") + s.toLine();
                         if (s.secondIndex % 3 == 1)
                             lines << ts + QStringLiteral(" DEBUG bot.tts: synthesized chunk %1").arg(s.secondIndex);
                     },
                     Qt::DirectConnection);
    engine.connectTo(emu.serverUrl(), kSid);
    QElapsedTimer wait;
    wait.start();
    while (engine.state() != SenderEngine::Connected && wait.elapsed() < 10000)
        pump(20);
    if (engine.state() != SenderEngine::Connected) {
        *error = QStringLiteral("the engine did not connect");
        return {};
    }
    std::atomic<bool> stop{false};
    std::thread producer([&] { c.producer(engine, stop); });
    QElapsedTimer t;
    t.start();
    bool stalled = false;
    while (t.elapsed() < qint64(c.seconds * 1000)) {
        pump(50);
        if (!stalled && c.stallAtSec >= 0 && t.elapsed() >= qint64(c.stallAtSec * 1000)) {
            stalled = true;
            // A synchronous call on the sender's own thread (what a bot does when it calls
            // TTS/HTTP from its send loop).
            QObject *ctx = new QObject;
            ctx->moveToThread(engine.senderThread());
            const int ms = c.stallMs;
            QMetaObject::invokeMethod(ctx, [ctx, ms] {
                QThread::msleep(ms);
                ctx->deleteLater();
            }, Qt::QueuedConnection);
        }
    }
    stop = true;
    engine.queue()->close(); // wakes a producer blocked on back-pressure
    producer.join();
    QObject::disconnect(&engine, nullptr, nullptr, nullptr);
    engine.stop();
    pump(200);
    std::lock_guard lock(mutex);
    return lines;
}

int usage(const QString &msg)
{
    QTextStream(stderr) << "pacelab-bench record-doctor-logs: " << msg
                        << "\nusage: pacelab-bench record-doctor-logs DIR [--only NAME] [--seconds-scale X]\n";
    return 2;
}

int runRecordDoctorLogs(const QStringList &args)
{
    QString dir, only;
    double scale = 1.0;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--only") && i + 1 < args.size()) {
            only = args[++i];
        } else if (args[i] == QLatin1String("--seconds-scale") && i + 1 < args.size()) {
            bool ok = false;
            scale = args[++i].toDouble(&ok);
            if (!ok || scale < 0.2 || scale > 10)
                return usage(QStringLiteral("--seconds-scale wants 0.2..10"));
        } else if (dir.isEmpty() && !args[i].startsWith(QLatin1Char('-'))) {
            dir = args[i];
        } else {
            return usage(QStringLiteral("unexpected argument '%1'").arg(args[i]));
        }
    }
    if (dir.isEmpty())
        return usage(QStringLiteral("missing DIR (the repository's tests/data/doctor)"));
    if (!QDir().mkpath(dir))
        return usage(QStringLiteral("cannot create %1").arg(dir));

    QList<Config> configs;
    {
        Config c;
        c.name = QStringLiteral("engine-healthy");
        c.what = QStringLiteral("real-time producer (160 B every 20 ms, blocking push), absolute-deadline pacer");
        c.producer = realTime(160, 20000, true);
        c.expect = doctor::Kind::Healthy;
        configs << c;
    }
    {
        Config c;
        c.name = QStringLiteral("engine-producer-too-fast");
        c.what = QStringLiteral("producer pushing 80 frames/s with the non-blocking drop-oldest push");
        c.producer = realTime(160, 12500, false);
        c.expect = doctor::Kind::ProducerTooFast;
        configs << c;
    }
    {
        Config c;
        c.name = QStringLiteral("engine-frames-too-big");
        c.what = QStringLiteral("40 ms frames (320 B) from a real-time source: fps reads 25");
        c.producer = realTime(320, 40000, true);
        c.expect = doctor::Kind::FrameSize;
        configs << c;
    }
    {
        Config c;
        c.name = QStringLiteral("engine-sender-stalled");
        c.what = QStringLiteral("sender thread blocked 3 s by a synchronous call while a real-time producer pushes with drop-oldest");
        c.producer = realTime(160, 20000, false);
        c.stallAtSec = 8;
        c.stallMs = 3000;
        c.expect = doctor::Kind::SenderStalled;
        configs << c;
    }
    {
        Config c;
        c.name = QStringLiteral("engine-timer-drift");
        c.what = QStringLiteral("fixed-sleep pacer with a 20.4 ms interval, back-pressured (TTS-like) producer");
        c.sender.pacing = SenderConfig::Pacing::FixedSleep;
        c.sender.frameIntervalUs = 20400;
        c.producer = backPressured(160);
        c.seconds = 30;
        c.expect = doctor::Kind::TimerDrift;
        configs << c;
    }

    QTextStream out(stdout);
    int failures = 0;
    for (Config &c : configs) {
        if (!only.isEmpty() && c.name != only)
            continue;
        c.seconds *= scale;
        if (c.stallAtSec >= 0)
            c.stallAtSec *= scale;
        out << c.name << ": recording " << c.seconds << " s..." << Qt::endl;
        QString error;
        const QString started = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
        const QStringList lines = record(c, &error);
        if (lines.isEmpty()) {
            out << "  failed: " << error << Qt::endl;
            ++failures;
            continue;
        }
        const QString text = QStringLiteral("# recorded by `pacelab-bench record-doctor-logs` on %1: %2\n")
                                 .arg(started, c.what)
            + lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
        const QString path = QDir(dir).filePath(c.name + QStringLiteral(".log"));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(text.toUtf8()) < 0) {
            out << "  cannot write " << path << ": " << f.errorString() << Qt::endl;
            ++failures;
            continue;
        }
        f.close();
        const doctor::Report r = doctor::LogDoctor::analyzeText(text);
        const doctor::Kind got = r.diagnoses.isEmpty() ? doctor::Kind::TooLittleData : r.diagnoses.first().kind;
        out << "  " << lines.size() << " lines -> " << path << "\n  doctor: "
            << (r.diagnoses.isEmpty() ? QStringLiteral("-") : r.diagnoses.first().title)
            << (got == c.expect ? QStringLiteral("  (as expected)")
                                : QStringLiteral("  (EXPECTED %1: re-record on a quieter machine)").arg(doctor::kindName(c.expect)))
            << Qt::endl;
        if (got != c.expect)
            ++failures;
    }
    return failures ? 1 : 0;
}

const bench::Registrar reg("record-doctor-logs",
                           "record the real engine's [TX] logs in each doctor scenario (test data; not a benchmark)",
                           runRecordDoctorLogs);

} // namespace
