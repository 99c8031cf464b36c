// Framer: only 160-byte frames leave it (and, per target format at the end, only frames of that
// format's size), whatever the chunking; samples are conserved; flush
// pads only the last frame; content equals encoding the whole buffer at once.
#include "audio/Framer.h"
#include "audio/MediaFormat.h"
#include "audio/G711.h"
#include "audio/SignalGenerator.h"

#include <QTest>

#include <random>

using namespace pacelab;

namespace {

struct Run
{
    QByteArray stream;       // all frames concatenated
    qint64 frames = 0;
    int padded = 0;
    qint64 samplesIn8k = 0;
    bool allFramesExact = true;
    QString firstBad;
};

// Pushes `in` (interleaved, `channels`) with chunk sizes from `sizes` (cycled), then flushes.
Run frameIt(int rate, int channels, const QVector<qint16> &in, const QList<int> &sizes)
{
    Framer f(rate, channels);
    Run r;
    auto take = [&r](const QList<QByteArray> &frames) {
        for (const QByteArray &fr : frames) {
            if (fr.size() != kFrameBytes && r.allFramesExact) {
                r.allFramesExact = false;
                r.firstBad = QStringLiteral("frame %1 has %2 bytes").arg(r.frames).arg(fr.size());
            }
            r.stream += fr;
            ++r.frames;
        }
    };
    const qsizetype total = in.size() / channels;
    qsizetype pos = 0;
    for (int i = 0; pos < total; ++i) {
        const qsizetype n = std::min<qsizetype>(sizes[i % sizes.size()], total - pos);
        take(f.push(in.constData() + pos * channels, n));
        pos += n;
        if (f.pendingSamples() >= kFrameSamples) {
            r.allFramesExact = false;
            r.firstBad = QStringLiteral("%1 samples left pending after a push").arg(f.pendingSamples());
        }
    }
    const Framer::FlushResult fl = f.flush();
    take(fl.frames);
    r.padded = fl.paddedSamples;
    r.samplesIn8k = f.samplesIn8k();
    if (f.framesOut() != r.frames) {
        r.allFramesExact = false;
        r.firstBad = QStringLiteral("framesOut() %1 but %2 frames returned").arg(f.framesOut()).arg(r.frames);
    }
    return r;
}

QByteArray expectedStream8k(const QVector<qint16> &in)
{
    QByteArray e = g711::encodeMulaw(in.constData(), in.size());
    const int rem = int(in.size() % kFrameSamples);
    if (rem)
        e.append(kFrameSamples - rem, char(g711::kMulawSilence));
    return e;
}

QVector<qint16> speechish(int rate, double seconds)
{
    QVector<qint16> a = signal::sweep(rate, seconds, 200.0, 3400.0, -9.0);
    const QVector<qint16> n = signal::whiteNoise(rate, seconds, -30.0, 11);
    for (qsizetype i = 0; i < a.size(); ++i)
        a[i] = qint16(std::clamp(int(a[i]) + n[i], -32768, 32767));
    return a;
}

QList<int> spreadSizes()
{
    QList<int> s{97, 159, 160, 161, 319, 320, 997, 1009, 4093, 7919, 9973, 10000};
    std::mt19937 gen(2024);
    for (int i = 0; i < 64; ++i)
        s.append(int(gen() % 10000) + 1);
    return s;
}

// The same for any target format: frames of exactly format.frameBytes(), pushed in `sizes`.
struct FormatRun
{
    QByteArray stream;
    qint64 frames = 0;
    int padded = 0;
    qint64 samplesIn = 0;
    QString firstBad; // empty = every frame exact, nothing pending >= a frame
};

FormatRun frameAs(const MediaFormat &fmt, int rate, int channels, const QVector<qint16> &in, const QList<int> &sizes)
{
    Framer f(rate, channels, fmt);
    FormatRun r;
    auto take = [&r, &fmt](const QList<QByteArray> &frames) {
        for (const QByteArray &fr : frames) {
            if (fr.size() != fmt.frameBytes() && r.firstBad.isEmpty())
                r.firstBad = QStringLiteral("frame %1 has %2 bytes, not %3").arg(r.frames).arg(fr.size()).arg(fmt.frameBytes());
            r.stream += fr;
            ++r.frames;
        }
    };
    const qsizetype total = in.size() / channels;
    qsizetype pos = 0;
    for (int i = 0; pos < total; ++i) {
        const qsizetype n = std::min<qsizetype>(sizes[i % sizes.size()], total - pos);
        take(f.push(in.constData() + pos * channels, n));
        pos += n;
        if (f.pendingSamples() >= fmt.samplesPerFrame() && r.firstBad.isEmpty())
            r.firstBad = QStringLiteral("%1 samples left pending after a push").arg(f.pendingSamples());
    }
    const Framer::FlushResult fl = f.flush();
    take(fl.frames);
    r.padded = fl.paddedSamples;
    r.samplesIn = f.samplesAtTargetRate();
    if (f.framesOut() != r.frames && r.firstBad.isEmpty())
        r.firstBad = QStringLiteral("framesOut() %1 but %2 frames returned").arg(f.framesOut()).arg(r.frames);
    return r;
}

void addFormatRows()
{
    QTest::addColumn<int>("encoding");
    QTest::addColumn<int>("rate");
    QTest::addColumn<int>("frameMs");
    using E = MediaFormat::Encoding;
    QTest::newRow("mu-law 8k 20 ms (Twilio, Telnyx, Plivo)") << int(E::Mulaw) << 8000 << 20;
    QTest::newRow("A-law 8k 20 ms") << int(E::Alaw) << 8000 << 20;
    QTest::newRow("L16 16k 20 ms (Vonage)") << int(E::L16) << 16000 << 20;
    QTest::newRow("L16 8k 20 ms") << int(E::L16) << 8000 << 20;
    QTest::newRow("L16 8k 100 ms (Exotel)") << int(E::L16) << 8000 << 100;
    QTest::newRow("L16 24k 40 ms") << int(E::L16) << 24000 << 40;
}

MediaFormat formatFromRow()
{
    QFETCH(int, encoding);
    QFETCH(int, rate);
    QFETCH(int, frameMs);
    return MediaFormat{MediaFormat::Encoding(encoding), rate, frameMs};
}

} // namespace

