#include "ArrivalAnalytics.h"

#include <QJsonArray>
#include <algorithm>
#include <cmath>
#include <limits>

namespace pacelab {

namespace {
constexpr int kHistBins = 20000; // 0.1 ms bins up to 2 s; the last bin holds everything longer
constexpr int kMaxSizeKeys = 256;
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
    if (!m_config.format.isValid())
        m_config.format = MediaFormat::mulaw8k();
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
    m_prevAudioUs = 0;
    m_prevNominalMs = 0.0;
    m_runStartUs = 0;
    m_runStartNominalMs = 0.0;
    m_runFrames = 0;
    m_n = m_sx = m_sy = m_sxx = m_sxy = m_firstX = m_lastX = 0;
    m_pooledN = m_pooledSxx = m_pooledSxy = m_pooledSpanMs = 0;
    m_fitFrames = m_spurtFrames = 0;
    m_pending = false;
    m_pendingX = m_pendingY = 0;
    m_runStartSkewMs = 0.0;
    m_runStarts.clear();
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

void ArrivalAnalytics::addFitPoint(double x, double y)
{
    if (m_n == 0)
        m_firstX = x;
    m_n += 1;
    m_sx += x;
    m_sy += y;
    m_sxx += x * x;
    m_sxy += x * y;
    m_lastX = x;
}

void ArrivalAnalytics::finishSpurtFit()
{
    if (m_pending) {
        addFitPoint(m_pendingX, m_pendingY);
        m_pending = false;
    }
    // Pool the spurt's centred sums: one common slope, an own intercept per spurt, so pauses
    // between utterances do not bend the fit.
    if (m_n >= 2) {
        m_pooledN += m_n;
        m_pooledSxx += m_sxx - m_sx * m_sx / m_n;
        m_pooledSxy += m_sxy - m_sx * m_sy / m_n;
        m_pooledSpanMs += m_lastX - m_firstX;
        m_fitFrames += m_spurtFrames;
    }
    m_n = m_sx = m_sy = m_sxx = m_sxy = m_firstX = m_lastX = 0;
    m_spurtFrames = 0;
}

void ArrivalAnalytics::addFrame(qint64 arrivalUs, qsizetype payloadBytes)
{
    if (m_prevArrivalUs >= 0 && arrivalUs < m_prevArrivalUs)
        arrivalUs = m_prevArrivalUs; // a clock must not run backwards; keep the stats sane
    payloadBytes = std::max<qsizetype>(payloadBytes, 0);
    const qint64 audioUs = m_config.format.bytesToUs(payloadBytes);
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
    if (payloadBytes != m_config.format.frameBytes()
        || (m_config.audioSizeMultiple > 0 && payloadBytes % m_config.audioSizeMultiple != 0)) {
        s.nonStandardFrames++;
        if (s.firstNonStandardFrame < 0)
            s.firstNonStandardFrame = index;
    }

    if (m_prevArrivalUs >= 0 && arrivalUs - m_prevArrivalUs > m_config.spurtGapUs)
        m_newSpurt = true;

    const bool spurtStart = m_newSpurt;
    // A frame arriving within half the previous frame's audio continues the bot's send run.
    const qint64 gapUs = spurtStart ? 0 : arrivalUs - m_prevArrivalUs;
    const bool runStart = spurtStart || gapUs * 2 >= m_prevAudioUs;

    if (m_newSpurt) {
        finishSpurtFit();
        m_newSpurt = false;
        s.spurts++;
        m_spurtStartUs = arrivalUs;
        m_spurtNominalMs = 0.0;
        m_window.clear();
        m_windowAudioUs = 0;
        m_runStarts.clear();
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

    // Drift fit: the last frame of each send run (pending until the next run starts).
    if (runStart && m_pending)
        addFitPoint(m_pendingX, m_pendingY);
    m_pending = true;
    m_pendingX = x;
    m_pendingY = y;
    m_spurtFrames++;

    // Run starts of the last window as a sliding maximum of their skew (front = max).
    if (runStart) {
        m_runStartSkewMs = s.skewMs;
        m_runStartUs = arrivalUs;
        m_runStartNominalMs = x;
        m_runFrames = 0;
        while (!m_runStarts.empty() && m_runStarts.back().second <= s.skewMs)
            m_runStarts.pop_back();
        m_runStarts.emplace_back(arrivalUs, s.skewMs);
        if (m_runStarts.size() > 4096) // a stream slowing down without end: stay bounded
            m_runStarts.pop_front();
    }
    m_runFrames++;
    while (!m_runStarts.empty() && m_runStarts.front().first <= arrivalUs - m_config.burstWindowUs)
        m_runStarts.pop_front();
    const double baselineMs = m_runStarts.empty() ? m_runStartSkewMs
                                                  : std::max(m_runStarts.front().second, m_runStartSkewMs);
    // How far this run has taken the stream ahead of real time beyond where it recently was:
    // a chunk at once is ahead; catching up after a stall only returns to the old level.
    const qint64 runExcessUs = qint64(std::llround((s.skewMs - baselineMs) * 1000.0));

    // Burst: audio that arrived in the last window vs the real time it covers (the window, or
    // the spurt so far plus this frame's own length when the spurt is younger than the window).
    m_window.emplace_back(arrivalUs, audioUs);
    m_windowAudioUs += audioUs;
    while (!m_window.empty() && m_window.front().first <= arrivalUs - m_config.burstWindowUs) {
        m_windowAudioUs -= m_window.front().second;
        m_window.pop_front();
    }
    const qint64 allowedUs = std::min(m_config.burstWindowUs, arrivalUs - m_spurtStartUs + audioUs);
    const qint64 windowExcessUs = m_windowAudioUs - allowedUs;
    const qint64 excessUs = std::max(windowExcessUs, runExcessUs);
    // A pause (no audio for the tolerance) ends a burst: the next chunk is a new one.
    if (m_inBurst && gapUs >= m_config.burstToleranceUs)
        m_inBurst = false;
    if (!m_inBurst && excessUs > m_config.burstToleranceUs) {
        m_inBurst = true;
        s.burstCount++;
        if (s.bursts.size() < m_config.maxListEntries) {
            Burst b;
            if (runExcessUs > m_config.burstToleranceUs) {
                b.startUs = m_runStartUs;
                b.frames = m_runFrames;
                b.audioMs = m_spurtNominalMs + audioMs - m_runStartNominalMs;
            } else {
                b.startUs = m_window.front().first;
                b.frames = int(m_window.size());
                b.audioMs = m_windowAudioUs / 1000.0;
            }
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
    m_prevAudioUs = audioUs;
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
    qint64 fitFrames = m_fitFrames;
    {
        // the current spurt with its pending run end, without disturbing the running sums
        double cn = m_n, csx = m_sx, csy = m_sy, csxx = m_sxx, csxy = m_sxy;
        double firstX = m_firstX, lastX = m_lastX;
        if (m_pending) {
            if (cn == 0)
                firstX = m_pendingX;
            cn += 1;
            csx += m_pendingX;
            csy += m_pendingY;
            csxx += m_pendingX * m_pendingX;
            csxy += m_pendingX * m_pendingY;
            lastX = m_pendingX;
        }
        if (cn >= 2) {
            n += cn;
            sxx += csxx - csx * csx / cn;
            sxy += csxy - csx * csy / cn;
            span += lastX - firstX;
            fitFrames += m_spurtFrames;
        }
    }
    if (fitFrames >= 10 && n >= 3 && span >= 200.0 && sxx > 0 && sxy > 0) {
        const double slope = sxy / sxx; // actual ms per nominal ms
        s.driftValid = true;
        s.driftPpm = (1.0 / slope - 1.0) * 1e6;
        s.driftMs = (1.0 - slope) * span;
    }
    return s;
}

} // namespace pacelab
