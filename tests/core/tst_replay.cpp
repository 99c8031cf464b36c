// Replay: analysis of recorded timing gives the same figures as feeding the analytics live;
// audio extraction / WAV export; WAV and dump sources; hostile files (time jumps, cut captures,
// a capture writer killed mid-run). Log doctor on logs the real engine wrote once
// (tests/data/doctor, re-recorded with `pacelab-bench record-doctor-logs`) and on noisy variants
// synthesized from them; one real-time smoke run (engine -> capture -> doctor) asserts no figure.
// Over 500 lines: these share the capture-building helpers and the pacelab-binary runner.
#include "emulator/TwilioEmulator.h"
#include "engine/SenderEngine.h"
#include "replay/Capture.h"
#include "replay/LogDoctor.h"
#include "replay/Replay.h"
#include "twilio/TwilioMessages.h"
#include "audio/G711.h"
#include "audio/SignalGenerator.h"

#include <QBuffer>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <limits>
#include <memory>
#include <thread>

using namespace pacelab;
using namespace pacelab::replay;

namespace {

const QString kSid = QStringLiteral("MZ0123456789abcdef0123456789abcdef");

struct Arrival
{
    qint64 tUs;
    enum { Media, Mark, Clear } what;
    int bytes;
    QString name;
};

// A bot's outbound traffic with the usual faults: jitter, a burst, a 320 B frame, a long gap,
// marks and a clear.
QList<Arrival> syntheticArrivals()
{
    QRandomGenerator rng(11);
    QList<Arrival> list;
    qint64 t = 5'000'000'000; // steady clocks start anywhere
    for (int i = 0; i < 400; ++i) {
        t += 20000 + qint64(rng.bounded(3001)) - 1500;
        if (i == 120)
            t += 300000; // a gap: underrun
        if (i >= 200 && i < 230)
            t -= 19000; // a burst
        list.append({t, Arrival::Media, i == 50 ? 320 : 160, {}});
        if (i % 100 == 99)
            list.append({t + 10, Arrival::Mark, 0, QStringLiteral("m%1").arg(i)});
        if (i == 300)
            list.append({t + 20, Arrival::Clear, 0, {}});
    }
    return list;
}

QByteArray captureOf(const QList<Arrival> &arrivals, qint64 originUs)
{
    QByteArray bytes;
    QBuffer buf(&bytes);
    buf.open(QIODevice::WriteOnly);
    capture::CaptureWriter w;
    w.open(&buf);
    w.recordMessage(capture::Dir::In, capture::MsgKind::Text, twilio::encodeConnected(), originUs);
    for (const Arrival &a : arrivals) {
        QByteArray msg;
        if (a.what == Arrival::Media)
            msg = twilio::encodeMedia(kSid, QByteArray(a.bytes, char(0x55)));
        else if (a.what == Arrival::Mark)
            msg = twilio::encodeMark(kSid, a.name);
        else
            msg = twilio::encodeClear(kSid);
        w.recordMessage(capture::Dir::Out, capture::MsgKind::Text, msg, a.tUs);
    }
    w.close();
    return bytes;
}

LoadedCall load(QByteArray bytes)
{
    QBuffer buf(&bytes);
    buf.open(QIODevice::ReadOnly);
    LoadResult r = loadCall(&buf);
    if (!r.ok)
        qWarning("load failed: %s", qPrintable(r.error));
    return r.call;
}

// ---- recorded engine logs (tests/data/doctor) ---------------------------------------------------
// The log doctor's verdicts are tested on logs the real engine wrote once (pacelab-bench
// record-doctor-logs, tests/data/README.md) and on noisy variants synthesized from them: never on
// an engine running in real time, whose fps depends on the machine's load.

QString dataPath(const QString &rel)
{
    return QStringLiteral(PACELAB_TEST_DATA_DIR "/") + rel;
}

QByteArray readData(const QString &rel)
{
    QFile f(dataPath(rel));
    if (!f.open(QIODevice::ReadOnly))
        qWarning("cannot read %s", qPrintable(f.fileName()));
    return f.readAll();
}

struct Second
{
    double fps = 0, q = 0, drops = 0;
};

QList<Second> metricSeries(const QByteArray &log)
{
    QList<Second> out;
    qint64 n = 0;
    for (const QByteArray &line : log.split('\n'))
        if (const auto m = doctor::parseMetricLine(line, ++n))
            out.append({m->fps, std::max(0.0, m->q), std::max(0.0, m->drops)});
    return out;
}

// As a bot's logger prints it, with unrelated lines around.
QString render(const QList<Second> &series)
{
    QStringList lines{QStringLiteral("2026-11-25T12:00:00.000Z INFO bot: call started")};
    for (int i = 0; i < series.size(); ++i) {
        const Second &s = series[i];
        lines << QStringLiteral("2026-11-25T12:%1:%2.154Z INFO bot.tx: [TX] fps=%3 q=%4 drops=%5 late=0")
                     .arg(i / 60 % 60, 2, 10, QLatin1Char('0'))
                     .arg(i % 60, 2, 10, QLatin1Char('0'))
                     .arg(qRound(s.fps))
                     .arg(qRound(s.q))
                     .arg(qRound(s.drops));
        if (i % 4 == 2)
            lines << QStringLiteral("2026-11-25T12:00:00.500Z DEBUG bot.tts: synthesized chunk %1").arg(i);
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

// The same run with the second boundaries moved by phi (0..1 s): each second's frames and drops
// are spread evenly over it and re-counted in the shifted windows (totals kept); q is read at
// the shifted boundary.
QList<Second> rephase(const QList<Second> &in, double phi)
{
    auto cumulative = [&](double x, auto field) {
        double c = 0;
        for (int i = 0; i < in.size() && i < x; ++i)
            c += field(in[i]) * std::min(1.0, x - i);
        return c;
    };
    auto fps = [](const Second &s) { return s.fps; };
    auto drops = [](const Second &s) { return s.drops; };
    QList<Second> out;
    for (int k = 0; k + 1 < in.size(); ++k) {
        Second s;
        s.fps = std::round(cumulative(k + 1 + phi, fps)) - std::round(cumulative(k + phi, fps));
        s.drops = std::round(cumulative(k + 1 + phi, drops)) - std::round(cumulative(k + phi, drops));
        s.q = std::round((1 - phi) * in[k].q + phi * in[k + 1].q);
        out.append(s);
    }
    return out;
}

// Frames crossing second boundaries: at each boundary 0, ±1 or now and then ±2 frames move to the
// neighbouring second (the total is kept, no second goes negative).
QList<Second> wobble(QList<Second> s, QRandomGenerator &rng)
{
    for (int i = 0; i + 1 < s.size(); ++i) {
        const int r = int(rng.bounded(100));
        int d = r < 70 ? 0 : r < 95 ? 1 : 2;
        if (rng.bounded(2))
            d = -d;
        d = std::clamp(d, -int(s[i + 1].fps), int(s[i].fps));
        s[i].fps -= d;
        s[i + 1].fps += d;
    }
    return s;
}

// A lost (or filtered) log line somewhere inside the run: any but the one that carries the
// failure (the lowest fps, the most drops), without which no reader could tell.
QList<Second> dropOne(QList<Second> s, QRandomGenerator &rng)
{
    if (s.size() <= 4)
        return s;
    qsizetype minFps = 0, maxDrops = 0;
    for (qsizetype i = 0; i < s.size(); ++i) {
        if (s[i].fps < s[minFps].fps)
            minFps = i;
        if (s[i].drops > s[maxDrops].drops)
            maxDrops = i;
    }
    qsizetype victim = minFps;
    while (victim == minFps || victim == maxDrops)
        victim = 1 + rng.bounded(int(s.size()) - 2);
    s.removeAt(victim);
    return s;
}

QString firstVerdict(const doctor::Report &r)
{
    return r.diagnoses.isEmpty() ? QStringLiteral("(none)") : r.diagnoses.first().title;
}

} // namespace

class TestReplay final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void analyzeMatchesLiveFeeding();
    void analyzeVerdicts();
    void exportWavPerDirection();
    void wavSource();
    void dumpSource();
    void badFiles();
    void resendFrames();
    void audioCapNoted();
    void liveSessionCapturedAndReplayed();
    void doctorReadsCaptureTelemetry();
    void commandLine();

    // log doctor on logs the real engine wrote (recorded), and noisy variants of them
    void recordedEngineLogs_data();
    void recordedEngineLogs();
    void synthesizedVariants_data();
    void synthesizedVariants();
    void engineSmokeCaptureToDoctor();

    // hostile input
    void timeJumpsHandledInLinearTime_data();
    void timeJumpsHandledInLinearTime();
    void inMemoryTimeJumps();
    void hostileFilesThroughCommandLine_data();
    void hostileFilesThroughCommandLine();
    void truncatedCaptureLoads();
    void killedWhileWritingCapture();
};

void TestReplay::analyzeMatchesLiveFeeding()
{
    const QList<Arrival> arrivals = syntheticArrivals();
    const qint64 origin = arrivals.first().tUs - 15000;
    // "Live": exactly what the emulator does on each message.
    ArrivalAnalytics live;
    PlayoutModel livePlayout;
    live.setOriginUs(origin);
    for (const Arrival &a : arrivals) {
        livePlayout.advance(a.tUs);
        if (a.what == Arrival::Media) {
            QVERIFY(livePlayout.feed(a.tUs, a.bytes));
            live.addFrame(a.tUs, a.bytes);
        } else if (a.what == Arrival::Mark) {
            livePlayout.mark(a.tUs, a.name);
        } else {
            live.reanchor();
            livePlayout.clear(a.tUs);
        }
    }
    livePlayout.advance(arrivals.last().tUs + livePlayout.bufferedUs() + 1);

    const LoadedCall call = load(captureOf(arrivals, origin));
    QCOMPARE(call.outMessages, arrivals.size());
    QCOMPARE(call.originUs, origin);
    const Analysis a = analyze(call);
    QCOMPARE(a.stats.toJson(), live.stats().toJson());
    QCOMPARE(a.playout, livePlayout.toJson());
    QCOMPARE(a.stats.frames, 400);
    QVERIFY(a.stats.burstCount > 0);
    QCOMPARE(a.underruns, livePlayout.underrunCount());
    QVERIFY(a.underruns >= 1);
    QCOMPARE(a.marksSent, 4);
    QCOMPARE(a.clears, 1);
    QCOMPARE(a.perSecond.size(), int((arrivals.last().tUs - origin) / 1'000'000));
}

void TestReplay::analyzeVerdicts()
{
    const QList<Arrival> arrivals = syntheticArrivals();
    const Analysis bad = analyze(load(captureOf(arrivals, arrivals.first().tUs)));
    QVERIFY(bad.problems);
    const QString text = bad.toText();
    QVERIFY2(text.contains(QStringLiteral("not 160 B")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("burst")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("underrun")), qPrintable(text));

    QList<Arrival> clean;
    for (int i = 0; i < 250; ++i)
        clean.append({1'000'000 + i * 20000, Arrival::Media, 160, {}});
    const Analysis good = analyze(load(captureOf(clean, 1'000'000)));
    QVERIFY2(!good.problems, qPrintable(good.toText()));
    QVERIFY(good.verdicts.first().startsWith(QStringLiteral("ok:")));

    // Binary frames and invalid JSON from the bot are violations, as live.
    QByteArray bytes;
    QBuffer buf(&bytes);
    buf.open(QIODevice::WriteOnly);
    capture::CaptureWriter w;
    w.open(&buf);
    w.recordMessage(capture::Dir::Out, capture::MsgKind::Binary, QByteArray(160, 1), 10);
    w.recordMessage(capture::Dir::Out, capture::MsgKind::Text, "{\"event\":\"media\"", 20);
    w.close();
    const Analysis v = analyze(load(bytes));
    QCOMPARE(v.violationCount, 2);
    QCOMPARE(v.violationsByCode.value(31950), 1);
    QCOMPARE(v.violationsByCode.value(31951), 1);
}

void TestReplay::exportWavPerDirection()
{
    QByteArray bytes;
    QBuffer buf(&bytes);
    buf.open(QIODevice::WriteOnly);
    capture::CaptureWriter w;
    w.open(&buf);
    const QVector<qint16> tone = pacelab::signal::sine(8000, 0.2, 440.0);
    const QByteArray toneMu = g711::encodeMulaw(tone.constData(), tone.size());
    for (int i = 0; i * 160 < toneMu.size(); ++i) {
        w.recordMessage(capture::Dir::Out, capture::MsgKind::Text, twilio::encodeMedia(kSid, toneMu.mid(i * 160, 160)), 1000 + i * 20000);
        w.recordMessage(capture::Dir::In, capture::MsgKind::Text,
                        twilio::encodeInboundMedia(kSid, i + 2, i + 1, i * 20, QByteArray(160, char(0x12))), 1001 + i * 20000);
    }
    w.close();
    const LoadedCall call = load(bytes);
    QCOMPARE(call.outAudio, toneMu);
    QCOMPARE(call.inAudio, QByteArray(toneMu.size(), char(0x12)));
    QTemporaryDir dir;
    QString err;
    const QString outPath = dir.filePath(QStringLiteral("out.wav"));
    const QString inPath = dir.filePath(QStringLiteral("in.wav"));
    QVERIFY2(exportWav(call, capture::Dir::Out, outPath, wav::Encoding::Mulaw, &err), qPrintable(err));
    QVERIFY2(exportWav(call, capture::Dir::In, inPath, wav::Encoding::Pcm16, &err), qPrintable(err));
    const wav::ReadResult o = wav::readFile(outPath);
    QVERIFY(o.ok);
    QCOMPARE(o.info.encoding, wav::Encoding::Mulaw);
    QCOMPARE(o.pcm.samples, pcmAudio(call, capture::Dir::Out).samples);
    const wav::ReadResult in = wav::readFile(inPath);
    QVERIFY(in.ok);
    QCOMPARE(in.info.encoding, wav::Encoding::Pcm16);
    QCOMPARE(in.pcm.frames(), qsizetype(toneMu.size()));
    // Nothing to export in a direction without audio: a clear error.
    LoadedCall empty = call;
    empty.inAudio.clear();
    QVERIFY(!exportWav(empty, capture::Dir::In, inPath, wav::Encoding::Pcm16, &err));
    QVERIFY(err.contains(QStringLiteral("no inbound audio")));
}

void TestReplay::wavSource()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("call.wav"));
    PcmBuffer stereo;
    stereo.sampleRate = 16000;
    stereo.channels = 2;
    const QVector<qint16> mono = pacelab::signal::sine(16000, 1.0, 300.0);
    for (qint16 s : mono)
        stereo.samples << s << s;
    QString err;
    QVERIFY(wav::writeFile(path, stereo, wav::Encoding::Pcm16, &err));
    const LoadResult r = loadCall(path);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.call.source, LoadedCall::Source::Wav);
    QVERIFY(!r.call.hasTiming());
    const PcmBuffer pcm = pcmAudio(r.call, capture::Dir::In);
    QCOMPARE(pcm.sampleRate, 8000);
    QCOMPARE(pcm.channels, 1);
    QVERIFY(qAbs(pcm.frames() - 8000) < 100);
    int padded = -1;
    const QList<QByteArray> frames = framesForResend(r.call, &padded);
    QVERIFY(qAbs(frames.size() - 50) <= 1);
    for (const QByteArray &f : frames)
        QCOMPARE(f.size(), 160);
    const Analysis a = analyze(r.call);
    QVERIFY(a.verdicts.first().contains(QStringLiteral("no timing")));
}

