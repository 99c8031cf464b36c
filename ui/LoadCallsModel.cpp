#include "LoadCallsModel.h"

namespace pacelab::ui {

namespace {
QString fixed(double v, int prec) { return QString::number(v, 'f', prec); }
} // namespace

QVariant LoadCallsModel::headerData(int section, Qt::Orientation o, int role) const
{
    if (o != Qt::Horizontal)
        return {};
    static const char *names[] = {"Call", "Verdict", "fps p1", "Jitter ms", "Buffered s", "Underruns", "MOS est.", "Reason"};
    static const char *tips[] = {"Call number in this step", "PASS or FAIL against the checklist's bot limits",
                                 "1st percentile of the call's per-second fps", "RFC 3550 jitter of the call's arrivals",
                                 "Buffered max: the most audio waiting at Twilio at any time, seconds", "Holes in the audio the caller hears",
                                 "Estimated listening quality (ITU-T G.107 E-model, simplified): an estimate, not a measurement",
                                 "Every limit the call broke, the worst first"};
    if (role == Qt::DisplayRole)
        return tr(names[section]);
    if (role == Qt::ToolTipRole)
        return tr(tips[section]);
    return {};
}
QVariant LoadCallsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_calls.size())
        return {};
    const CallResult &c = m_calls.at(index.row());
    const bool measuring = m_measuring.contains(c.index);
    const bool audio = c.connected && c.frames > 0;
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Call: return c.index + 1;
        case Verdict: return measuring ? QStringLiteral("measuring") : c.pass ? QStringLiteral("PASS") : QStringLiteral("FAIL");
        case FpsP1: return audio && !measuring && c.fpsMax > 0 ? fixed(c.fpsP1, 1) : QStringLiteral("-"); // no whole second: none
        case Jitter: return audio ? fixed(c.jitterMs, 2) : QStringLiteral("-");
        case Buffered: return c.connected ? fixed(c.maxBufferedSec, 2) : QStringLiteral("-");
        case Underruns: return c.connected ? QString::number(c.underruns) : QStringLiteral("-");
        case Mos: return c.connected ? fixed(c.mos, 2) : QStringLiteral("-");
        case Reason:
            if (measuring)
                return tr("not judged yet: less than a second of audio");
            return c.verdictReason.isEmpty() ? QStringLiteral("meets every limit") : c.verdictReason;
        }
    }
    if (role == Qt::ForegroundRole && index.column() == Verdict && !measuring)
        return c.pass ? passColor() : failColor();
    if (role == Qt::ToolTipRole && index.column() == Reason)
        return c.verdictReason;
    if (role == Qt::TextAlignmentRole && index.column() != Reason)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QString callFiguresHtml(const CallResult &c, bool measuring)
{
    auto line = [](const QString &name, const QString &value) {
        return QStringLiteral("<tr><td>%1</td><td align=\"right\"><b>%2</b></td></tr>").arg(name.toHtmlEscaped(), value.toHtmlEscaped());
    };
    QString html = QStringLiteral("<p><b>Call %1</b> — <b style=\"color:%2\">%3</b><br/>%4</p><table cellspacing=\"2\">")
                       .arg(c.index + 1)
                       .arg(measuring ? QStringLiteral("#555555") : c.pass ? LoadCallsModel::passColor().name() : LoadCallsModel::failColor().name(),
                            measuring ? QObject::tr("measuring") : c.pass ? QObject::tr("PASS") : QObject::tr("FAIL"),
                            (measuring ? QObject::tr("not judged yet: less than a second of audio")
                                       : c.verdictReason.isEmpty() ? QObject::tr("meets every limit") : c.verdictReason).toHtmlEscaped());
    html += line(QObject::tr("connect"), c.connected ? QObject::tr("%1 ms").arg(fixed(c.connectMs, 1)) : QObject::tr("failed: %1").arg(c.failReason));
    html += line(QObject::tr("up for"), QObject::tr("%1 s").arg(fixed(c.durationSec, 1)));
    html += line(QObject::tr("frames / audio"), QObject::tr("%1 / %2 s").arg(c.frames).arg(fixed(c.audioSec, 1)));
    html += line(QObject::tr("first audio"), c.firstAudioMs < 0 ? QStringLiteral("-") : QObject::tr("%1 ms").arg(fixed(c.firstAudioMs, 0)));
    html += line(QObject::tr("fps p1 / p50 / min / max"), QStringLiteral("%1 / %2 / %3 / %4").arg(fixed(c.fpsP1, 1), fixed(c.fpsP50, 1), fixed(c.fpsMin, 1), fixed(c.fpsMax, 1)));
    html += line(QObject::tr("jitter now / max"), QObject::tr("%1 / %2 ms").arg(fixed(c.jitterMs, 2), fixed(c.jitterMaxMs, 2)));
    html += line(QObject::tr("inter-arrival p99"), QObject::tr("%1 ms").arg(fixed(c.deltaP99Ms, 1)));
    html += line(QObject::tr("drift"), c.driftValid ? QObject::tr("%1 ppm").arg(fixed(c.driftPpm, 0)) : QObject::tr("not enough audio yet"));
    html += line(QObject::tr("bursts"), QString::number(c.bursts));
    html += line(QObject::tr("buffered max"), QObject::tr("%1 s").arg(fixed(c.maxBufferedSec, 2)));
    html += line(QObject::tr("underruns"), QString::number(c.underruns));
    html += line(QObject::tr("violations"), c.violations ? QStringLiteral("%1 (%2)").arg(c.violations).arg(c.firstViolation) : QStringLiteral("0"));
    html += line(QObject::tr("marks sent / echoed"), QStringLiteral("%1 / %2").arg(c.marksSent).arg(c.marksEchoed));
    html += line(QObject::tr("barge-ins / clears"), QStringLiteral("%1 / %2").arg(c.bargeIns).arg(c.clears));
    html += line(QObject::tr("clear latency max"), c.clearLatencyMsMax < 0 ? QStringLiteral("-") : QObject::tr("%1 ms").arg(fixed(c.clearLatencyMsMax, 0)));
    html += line(QObject::tr("MOS (est.)"), QObject::tr("%1 (R %2), an estimate").arg(fixed(c.mos, 2), fixed(c.rFactor, 0)));
    html += QStringLiteral("</table><p><small>callSid %1</small></p>").arg(c.callSid.toHtmlEscaped());
    return html;
}

} // namespace pacelab::ui
