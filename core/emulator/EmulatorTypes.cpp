#include "EmulatorTypes.h"

namespace pacelab {

QJsonObject Violation::toJson() const
{
    return QJsonObject{{QStringLiteral("code"), code},
                       {QStringLiteral("message"), message},
                       {QStringLiteral("timeUs"), timeUs},
                       {QStringLiteral("sessionSec"), sessionSec}};
}

QString PerSecondRx::toLine() const
{
    return QStringLiteral("[RX] fps=%1 buffered=%2s jitter=%3ms underruns=%4 bursts=%5 violations=%6")
        .arg(fps)
        .arg(bufferedSec, 0, 'f', 2)
        .arg(jitterMs, 0, 'f', 1)
        .arg(underrunsTotal)
        .arg(burstsTotal)
        .arg(violationsTotal);
}

QJsonObject PerSecondRx::toJson() const
{
    return QJsonObject{{QStringLiteral("second"), second},
                       {QStringLiteral("fps"), fps},
                       {QStringLiteral("bytes"), bytes},
                       {QStringLiteral("bufferedSec"), bufferedSec},
                       {QStringLiteral("jitterMs"), jitterMs},
                       {QStringLiteral("underruns"), underrunsInSecond},
                       {QStringLiteral("underrunsTotal"), underrunsTotal},
                       {QStringLiteral("bursts"), burstsInSecond},
                       {QStringLiteral("burstsTotal"), burstsTotal},
                       {QStringLiteral("violations"), violationsInSecond},
                       {QStringLiteral("violationsTotal"), violationsTotal},
                       {QStringLiteral("marksEchoed"), marksEchoedInSecond}};
}

} // namespace pacelab
