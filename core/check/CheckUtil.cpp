#include "CheckUtil.h"

#include "audio/G711.h"

#include <algorithm>
#include <cmath>

namespace pacelab::check {

namespace {
// Marker in front of the number; both codes decode to 0, so the frame stays silent.
constexpr quint8 kZeroA = 0xFF;
constexpr quint8 kZeroB = 0x7F;
constexpr quint8 kMagic[8] = {kZeroB, kZeroA, kZeroB, kZeroB, kZeroA, kZeroA, kZeroB, kZeroA};
constexpr int kTagBytes = 8 + 32;
} // namespace

QByteArray taggedFrame(quint32 number, int bytes)
{
    QByteArray f(qMax(0, bytes), char(kZeroA));
    if (bytes < kTagBytes)
        return f;
    for (int i = 0; i < 8; ++i)
        f[i] = char(kMagic[i]);
    for (int bit = 0; bit < 32; ++bit)
        f[8 + bit] = char((number >> (31 - bit)) & 1u ? kZeroB : kZeroA);
    return f;
}

std::optional<quint32> readFrameTag(const QByteArray &mulaw)
{
    if (mulaw.size() < kTagBytes)
        return std::nullopt;
    for (int i = 0; i < 8; ++i)
        if (quint8(mulaw[i]) != kMagic[i])
            return std::nullopt;
    quint32 n = 0;
    for (int bit = 0; bit < 32; ++bit) {
        const quint8 c = quint8(mulaw[8 + bit]);
        if (c != kZeroA && c != kZeroB)
            return std::nullopt;
        n = (n << 1) | (c == kZeroB ? 1u : 0u);
    }
    return n;
}

double mulawDbfs(const QByteArray &mulaw)
{
    if (mulaw.isEmpty())
        return -120.0;
    double sum = 0;
    for (char c : mulaw) {
        const double v = g711::mulawToLinear(quint8(c)) / 32768.0;
        sum += v * v;
    }
    const double rms = std::sqrt(sum / mulaw.size());
    // Full-scale sine = 0 dBFS, as SignalGenerator's levels.
    return rms > 0 ? std::max(-120.0, 20.0 * std::log10(rms * std::sqrt(2.0))) : -120.0;
}

CpuLoad::~CpuLoad()
{
    stop();
}

void CpuLoad::start(int threads)
{
    stop();
    m_stop = false;
    for (int i = 0; i < threads; ++i)
        m_threads.emplace_back([this] {
            volatile double x = 1.0;
            while (!m_stop.load(std::memory_order_relaxed))
                for (int k = 0; k < 10000; ++k)
                    x = x * 1.0000001 + 1e-9;
        });
}

void CpuLoad::stop()
{
    m_stop = true;
    for (std::thread &t : m_threads)
        t.join();
    m_threads.clear();
}

QString fmtRange(int lo, int hi)
{
    return lo == hi ? QString::number(lo) : QStringLiteral("%1..%2").arg(lo).arg(hi);
}

QString fmtMs(double ms, int decimals)
{
    return QStringLiteral("%1 ms").arg(ms, 0, 'f', decimals);
}

QString fmtPct(double share)
{
    return QStringLiteral("%1 %").arg(share * 100.0, 0, 'f', 1);
}

double percentile(QList<double> values, double p)
{
    if (values.isEmpty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const double rank = std::ceil(p / 100.0 * values.size());
    const qsizetype idx = std::clamp<qsizetype>(qsizetype(rank) - 1, 0, values.size() - 1);
    return values[idx];
}

} // namespace pacelab::check