void TestReplay::dumpSource()
{
    QByteArray dump = "INFO bot started\n";
    for (int i = 0; i < 100; ++i)
        dump += "DEBUG ws send " + twilio::encodeMedia(kSid, QByteArray(160, char(0x20))) + "\n";
    QBuffer buf(&dump);
    buf.open(QIODevice::ReadOnly);
    const LoadResult r = loadCall(&buf);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.call.source, LoadedCall::Source::TwilioDump);
    QCOMPARE(r.call.outAudio.size(), 16000);
    QVERIFY(r.call.notes.join(QLatin1Char(' ')).contains(QStringLiteral("20 ms")));
    const Analysis a = analyze(r.call);
    QCOMPARE(a.stats.frames, 100);
    QVERIFY(a.toText().contains(QStringLiteral("20 ms after the previous")));
}

void TestReplay::badFiles()
{
    QTemporaryDir dir;
    LoadResult r = loadCall(dir.filePath(QStringLiteral("missing.jsonl")));
    QVERIFY(!r.ok);
    QVERIFY(r.error.contains(QStringLiteral("no such file")));
    r = loadCall(dir.path());
    QVERIFY(r.error.contains(QStringLiteral("directory")));
    QFile f(dir.filePath(QStringLiteral("broken.wav")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("RIFF\x10\x00\x00\x00WAVE", 12);
    f.close();
    r = loadCall(f.fileName());
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QStringLiteral("WAV")), qPrintable(r.error));
    QByteArray onlyBad = "{\"type\":\"pacelab-capture\",\"version\":1}\n{oops\n";
    QBuffer buf(&onlyBad);
    buf.open(QIODevice::ReadOnly);
    r = loadCall(&buf);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QStringLiteral("line 2")), qPrintable(r.error));
}

