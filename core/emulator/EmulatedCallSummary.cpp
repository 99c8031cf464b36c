// The human and JSON summary of one emulated call (TwilioEmulator::summaryJson/summaryText).
#include "EmulatedCall.h"

#include <QJsonArray>

namespace pacelab {

namespace {
QString ms(double v, int prec = 1)
{
    return QString::number(v, 'f', prec);
}
} // namespace

QJsonObject EmulatedCall::summaryJson(qint64 now) const
{
    QJsonObject o;
    o[QStringLiteral("provider")] = m_profile->name();
    o[QStringLiteral("mediaFormat")] = mediaFormat().describe();
    o[QStringLiteral("streamSid")] = m_params.streamId;
    o[QStringLiteral("callSid")] = m_params.callId;
    o[QStringLiteral("accountSid")] = m_params.accountId;
    o[QStringLiteral("sessionSec")] = sessionSeconds(now);
    o[QStringLiteral("messagesReceived")] = m_messagesReceived;
    o[QStringLiteral("inboundFramesSent")] = m_inboundFrames;
    o[QStringLiteral("inboundLateResets")] = m_lateResets;
    o[QStringLiteral("arrival")] = stats().toJson();
    o[QStringLiteral("playout")] = m_playout.toJson();
    QJsonObject marks;
    marks[QStringLiteral("received")] = m_marksReceived;
    marks[QStringLiteral("echoed")] = m_playout.marksEchoed();
    marks[QStringLiteral("echoedByClear")] = m_marksEchoedByClear;
    QJsonArray order;
    for (const QString &n : m_markOrder.mid(0, 1000))
        order.append(n);
    marks[QStringLiteral("order")] = order;
    o[QStringLiteral("marks")] = marks;
    o[QStringLiteral("clears")] = m_clearsReceived;
    QJsonObject v;
    v[QStringLiteral("total")] = m_violationCount;
    QJsonObject byCode;
    for (auto it = m_violationsByCode.cbegin(); it != m_violationsByCode.cend(); ++it)
        byCode[QString::number(it.key())] = it.value();
    v[QStringLiteral("byCode")] = byCode;
    QJsonArray list;
    for (const Violation &x : m_violations.mid(0, 200))
        list.append(x.toJson());
    v[QStringLiteral("list")] = list;
    o[QStringLiteral("violations")] = v;
    o[QStringLiteral("mediaDiscardedFrames")] = m_discardedFrames;
    if (m_bargeIn.sent)
        o[QStringLiteral("bargeIn")] = m_bargeIn.toJson();
    QJsonArray secs;
    for (const PerSecondRx &rx : m_perSecond.mid(0, 3600))
        secs.append(rx.toJson());
    o[QStringLiteral("perSecond")] = secs;
    o[QStringLiteral("recordedBytes")] = qint64(m_recorded.size());
    o[QStringLiteral("recordingTruncated")] = m_recordTruncated;
    o[QStringLiteral("disconnectReason")] = m_endReason;
    return o;
}

QString EmulatedCall::summaryText(qint64 now) const
{
    const ArrivalStats s = stats();
    QStringList l;
    // frames per second of arrival span (partial first/last seconds would understate it)
    const double spanSec = (s.lastArrivalUs - s.firstArrivalUs) / 1e6;
    const double meanFps = s.frames > 1 && spanSec > 0 ? (s.frames - 1) / spanSec : 0.0;
    l << QStringLiteral("Stream %1: %2 s, %3 messages, %4 media frames (%5 s of audio)")
             .arg(m_params.streamId.isEmpty() ? QStringLiteral("-") : m_params.streamId, ms(sessionSeconds(now), 1))
             .arg(m_messagesReceived)
             .arg(s.frames)
             .arg(ms(s.audioMs / 1000.0, 2));
    if (s.frames == 0) {
        l << QStringLiteral("No media received: nothing to judge for pace or jitter");
    } else {
        l << QStringLiteral("Pace: %1 fps over the arrival span; delta min/mean/max/p99 %2/%3/%4/%5 ms (max at frame %6)")
                 .arg(ms(meanFps, 1), ms(s.deltaMinMs), ms(s.deltaMeanMs), ms(s.deltaMaxMs), ms(s.deltaP99Ms))
                 .arg(s.deltaMaxFrame);
        l << QStringLiteral("Jitter %1 ms (max %2); skew now %3 ms, worst %4 ms (+ ahead, - late); drift %5")
                 .arg(ms(s.jitterMs, 2), ms(s.jitterMaxMs, 2), ms(s.skewMs), ms(s.skewMaxMs),
                      s.driftValid ? QStringLiteral("%1 ppm (%2 ms)").arg(ms(s.driftPpm, 0), ms(s.driftMs))
                                   : QStringLiteral("n/a (too few frames)"));
    }
    l << QStringLiteral("Buffer: now %1 s, max %2 s%7; underruns %3 (%4 ms total); pauses %5; bursts %6")
             .arg(ms(m_playout.bufferedSec(), 2), ms(m_playout.maxBufferedUs() / 1e6, 2))
             .arg(m_playout.underrunCount())
             .arg(ms(m_playout.underrunTotalUs() / 1000.0, 0))
             .arg(m_playout.pauseCount())
             .arg(s.burstCount)
             .arg(m_playout.config().maxBufferedMessages > 0
                      ? QStringLiteral(" (%1 of %2 messages)").arg(m_playout.maxBufferedMessages()).arg(m_playout.config().maxBufferedMessages)
                      : QString());
    QStringList sizes;
    for (auto it = s.sizeHistogram.cbegin(); it != s.sizeHistogram.cend(); ++it)
        sizes << QStringLiteral("%1 B x%2").arg(it.key() < 0 ? QStringLiteral("other") : QString::number(it.key())).arg(it.value());
    l << QStringLiteral("Payload sizes: %1; frames not %2 B: %3")
             .arg(sizes.isEmpty() ? QStringLiteral("-") : sizes.join(QStringLiteral(", ")))
             .arg(mediaFormat().frameBytes())
             .arg(s.nonStandardFrames);
    l << QStringLiteral("Marks: %1 received, %2 echoed (%3 by clear); clears: %4")
             .arg(m_marksReceived)
             .arg(m_playout.marksEchoed())
             .arg(m_marksEchoedByClear)
             .arg(m_clearsReceived);
    QStringList codes;
    for (auto it = m_violationsByCode.cbegin(); it != m_violationsByCode.cend(); ++it)
        codes << QStringLiteral("%1 x%2").arg(it.key()).arg(it.value());
    l << QStringLiteral("Violations: %1%2").arg(m_violationCount).arg(codes.isEmpty() ? QString() : QStringLiteral(" (") + codes.join(QStringLiteral(", ")) + QLatin1Char(')'));
    for (const Violation &v : m_violations.mid(0, 5))
        l << QStringLiteral("  %1 at %2 s: %3").arg(v.code).arg(ms(v.sessionSec, 3), v.message);
    if (m_bargeIn.sent)
        l << QStringLiteral("Barge-in: %1").arg(m_bargeIn.finished ? m_bargeIn.verdict : QStringLiteral("still running"));
    if (!m_endReason.isEmpty())
        l << QStringLiteral("Ended: %1").arg(m_endReason);
    return l.join(QLatin1Char('\n'));
}

} // namespace pacelab
