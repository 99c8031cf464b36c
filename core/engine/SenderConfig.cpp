#include "engine/SenderConfig.h"

namespace pacelab {

MediaFormat SenderConfig::outboundFormat() const
{
    return provider::profile(provider).outboundFormat();
}

QStringList SenderConfig::warnings() const
{
    QStringList w;
    const MediaFormat f = outboundFormat();
    if (frameIntervalUs > 0 && frameIntervalUs != f.frameUs())
        w << QStringLiteral("frame interval %1 us differs from %2's frame duration (%3 ms per frame): the peer "
                            "gets audio at %4x real time")
                 .arg(frameIntervalUs)
                 .arg(provider::name(provider))
                 .arg(f.frameMs)
                 .arg(double(f.frameUs()) / double(frameIntervalUs), 0, 'g', 3);
    return w;
}

QString SenderConfig::validate() const
{
    if (queueCapacity < 0)
        return QStringLiteral("queue capacity must be >= 0 (0 = unbounded), got %1").arg(queueCapacity);
    if (queueCapacity > 1000000)
        return QStringLiteral("queue capacity %1 is absurd (max 1000000 frames)").arg(queueCapacity);
    if (highWater < 0 || (queueCapacity > 0 && highWater > queueCapacity))
        return QStringLiteral("high-water mark must be between 0 and the queue capacity (%1), got %2")
            .arg(queueCapacity)
            .arg(highWater);
    if (sendQueueCapacity < 0 || sendQueueCapacity > 1000000)
        return QStringLiteral("send queue capacity must be 0..1000000 (0 = unbounded), got %1")
            .arg(sendQueueCapacity);
    if (!outboundFormat().isValid())
        return QStringLiteral("the %1 profile's outbound format (%2) is unusable")
            .arg(provider::name(provider), outboundFormat().describe());
    if (provider::profile(provider).encodeMedia(QStringLiteral("probe"), outboundFormat().silenceFrame()).data.isEmpty())
        return QStringLiteral("the %1 profile cannot encode media yet").arg(provider::name(provider));
    if (frameIntervalUs < 1000 || frameIntervalUs > 1000000)
        return QStringLiteral("frame interval must be 1000..1000000 us, got %1").arg(frameIntervalUs);
    if (maxLateFrames < 1 || maxLateFrames > 1000)
        return QStringLiteral("max late frames must be 1..1000, got %1").arg(maxLateFrames);
    if (wakeLeadUs < 0 || wakeLeadUs > 20000)
        return QStringLiteral("wake lead must be 0..20000 us, got %1").arg(wakeLeadUs);
    if (spinUs < 0 || spinUs > wakeLeadUs)
        return QStringLiteral("spin time must be 0..wake lead (%1) us, got %2").arg(wakeLeadUs).arg(spinUs);
    if (realtimePriority < 0 || realtimePriority > 99)
        return QStringLiteral("real-time priority must be 0..99 (0 = off), got %1").arg(realtimePriority);
    if (pingIntervalMs < 0)
        return QStringLiteral("ping interval must be >= 0 ms (0 = off), got %1").arg(pingIntervalMs);
    if (connectTimeoutMs < 0)
        return QStringLiteral("connect timeout must be >= 0 ms (0 = none), got %1").arg(connectTimeoutMs);
    if (maxMissedPongs < 0)
        return QStringLiteral("max missed pongs must be >= 0 (0 = never give up), got %1").arg(maxMissedPongs);
    if (maxBytesToWrite < 1024)
        return QStringLiteral("max bytes to write must be >= 1024, got %1").arg(maxBytesToWrite);
    if (dropWarnIntervalMs < 0)
        return QStringLiteral("drop warning interval must be >= 0 ms, got %1").arg(dropWarnIntervalMs);
    if (drainTimeoutMs < 0)
        return QStringLiteral("drain timeout must be >= 0 ms, got %1").arg(drainTimeoutMs);
    if (reconnectInitialMs < 1 || reconnectMaxMs < reconnectInitialMs)
        return QStringLiteral("reconnect backoff must satisfy 1 <= initial (%1) <= max (%2) ms")
            .arg(reconnectInitialMs)
            .arg(reconnectMaxMs);
    if (reconnectMaxAttempts < 0)
        return QStringLiteral("reconnect attempts must be >= 0 (0 = no limit), got %1")
            .arg(reconnectMaxAttempts);
    for (const auto &h : extraHeaders) {
        if (h.first.isEmpty() || h.first.contains(':') || h.first.contains('\n')
            || h.second.contains('\n') || h.second.contains('\r'))
            return QStringLiteral("invalid extra header '%1'").arg(QString::fromUtf8(h.first));
    }
    return {};
}

} // namespace pacelab