void TestReplay::audioCapNoted()
{
    // Audio beyond the per-direction cap is not kept (timing still is), and a note says so.
    QList<Arrival> arrivals;
    for (int i = 0; i < 100; ++i)
        arrivals.append({1'000'000 + i * 20000, Arrival::Media, 160, {}});
    QByteArray bytes = captureOf(arrivals, 1'000'000);
    QBuffer buf(&bytes);
    buf.open(QIODevice::ReadOnly);
    LoadOptions opt;
    opt.maxAudioBytesPerDirection = 8000; // 1 s
    const LoadResult r = loadCall(&buf, opt);
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(r.call.outAudioTruncated);
    QCOMPARE(r.call.outAudio.size(), 8000);
    QCOMPARE(r.call.out.size(), 100);
    QVERIFY(r.call.notes.join(QLatin1Char(' ')).contains(QStringLiteral("audio kept only up to 1 s")));
}

void TestReplay::resendFrames()
{
    QByteArray bytes;
    QBuffer buf(&bytes);
    buf.open(QIODevice::WriteOnly);
    capture::CaptureWriter w;
    w.open(&buf);
    // A bot that sent 320 B and 100 B chunks: PaceLab re-cuts the audio into 160 B frames.
    w.recordMessage(capture::Dir::Out, capture::MsgKind::Text, twilio::encodeMedia(kSid, QByteArray(320, 1)), 0);
    w.recordMessage(capture::Dir::Out, capture::MsgKind::Text, twilio::encodeMedia(kSid, QByteArray(100, 2)), 40000);
    w.close();
    int padded = 0;
    const QList<QByteArray> frames = framesForResend(load(bytes), &padded);
    QCOMPARE(frames.size(), 3);
    QCOMPARE(padded, 60);
    QCOMPARE(frames[2].right(60), QByteArray(60, char(0xFF)));
}

