#include "SignalGenerator.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

namespace pacelab::signal {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;
constexpr int kMaxRate = 384000;
constexpr double kMaxSeconds = 3600.0; // a generated test signal longer than an hour is a bug

double amplitudeOf(double dbfs) { return 32767.0 * std::pow(10.0, dbfs / 20.0); }

// Sample count for a request, 0 for nonsense (bad rate, negative/NaN duration).
qsizetype sampleCount(int rate, double seconds)
{
    if (rate <= 0 || rate > kMaxRate || !std::isfinite(seconds) || seconds <= 0.0)
        return 0;
    return qsizetype(std::llround(std::min(seconds, kMaxSeconds) * rate));
}

qint16 toPcm(double v) { return qint16(std::clamp(std::lround(v), -32768L, 32767L)); }

bool dtmfFreqs(QChar c, double *low, double *high)
{
    static const char keys[4][5] = {"123A", "456B", "789C", "*0#D"};
    static const double rows[4] = {697, 770, 852, 941};
    static const double cols[4] = {1209, 1336, 1477, 1633};
    const char ch = char(c.toUpper().toLatin1());
    for (int r = 0; r < 4; ++r)
        for (int k = 0; k < 4; ++k)
            if (ch != 0 && keys[r][k] == ch) {
                *low = rows[r];
                *high = cols[k];
                return true;
            }
    return false;
}

} // namespace

QVector<qint16> silence(int sampleRate, double seconds)
{
    return QVector<qint16>(sampleCount(sampleRate, seconds), 0);
}

QVector<qint16> sine(int sampleRate, double seconds, double freqHz, double levelDbfs)
{
    const qsizetype n = sampleCount(sampleRate, seconds);
    SineSource src(sampleRate, freqHz, levelDbfs);
    return src.next(n);
}

QVector<qint16> dtmf(int sampleRate, const QString &digits, int toneMs, int gapMs, double levelDbfs, bool *ok)
{
    bool allValid = true;
    QVector<qint16> out;
    if (sampleRate <= 0 || sampleRate > kMaxRate || toneMs < 0 || gapMs < 0 || toneMs > 60000 || gapMs > 60000) {
        if (ok)
            *ok = false;
        return out;
    }
    const qsizetype toneN = qsizetype(std::llround(toneMs * sampleRate / 1000.0));
    const qsizetype gapN = qsizetype(std::llround(gapMs * sampleRate / 1000.0));
    // levelDbfs is per tone (the usual DTMF spec); the pair peaks up to 6 dB higher, clamped.
    const double amp = amplitudeOf(levelDbfs);
    for (QChar c : digits) {
        double lo = 0, hi = 0;
        if (!dtmfFreqs(c, &lo, &hi)) {
            allValid = false;
            continue;
        }
        for (qsizetype i = 0; i < toneN; ++i) {
            const double t = double(i) / sampleRate;
            out.append(toPcm(amp * (std::sin(kTwoPi * lo * t) + std::sin(kTwoPi * hi * t))));
        }
        out.append(QVector<qint16>(gapN, 0));
    }
    if (ok)
        *ok = allValid;
    return out;
}

QVector<qint16> sweep(int sampleRate, double seconds, double startHz, double endHz, double levelDbfs)
{
    const qsizetype n = sampleCount(sampleRate, seconds);
    QVector<qint16> out;
    if (n == 0 || !(startHz > 0) || !(endHz > 0) || !std::isfinite(startHz) || !std::isfinite(endHz))
        return out;
    out.resize(n);
    // Logarithmic (exponential) sweep: equal time per octave, phase integrated per sample.
    const double amp = amplitudeOf(levelDbfs);
    const double ratio = endHz / startHz;
    double phase = 0.0;
    for (qsizetype i = 0; i < n; ++i) {
        out[i] = toPcm(amp * std::sin(phase));
        const double f = startHz * std::pow(ratio, double(i) / double(n));
        phase = std::fmod(phase + kTwoPi * f / sampleRate, kTwoPi);
    }
    return out;
}

QVector<qint16> whiteNoise(int sampleRate, double seconds, double levelDbfs, quint32 seed)
{
    const qsizetype n = sampleCount(sampleRate, seconds);
    QVector<qint16> out(n);
    // Uniform noise with the RMS of a sine at levelDbfs (amp/sqrt2); uniform [-a,a] has RMS
    // a/sqrt3. mt19937's raw output is specified exactly, so the seed gives the same samples
    // everywhere (std distributions are not portable).
    const double a = amplitudeOf(levelDbfs) / std::sqrt(2.0) * std::sqrt(3.0);
    std::mt19937 gen(seed);
    for (qsizetype i = 0; i < n; ++i) {
        const double u = (double(gen()) + 0.5) / 4294967296.0; // (0,1)
        out[i] = toPcm(a * (2.0 * u - 1.0));
    }
    return out;
}

SineSource::SineSource(int sampleRate, double freqHz, double levelDbfs)
    : m_rate(sampleRate > 0 && sampleRate <= kMaxRate ? sampleRate : 0),
      m_freq(std::isfinite(freqHz) ? freqHz : 0.0),
      m_amp(std::isfinite(levelDbfs) ? amplitudeOf(levelDbfs) : 0.0)
{
}

QVector<qint16> SineSource::next(qsizetype samples)
{
    QVector<qint16> out;
    if (m_rate <= 0 || samples <= 0)
        return out;
    out.resize(std::min<qsizetype>(samples, qsizetype(kMaxSeconds * m_rate)));
    const double step = kTwoPi * m_freq / m_rate;
    for (auto &s : out) {
        s = toPcm(m_amp * std::sin(m_phase));
        m_phase += step;
        if (std::abs(m_phase) >= kTwoPi) // keep the phase small so precision does not drift over hours
            m_phase = std::fmod(m_phase, kTwoPi);
    }
    return out;
}

} // namespace pacelab::signal