class TestFramer final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void everySmallChunkSize8k();
    void spreadChunkSizes8k();
    void oddRates_data();
    void oddRates();
    void flushPadsOnlyLastFrame();
    void flushWithoutRemainderPadsNothing();
    void stereoVectorPush();
    void invalidInput();
    void defaultIsTwilio();
    void everyFormatAtItsOwnRate_data() { addFormatRows(); }
    void everyFormatAtItsOwnRate();
    void everyFormatResampled_data() { addFormatRows(); }
    void everyFormatResampled();
    void remainderCarried100ms();
    void invalidTargetFormat();
};

void TestFramer::everySmallChunkSize8k()
{
    const QVector<qint16> in = speechish(8000, 1.0).mid(0, 8000 - 77); // not a multiple of 160
    const QByteArray expected = expectedStream8k(in);
    for (int cs = 1; cs <= 64; ++cs) {
        const Run r = frameIt(8000, 1, in, {cs});
        QVERIFY2(r.allFramesExact, qPrintable(QStringLiteral("chunk %1: %2").arg(cs).arg(r.firstBad)));
        QCOMPARE(r.samplesIn8k, qint64(in.size()));
        QCOMPARE(r.frames * kFrameBytes - r.padded, r.samplesIn8k);
        QCOMPARE(r.padded, int(kFrameSamples - in.size() % kFrameSamples));
        QVERIFY2(r.stream == expected, qPrintable(QStringLiteral("chunk size %1: content differs from one-shot encoding").arg(cs)));
    }
}