void TestReplay::liveSessionCapturedAndReplayed()
{
    // Record a real session (engine -> emulator) through the emulator's message tap, which gives
    // each message with the very arrival time the emulator's analytics used, replay-analyse the
    // capture, and compare with the emulator's live figures: equal at any machine load, since
    // both saw the same times.
    TwilioEmulator emu;
    EmulatorOptions eo;
    eo.streamSid = kSid;
    eo.sendInboundMedia = false;
    emu.setOptions(eo);
    QVERIFY(emu.listen(QHostAddress::LocalHost, 0));
    QByteArray bytes;
    QBuffer buf(&bytes);
    buf.open(QIODevice::WriteOnly);
    capture::CaptureWriter w;
    w.open(&buf);
    emu.setMessageTap([&](qint64 tUs, bool fromBot, bool binary, const QByteArray &data) {
        w.recordMessage(fromBot ? capture::Dir::Out : capture::Dir::In, binary ? capture::MsgKind::Binary : capture::MsgKind::Text,
                        data, tUs);
    });
    SenderConfig cfg;
    cfg.pingIntervalMs = 0;
    SenderEngine engine(cfg);
    engine.connectTo(emu.serverUrl(), kSid);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, 30000);
    for (int i = 0; i < 100; ++i)
        QVERIFY(engine.enqueueFrame(QByteArray(160, char(0x7f)), false));
    QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, qint64(100), 60000);
    w.close();
    const ArrivalStats live = emu.stats();
    const Analysis a = analyze(load(bytes));
    QCOMPARE(a.stats.frames, live.frames);
    QCOMPARE(a.stats.bytes, live.bytes);
    QCOMPARE(a.stats.sizeHistogram, live.sizeHistogram);
    QCOMPARE(a.stats.burstCount, live.burstCount);
    QCOMPARE(a.stats.spurts, live.spurts);
    QCOMPARE(a.stats.deltaMeanMs, live.deltaMeanMs);
    QCOMPARE(a.stats.deltaMaxMs, live.deltaMaxMs);
    QCOMPARE(a.stats.deltaMaxFrame, live.deltaMaxFrame);
    QCOMPARE(a.stats.jitterMs, live.jitterMs);
    QCOMPARE(a.stats.jitterMaxMs, live.jitterMaxMs);
}

void TestReplay::doctorReadsCaptureTelemetry()
{
    // A capture's tx-telemetry records are metric lines for the doctor; its messages and
    // rx-second records are not.
    QByteArray bytes;
    QBuffer buf(&bytes);
    buf.open(QIODevice::WriteOnly);
    capture::CaptureWriter w;
    w.open(&buf);
    for (int i = 0; i < 12; ++i) {
        TelemetrySnapshot s;
        s.secondIndex = i;
        s.framesSent = i < 4 ? 50 : 0;
        s.queueDepth = i < 4 ? 3 : 120;
        s.drops = i < 4 ? 0 : 50;
        w.recordMessage(capture::Dir::Out, capture::MsgKind::Text, twilio::encodeMedia(kSid, QByteArray(160, 1)), i * 1'000'000);
        w.recordTxTelemetry(s.toJson(), i * 1'000'000 + 1);
        PerSecondRx rx;
        rx.second = i;
        rx.fps = 50;
        w.recordRxSecond(rx.toJson(), i * 1'000'000 + 2);
    }
    w.close();
    const doctor::Report r = doctor::LogDoctor::analyzeText(QString::fromUtf8(bytes));
    QCOMPARE(r.metricLines, 12);
    QCOMPARE(r.series.first().lineNo, 3);
    QCOMPARE(r.diagnoses.first().kind, doctor::Kind::SenderStalled);
}

