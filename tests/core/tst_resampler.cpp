// Resampler (libsoxr): counts, streaming == one-shot, frequency/level kept, aliasing removed,
// downmix, validation.
#include "audio/Resampler.h"
#include "audio/SignalGenerator.h"

#include <QTest>

#include <cmath>
#include <random>

using namespace pacelab;

namespace {

const QList<int> kRates{8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 7999, 12345, 96000, 192000, 384000};

QVector<qint16> runChunked(Resampler &r, const QVector<qint16> &in, const QList<int> &sizes)
{
    QVector<qint16> out;
    const int ch = r.inputChannels();
    qsizetype frames = in.size() / ch, pos = 0;
    for (int i = 0; pos < frames; ++i) {
        const qsizetype n = std::min<qsizetype>(sizes[i % sizes.size()], frames - pos);
        out += r.process(in.constData() + pos * ch, n);
        pos += n;
    }
    out += r.flush();
    return out;
}

double rms(const QVector<qint16> &v, qsizetype from, qsizetype to)
{
    double s = 0;
    for (qsizetype i = from; i < to; ++i)
        s += double(v[i]) * v[i];
    return std::sqrt(s / double(to - from));
}

int risingZeroCrossings(const QVector<qint16> &v, qsizetype from, qsizetype to)
{
    int n = 0;
    for (qsizetype i = from + 1; i < to; ++i)
        if (v[i - 1] < 0 && v[i] >= 0)
            ++n;
    return n;
}

QVector<qint16> testSignal(int rate, double seconds)
{
    // Speech-like mix: tones across the band plus noise, deterministic.
    QVector<qint16> a = signal::sine(rate, seconds, 440.0, -12.0);
    const QVector<qint16> b = signal::sweep(rate, seconds, 100.0, std::min(rate / 2.0 - 100, 12000.0), -18.0);
    const QVector<qint16> c = signal::whiteNoise(rate, seconds, -24.0, 7);
    for (qsizetype i = 0; i < a.size(); ++i)
        a[i] = qint16(std::clamp(int(a[i]) + b[i] + c[i], -32768, 32767));
    return a;
}

} // namespace

class TestResampler final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void invalidConfigs_data();
    void invalidConfigs();
    void outputCountEveryRate_data();
    void outputCountEveryRate();
    void passThrough8kMono();
    void chunkedMatchesOneShot_data();
    void chunkedMatchesOneShot();
    void sineKeepsFrequencyAndLevel_data();
    void sineKeepsFrequencyAndLevel();
    void aliasingRemoved();
    void stereoDownmix_data();
    void stereoDownmix();
    void downmixRoundsAndClamps();
    void reusableAfterFlush();
};

void TestResampler::invalidConfigs_data()
{
    QTest::addColumn<int>("inRate");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("outRate");
    QTest::addColumn<QString>("expect");
    QTest::newRow("zero input rate") << 0 << 1 << 8000 << "input rate 0 Hz";
    QTest::newRow("negative input rate") << -44100 << 1 << 8000 << "input rate -44100 Hz";
    QTest::newRow("input rate too high") << 384001 << 1 << 8000 << "input rate 384001 Hz";
    QTest::newRow("input rate too low") << 999 << 1 << 8000 << "input rate 999 Hz";
    QTest::newRow("zero output rate") << 44100 << 1 << 0 << "output rate 0 Hz";
    QTest::newRow("zero channels") << 44100 << 0 << 8000 << "channel count 0";
    QTest::newRow("negative channels") << 8000 << -2 << 8000 << "channel count -2";
    QTest::newRow("too many channels") << 48000 << 33 << 8000 << "channel count 33";
}

void TestResampler::invalidConfigs()
{
    QFETCH(int, inRate);
    QFETCH(int, channels);
    QFETCH(int, outRate);
    QFETCH(QString, expect);
    Resampler r(inRate, channels, outRate);
    QVERIFY(!r.isValid());
    QVERIFY2(r.errorString().contains(expect), qPrintable(r.errorString()));
    const QVector<qint16> in(1000, 1000);
    QVERIFY(r.process(in.constData(), 100).isEmpty());
    QVERIFY(r.flush().isEmpty());
}

void TestResampler::outputCountEveryRate_data()
{
    QTest::addColumn<int>("rate");
    for (int rate : kRates)
        QTest::newRow(qPrintable(QString::number(rate))) << rate;
}

void TestResampler::outputCountEveryRate()
{
    QFETCH(int, rate);
    Resampler r(rate, 1);
    QVERIFY2(r.isValid(), qPrintable(r.errorString()));
    for (double seconds : {1.0, 0.37}) {
        const QVector<qint16> in = signal::sine(rate, seconds, 300.0, -6.0);
        const QVector<qint16> out = runChunked(r, in, {4096, 333, 1});
        const double expected = double(in.size()) * 8000.0 / rate;
        QVERIFY2(std::abs(out.size() - expected) <= 3.0,
                 qPrintable(QStringLiteral("%1 samples at %2 Hz -> %3, expected %4").arg(in.size()).arg(rate).arg(out.size()).arg(expected)));
    }
}

void TestResampler::passThrough8kMono()
{
    Resampler r(8000, 1);
    QVERIFY(r.isValid());
    const QVector<qint16> in = signal::whiteNoise(8000, 0.5, -3.0, 3);
    QVector<qint16> out = r.process(in.constData(), 1234);
    out += r.process(in.constData() + 1234, in.size() - 1234);
    QVERIFY(r.flush().isEmpty());
    QCOMPARE(out, in); // bit-identical: no filter in the path
}

