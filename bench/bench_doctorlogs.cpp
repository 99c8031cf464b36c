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
#include <QRandomGenerator>
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
                        << "\nusage: pacelab-bench record-doctor-logs DIR [--only NAME] [--seconds-scale X] | DIR --variants\n";
    return 2;
}


// ---- the corpus: noisy variants of the recorded logs, plus modelled bots -------------------------
// `record-doctor-logs DIR --variants` reads the engine's recordings in DIR (engine-*.log) and
// writes DIR/corpus/*.log: each recording re-logged the way production logs it (other loggers'
// prefixes, the counting window's phase shifted, ±1-2 fps of wobble that moves frames between
// neighbouring seconds, dropped lines, interleaved with a second call tagged by its call id),
// plus bots the engine cannot play (no re-anchoring, two transmit loops, 10 ms frames, a slow
// producer) from a small model. Seeded: the same recordings give the same corpus. It appends
// "file kind" lines to DIR/EXPECTED.txt, which `pacelab-bench doctor` and tst_doctor_corpus read.

struct Sec
{
    double fps, q, drops, bytes;
};

QList<Sec> readSeries(const QString &path)
{
    QList<Sec> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return out;
    qint64 n = 0;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (const auto m = doctor::parseMetricLine(line, ++n))
            out.append(Sec{m->fps, std::max(0.0, m->q), std::max(0.0, m->drops), m->bytes});
    return out;
}

QString render(int style, int sec, const Sec &s, const QString &id, QRandomGenerator &rng)
{
    const int ms = int(rng.bounded(40));
    const QString tag = id.isEmpty() ? QString() : QStringLiteral(" call_sid=%1").arg(id);
    const QString bytes = s.bytes > 0 ? QStringLiteral(" bytes=%1").arg(qRound64(s.bytes)) : QString();
    const QString hms = QStringLiteral("14:%1:%2").arg(sec / 60 % 60, 2, 10, QLatin1Char('0')).arg(sec % 60, 2, 10, QLatin1Char('0'));
    const int f = qRound(s.fps), q = qRound(s.q), d = qRound(s.drops);
    switch (style % 7) {
    case 0:
        return QStringLiteral("2026-11-28 %1,%2 INFO voicebot.tx:%3 [TX] fps=%4 q=%5 drops=%6%7").arg(hms).arg(ms, 3, 10, QLatin1Char('0')).arg(tag).arg(f).arg(q).arg(d).arg(bytes);
    case 1:
        return QStringLiteral("INFO:     tx%1 drops=%2 q=%3 fps=%4%5").arg(tag).arg(d).arg(q).arg(f).arg(bytes);
    case 2:
        return QStringLiteral("Nov 28 %1 bot-host voicebot[4242]: tx%2 fps: %3, q: %4, drops: %5").arg(hms, tag).arg(f).arg(q).arg(d);
    case 3:
        return QStringLiteral("{\"log\":\"tx%1 fps=%2 q=%3 drops=%4\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-28T%5.%6Z\"}").arg(tag).arg(f).arg(q).arg(d).arg(hms).arg(ms, 3, 10, QLatin1Char('0'));
    case 4:
        return QStringLiteral("2026-11-28T%1.%2Z stdout F {\"level\":\"info\",\"callSid\":\"%3\",\"fps\":%4,\"q\":%5,\"drops\":%6}").arg(hms).arg(ms, 3, 10, QLatin1Char('0')).arg(id).arg(f).arg(q).arg(d);
    case 5:
        return QStringLiteral("\x1b[2m%1\x1b[0m \x1b[32mINFO\x1b[0m sender%2 fps=%3 q=%4 drops=%5").arg(hms, tag).arg(f).arg(q).arg(d);
    default:
        return QStringLiteral("{\"ts\":\"2026-11-28T%1Z\",\"msg\":\"tx stats%2\",\"frames_sent_last_sec\":%3,\"tx_q_size\":%4,\"drops_last_sec\":%5}").arg(hms, tag).arg(f).arg(q).arg(d);
    }
}