void TestReplay::commandLine()
{
    const QString bin = QStringLiteral(PACELAB_BINARY);
    if (!QFile::exists(bin))
        QSKIP("pacelab binary not built");
    QTemporaryDir dir;
    const QList<Arrival> arrivals = syntheticArrivals();
    QFile cap(dir.filePath(QStringLiteral("call.pacelab.jsonl")));
    QVERIFY(cap.open(QIODevice::WriteOnly));
    cap.write(captureOf(arrivals, arrivals.first().tUs));
    cap.close();
    auto run = [&](const QStringList &args) {
        QProcess p;
        p.start(bin, QStringList{QStringLiteral("replay")} + args);
        p.waitForFinished(60000);
        return qMakePair(p.exitCode(), QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError()));
    };
    const QString json = dir.filePath(QStringLiteral("r.json"));
    const QString wavOut = dir.filePath(QStringLiteral("out.wav"));
    auto res = run({cap.fileName(), QStringLiteral("--json"), json, QStringLiteral("--export-out"), wavOut});
    QCOMPARE(res.first, 1); // the synthetic call has bursts, a 320 B frame, an underrun
    QVERIFY2(res.second.contains(QStringLiteral("problem: ")), qPrintable(res.second));
    QFile jf(json);
    QVERIFY(jf.open(QIODevice::ReadOnly));
    const QJsonObject o = QJsonDocument::fromJson(jf.readAll()).object();
    QCOMPARE(o.value(QStringLiteral("analysis")).toObject().value(QStringLiteral("arrival")).toObject().value(QStringLiteral("frames")).toInt(), 400);
    QVERIFY(wav::readFile(wavOut).ok);
    QCOMPARE(run({dir.filePath(QStringLiteral("missing"))}).first, 2);
    QCOMPARE(run({cap.fileName(), QStringLiteral("--send"), QStringLiteral("http://x")}).first, 2);
    QCOMPARE(run({cap.fileName(), QStringLiteral("--analyze"), QStringLiteral("--send"), QStringLiteral("emulator")}).first, 2);
    QCOMPARE(run({cap.fileName(), QStringLiteral("--as-caller"), QStringLiteral("ws://127.0.0.1:9/")}).first, 2); // no inbound audio
    // Outputs that cannot be written: a clear error, exit 1.
    res = run({cap.fileName(), QStringLiteral("--json"), dir.filePath(QStringLiteral("no/such/dir/r.json"))});
    QCOMPARE(res.first, 1);
    QVERIFY2(res.second.contains(QStringLiteral("cannot write")), qPrintable(res.second));
    res = run({cap.fileName(), QStringLiteral("--export-in"), dir.filePath(QStringLiteral("in.wav"))});
    QCOMPARE(res.first, 1);
    QVERIFY2(res.second.contains(QStringLiteral("no inbound audio")), qPrintable(res.second));
    res = run({cap.fileName(), QStringLiteral("--export-out"), dir.filePath(QStringLiteral("no/such/dir/o.wav"))});
    QCOMPARE(res.first, 1);
    QVERIFY2(res.second.contains(QStringLiteral("export to")), qPrintable(res.second));
    QCOMPARE(run({cap.fileName(), cap.fileName()}).first, 2); // two files
    // Nothing to re-send: a recording with inbound messages only.
    QFile inOnly(dir.filePath(QStringLiteral("in-only.pacelab.jsonl")));
    QVERIFY(inOnly.open(QIODevice::WriteOnly));
    inOnly.write(captureOf({}, 1'000'000));
    inOnly.close();
    res = run({inOnly.fileName(), QStringLiteral("--send"), QStringLiteral("emulator")});
    QCOMPARE(res.first, 2);
    QVERIFY2(res.second.contains(QStringLiteral("no outbound audio")), qPrintable(res.second));
    // A WAV has no timing to --analyze.
    PcmBuffer tone;
    tone.sampleRate = 8000;
    tone.channels = 1;
    tone.samples = pacelab::signal::sine(8000, 0.1, 440.0);
    QString wavError;
    QVERIFY(wav::writeFile(dir.filePath(QStringLiteral("t.wav")), tone, wav::Encoding::Pcm16, &wavError));
    res = run({dir.filePath(QStringLiteral("t.wav")), QStringLiteral("--analyze")});
    QCOMPARE(res.first, 2);
    QVERIFY2(res.second.contains(QStringLiteral("no message timing")), qPrintable(res.second));
    QCOMPARE(run({cap.fileName(), QStringLiteral("--bogus")}).first, 2);
    // Re-send a short call (2 s) through the paced sender to the built-in emulator.
    QList<Arrival> shortCall;
    for (int i = 0; i < 100; ++i)
        shortCall.append({1'000'000 + i * 15000, Arrival::Media, 160, {}});
    QFile small(dir.filePath(QStringLiteral("short.pacelab.jsonl")));
    QVERIFY(small.open(QIODevice::WriteOnly));
    small.write(captureOf(shortCall, 1'000'000));
    small.close();
    res = run({small.fileName(), QStringLiteral("--send"), QStringLiteral("emulator"), QStringLiteral("--quiet")});
    QVERIFY2(res.first == 0, qPrintable(QStringLiteral("exit %1: %2").arg(res.first).arg(res.second)));
    QVERIFY2(res.second.contains(QStringLiteral("original    PaceLab")), qPrintable(res.second));
}

void TestReplay::recordedEngineLogs_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("titleWord");
    QTest::newRow("healthy") << "engine-healthy.log" << int(doctor::Kind::Healthy) << QString();
    // TTS pushing 80 frames/s with the non-blocking drop-oldest push.
    QTest::newRow("producer too fast") << "engine-producer-too-fast.log" << int(doctor::Kind::ProducerTooFast) << QString();
    // 40 ms frames (320 B) from a real-time source: the audio clock is right, fps reads 25.
    QTest::newRow("frames too big") << "engine-frames-too-big.log" << int(doctor::Kind::FrameSize) << QStringLiteral("big");
    // The sender's own loop blocked for 3 s while a real-time producer pushes with drop-oldest.
    QTest::newRow("sender stalled") << "engine-sender-stalled.log" << int(doctor::Kind::SenderStalled) << QString();
    // The broken "send, then sleep" pacer with a 20.4 ms interval, TTS-like producer: on a quiet
    // machine (~49 fps) and on one at load 10 (fps 34-50).
    QTest::newRow("timer drift") << "engine-timer-drift.log" << int(doctor::Kind::TimerDrift) << QStringLiteral("slower");
    QTest::newRow("timer drift, loaded machine") << "engine-timer-drift-loaded.log" << int(doctor::Kind::TimerDrift) << QStringLiteral("slower");
}

static bool verdictIs(const doctor::Report &r, doctor::Kind kind, const QString &titleWord)
{
    if (r.diagnoses.isEmpty())
        return false;
    if (kind == doctor::Kind::Healthy)
        return r.worst() <= doctor::Severity::Info && r.diagnoses.first().kind == doctor::Kind::Healthy;
    return r.diagnoses.first().kind == kind && (titleWord.isEmpty() || r.diagnoses.first().title.contains(titleWord));
}

