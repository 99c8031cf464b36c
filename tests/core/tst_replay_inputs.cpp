// Replay inputs beyond captures and dumps: Twilio dual-channel call recordings (a two-channel
// WAV, caller on one channel, bot on the other) replayed as caller audio, at 8 kHz or any rate.
// Which channel is which is checked by frequency (a tone per party), not by level.
#include "audio/SignalGenerator.h"
#include "audio/WavFile.h"
#include "replay/Replay.h"
#include "twilio/TwilioMessages.h"

#include <QBuffer>

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace pacelab;
using namespace pacelab::replay;

namespace {

// Zero crossings per second / 2: the frequency of a clean tone.
double toneHz(const PcmBuffer &pcm)
{
    if (pcm.frames() < 2 || pcm.channels != 1)
        return 0;
    int crossings = 0;
    for (qsizetype i = 1; i < pcm.samples.size(); ++i)
        crossings += (pcm.samples[i - 1] < 0) != (pcm.samples[i] < 0) ? 1 : 0;
    return crossings / 2.0 / pcm.durationSec();
}

// Caller 400 Hz on the first channel, bot 1200 Hz on the second.
PcmBuffer dualChannel(int rate, double sec)
{
    const QVector<qint16> caller = signal::sine(rate, sec, 400.0);
    const QVector<qint16> bot = signal::sine(rate, sec, 1200.0);
    PcmBuffer pcm;
    pcm.sampleRate = rate;
    pcm.channels = 2;
    for (qsizetype i = 0; i < caller.size(); ++i)
        pcm.samples << caller[i] << bot[i];
    return pcm;
}

} // namespace