void TestFramer::spreadChunkSizes8k()
{
    const QVector<qint16> in = speechish(8000, 12.0).mid(0, 96000 - 13);
    const QByteArray expected = expectedStream8k(in);
    const QList<int> sizes = spreadSizes();
    for (int cs : sizes) {
        const Run r = frameIt(8000, 1, in, {cs});
        QVERIFY2(r.allFramesExact, qPrintable(r.firstBad));
        QCOMPARE(r.frames * kFrameBytes - r.padded, qint64(in.size()));
        QVERIFY2(r.stream == expected, qPrintable(QStringLiteral("chunk size %1: content differs").arg(cs)));
    }
    // Mixed sizes within one stream.
    const Run mixed = frameIt(8000, 1, in, sizes);
    QVERIFY(mixed.allFramesExact);
    QVERIFY(mixed.stream == expected);
}

void TestFramer::oddRates_data()
{
    QTest::addColumn<int>("rate");
    QTest::addColumn<int>("channels");
    for (int rate : {11025, 16000, 22050, 24000, 44100, 48000, 7999, 8001, 12345})
        QTest::newRow(qPrintable(QStringLiteral("%1 mono").arg(rate))) << rate << 1;
    QTest::newRow("44100 stereo") << 44100 << 2;
    QTest::newRow("22050 stereo") << 22050 << 2;
    QTest::newRow("8000 stereo") << 8000 << 2;
}

void TestFramer::oddRates()
{
    QFETCH(int, rate);
    QFETCH(int, channels);
    const QVector<qint16> mono = speechish(rate, 3.0);
    QVector<qint16> in;
    for (qint16 s : mono)
        for (int c = 0; c < channels; ++c)
            in.append(s);
    const double expected8k = double(mono.size()) * 8000.0 / rate;
    const Run ref = frameIt(rate, channels, in, {int(mono.size())});
    QVERIFY(ref.allFramesExact);
    QVERIFY(std::abs(ref.samplesIn8k - expected8k) <= 3.0);
    QList<QList<int>> schedules{{1, 2, 3, 5, 7, 11, 13}, {160}, {441}, {9973}, spreadSizes()};
    for (const auto &sizes : schedules) {
        const Run r = frameIt(rate, channels, in, sizes);
        QVERIFY2(r.allFramesExact, qPrintable(r.firstBad));
        QCOMPARE(r.frames * kFrameBytes - r.padded, r.samplesIn8k);
        QVERIFY2(r.padded >= 0 && r.padded < kFrameSamples, qPrintable(QString::number(r.padded)));
        QCOMPARE(r.samplesIn8k, ref.samplesIn8k); // chunking never changes the count
        QCOMPARE(r.stream.size(), ref.stream.size());
        // Content: chunking may move the resampler's float rounding by 1 LSB, which can flip a
        // mu-law code by one step; decoded, the streams must be within one quantisation step.
        int worst = 0;
        for (qsizetype i = 0; i < r.stream.size(); ++i) {
            const int a = g711::mulawToLinear(quint8(r.stream[i]));
            const int b = g711::mulawToLinear(quint8(ref.stream[i]));
            worst = std::max(worst, std::abs(a - b));
        }
        QVERIFY2(worst <= 1024, qPrintable(QStringLiteral("decoded streams differ by %1").arg(worst)));
    }
}

void TestFramer::flushPadsOnlyLastFrame()
{
    Framer f;
    const QVector<qint16> in = signal::sine(8000, 0.025, 1000.0, -3.0); // 200 samples
    QCOMPARE(in.size(), 200);
    const QList<QByteArray> out = f.push(in);
    QCOMPARE(out.size(), 1); // mid-stream: no padding, remainder carried
    QCOMPARE(f.pendingSamples(), qsizetype(40));
    const Framer::FlushResult fl = f.flush();
    QCOMPARE(fl.frames.size(), 1);
    QCOMPARE(fl.paddedSamples, 120);
    const QByteArray last = fl.frames.first();
    QCOMPARE(last.size(), kFrameBytes);
    QCOMPARE(last.left(40), g711::encodeMulaw(in.constData() + 160, 40));
    QCOMPARE(last.mid(40), QByteArray(120, char(0xFF)));
    QCOMPARE(f.pendingSamples(), qsizetype(0));
    QCOMPARE(f.framesOut(), qint64(2));
    // A second flush has nothing left.
    const Framer::FlushResult again = f.flush();
    QVERIFY(again.frames.isEmpty());
    QCOMPARE(again.paddedSamples, 0);
}