void TestReplay::recordedEngineLogs()
{
    QFETCH(QString, file);
    QFETCH(int, kind);
    QFETCH(QString, titleWord);
    const QByteArray log = readData(QStringLiteral("doctor/") + file);
    QVERIFY2(!log.isEmpty(), qPrintable(file));
    QVERIFY(metricSeries(log).size() >= 15);
    const doctor::Report r = doctor::LogDoctor::analyzeText(QString::fromUtf8(log));
    QVERIFY2(verdictIs(r, doctor::Kind(kind), titleWord), qPrintable(r.toText()));
    if (doctor::Kind(kind) != doctor::Kind::Healthy) {
        QCOMPARE(r.exitCode(), 1);
        QVERIFY(!r.diagnoses.first().evidence.isEmpty());
    } else {
        QCOMPARE(r.exitCode(), 0);
    }
}

void TestReplay::synthesizedVariants_data()
{
    recordedEngineLogs_data();
}

void TestReplay::synthesizedVariants()
{
    QFETCH(QString, file);
    QFETCH(int, kind);
    QFETCH(QString, titleWord);
    const QList<Second> series = metricSeries(readData(QStringLiteral("doctor/") + file));
    QVERIFY(series.size() >= 15);
    int checked = 0;
    for (quint32 seed = 1; seed <= 40; ++seed) {
        QRandomGenerator rng(seed);
        const double phi = rng.bounded(1.0);
        const QList<std::pair<QString, QList<Second>>> variants = {
            {QStringLiteral("boundaries moved by %1 s").arg(phi, 0, 'f', 3), rephase(series, phi)},
            {QStringLiteral("±1-2 fps wobble"), wobble(series, rng)},
            {QStringLiteral("one line missing"), dropOne(series, rng)},
            {QStringLiteral("all three"), dropOne(wobble(rephase(series, phi), rng), rng)},
        };
        for (const auto &[what, v] : variants) {
            const QString text = render(v);
            const doctor::Report r = doctor::LogDoctor::analyzeText(text);
            QVERIFY2(verdictIs(r, doctor::Kind(kind), titleWord),
                     qPrintable(QStringLiteral("seed %1, %2: got \"%3\"\n%4\n---\n%5").arg(seed).arg(what, firstVerdict(r), text, r.toText())));
            ++checked;
        }
    }
    QCOMPARE(checked, 160);
}

void TestReplay::engineSmokeCaptureToDoctor()
{
    // The one real-time run: engine -> emulator with a capture of every message and telemetry
    // second, then the capture through the replay and the doctor. Only what holds at any load is
    // asserted (counts, parseable output, no crash), never a rate or a verdict.
    TwilioEmulator emu;
    EmulatorOptions eo;
    eo.streamSid = kSid;
    eo.sendInboundMedia = false;
    emu.setOptions(eo);
    QVERIFY(emu.listen(QHostAddress::LocalHost, 0));
    QByteArray bytes;
    QBuffer buf(&bytes);
    buf.open(QIODevice::WriteOnly);
    auto writer = std::make_shared<capture::CaptureWriter>();
    QVERIFY(writer->open(&buf));
    SenderConfig cfg;
    cfg.pingIntervalMs = 0;
    cfg.messageTap = [writer](qint64 tUs, bool outbound, bool binary, const QByteArray &data) {
        writer->recordMessage(outbound ? capture::Dir::Out : capture::Dir::In,
                              binary ? capture::MsgKind::Binary : capture::MsgKind::Text, data, tUs);
    };
    SenderEngine engine(cfg);
    std::atomic<int> telemetry{0};
    QObject::connect(&engine, &SenderEngine::telemetry, &engine, [&, writer](const TelemetrySnapshot &s) {
        writer->recordTxTelemetry(s.toJson());
        ++telemetry;
    }, Qt::DirectConnection);
    engine.connectTo(emu.serverUrl(), kSid);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, 30000);
    std::atomic<bool> stop{false};
    std::thread producer([&] {
        const QByteArray frame(160, char(0x7f));
        while (!stop && engine.enqueueFrame(frame, true)) {
        }
    });
    QTRY_VERIFY_WITH_TIMEOUT(telemetry >= 3, 60000);
    stop = true;
    engine.queue()->close();
    producer.join();
    QObject::disconnect(&engine, nullptr, nullptr, nullptr);
    engine.stop();
    QTRY_VERIFY_WITH_TIMEOUT(engine.state() == SenderEngine::Idle || engine.state() == SenderEngine::Error, 10000);
    writer->close();

    const doctor::Report r = doctor::LogDoctor::analyzeText(QString::fromUtf8(bytes));
    QVERIFY(r.inputOk);
    QVERIFY2(r.metricLines >= 3, qPrintable(r.toText()));
    QVERIFY(!r.diagnoses.isEmpty());
    QVERIFY(!r.toText().isEmpty());
    const QJsonDocument json = QJsonDocument::fromJson(QJsonDocument(r.toJson()).toJson());
    QCOMPARE(json.object().value(QStringLiteral("metricLines")).toInteger(), r.metricLines);
    const LoadedCall call = load(bytes);
    QVERIFY(call.outMessages > 0);
    QCOMPARE(call.errorCount, 0);
    const Analysis a = analyze(call);
    QCOMPARE(a.stats.frames, call.outMessages);
    QVERIFY(!a.verdicts.isEmpty());
}

// ---- hostile input ------------------------------------------------------------------------------