class TestReplayInputs final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void dualChannelRecording_data()
    {
        QTest::addColumn<int>("rate");
        QTest::addColumn<int>("encoding");
        QTest::newRow("8 kHz mu-law (Twilio)") << 8000 << int(wav::Encoding::Mulaw);
        QTest::newRow("8 kHz PCM16") << 8000 << int(wav::Encoding::Pcm16);
        QTest::newRow("44.1 kHz PCM16") << 44100 << int(wav::Encoding::Pcm16);
    }

    void dualChannelRecording()
    {
        QFETCH(int, rate);
        QFETCH(int, encoding);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("recording.wav"));
        QString err;
        QVERIFY(wav::writeFile(path, dualChannel(rate, 2.0), wav::Encoding(encoding), &err));

        LoadResult r = loadCall(path);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.source, LoadedCall::Source::Wav);
        QCOMPARE(r.call.wavCallerChannel, 0);
        QVERIFY(r.call.notes.join(QLatin1Char(' ')).contains(QStringLiteral("dual-channel")));
        const PcmBuffer caller = pcmAudio(r.call, capture::Dir::In);
        const PcmBuffer bot = pcmAudio(r.call, capture::Dir::Out);
        QCOMPARE(caller.sampleRate, 8000);
        QCOMPARE(caller.channels, 1);
        QVERIFY2(std::abs(caller.durationSec() - 2.0) < 0.02, qPrintable(QString::number(caller.durationSec())));
        QVERIFY2(std::abs(toneHz(caller) - 400) < 10, qPrintable(QString::number(toneHz(caller))));
        QVERIFY2(std::abs(toneHz(bot) - 1200) < 20, qPrintable(QString::number(toneHz(bot))));
        // re-sent audio is the bot's channel, 20 ms frames
        QVERIFY(std::abs(framesForResend(r.call).size() - 100) <= 1);

        // the other channel as the caller
        LoadOptions lo;
        lo.callerChannel = 1;
        r = loadCall(path, lo);
        QVERIFY2(r.ok, qPrintable(r.error));
        QVERIFY(std::abs(toneHz(pcmAudio(r.call, capture::Dir::In)) - 1200) < 20);
        QVERIFY(std::abs(toneHz(pcmAudio(r.call, capture::Dir::Out)) - 400) < 10);

        // export of one party: a mono WAV at the file's rate
        const QString exported = dir.filePath(QStringLiteral("caller.wav"));
        QVERIFY2(exportWav(r.call, capture::Dir::In, exported, wav::Encoding::Pcm16, &err), qPrintable(err));
        const wav::ReadResult back = wav::readFile(exported);
        QVERIFY(back.ok);
        QCOMPARE(back.pcm.channels, 1);
        QCOMPARE(back.pcm.sampleRate, rate);

        // mixed: both tones in one signal, neither frequency clean
        lo.callerChannel = -1;
        r = loadCall(path, lo);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.wavCallerChannel, -1);
        QCOMPARE(pcmAudio(r.call, capture::Dir::In).channels, 1);
    }

    void badChannelChoice()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("recording.wav"));
        QString err;
        QVERIFY(wav::writeFile(path, dualChannel(8000, 0.2), wav::Encoding::Pcm16, &err));
        LoadOptions lo;
        lo.callerChannel = 2; // a third channel in a two-channel file
        const LoadResult r = loadCall(path, lo);
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(QStringLiteral("1 or 2")), qPrintable(r.error));
    }

    void monoWavUnchanged()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("mono.wav"));
        PcmBuffer mono;
        mono.sampleRate = 16000;
        mono.channels = 1;
        mono.samples = signal::sine(16000, 1.0, 500.0);
        QString err;
        QVERIFY(wav::writeFile(path, mono, wav::Encoding::Pcm16, &err));
        const LoadResult r = loadCall(path);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.wavCallerChannel, -1);
        QVERIFY(std::abs(toneHz(pcmAudio(r.call, capture::Dir::In)) - 500) < 10);
        QVERIFY(std::abs(toneHz(pcmAudio(r.call, capture::Dir::Out)) - 500) < 10);
    }

    // Issue 12: a dump in which the bot sends one second of audio at once every second for ten
    // seconds is ten bursts and no drift (it read "1 burst" and +9894 ppm), and says so.
    void burstyDumpCountedAsAUserWould()
    {
        const QString sid = QStringLiteral("MZ0123456789abcdef0123456789abcdef");
        QByteArray dump;
        const qint64 t0 = 1'764'000'000'000'000LL; // epoch µs, as a logger writes them
        for (int b = 0; b < 10; ++b)
            for (int i = 0; i < 50; ++i)
                dump += "{\"t_us\":" + QByteArray::number(t0 + b * 1'000'000LL + i * 30) + ",\"dir\":\"out\",\"msg\":"
                    + twilio::encodeMedia(sid, QByteArray(160, char(0x55))) + "}\n";
        QBuffer buf(&dump);
        buf.open(QIODevice::ReadOnly);
        const LoadResult r = loadCall(&buf);
        QVERIFY2(r.ok, qPrintable(r.error));
        const Analysis a = analyze(r.call);
        QCOMPARE(a.stats.frames, 500);
        QCOMPARE(a.stats.burstCount, 10);
        QVERIFY(a.stats.driftValid);
        QVERIFY2(std::abs(a.stats.driftPpm) < 1.0, qPrintable(QString::number(a.stats.driftPpm)));
        const QString text = a.toText();
        QVERIFY2(text.contains(QStringLiteral("bursts 10")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("drift 0 ppm")) || text.contains(QStringLiteral("drift -0 ppm")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("problem: 10 burst(s)")), qPrintable(text));
    }

    // A recording made by sox, as a user would make or convert one, through the command line.
    void soxRecordingThroughCommandLine()
    {
        const QString sox = QStandardPaths::findExecutable(QStringLiteral("sox"));
        if (sox.isEmpty())
            QSKIP("sox is not installed (scripts/deps.sh installs it)");
        const QString bin = QStringLiteral(PACELAB_BINARY);
        if (!QFile::exists(bin))
            QSKIP("pacelab binary not built");
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("twilio-dual.wav"));
        QProcess p;
        p.start(sox, {QStringLiteral("-n"), QStringLiteral("-r"), QStringLiteral("8000"), QStringLiteral("-c"), QStringLiteral("2"),
                      QStringLiteral("-e"), QStringLiteral("mu-law"), path, QStringLiteral("synth"), QStringLiteral("1"),
                      QStringLiteral("sine"), QStringLiteral("400"), QStringLiteral("sine"), QStringLiteral("1200")});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        auto run = [&](const QStringList &args) {
            QProcess q;
            q.start(bin, QStringList{QStringLiteral("replay"), QStringLiteral("--quiet"), path} + args);
            q.waitForFinished(60000);
            return qMakePair(q.exitCode(), QString::fromUtf8(q.readAllStandardOutput() + q.readAllStandardError()));
        };
        const QString callerWav = dir.filePath(QStringLiteral("caller.wav"));
        auto res = run({QStringLiteral("--caller-channel"), QStringLiteral("2"), QStringLiteral("--export-in"), callerWav,
                        QStringLiteral("--pcm16")});
        QVERIFY2(res.first == 0, qPrintable(res.second));
        QVERIFY2(res.second.contains(QStringLiteral("dual-channel WAV")), qPrintable(res.second));
        const wav::ReadResult w = wav::readFile(callerWav);
        QVERIFY(w.ok);
        QVERIFY2(std::abs(toneHz(w.pcm) - 1200) < 20, qPrintable(QString::number(toneHz(w.pcm))));
        res = run({QStringLiteral("--caller-channel"), QStringLiteral("3")});
        QCOMPARE(res.first, 2);
        QVERIFY2(res.second.contains(QStringLiteral("--caller-channel")), qPrintable(res.second));
    }
};

QTEST_GUILESS_MAIN(TestReplayInputs)
#include "tst_replay_inputs.moc"
