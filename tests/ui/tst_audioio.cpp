// Lives under tests/ui/ because tests/core executables do not link pacelab_audioio (Qt
// Multimedia); pacelab_ui does.
#include "audio/WavFile.h"
#include "audioio/AudioDevices.h"
#include "audioio/FrameProducer.h"
#include "audioio/MicrophoneCapture.h"
#include "audioio/MonitorSink.h"
#include "audioio/PcmSource.h"
#include "engine/TxQueue.h"

#include <QAudioFormat>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace pacelab;
using namespace pacelab::audioio;

namespace {
PcmBuffer ramp(int rate, int channels, qsizetype frames)
{
    PcmBuffer b;
    b.sampleRate = rate;
    b.channels = channels;
    b.samples.resize(frames * channels);
    for (qsizetype i = 0; i < b.samples.size(); ++i)
        b.samples[i] = qint16(i % 1000);
    return b;
}

int drain(TxQueue &q, bool *all160 = nullptr)
{
    int n = 0;
    while (auto item = q.tryPop()) {
        if (all160 && item->payload.size() != kFrameBytes)
            *all160 = false;
        ++n;
    }
    return n;
}
} // namespace

class TestAudioIo final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sources()
    {
        ToneSource tone(1000, -6);
        QVector<qint16> out;
        QCOMPARE(tone.read(out, 800), qsizetype(800));
        const auto peak = *std::max_element(out.begin(), out.end());
        QVERIFY(peak > 15000 && peak < 17000); // -6 dBFS ~ 16400
        QCOMPARE(tone.progress(), -1.0);

        NoiseSource noise(-20);
        out.clear();
        noise.read(out, 8000);
        const auto npeak = *std::max_element(out.begin(), out.end());
        QVERIFY(npeak > 2000 && npeak <= 3277 + 1);

        BufferSource once(QStringLiteral("ramp"), BufferSource::fromBuffer(ramp(8000, 2, 100)));
        QString error;
        QVERIFY(once.open(&error));
        QCOMPARE(once.channels(), 2);
        out.clear();
        QCOMPARE(once.read(out, 60), qsizetype(60));
        QCOMPARE(out.size(), 120); // interleaved stereo
        QCOMPARE(once.read(out, 60), qsizetype(40));
        QCOMPARE(once.read(out, 60), qsizetype(0));
        QCOMPARE(once.progress(), 1.0);

        BufferSource looped(QStringLiteral("ramp"), BufferSource::fromBuffer(ramp(8000, 1, 100)), true);
        QVERIFY(looped.open(&error));
        out.clear();
        QCOMPARE(looped.read(out, 250), qsizetype(250));
        QCOMPARE(looped.loops(), 2);
    }

    void sourceErrorsAreSpecific()
    {
        QString error;
        BufferSource missing(QStringLiteral("x"), BufferSource::wavFile(QStringLiteral("/nonexistent/a.wav")));
        QVERIFY(!missing.open(&error));
        QVERIFY2(error.startsWith(QStringLiteral("a.wav: ")), qPrintable(error));

        QTemporaryDir dir;
        const QString junk = dir.filePath(QStringLiteral("junk.wav"));
        QFile f(junk);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not a RIFF file at all");
        f.close();
        BufferSource bad(QStringLiteral("junk"), BufferSource::wavFile(junk));
        QVERIFY(!bad.open(&error));
        QVERIFY(error.startsWith(QStringLiteral("junk.wav: ")));

        BufferSource empty(QStringLiteral("empty"), BufferSource::fromBuffer(PcmBuffer{}));
        QVERIFY(!empty.open(&error));
        QVERIFY(error.contains(QStringLiteral("no audio")));
    }

    void finiteSourceBecomesExactFrames()
    {
        // 1 s at 44.1 kHz stereo -> resampled to 8 kHz -> 50 frames of 160 B.
        PcmBuffer pcm = ramp(44100, 2, 44100);
        QString error;
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("one.wav"));
        QVERIFY(wav::writeFile(path, pcm, wav::Encoding::Pcm16, &error));
        TxQueue q(200);
        FrameProducer p(std::make_unique<BufferSource>(QStringLiteral("one.wav"), BufferSource::wavFile(path)), &q,
                        FrameProducer::Policy::BackPressure);
        QSignalSpy done(&p, &FrameProducer::finished);
        p.start();
        QVERIFY(done.wait(30000));
        QCOMPARE(done.first().at(0).toString(), QStringLiteral("finished"));
        QCOMPARE(done.first().at(1).toBool(), false);
        bool all160 = true;
        const int n = drain(q, &all160);
        QVERIFY(all160);
        QVERIFY2(n >= 49 && n <= 51, qPrintable(QString::number(n)));
        QCOMPARE(p.framesPushed(), qint64(n));
        QCOMPARE(p.framesLost(), qint64(0));
    }

    void finiteSourceBecomesFramesOfEachFormat()
    {
        // The same second of 44.1 kHz stereo framed for Vonage (640 B of 16 kHz L16 per 20 ms)
        // and Exotel (1600 B of 8 kHz L16 per 100 ms): every frame of the format's size, the
        // right count, content in the format's encoding (a rising ramp stays non-silent).
        for (const MediaFormat &fmt : {MediaFormat::l16(16000), MediaFormat::l16(8000, 100), MediaFormat::mulaw8k()}) {
            TxQueue q(200);
            FrameProducer p(std::make_unique<BufferSource>(QStringLiteral("ramp"), BufferSource::fromBuffer(ramp(44100, 2, 44100))),
                            &q, FrameProducer::Policy::BackPressure, fmt);
            QCOMPARE(p.format(), fmt);
            QSignalSpy done(&p, &FrameProducer::finished);
            p.start();
            QVERIFY(done.wait(30000));
            QCOMPARE(done.first().at(1).toBool(), false);
            int n = 0;
            bool allExact = true;
            while (auto item = q.tryPop()) {
                allExact &= item->payload.size() == fmt.frameBytes();
                ++n;
            }
            QVERIFY2(allExact, qPrintable(fmt.describe()));
            const int expected = 1000 / fmt.frameMs;
            QVERIFY2(n >= expected - 1 && n <= expected + 1, qPrintable(QStringLiteral("%1: %2 frames").arg(fmt.describe()).arg(n)));
            QCOMPARE(p.framesPushed(), qint64(n));
        }
        // Generated sources run at the rate they are given (no resampling for the format's rate).
        QCOMPARE(ToneSource(440, -12, 16000).sampleRate(), 16000);
        QCOMPARE(NoiseSource(-12, 16000).sampleRate(), 16000);
        QCOMPARE(SilenceSource(16000).sampleRate(), 16000);
        QCOMPARE(ToneSource(440, -12).sampleRate(), kTwilioRate);
        MonitorSink sink;
        QCOMPARE(sink.format(), MediaFormat::mulaw8k());
        sink.setFormat(MediaFormat::l16(16000));
        QCOMPARE(sink.format(), MediaFormat::l16(16000));
    }

    void backPressureNeverDrops()
    {
        TxQueue q(10);
        FrameProducer p(std::make_unique<ToneSource>(440, -12), &q, FrameProducer::Policy::BackPressure);
        p.start();
        QTRY_COMPARE_WITH_TIMEOUT(q.size(), 10, 30000);
        QTest::qWait(300);
        QCOMPARE(q.size(), 10); // it waits at high water...
        QCOMPARE(q.totalDrops(), quint64(0));
        // Take exactly the 10 waiting frames: the producer refills as soon as there is room, so
        // popping "until empty" would race it (it once popped 252 on a loaded machine).
        for (int i = 0; i < 10; ++i)
            QVERIFY(q.tryPop().has_value());
        QTRY_COMPARE_WITH_TIMEOUT(q.size(), 10, 30000); // ...and refills when room appears
        QCOMPARE(q.totalDrops(), quint64(0));
        p.stop(); // must return (not hang) while blocked in pushBlocking; a hang fails by timeout
        QVERIFY(!p.isRunning());
    }

    void burstOverflowsTheQueue()
    {
        TxQueue q(20);
        FrameProducer p(std::make_unique<SilenceSource>(), &q, FrameProducer::Policy::BackPressure);
        p.setPolicy(FrameProducer::Policy::Burst);
        QCOMPARE(p.policy(), FrameProducer::Policy::Burst);
        p.start();
        QTRY_VERIFY_WITH_TIMEOUT(q.totalDrops() > 20, 30000);
        p.stop();
        QCOMPARE(q.size(), 20);
    }

    void dropOldestKeepsRealTime()
    {
        TxQueue q(1000);
        FrameProducer p(std::make_unique<SilenceSource>(), &q, FrameProducer::Policy::DropOldest);
        QElapsedTimer wall;
        wall.start();
        p.start();
        QTRY_VERIFY_WITH_TIMEOUT(q.size() >= 5, 30000); // it produces...
        QTest::qWait(500);
        p.stop();
        const qint64 elapsedMs = wall.elapsed();
        const int n = drain(q);
        // ...but never ahead of real time: a loaded machine may make it lag (any count is fine
        // then), never run ahead. One frame per 20 ms of wall time, plus the first one and a
        // frame of rounding.
        QVERIFY2(n >= 5 && n <= elapsedMs / 20 + 2, qPrintable(QStringLiteral("%1 frames in %2 ms").arg(n).arg(elapsedMs)));
    }

    void severalProducersShareOneQueue()
    {
        TxQueue q(500);
        PcmBuffer half = ramp(8000, 1, 4000); // 0.5 s = 25 frames each
        FrameProducer a(std::make_unique<BufferSource>(QStringLiteral("a"), BufferSource::fromBuffer(half)), &q,
                        FrameProducer::Policy::BackPressure);
        FrameProducer b(std::make_unique<BufferSource>(QStringLiteral("b"), BufferSource::fromBuffer(half)), &q,
                        FrameProducer::Policy::BackPressure);
        QSignalSpy da(&a, &FrameProducer::finished), db(&b, &FrameProducer::finished);
        a.start();
        b.start();
        QTRY_VERIFY_WITH_TIMEOUT(da.size() == 1 && db.size() == 1, 30000);
        QCOMPARE(drain(q), 50);
        QCOMPARE(a.framesPushed() + b.framesPushed(), qint64(50));
    }

    void failingSourceReportsError()
    {
        TxQueue q(10);
        auto maker = [](PcmBuffer *, QString *error) {
            *error = QStringLiteral("TTS: voice 'xx' not found");
            return false;
        };
        FrameProducer p(std::make_unique<BufferSource>(QStringLiteral("tts"), maker), &q, FrameProducer::Policy::BackPressure);
        QSignalSpy done(&p, &FrameProducer::finished);
        p.start();
        QVERIFY(done.wait(30000));
        QCOMPARE(done.first().at(0).toString(), QStringLiteral("TTS: voice 'xx' not found"));
        QCOMPARE(done.first().at(1).toBool(), true);

        FrameProducer none(nullptr, &q, FrameProducer::Policy::BackPressure);
        QSignalSpy noneDone(&none, &FrameProducer::finished);
        none.start();
        QCOMPARE(noneDone.size(), 1);
    }

    void closedQueueWaitsThenResumes()
    {
        TxQueue q(50);
        q.close();
        FrameProducer p(std::make_unique<SilenceSource>(), &q, FrameProducer::Policy::BackPressure);
        p.start();
        QTest::qWait(300);
        QCOMPARE(q.size(), 0);
        q.reopen();
        QTRY_VERIFY_WITH_TIMEOUT(q.size() > 0, 30000);
        p.stop();
    }

    void convertsDeviceFormats()
    {
        QVector<qint16> out;
        QByteArray f32(8, 0);
        const float vals[2] = {0.5f, -1.0f};
        memcpy(f32.data(), vals, 8);
        QVERIFY(convertToPcm16(f32, QAudioFormat::Float, &out));
        QCOMPARE(out.size(), 2);
        QCOMPARE(out[0], qint16(16384));
        QCOMPARE(out[1], qint16(-32767));
        QVERIFY(convertToPcm16(QByteArray("\x80\xff", 2), QAudioFormat::UInt8, &out));
        QCOMPARE(out[0], qint16(0));
        QCOMPARE(out[1], qint16(127 << 8));
        QVERIFY(!convertToPcm16(QByteArray(4, 0), QAudioFormat::Unknown, &out));
    }

    void noDeviceIsAPlainError()
    {
        QString error;
        MonitorSink sink;
        QVERIFY(!sink.start(QAudioDevice(), &error));
        QCOMPARE(error, QStringLiteral("No audio output device found"));
        sink.play(QByteArray(160, char(0xFF))); // harmless when not started
        QCOMPARE(sink.bytesPlayed(), qint64(0));

        TxQueue q;
        MicrophoneCapture mic(&q);
        QVERIFY(!mic.start(QAudioDevice(), &error));
        QCOMPARE(error, QStringLiteral("No audio input device found"));
        QVERIFY(!mic.isActive());

        if (inputDevices().isEmpty())
            QCOMPARE(noInputReason(), QStringLiteral("No audio input device found"));
        else
            QVERIFY(noInputReason().isEmpty());
        QCOMPARE(describe(QAudioDevice()), QStringLiteral("(no device)"));
    }
};

QTEST_GUILESS_MAIN(TestAudioIo)
#include "tst_audioio.moc"