void TestReplay::timeJumpsHandledInLinearTime_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("messages");
    QTest::addColumn<QString>("error");  // in the first per-line error
    QTest::addColumn<QString>("note");   // in the analysis notes
    QTest::newRow("capture 0 -> 9e15 us") << "capture-time-jump.jsonl" << 2 << "after the first timestamp" << QString();
    QTest::newRow("capture t_us = INT64_MAX") << "capture-tus-int64max.jsonl" << 2 << "out of range" << QString();
    QTest::newRow("capture 9-day silence (accepted)") << "capture-9-day-gap.jsonl" << 4 << QString() << "left out of the per-second report";
    QTest::newRow("dump 1970 -> 9999") << "dump-year-9999.jsonl" << 2 << "out of range" << QString();
    QTest::newRow("dump t_us 9.3e18") << "dump-tus-int64max.jsonl" << 2 << "out of range" << "no timestamp";
    QTest::newRow("dump media.timestamp 1e20 ms") << "dump-media-timestamp-huge.jsonl" << 2 << "out of range" << QString();
}

void TestReplay::timeJumpsHandledInLinearTime()
{
    // These 3-5 line files once spun for minutes in the per-second loop (one turn per second of
    // gap) or overflowed. Fixed, they take milliseconds; 20 s leaves room for any machine while a
    // regression to minutes still fails.
    QFETCH(QString, file);
    QFETCH(int, messages);
    QFETCH(QString, error);
    QFETCH(QString, note);
    QElapsedTimer t;
    t.start();
    const LoadResult r = loadCall(dataPath(QStringLiteral("replay/") + file));
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.call.outMessages + r.call.inMessages, qint64(messages));
    if (error.isEmpty()) {
        QCOMPARE(r.call.errorCount, 0);
    } else {
        QCOMPARE(r.call.errorCount, 1);
        QVERIFY2(r.call.errors.first().message.contains(error), qPrintable(r.call.errors.first().message));
    }
    const Analysis a = analyze(r.call);
    QVERIFY2(t.elapsed() < 20000, qPrintable(QStringLiteral("took %1 ms").arg(t.elapsed())));
    QVERIFY(a.perSecond.size() <= 3600);
    if (!note.isEmpty())
        QVERIFY2(a.notes.join(QLatin1Char('\n')).contains(note), qPrintable(a.notes.join(QLatin1Char('\n'))));
    QVERIFY(!a.toText().isEmpty());
}

void TestReplay::inMemoryTimeJumps()
{
    // analyze() also takes calls built in memory, where nothing checked the times: a jump of any
    // size is O(messages), and seconds stay within the report's range.
    for (const qint64 jump : {qint64(9'000'000'000'000'000), std::numeric_limits<qint64>::max() / 2, qint64(86'400'000'000) * 30}) {
        LoadedCall call;
        call.originUs = 0;
        for (int i = 0; i < 50; ++i) {
            OutEvent ev;
            ev.tUs = i * 20000;
            ev.bytes = 160;
            call.out.append(ev);
        }
        for (int i = 0; i < 50; ++i) {
            OutEvent ev;
            ev.tUs = jump + i * 20000;
            ev.bytes = 160;
            call.out.append(ev);
        }
        call.outMessages = call.out.size();
        call.lastUs = call.out.last().tUs;
        QElapsedTimer t;
        t.start();
        const Analysis a = analyze(call);
        QVERIFY2(t.elapsed() < 20000, qPrintable(QStringLiteral("took %1 ms").arg(t.elapsed())));
        QCOMPARE(a.stats.frames, 100);
        QVERIFY(a.perSecond.size() <= 3600);
        for (const PerSecondRx &rx : a.perSecond)
            QVERIFY(rx.second >= 0);
        QVERIFY2(a.notes.join(QLatin1Char(' ')).contains(QStringLiteral("left out of the per-second report")),
                 qPrintable(a.notes.join(QLatin1Char('\n'))));
    }
}

void TestReplay::hostileFilesThroughCommandLine_data()
{
    QTest::addColumn<QString>("file");    // under tests/data/replay, or a device
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    QTest::newRow("capture 0 -> 9e15 us") << dataPath(QStringLiteral("replay/capture-time-jump.jsonl")) << 0 << "after the first timestamp";
    QTest::newRow("capture INT64_MAX") << dataPath(QStringLiteral("replay/capture-tus-int64max.jsonl")) << 0 << "out of range";
    QTest::newRow("capture 9-day silence") << dataPath(QStringLiteral("replay/capture-9-day-gap.jsonl")) << 0 << "left out of the per-second report";
    QTest::newRow("dump 1970 -> 9999") << dataPath(QStringLiteral("replay/dump-year-9999.jsonl")) << 0 << "out of range";
    QTest::newRow("dump t_us 9.3e18") << dataPath(QStringLiteral("replay/dump-tus-int64max.jsonl")) << 0 << "out of range";
    QTest::newRow("dump media.timestamp 1e20") << dataPath(QStringLiteral("replay/dump-media-timestamp-huge.jsonl")) << 0 << "out of range";
    QTest::newRow("empty file") << dataPath(QStringLiteral("replay/empty.jsonl")) << 2 << "the file is empty";
    QTest::newRow("gzip") << dataPath(QStringLiteral("replay/capture.jsonl.gz")) << 2 << "gzip-compressed";
    QTest::newRow("UTF-16") << dataPath(QStringLiteral("replay/capture-utf16le.jsonl")) << 2 << "UTF-16";
    QTest::newRow("CRLF (accepted)") << dataPath(QStringLiteral("replay/capture-crlf.jsonl")) << 0 << "10 outbound";
    QTest::newRow("cut tail (accepted)") << dataPath(QStringLiteral("replay/capture-cut-tail.jsonl")) << 0 << "truncated at byte";
    QTest::newRow("cut header") << dataPath(QStringLiteral("replay/capture-cut-header.jsonl")) << 2 << "cut short";
    QTest::newRow("newer version") << dataPath(QStringLiteral("replay/capture-newer-version.jsonl")) << 2 << "version 7 is not supported";
    QTest::newRow("a directory") << dataPath(QStringLiteral("replay")) << 2 << "is a directory";
    QTest::newRow("/dev/zero") << "/dev/zero" << 2 << "binary data";
    QTest::newRow("/dev/null") << "/dev/null" << 2 << "empty";
}