// The counting window shifted by a random phase: each logged second takes part of the next.
QList<Sec> shiftPhase(const QList<Sec> &in, QRandomGenerator &rng)
{
    const double a = 0.2 + rng.bounded(0.6);
    QList<Sec> out;
    for (qsizetype i = 0; i + 1 < in.size(); ++i)
        out.append(Sec{qRound((1 - a) * in[i].fps + a * in[i + 1].fps) * 1.0, std::round((1 - a) * in[i].q + a * in[i + 1].q),
                       std::round((1 - a) * in[i].drops + a * in[i + 1].drops), in[i].bytes});
    return out;
}

// ±1-2 fps of wobble that moves frames between neighbouring seconds (a line printed a little
// late counts a frame of the next second): totals are kept.
QList<Sec> wobble(QList<Sec> s, QRandomGenerator &rng)
{
    for (qsizetype i = 0; i + 1 < s.size(); ++i) {
        if (s[i].fps < 5 || s[i + 1].fps < 5)
            continue;
        const int k = int(rng.bounded(5)) - 2;
        s[i].fps += k;
        s[i + 1].fps -= k;
    }
    return s;
}

QList<Sec> dropLines(const QList<Sec> &s, QRandomGenerator &rng)
{
    QList<Sec> out;
    for (qsizetype i = 0; i < s.size(); ++i)
        if (i < 3 || i + 3 >= s.size() || rng.bounded(10) != 0)
            out.append(s[i]);
    return out;
}

QList<Sec> botSeries(const QString &kind, QRandomGenerator &rng)
{
    QList<Sec> s;
    for (int i = 0; i < 24; ++i) {
        const double w = int(rng.bounded(3)) - 1;
        if (kind == QLatin1String("catch-up-burst")) {
            if (i == 7 || i == 16)
                s.append(Sec{10.0 + rng.bounded(6), 30, 0, -1});
            else if (i == 8 || i == 17)
                s.append(Sec{85.0 + rng.bounded(10), 2, 0, -1});
            else
                s.append(Sec{50 + w, double(rng.bounded(4)), 0, -1});
        } else if (kind == QLatin1String("two-senders")) {
            const double f = 100 + 2 * w;
            s.append(Sec{f, double(rng.bounded(2)), 0, f * 160});
        } else if (kind == QLatin1String("frame-size")) { // 10 ms frames, unpaced but steady
            const double f = 100 + 2 * w;
            s.append(Sec{f, double(rng.bounded(2)), 0, f * 80});
        } else { // producer-starved: a TTS stream delivering 55-85 % of real time, irregular
            s.append(Sec{28.0 + rng.bounded(16), double(rng.bounded(3)), 0, -1});
        }
    }
    return s;
}