void TestFramer::flushWithoutRemainderPadsNothing()
{
    Framer f;
    const QVector<qint16> in = signal::sine(8000, 0.06, 440.0); // 480 = 3 frames
    QCOMPARE(f.push(in).size(), 3);
    const Framer::FlushResult fl = f.flush();
    QVERIFY(fl.frames.isEmpty());
    QCOMPARE(fl.paddedSamples, 0);
    Framer empty;
    QVERIFY(empty.flush().frames.isEmpty());
}

void TestFramer::stereoVectorPush()
{
    Framer f(8000, 2);
    QVERIFY(f.isValid());
    QVector<qint16> in;
    for (int i = 0; i < 320; ++i)
        in << qint16(1000) << qint16(3000); // average 2000
    in << qint16(5); // dangling half frame: ignored
    const QList<QByteArray> out = f.push(in);
    QCOMPARE(out.size(), 2);
    for (const QByteArray &fr : out)
        QCOMPARE(fr, QByteArray(160, char(g711::linearToMulaw(2000))));
}

void TestFramer::invalidInput()
{
    Framer bad(0, 1);
    QVERIFY(!bad.isValid());
    QVERIFY2(bad.errorString().contains(QStringLiteral("rate 0 Hz")), qPrintable(bad.errorString()));
    const QVector<qint16> in(1000, 100);
    QVERIFY(bad.push(in).isEmpty());
    QVERIFY(bad.flush().frames.isEmpty());
    Framer badCh(8000, 0);
    QVERIFY(!badCh.isValid());
    QVERIFY(badCh.errorString().contains(QStringLiteral("channel")));
    QVERIFY(badCh.push(in).isEmpty());
    Framer ok;
    QVERIFY(ok.push(nullptr, 10).isEmpty());
    QVERIFY(ok.push(in.constData(), -5).isEmpty());
    QCOMPARE(ok.samplesIn8k(), qint64(0));
}


void TestFramer::defaultIsTwilio()
{
    Framer f;
    QCOMPARE(f.format(), MediaFormat::mulaw8k());
    QCOMPARE(f.format().frameBytes(), kFrameBytes);
}

void TestFramer::everyFormatAtItsOwnRate()
{
    // Equal rates: no filter, so the frames are exactly the one-shot encoding, padded at the
    // end with the format's silence, whatever the chunking.
    const MediaFormat fmt = formatFromRow();
    const QVector<qint16> in = speechish(fmt.sampleRate, 2.0).mid(0, 2 * fmt.sampleRate - 77);
    const int spf = fmt.samplesPerFrame();
    QByteArray expected = fmt.encode(in);
    const int rem = int(in.size() % spf);
    if (rem)
        expected += fmt.silence((spf - rem) * fmt.bytesPerSample());
    QList<QList<int>> schedules{{1}, {7, 3, 1}, {spf - 1}, {spf}, {spf + 1}, {9973}, spreadSizes()};
    for (const QList<int> &sizes : schedules) {
        const FormatRun r = frameAs(fmt, fmt.sampleRate, 1, in, sizes);
        QVERIFY2(r.firstBad.isEmpty(), qPrintable(r.firstBad));
        QCOMPARE(r.samplesIn, qint64(in.size()));                 // conserved
        QCOMPARE(r.frames * spf - r.padded, r.samplesIn);         // every sample is in a frame
        QCOMPARE(r.padded, rem ? spf - rem : 0);                  // only the last frame is padded
        QCOMPARE(r.stream.size(), r.frames * fmt.frameBytes());
        QVERIFY2(r.stream == expected, qPrintable(QStringLiteral("chunks %1..: content differs").arg(sizes.first())));
    }
}