void TestReplay::hostileFilesThroughCommandLine()
{
    QFETCH(QString, file);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    if (file.startsWith(QLatin1String("/dev/")) && !QFile::exists(file))
        QSKIP("no such device here");
    QProcess p;
    p.start(QStringLiteral(PACELAB_BINARY), {QStringLiteral("replay"), file, QStringLiteral("--quiet")});
    QVERIFY(p.waitForStarted(20000));
    const bool finished = p.waitForFinished(20000); // milliseconds when fixed; minutes when broken
    if (!finished) {
        p.kill();
        p.waitForFinished();
    }
    const QString out = QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
    QVERIFY2(finished, qPrintable(QStringLiteral("still running after 20 s: ") + out));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == exitCode, qPrintable(QStringLiteral("exit %1: %2").arg(p.exitCode()).arg(out)));
    QVERIFY2(out.contains(message), qPrintable(out));
}

void TestReplay::truncatedCaptureLoads()
{
    // A capture cut inside its last line: the complete lines load, the cut one is a note.
    QList<Arrival> arrivals;
    for (int i = 0; i < 50; ++i)
        arrivals.append({1'000'000 + i * 20000, Arrival::Media, 160, {}});
    const QByteArray whole = captureOf(arrivals, 1'000'000);
    const qsizetype lastLineStart = whole.lastIndexOf('\n', whole.size() - 2) + 1;
    const QByteArray cut = whole.left(lastLineStart + 37);
    LoadResult r = [&] {
        QByteArray b = cut;
        QBuffer buf(&b);
        buf.open(QIODevice::ReadOnly);
        return loadCall(&buf);
    }();
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.call.outMessages, qint64(49));
    QCOMPARE(r.call.errorCount, 0);
    const QString notes = r.call.notes.join(QLatin1Char('\n'));
    QVERIFY2(notes.contains(QStringLiteral("truncated at byte %1").arg(lastLineStart)), qPrintable(notes));
    QVERIFY(analyze(r.call).toText().contains(QStringLiteral("truncated")));
    // Cut inside the header: nothing was recorded, a clear error.
    QByteArray headerOnly = whole.left(20);
    QBuffer hb(&headerOnly);
    hb.open(QIODevice::ReadOnly);
    r = loadCall(&hb);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QStringLiteral("cut short while its header")), qPrintable(r.error));
    // Cut in the first record after the header: no messages, and the error says why.
    QByteArray firstCut = whole.left(whole.indexOf('\n') + 30);
    QBuffer fb(&firstCut);
    fb.open(QIODevice::ReadOnly);
    r = loadCall(&fb);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QStringLiteral("cut short")), qPrintable(r.error));
}

void TestReplay::killedWhileWritingCapture()
{
    // For real: `pacelab --headless --capture` is SIGKILLed mid-run. Every complete line of what
    // it left must load; a cut last line (if the kill landed inside a write) is reported, not an
    // error. The same file cut by hand inside its last line checks the report every time.
    QTemporaryDir dir;
    const QString cap = dir.filePath(QStringLiteral("killed.jsonl"));
    QProcess p;
    p.start(QStringLiteral(PACELAB_BINARY), {QStringLiteral("--headless"), QStringLiteral("--duration"), QStringLiteral("30"),
                                             QStringLiteral("--capture"), cap});
    QVERIFY(p.waitForStarted(20000));
    auto lines = [](const QString &path) {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll().count('\n') : 0;
    };
    // Until the run ends the capture is written as <path>.part (renamed on close), so a killed
    // run leaves the .part file and never a half-written file under the final name.
    const QString part = cap + QStringLiteral(".part");
    QTRY_VERIFY_WITH_TIMEOUT(lines(part) >= 60, 60000); // header + > 1 s of messages and telemetry
    p.kill(); // SIGKILL: no flush, no close
    QVERIFY(p.waitForFinished(20000));
    QCOMPARE(p.exitStatus(), QProcess::CrashExit);
    QVERIFY(!QFile::exists(cap));
    {
        // Asked for the final name, the reader points at the .part file.
        const LoadResult missing = loadCall(cap);
        QVERIFY(!missing.ok);
        QVERIFY2(missing.error.contains(QStringLiteral(".part' is there")), qPrintable(missing.error));
    }

    QFile f(part);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    f.close();
    const qsizetype completeEnd = bytes.lastIndexOf('\n') + 1;
    const qint64 completeLines = bytes.left(completeEnd).count('\n');
    qInfo("the kill left %lld complete line(s) and %lld byte(s) of a cut one", completeLines, qint64(bytes.size() - completeEnd));
    auto check = [&](const QByteArray &data, qint64 expectRecords, qint64 expectCutAt) {
        QByteArray copy = data;
        QBuffer buf(&copy);
        buf.open(QIODevice::ReadOnly);
        capture::CaptureReader reader;
        QVERIFY2(reader.open(&buf), qPrintable(reader.fatalError()));
        qint64 records = 0;
        while (reader.next())
            ++records;
        QVERIFY(reader.atEnd());
        QCOMPARE(reader.errorCount(), 0);
        QCOMPARE(records, expectRecords);
        QCOMPARE(reader.truncatedTailAt(), expectCutAt);
        if (expectCutAt >= 0)
            QVERIFY(reader.notes().join(QLatin1Char(' ')).contains(QStringLiteral("truncated at byte %1").arg(expectCutAt)));
    };
    // As the kill left it: every complete line but the header is a record.
    check(bytes, completeLines - 1, completeEnd < bytes.size() ? completeEnd : -1);
    if (QTest::currentTestFailed())
        return;
    // Cut inside the last complete line.
    const qsizetype lastStart = bytes.lastIndexOf('\n', completeEnd - 2) + 1;
    check(bytes.left(lastStart + (completeEnd - lastStart) / 2), completeLines - 2, lastStart);
    if (QTest::currentTestFailed())
        return;
    // And the whole replay loads it.
    const LoadResult r = loadCall(part);
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(r.call.outMessages > 0);
}


QTEST_GUILESS_MAIN(TestReplay)
#include "tst_replay.moc"