int makeVariants(const QString &dir)
{
    QTextStream out(stdout);
    QDir d(dir);
    if (!d.mkpath(QStringLiteral("corpus")))
        return usage(QStringLiteral("cannot create %1/corpus").arg(dir));
    QRandomGenerator rng(20261128);
    QStringList manifest;
    const QString callA = QStringLiteral("CA5b1d") + QString(28, QLatin1Char('0'));
    const QString callB = QStringLiteral("CA77e2") + QString(28, QLatin1Char('1'));
    auto write = [&](const QString &name, const QStringList &lines, const QString &kind) {
        QFile f(d.filePath(QStringLiteral("corpus/") + name));
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return false;
        f.write((lines.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8());
        manifest << QStringLiteral("corpus/%1 %2").arg(name, kind);
        return true;
    };
    auto renderAll = [&](const QList<Sec> &s, int style, const QString &id) {
        QStringList lines;
        for (qsizetype i = 0; i < s.size(); ++i) {
            lines << render(style, int(i), s[i], id, rng);
            if (i % 5 == 2)
                lines << QStringLiteral("2026-11-28 14:00:%1,500 DEBUG voicebot.tts: chunk ready").arg(i % 60, 2, 10, QLatin1Char('0'));
        }
        return lines;
    };
    const QList<Sec> healthy = readSeries(d.filePath(QStringLiteral("engine-healthy.log")));
    struct Src { const char *file; const char *kind; };
    const Src sources[] = {{"engine-healthy.log", "healthy"}, {"engine-producer-too-fast.log", "producer-too-fast"},
                           {"engine-frames-too-big.log", "frame-size"}, {"engine-sender-stalled.log", "sender-stalled"},
                           {"engine-timer-drift.log", "timer-drift"}, {"engine-timer-drift-loaded.log", "timer-drift"}};
    int style = 0;
    for (const Src &src : sources) {
        const QList<Sec> s = readSeries(d.filePath(QString::fromLatin1(src.file)));
        if (s.isEmpty()) {
            out << "  missing or empty: " << src.file << Qt::endl;
            return 1;
        }
        const QString base = QString::fromLatin1(src.file).chopped(4);
        const QString kind = QString::fromLatin1(src.kind);
        write(base + QStringLiteral("--prefix.log"), renderAll(s, style++, QString()), kind);
        write(base + QStringLiteral("--phase.log"), renderAll(shiftPhase(s, rng), style++, QString()), kind);
        write(base + QStringLiteral("--wobble.log"), renderAll(wobble(s, rng), style++, QString()), kind);
        write(base + QStringLiteral("--dropped-lines.log"), renderAll(dropLines(wobble(s, rng), rng), style++, QString()), kind);
        // Interleaved with a healthy call, each line tagged with its call id.
        const QStringList a = renderAll(wobble(s, rng), style, callA);
        const QStringList b = renderAll(wobble(healthy, rng), style++, callB);
        QStringList mixed;
        for (qsizetype i = 0; i < std::max(a.size(), b.size()); ++i) {
            if (i < b.size())
                mixed << b[i];
            if (i < a.size())
                mixed << a[i];
        }
        write(base + QStringLiteral("--two-calls.log"), mixed, kind);
    }
    for (const char *k : {"catch-up-burst", "two-senders", "frame-size", "producer-starved"}) {
        const QString kind = QString::fromLatin1(k);
        const QString base = QStringLiteral("bot-") + kind + (kind == QLatin1String("frame-size") ? QStringLiteral("-10ms") : QString());
        const QList<Sec> s = botSeries(kind, rng);
        // Frame sizes are told apart by bytes=: those bots log it (styles 0 and 1 carry it).
        const bool bytes = kind == QLatin1String("two-senders") || kind == QLatin1String("frame-size");
        if (bytes)
            style = 0;
        write(base + QStringLiteral("--prefix.log"), renderAll(s, style++, QString()), kind);
        write(base + QStringLiteral("--phase.log"), renderAll(shiftPhase(s, rng), style++, QString()), kind);
        if (bytes)
            style = 0;
        write(base + QStringLiteral("--two-calls.log"), [&] {
            const QStringList a2 = renderAll(s, style, callA), b2 = renderAll(healthy.mid(0, s.size()), style++, callB);
            QStringList m;
            for (qsizetype i = 0; i < std::max(a2.size(), b2.size()); ++i) {
                if (i < a2.size())
                    m << a2[i];
                if (i < b2.size())
                    m << b2[i];
            }
            return m;
        }(), kind);
    }
    QFile mf(d.filePath(QStringLiteral("EXPECTED.txt")));
    QString keep;
    if (mf.open(QIODevice::ReadOnly)) {
        for (const QString &l : QString::fromUtf8(mf.readAll()).split(QLatin1Char('\n')))
            if (!l.startsWith(QStringLiteral("corpus/")) && !l.isEmpty())
                keep += l + QLatin1Char('\n');
        mf.close();
    }
    if (!mf.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return usage(QStringLiteral("cannot write %1").arg(mf.fileName()));
    mf.write((keep + manifest.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8());
    out << manifest.size() << " corpus logs written to " << d.filePath(QStringLiteral("corpus")) << Qt::endl;
    return 0;
}

int runRecordDoctorLogs(const QStringList &args)
{
    QString dir, only;
    double scale = 1.0;
    bool variants = false;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--variants")) {
            variants = true;
        } else if (args[i] == QLatin1String("--only") && i + 1 < args.size()) {
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
    if (variants)
        return makeVariants(dir);

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
