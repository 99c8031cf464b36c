#include "ArrivalAnalytics.h"

#include <QJsonArray>
#include <algorithm>
#include <cmath>
#include <limits>

namespace pacelab {

namespace {
constexpr int kHistBins = 20000; // 0.1 ms bins up to 2 s; the last bin holds everything longer
constexpr int kMaxSizeKeys = 256;
constexpr qint64 kUsPerByte = 125; // 8000 mu-law samples per second
constexpr int kMaxSeconds = 7 * 24 * 3600; // fpsPerSecond stops growing after a week
} // namespace

QJsonObject ArrivalStats::toJson() const
{
    QJsonObject o;
    o[QStringLiteral("frames")] = frames;
    o[QStringLiteral("bytes")] = bytes;
    o[QStringLiteral("audioMs")] = audioMs;
    o[QStringLiteral("spurts")] = spurts;
    QJsonArray fps;
    for (int f : fpsPerSecond)
        fps.append(f);
    o[QStringLiteral("fpsPerSecond")] = fps;
    QJsonObject delta;
    delta[QStringLiteral("count")] = deltaCount;
    delta[QStringLiteral("minMs")] = deltaMinMs;
    delta[QStringLiteral("meanMs")] = deltaMeanMs;
    delta[QStringLiteral("maxMs")] = deltaMaxMs;
    delta[QStringLiteral("p99Ms")] = deltaP99Ms;
    delta[QStringLiteral("maxFrame")] = deltaMaxFrame;
    o[QStringLiteral("delta")] = delta;
    o[QStringLiteral("jitterMs")] = jitterMs;
    o[QStringLiteral("jitterMaxMs")] = jitterMaxMs;
    o[QStringLiteral("skewMs")] = skewMs;
    o[QStringLiteral("skewMaxMs")] = skewMaxMs;
    QJsonObject drift;
    drift[QStringLiteral("valid")] = driftValid;
    drift[QStringLiteral("ms")] = driftMs;
    drift[QStringLiteral("ppm")] = driftPpm;
    o[QStringLiteral("drift")] = drift;
    QJsonArray bl;
    for (const Burst &b : bursts)
        bl.append(QJsonObject{{QStringLiteral("startUs"), b.startUs},
                              {QStringLiteral("frames"), b.frames},
                              {QStringLiteral("audioMs"), b.audioMs},
                              {QStringLiteral("excessMs"), b.excessMs}});
    o[QStringLiteral("burstCount")] = burstCount;
    o[QStringLiteral("bursts")] = bl;
    QJsonObject sizes;
    for (auto it = sizeHistogram.cbegin(); it != sizeHistogram.cend(); ++it)
        sizes[it.key() < 0 ? QStringLiteral("other") : QString::number(it.key())] = it.value();
    o[QStringLiteral("payloadSizes")] = sizes;
    o[QStringLiteral("nonStandardFrames")] = nonStandardFrames;
    o[QStringLiteral("firstNonStandardFrame")] = firstNonStandardFrame;
    return o;
}

ArrivalAnalytics::ArrivalAnalytics(Config config)
    : m_config(config)
{
    if (m_config.burstWindowUs <= 0)
        m_config.burstWindowUs = 1'000'000;
    if (m_config.spurtGapUs <= 0)
        m_config.spurtGapUs = 2'000'000;
    reset();
}

void ArrivalAnalytics::reset()
{
    m_stats = ArrivalStats();
    m_originUs = -1;
    m_originSet = false;
    m_newSpurt = true;
    m_spurtStartUs = 0;
    m_spurtNominalMs = 0.0;
    m_prevArrivalUs = -1;
    m_prevNominalMs = 0.0;
    m_n = m_sx = m_sy = m_sxx = m_sxy = m_lastX = 0;
    m_pooledN = m_pooledSxx = m_pooledSxy = m_pooledSpanMs = 0;
    m_deltaSumMs = 0.0;
    m_deltaHist = QVector<quint32>(kHistBins + 1, 0);
    m_window.clear();
    m_windowAudioUs = 0;
    m_inBurst = false;
}

void ArrivalAnalytics::setOriginUs(qint64 originUs)
{
    m_originUs = originUs;
    m_originSet = true;
}

void ArrivalAnalytics::reanchor()
{
    m_newSpurt = true;
}

void ArrivalAnalytics::finishSpurtFit()
{
    // Pool the spurt's centred sums: one common slope, an own intercept per spurt, so pauses
    // between utterances do not bend the fit.
    if (m_n >= 2) {
        m_pooledN += m_n;
        m_pooledSxx += m_sxx - m_sx * m_sx / m_n;
        m_pooledSxy += m_sxy - m_sx * m_sy / m_n;
        m_pooledSpanMs += m_lastX;
    }
    m_n = m_sx = m_sy = m_sxx = m_sxy = m_lastX = 0;
}

void ArrivalAnalytics::addFrame(qint64 arrivalUs, qsizetype payloadBytes)
{
    if (m_prevArrivalUs >= 0 && arrivalUs < m_prevArrivalUs)
        arrivalUs = m_prevArrivalUs; // a clock must not run backwards; keep the stats sane
    payloadBytes = std::max<qsizetype>(payloadBytes, 0);
    const qint64 audioUs = qint64(payloadBytes) * kUsPerByte;
    const double audioMs = audioUs / 1000.0;
    ArrivalStats &s = m_stats;

    if (!m_originSet) {
        m_originUs = arrivalUs;
        m_originSet = true;
    }
    const qint64 index = s.frames;
    if (s.firstArrivalUs < 0)
        s.firstArrivalUs = arrivalUs;
    s.lastArrivalUs = arrivalUs;
    s.frames++;
    s.bytes += payloadBytes;
    s.audioMs += audioMs;

    const qint64 second = std::max<qint64>(0, (arrivalUs - m_originUs) / 1'000'000);
    if (second < kMaxSeconds) {
        while (s.fpsPerSecond.size() <= second)
            s.fpsPerSecond.append(0);
        s.fpsPerSecond[second]++;
    }

    int sizeKey = int(std::min<qsizetype>(payloadBytes, std::numeric_limits<int>::max()));
    if (!s.sizeHistogram.contains(sizeKey) && s.sizeHistogram.size() >= kMaxSizeKeys)
        sizeKey = -1;
    s.sizeHistogram[sizeKey]++;
    if (payloadBytes != 160) {
        s.nonStandardFrames++;
        if (s.firstNonStandardFrame < 0)
            s.firstNonStandardFrame = index;
    }

    if (m_prevArrivalUs >= 0 && arrivalUs - m_prevArrivalUs > m_config.spurtGapUs)
        m_newSpurt = true;

    if (m_newSpurt) {
        finishSpurtFit();
        m_newSpurt = false;
        s.spurts++;
        m_spurtStartUs = arrivalUs;
        m_spurtNominalMs = 0.0;
        m_window.clear();
        m_windowAudioUs = 0;
        if (m_inBurst)
            m_inBurst = false;
    } else {
        const double deltaMs = (arrivalUs - m_prevArrivalUs) / 1000.0;
        if (s.deltaCount == 0 || deltaMs < s.deltaMinMs)
            s.deltaMinMs = deltaMs;
        if (s.deltaCount == 0 || deltaMs > s.deltaMaxMs) {
            s.deltaMaxMs = deltaMs;
            s.deltaMaxFrame = index;
        }
        s.deltaCount++;
        m_deltaSumMs += deltaMs;
        s.deltaMeanMs = m_deltaSumMs / s.deltaCount;
        const int bin = int(std::min<qint64>((arrivalUs - m_prevArrivalUs) / 100, kHistBins));
        m_deltaHist[bin]++;

        // RFC 3550: D = (Ri - Ri-1) - (Si - Si-1), S = nominal (audio) time.
        const double d = deltaMs - (m_spurtNominalMs - m_prevNominalMs);
        s.jitterMs += (std::abs(d) - s.jitterMs) / 16.0;
        s.jitterMaxMs = std::max(s.jitterMaxMs, s.jitterMs);
    }

    const double x = m_spurtNominalMs;
    const double y = (arrivalUs - m_spurtStartUs) / 1000.0;
    s.skewMs = x - y;
    if (std::abs(s.skewMs) > std::abs(s.skewMaxMs))
        s.skewMaxMs = s.skewMs;
    m_n += 1;
    m_sx += x;
    m_sy += y;
    m_sxx += x * x;
    m_sxy += x * y;
    m_lastX = x;

    // Burst: audio that arrived in the last window vs the real time it covers (the window, or
    // the spurt so far plus this frame's own length when the spurt is younger than the window).
    m_window.emplace_back(arrivalUs, audioUs);
    m_windowAudioUs += audioUs;
    while (!m_window.empty() && m_window.front().first <= arrivalUs - m_config.burstWindowUs) {
        m_windowAudioUs -= m_window.front().second;
        m_window.pop_front();
    }
    const qint64 allowedUs = std::min(m_config.burstWindowUs, arrivalUs - m_spurtStartUs + audioUs);
    const qint64 excessUs = m_windowAudioUs - allowedUs;
    if (!m_inBurst && excessUs > m_config.burstToleranceUs) {
        m_inBurst = true;
        s.burstCount++;
        if (s.bursts.size() < m_config.maxListEntries) {
            Burst b;
            b.startUs = m_window.front().first;
            b.frames = int(m_window.size());
            b.audioMs = m_windowAudioUs / 1000.0;
            b.excessMs = excessUs / 1000.0;
            s.bursts.append(b);
        }
    } else if (m_inBurst) {
        if (excessUs <= m_config.burstToleranceUs / 2) {
            m_inBurst = false;
        } else if (s.bursts.size() == s.burstCount) {
            Burst &b = s.bursts.last();
            b.frames++;
            b.audioMs += audioMs;
            b.excessMs = std::max(b.excessMs, excessUs / 1000.0);
        }
    }

    m_prevNominalMs = x;
    m_spurtNominalMs += audioMs;
    m_prevArrivalUs = arrivalUs;
}

ArrivalStats ArrivalAnalytics::stats() const
{
    ArrivalStats s = m_stats;
    if (s.deltaCount > 0) {
        const qint64 target = qint64(std::ceil(s.deltaCount * 0.99));
        qint64 acc = 0;
        for (int i = 0; i <= kHistBins; ++i) {
            acc += m_deltaHist[i];
            if (acc >= target) {
                // upper edge of the bin, never above the true maximum
                s.deltaP99Ms = std::min((i + 1) * 0.1, s.deltaMaxMs);
                break;
            }
        }
    }
    double n = m_pooledN, sxx = m_pooledSxx, sxy = m_pooledSxy, span = m_pooledSpanMs;
    if (m_n >= 2) {
        n += m_n;
        sxx += m_sxx - m_sx * m_sx / m_n;
        sxy += m_sxy - m_sx * m_sy / m_n;
        span += m_lastX;
    }
    if (n >= 10 && span >= 200.0 && sxx > 0 && sxy > 0) {
        const double slope = sxy / sxx; // actual ms per nominal ms
        s.driftValid = true;
        s.driftPpm = (1.0 / slope - 1.0) * 1e6;
        s.driftMs = (1.0 - slope) * span;
    }
    return s;
}

} // namespace pacelab
