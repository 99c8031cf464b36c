#include "engine/Telemetry.h"

namespace pacelab {

QString TelemetrySnapshot::toLine() const
{
    QString line = QStringLiteral("[TX] fps=%1 q=%2 drops=%3 late=%4 p99=%5us p50=%6us max=%7us")
                       .arg(framesSent)
                       .arg(queueDepth)
                       .arg(drops)
                       .arg(lateResets)
                       .arg(latenessP99Us)
                       .arg(latenessP50Us)
                       .arg(latenessMaxUs);
    line += QStringLiteral(" qmax=%1 sq=%2 e2s99=%3ms bytes=%4 rtt=%5 missed=%6 stalled=%7")
                .arg(queueMax)
                .arg(sendQueueDepth)
                .arg(double(enqueueToSendP99Us) / 1000.0, 0, 'f', 1)
                .arg(bytesSent)
                .arg(pingRttMs < 0 ? QStringLiteral("-") : QStringLiteral("%1ms").arg(pingRttMs))
                .arg(missedPongs)
                .arg(stalledFrames);
    if (comfortFrames > 0)
        line += QStringLiteral(" comfort=%1").arg(comfortFrames);
    if (offThreadWrites > 0)
        line += QStringLiteral(" OFF-THREAD-WRITES=%1").arg(offThreadWrites);
    if (idle)
        line += QStringLiteral(" idle");
    if (!sched.isEmpty())
        line += QStringLiteral(" sched=") + sched;
    return line;
}

QJsonObject TelemetrySnapshot::toJson() const
{
    QJsonObject o;
    o[QLatin1String("second")] = secondIndex;
    o[QLatin1String("wallTimeMs")] = wallTimeMs;
    o[QLatin1String("fps")] = framesSent;
    o[QLatin1String("comfortFrames")] = comfortFrames;
    o[QLatin1String("marksSent")] = marksSent;
    o[QLatin1String("q")] = queueDepth;
    o[QLatin1String("qMax")] = queueMax;
    o[QLatin1String("sendQ")] = sendQueueDepth;
    o[QLatin1String("sendQMax")] = sendQueueMax;
    o[QLatin1String("drops")] = drops;
    o[QLatin1String("dropsTotal")] = qint64(dropsTotal);
    o[QLatin1String("lateResets")] = lateResets;
    o[QLatin1String("lateResetsTotal")] = qint64(lateResetsTotal);
    o[QLatin1String("latenessP50Us")] = latenessP50Us;
    o[QLatin1String("latenessP99Us")] = latenessP99Us;
    o[QLatin1String("latenessMaxUs")] = latenessMaxUs;
    o[QLatin1String("enqueueToSendP50Us")] = enqueueToSendP50Us;
    o[QLatin1String("enqueueToSendP99Us")] = enqueueToSendP99Us;
    o[QLatin1String("bytesSent")] = bytesSent;
    o[QLatin1String("bytesSentTotal")] = bytesSentTotal;
    o[QLatin1String("bytesToWrite")] = bytesToWrite;
    o[QLatin1String("pingRttMs")] = pingRttMs;
    o[QLatin1String("missedPongs")] = missedPongs;
    o[QLatin1String("stalledFrames")] = stalledFrames;
    o[QLatin1String("stalledTotal")] = qint64(stalledTotal);
    o[QLatin1String("offThreadWrites")] = qint64(offThreadWrites);
    o[QLatin1String("idle")] = idle;
    if (!sched.isEmpty())
        o[QLatin1String("sched")] = sched;
    return o;
}

TelemetrySnapshot TelemetrySnapshot::fromJson(const QJsonObject &o)
{
    auto i64 = [&](const char *k, qint64 def = 0) {
        return o.value(QLatin1String(k)).toInteger(def);
    };
    TelemetrySnapshot s;
    s.secondIndex = i64("second");
    s.wallTimeMs = i64("wallTimeMs");
    s.framesSent = int(i64("fps"));
    s.comfortFrames = int(i64("comfortFrames"));
    s.marksSent = int(i64("marksSent"));
    s.queueDepth = int(i64("q"));
    s.queueMax = int(i64("qMax"));
    s.sendQueueDepth = int(i64("sendQ"));
    s.sendQueueMax = int(i64("sendQMax"));
    s.drops = int(i64("drops"));
    s.dropsTotal = quint64(i64("dropsTotal"));
    s.lateResets = int(i64("lateResets"));
    s.lateResetsTotal = quint64(i64("lateResetsTotal"));
    s.latenessP50Us = i64("latenessP50Us");
    s.latenessP99Us = i64("latenessP99Us");
    s.latenessMaxUs = i64("latenessMaxUs");
    s.enqueueToSendP50Us = i64("enqueueToSendP50Us");
    s.enqueueToSendP99Us = i64("enqueueToSendP99Us");
    s.bytesSent = i64("bytesSent");
    s.bytesSentTotal = i64("bytesSentTotal");
    s.bytesToWrite = i64("bytesToWrite");
    s.pingRttMs = int(i64("pingRttMs", -1));
    s.missedPongs = int(i64("missedPongs"));
    s.stalledFrames = int(i64("stalledFrames"));
    s.stalledTotal = quint64(i64("stalledTotal"));
    s.offThreadWrites = quint64(i64("offThreadWrites"));
    s.idle = o.value(QLatin1String("idle")).toBool();
    s.sched = o.value(QLatin1String("sched")).toString();
    return s;
}

} // namespace pacelab
