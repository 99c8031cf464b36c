// Signal generator: lengths, levels (peak/RMS vs dBFS), frequencies (zero crossings, Goertzel),
// DTMF pairs, sweep direction, noise determinism and whiteness, SineSource phase continuity.
#include "audio/SignalGenerator.h"

#include <QTest>

#include <cmath>
#include <numbers>

using namespace pacelab;

namespace {

double goertzelPower(const qint16 *x, qsizetype n, int rate, double freq)
{
    const double w = 2.0 * std::numbers::pi * freq / rate;
    const double coeff = 2.0 * std::cos(w);
    double s1 = 0, s2 = 0;
    for (qsizetype i = 0; i < n; ++i) {
        const double s0 = x[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (double(n) * n);
}

double rms(const QVector<qint16> &v, qsizetype from = 0, qsizetype to = -1)
{
    if (to < 0)
        to = v.size();
    double s = 0;
    for (qsizetype i = from; i < to; ++i)
        s += double(v[i]) * v[i];
    return std::sqrt(s / double(to - from));
}

int peak(const QVector<qint16> &v)
{
    int p = 0;
    for (qint16 s : v)
        p = std::max(p, std::abs(int(s)));
    return p;
}

int risingZeroCrossings(const QVector<qint16> &v, qsizetype from, qsizetype to)
{
    int n = 0;
    for (qsizetype i = from + 1; i < to; ++i)
        if (v[i - 1] < 0 && v[i] >= 0)
            ++n;
    return n;
}

double amp(double dbfs) { return 32767.0 * std::pow(10.0, dbfs / 20.0); }

} // namespace

class TestSignals final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void silence();
    void sineLevelAndFrequency_data();
    void sineLevelAndFrequency();
    void dtmfEveryDigit();
    void dtmfLayoutAndInvalidDigits();
    void sweepRises();
    void whiteNoise();
    void sineSourceKeepsPhase();
    void nonsenseRequestsGiveNothing();
};

void TestSignals::silence()
{
    const QVector<qint16> s = signal::silence(8000, 0.5);
    QCOMPARE(s.size(), 4000);
    QCOMPARE(peak(s), 0);
    QCOMPARE(signal::silence(44100, 1.0).size(), 44100);
}

void TestSignals::sineLevelAndFrequency_data()
{
    QTest::addColumn<int>("rate");
    QTest::addColumn<double>("freq");
    QTest::addColumn<double>("dbfs");
    QTest::newRow("8k 1kHz -12") << 8000 << 1000.0 << -12.0;
    QTest::newRow("8k 440Hz -3") << 8000 << 440.0 << -3.0;
    QTest::newRow("44.1k 997Hz 0") << 44100 << 997.0 << 0.0;
    QTest::newRow("16k 3000Hz -30") << 16000 << 3000.0 << -30.0;
    QTest::newRow("48k 100Hz -20") << 48000 << 100.0 << -20.0;
}

void TestSignals::sineLevelAndFrequency()
{
    QFETCH(int, rate);
    QFETCH(double, freq);
    QFETCH(double, dbfs);
    const QVector<qint16> s = signal::sine(rate, 2.0, freq, dbfs);
    QCOMPARE(s.size(), 2 * rate);
    const double a = amp(dbfs);
    const double rmsDb = 20.0 * std::log10(rms(s) / (a / std::sqrt(2.0)));
    QVERIFY2(std::abs(rmsDb) < 0.05, qPrintable(QStringLiteral("RMS off by %1 dB").arg(rmsDb)));
    QVERIFY2(peak(s) <= std::lround(a) && peak(s) >= a * 0.99, qPrintable(QStringLiteral("peak %1 vs %2").arg(peak(s)).arg(a)));
    const int zc = risingZeroCrossings(s, 0, s.size());
    QVERIFY2(std::abs(zc - 2.0 * freq) <= 1.0, qPrintable(QStringLiteral("%1 rising zero crossings in 2 s").arg(zc)));
    // Goertzel: the tone's bin holds the power, a bin 10% away has almost none.
    const double on = goertzelPower(s.constData(), s.size(), rate, freq);
    const double off = goertzelPower(s.constData(), s.size(), rate, freq * 1.1);
    QVERIFY(on > 1000.0 * off);
}

void TestSignals::dtmfEveryDigit()
{
    const QString keys = QStringLiteral("123A456B789C*0#D");
    const double rows[4] = {697, 770, 852, 941};
    const double cols[4] = {1209, 1336, 1477, 1633};
    for (int k = 0; k < keys.size(); ++k) {
        bool ok = false;
        const QVector<qint16> s = signal::dtmf(8000, keys.mid(k, 1), 100, 0, -10.0, &ok);
        QVERIFY(ok);
        QCOMPARE(s.size(), 800);
        double power[8];
        for (int i = 0; i < 4; ++i) {
            power[i] = goertzelPower(s.constData(), s.size(), 8000, rows[i]);
            power[4 + i] = goertzelPower(s.constData(), s.size(), 8000, cols[i]);
        }
        const int row = k / 4, col = k % 4;
        const double expect = amp(-10.0) * amp(-10.0) / 4.0; // |X|^2/N^2 for a sine of amplitude a
        for (int i = 0; i < 8; ++i) {
            const bool wanted = (i == row) || (i == 4 + col);
            if (wanted) {
                const double db = 10.0 * std::log10(power[i] / expect);
                QVERIFY2(std::abs(db) < 1.0, qPrintable(QStringLiteral("digit %1: tone %2 at %3 dB of expected").arg(keys[k]).arg(i).arg(db)));
            } else {
                QVERIFY2(power[i] < expect / 100.0, qPrintable(QStringLiteral("digit %1: stray energy at tone %2").arg(keys[k]).arg(i)));
            }
        }
    }
}

void TestSignals::dtmfLayoutAndInvalidDigits()
{
    bool ok = true;
    const QVector<qint16> s = signal::dtmf(8000, QStringLiteral("1x2"), 50, 30, -10.0, &ok);
    QVERIFY(!ok); // 'x' is not a DTMF digit
    QCOMPARE(s.size(), 2 * (400 + 240)); // two valid digits, each tone + gap
    for (int i = 400; i < 640; ++i)
        QCOMPARE(s[i], qint16(0));
    QVERIFY(peak(s.mid(0, 400)) > 10000);
    bool ok2 = false;
    QCOMPARE(signal::dtmf(16000, QStringLiteral("a#*"), 40, 10, -10.0, &ok2).size(), 3 * 800);
    QVERIFY(ok2); // lower-case a..d accepted
}

void TestSignals::sweepRises()
{
    const int rate = 16000;
    const QVector<qint16> s = signal::sweep(rate, 4.0, 200.0, 3200.0, -6.0);
    QCOMPARE(s.size(), 4 * rate);
    // Log sweep over 4 octaves in 4 s: the first 0.25 s sits around 200..238 Hz, the last
    // around 2690..3200 Hz.
    const int first = risingZeroCrossings(s, 0, rate / 4);
    const int last = risingZeroCrossings(s, s.size() - rate / 4, s.size());
    QVERIFY2(first >= 48 && first <= 62, qPrintable(QString::number(first)));
    QVERIFY2(last >= 660 && last <= 805, qPrintable(QString::number(last)));
    QVERIFY(peak(s) <= std::lround(amp(-6.0)) && peak(s) >= amp(-6.0) * 0.98);
}

void TestSignals::whiteNoise()
{
    const QVector<qint16> a = signal::whiteNoise(8000, 5.0, -20.0, 1);
    const QVector<qint16> b = signal::whiteNoise(8000, 5.0, -20.0, 1);
    const QVector<qint16> c = signal::whiteNoise(8000, 5.0, -20.0, 2);
    QCOMPARE(a, b);
    QVERIFY(a != c);
    const double db = 20.0 * std::log10(rms(a) / (amp(-20.0) / std::sqrt(2.0)));
    QVERIFY2(std::abs(db) < 0.2, qPrintable(QStringLiteral("noise RMS off by %1 dB").arg(db)));
    double mean = 0, r0 = 0, r1 = 0;
    for (qsizetype i = 0; i < a.size(); ++i) {
        mean += a[i];
        r0 += double(a[i]) * a[i];
        if (i)
            r1 += double(a[i]) * a[i - 1];
    }
    mean /= a.size();
    QVERIFY(std::abs(mean) < 0.02 * rms(a));
    QVERIFY2(std::abs(r1 / r0) < 0.03, qPrintable(QStringLiteral("lag-1 autocorrelation %1").arg(r1 / r0))); // white
}

void TestSignals::sineSourceKeepsPhase()
{
    signal::SineSource src(8000, 1000.0, -6.0);
    QVector<qint16> chunked;
    const int sizes[] = {1, 7, 160, 13, 999, 3};
    for (int rep = 0; rep < 40; ++rep)
        for (int n : sizes)
            chunked += src.next(n);
    const double a = amp(-6.0);
    for (qsizetype i = 0; i < chunked.size(); ++i) {
        const double ideal = a * std::sin(2.0 * std::numbers::pi * 1000.0 * double(i) / 8000.0);
        QVERIFY2(std::abs(chunked[i] - ideal) <= 1.0, qPrintable(QStringLiteral("sample %1: %2 vs %3").arg(i).arg(chunked[i]).arg(ideal)));
    }
    QCOMPARE(chunked, signal::sine(8000, chunked.size() / 8000.0, 1000.0, -6.0));
}

void TestSignals::nonsenseRequestsGiveNothing()
{
    QVERIFY(signal::silence(0, 1.0).isEmpty());
    QVERIFY(signal::sine(-8000, 1.0, 1000.0).isEmpty());
    QVERIFY(signal::sine(8000, -1.0, 1000.0).isEmpty());
    QVERIFY(signal::sine(8000, std::nan(""), 1000.0).isEmpty());
    QVERIFY(signal::sweep(8000, 1.0, 0.0, 1000.0).isEmpty());
    QVERIFY(signal::whiteNoise(8000, 0.0).isEmpty());
    bool ok = true;
    QVERIFY(signal::dtmf(0, QStringLiteral("1"), 100, 50, -10.0, &ok).isEmpty());
    QVERIFY(!ok);
    // Absurd lengths are capped (1 h), not allocated.
    QCOMPARE(signal::silence(8000, 1e12).size(), 3600 * 8000);
    signal::SineSource bad(0, 1000.0, -6.0);
    QVERIFY(bad.next(100).isEmpty());
}

QTEST_APPLESS_MAIN(TestSignals)
#include "tst_signals.moc"