void TestResampler::chunkedMatchesOneShot_data()
{
    QTest::addColumn<int>("rate");
    for (int rate : {11025, 16000, 22050, 44100, 48000})
        QTest::newRow(qPrintable(QString::number(rate))) << rate;
}

void TestResampler::chunkedMatchesOneShot()
{
    QFETCH(int, rate);
    const QVector<qint16> in = testSignal(rate, 2.0);
    Resampler one(rate, 1);
    QVector<qint16> ref = one.process(in.constData(), in.size());
    ref += one.flush();

    std::mt19937 gen(42);
    QList<QList<int>> schedules{{1}, {7}, {160}, {441}, {4097}, {}};
    for (int i = 0; i < 200; ++i)
        schedules.last().append(int(gen() % 10000) + 1);
    for (const auto &sizes : schedules) {
        if (sizes == QList<int>{1} && rate > 22050)
            continue; // one-sample chunks at 48 kHz only cost time; 11..22 kHz covers them
        Resampler r(rate, 1);
        const QVector<qint16> out = runChunked(r, in, sizes);
        QCOMPARE(out.size(), ref.size());
        // The filter is linear and time-invariant: chunking may only move float rounding, so
        // allow 1 LSB but nothing like a glitch at chunk borders.
        int maxDiff = 0;
        for (qsizetype i = 0; i < out.size(); ++i)
            maxDiff = std::max(maxDiff, std::abs(int(out[i]) - int(ref[i])));
        QVERIFY2(maxDiff <= 1, qPrintable(QStringLiteral("chunk schedule starting %1: max diff %2 LSB").arg(sizes.first()).arg(maxDiff)));
    }
}

void TestResampler::sineKeepsFrequencyAndLevel_data()
{
    QTest::addColumn<int>("rate");
    for (int rate : kRates)
        QTest::newRow(qPrintable(QString::number(rate))) << rate;
}

void TestResampler::sineKeepsFrequencyAndLevel()
{
    QFETCH(int, rate);
    const double level = -6.0;
    const QVector<qint16> in = signal::sine(rate, 2.0, 1000.0, level);
    Resampler r(rate, 1);
    const QVector<qint16> out = runChunked(r, in, {1000, 3001});
    // Skip the filter's start/end transients: measure the middle second.
    const qsizetype from = 4000, to = 12000;
    QVERIFY(out.size() >= to);
    const int crossings = risingZeroCrossings(out, from, to);
    QVERIFY2(std::abs(crossings - 1000) <= 1, qPrintable(QStringLiteral("%1 rising zero crossings in 1 s").arg(crossings)));
    const double expectedRms = 32767.0 * std::pow(10.0, level / 20.0) / std::sqrt(2.0);
    const double db = 20.0 * std::log10(rms(out, from, to) / expectedRms);
    QVERIFY2(std::abs(db) < 0.1, qPrintable(QStringLiteral("level off by %1 dB").arg(db)));
}

void TestResampler::aliasingRemoved()
{
    // 5 kHz is above the 4 kHz Nyquist of the output: naive decimation would fold it to 3 kHz
    // at full level; the anti-alias filter must remove it.
    const QVector<qint16> in = signal::sine(44100, 1.0, 5000.0, -1.0);
    Resampler r(44100, 1);
    const QVector<qint16> out = runChunked(r, in, {2048});
    const double db = 20.0 * std::log10(std::max(rms(out, 1000, out.size() - 1000), 1e-9) / (32767.0 * 0.89 / std::sqrt(2.0)));
    QVERIFY2(db < -60.0, qPrintable(QStringLiteral("5 kHz tone only %1 dB down after resampling to 8 kHz").arg(db)));
}

void TestResampler::stereoDownmix_data()
{
    QTest::addColumn<int>("rate");
    QTest::newRow("8000 (pass-through)") << 8000;
    QTest::newRow("44100") << 44100;
    QTest::newRow("22050") << 22050;
}

void TestResampler::stereoDownmix()
{
    QFETCH(int, rate);
    const QVector<qint16> mono = testSignal(rate, 0.5);
    QVector<qint16> opposite, same;
    for (qint16 s : mono) {
        const qint16 x = qint16(std::max<int>(s, -32767)); // -(-32768) does not fit
        opposite << x << qint16(-x);
        same << s << s;
    }
    Resampler rOpp(rate, 2);
    const QVector<qint16> silent = runChunked(rOpp, opposite, {999});
    QVERIFY(!silent.isEmpty());
    for (qint16 s : silent)
        QCOMPARE(s, qint16(0));

    Resampler rSame(rate, 2), rMono(rate, 1);
    const QVector<qint16> a = runChunked(rSame, same, {999});
    const QVector<qint16> b = runChunked(rMono, mono, {999});
    QCOMPARE(a, b);
}

void TestResampler::downmixRoundsAndClamps()
{
    Resampler r(8000, 3);
    const QVector<qint16> in{1, 2, 2, -1, -2, -2, 32767, 32767, 32767, -32768, -32768, -32768, 0, 0, 1, 0, 0, 2};
    const QVector<qint16> out = r.process(in.constData(), in.size() / 3);
    QCOMPARE(out, (QVector<qint16>{2, -2, 32767, -32768, 0, 1}));
}

void TestResampler::reusableAfterFlush()
{
    const QVector<qint16> in = testSignal(44100, 0.3);
    Resampler r(44100, 1);
    const QVector<qint16> first = runChunked(r, in, {500});
    const QVector<qint16> second = runChunked(r, in, {500});
    QCOMPARE(second, first);
}

QTEST_APPLESS_MAIN(TestResampler)
#include "tst_resampler.moc"