void TestFramer::everyFormatResampled()
{
    // From a device's rate (stereo 44.1 kHz, and 8 kHz into a 16 kHz format): exact frames, the
    // resampled count conserved, chunking never changes it.
    const MediaFormat fmt = formatFromRow();
    for (const auto &[rate, channels] : {std::pair{44100, 2}, std::pair{8000, 1}, std::pair{48000, 1}}) {
        if (rate == fmt.sampleRate)
            continue;
        const QVector<qint16> mono = speechish(rate, 3.0);
        QVector<qint16> in;
        for (qint16 v : mono)
            for (int c = 0; c < channels; ++c)
                in.append(v);
        const double expectedAtTarget = double(mono.size()) * fmt.sampleRate / rate;
        const FormatRun ref = frameAs(fmt, rate, channels, in, {int(mono.size())});
        QVERIFY2(ref.firstBad.isEmpty(), qPrintable(ref.firstBad));
        QVERIFY2(std::abs(ref.samplesIn - expectedAtTarget) <= 3.0 * fmt.sampleRate / 8000,
                 qPrintable(QStringLiteral("%1 samples at the target rate, expected ~%2").arg(ref.samplesIn).arg(expectedAtTarget)));
        for (const QList<int> &sizes : QList<QList<int>>{{1, 2, 3, 5, 7, 11, 13}, {441}, spreadSizes()}) {
            const FormatRun r = frameAs(fmt, rate, channels, in, sizes);
            QVERIFY2(r.firstBad.isEmpty(), qPrintable(r.firstBad));
            QCOMPARE(r.samplesIn, ref.samplesIn);
            QCOMPARE(r.frames * fmt.samplesPerFrame() - r.padded, r.samplesIn);
            QVERIFY(r.padded >= 0 && r.padded < fmt.samplesPerFrame());
        }
    }
}

void TestFramer::remainderCarried100ms()
{
    // Exotel's 100 ms chunks of 8 kHz L16: 800 samples, 1600 bytes.
    const MediaFormat fmt = MediaFormat::l16(8000, 100);
    QCOMPARE(fmt.frameBytes(), 1600);
    Framer f(8000, 1, fmt);
    QVERIFY(f.isValid());
    QVector<qint16> in(1100);
    for (int i = 0; i < in.size(); ++i)
        in[i] = qint16(i * 13 - 7000);
    QVERIFY(f.push(in.constData(), 799).isEmpty()); // not a frame yet: carried, not padded
    QCOMPARE(f.pendingSamples(), qsizetype(799));
    const QList<QByteArray> one = f.push(in.constData() + 799, 1);
    QCOMPARE(one.size(), 1);
    QCOMPARE(one.first(), fmt.encode(in.constData(), 800));
    QCOMPARE(f.pendingSamples(), qsizetype(0));
    QVERIFY(f.push(in.constData() + 800, 300).isEmpty());
    QCOMPARE(f.pendingSamples(), qsizetype(300));
    const Framer::FlushResult fl = f.flush();
    QCOMPARE(fl.frames.size(), 1);
    QCOMPARE(fl.paddedSamples, 500);
    QCOMPARE(fl.frames.first().size(), 1600);
    QCOMPARE(fl.frames.first().left(600), fmt.encode(in.constData() + 800, 300));
    QCOMPARE(fl.frames.first().mid(600), QByteArray(1000, '\0'));
    QCOMPARE(f.samplesAtTargetRate(), qint64(1100));
    QCOMPARE(f.framesOut(), qint64(2));
}

void TestFramer::invalidTargetFormat()
{
    Framer bad(8000, 1, MediaFormat{MediaFormat::Encoding::L16, 8000, 5}); // 5 ms: not a format
    QVERIFY(!bad.isValid());
    QVERIFY2(bad.errorString().contains(QStringLiteral("unusable target format")), qPrintable(bad.errorString()));
    const QVector<qint16> in(1000, 100);
    QVERIFY(bad.push(in).isEmpty());
    QVERIFY(bad.flush().frames.isEmpty());
}

QTEST_APPLESS_MAIN(TestFramer)
#include "tst_framer.moc"
