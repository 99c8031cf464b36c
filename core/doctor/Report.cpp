// The report: names, exit code, text and JSON renderings (deterministic: the same report gives
// the same bytes).
#include "LogDoctor.h"
#include "StreamContext.h"

#include <QJsonArray>

namespace pacelab::doctor {

QJsonObject MetricLine::toJson() const
{
    QJsonObject o{{QStringLiteral("line"), lineNo}, {QStringLiteral("fps"), fps}};
    if (q >= 0)
        o.insert(QStringLiteral("q"), q);
    if (drops >= 0)
        o.insert(QStringLiteral("drops"), drops);
    if (bound >= 0)
        o.insert(QStringLiteral("bound"), bound);
    if (!stream.isEmpty())
        o.insert(QStringLiteral("stream"), stream);
    if (!extras.isEmpty()) {
        QJsonObject e;
        for (const auto &kv : extras)
            e.insert(kv.first, kv.second);
        o.insert(QStringLiteral("extras"), e);
    }
    return o;
}

QString kindName(Kind k)
{
    switch (k) {
    case Kind::Healthy: return QStringLiteral("healthy");
    case Kind::Idle: return QStringLiteral("idle");
    case Kind::ProducerTooFast: return QStringLiteral("producer-too-fast");
    case Kind::FrameSize: return QStringLiteral("frame-size");
    case Kind::TwoSenders: return QStringLiteral("two-senders");
    case Kind::SenderStalled: return QStringLiteral("sender-stalled");
    case Kind::CatchUpBurst: return QStringLiteral("catch-up-burst");
    case Kind::TimerDrift: return QStringLiteral("timer-drift");
    case Kind::ProducerStarved: return QStringLiteral("producer-starved");
    case Kind::RateOff: return QStringLiteral("rate-off");
    case Kind::SporadicDrops: return QStringLiteral("sporadic-drops");
    case Kind::Interleaved: return QStringLiteral("interleaved");
    case Kind::TooLittleData: return QStringLiteral("too-little-data");
    }
    return QStringLiteral("unknown");
}

QString severityName(Severity s)
{
    switch (s) {
    case Severity::Ok: return QStringLiteral("ok");
    case Severity::Info: return QStringLiteral("info");
    case Severity::Warning: return QStringLiteral("warning");
    case Severity::Problem: return QStringLiteral("problem");
    }
    return QStringLiteral("unknown");
}

QJsonObject Diagnosis::toJson() const
{
    QJsonArray ev;
    for (const Evidence &e : evidence)
        ev.append(QJsonObject{{QStringLiteral("line"), e.lineNo}, {QStringLiteral("text"), e.text}});
    QJsonArray cands;
    for (const Candidate &c : candidates)
        cands.append(QJsonObject{{QStringLiteral("cause"), c.cause}, {QStringLiteral("why"), c.why}});
    QJsonObject o{{QStringLiteral("kind"), kindName(kind)},
                  {QStringLiteral("severity"), severityName(severity)},
                  {QStringLiteral("title"), title},
                  {QStringLiteral("detail"), detail},
                  {QStringLiteral("cause"), cause},
                  {QStringLiteral("fix"), fix},
                  {QStringLiteral("candidates"), cands},
                  {QStringLiteral("seconds"), seconds},
                  {QStringLiteral("evidence"), ev}};
    if (!stream.isEmpty())
        o.insert(QStringLiteral("stream"), stream);
    if (!tellApart.isEmpty())
        o.insert(QStringLiteral("tellApart"), tellApart);
    return o;
}

Severity Report::worst() const
{
    Severity w = Severity::Ok;
    for (const Diagnosis &d : diagnoses)
        w = std::max(w, d.severity);
    return w;
}

int Report::exitCode() const
{
    if (!inputOk || metricLines == 0)
        return 2;
    return worst() >= Severity::Warning ? 1 : 0;
}

namespace {
QString streamLabel(const QString &id)
{
    return id.isEmpty() ? QStringLiteral("(no id)") : id;
}
} // namespace

QString Report::toText() const
{
    QString t;
    if (!inputOk) {
        t += QStringLiteral("pacelab doctor: %1\n").arg(error);
        return t;
    }
    if (metricLines == 0 && bytesRead == 0) {
        t += QStringLiteral("pacelab doctor: the input is empty (0 bytes): nothing to diagnose.\n");
        return t;
    }
    if (metricLines == 0) {
        t += QStringLiteral("pacelab doctor: no metric lines found in %1 line(s).\n").arg(totalLines);
        if (badValueLines > 0)
            t += QStringLiteral("%1 line(s) had a metric value that is not a number (first: line %2, %3): "
                                "skipped.\n")
                     .arg(badValueLines)
                     .arg(firstBadValueLine)
                     .arg(firstBadValue);
        t += QStringLiteral("Expected per-second sender metrics such as `[TX] fps=50 q=6 drops=0`, "
                            "`fps: 50, q: 6, drops: 0` or JSON lines like "
                            "{\"frames_sent_last_sec\":50,\"tx_q_size\":6,\"drops_last_sec\":0}: "
                            "fps plus q or drops on one line.\n");
        if (binaryLines > 0)
            t += QStringLiteral("(%1 line(s) with binary data were skipped.)\n").arg(binaryLines);
        return t;
    }
    t += QStringLiteral("%1 metric line(s) out of %2 (other lines ignored)\n")
             .arg(metricLines)
             .arg(totalLines);
    t += QStringLiteral("fps min/mean/max %1/%2/%3").arg(fmt(fpsMin), QString::number(fpsMean, 'f', 1), fmt(fpsMax));
    if (qMax >= 0)
        t += QStringLiteral(", q max %1").arg(fmt(qMax));
    t += QStringLiteral(", drops total %1\n").arg(fmt(dropsTotal));
    if (!warning.isEmpty())
        t += QStringLiteral("note: %1\n").arg(warning);
    const bool multi = streams.size() > 1;
    if (multi) {
        int bad = 0, warn = 0;
        for (const StreamSummary &s : streams) {
            bad += s.worst == Severity::Problem;
            warn += s.worst == Severity::Warning;
        }
        t += QStringLiteral("\n%1 streams (calls): %2 with a problem, %3 with a warning, %4 fine; worst first:\n")
                 .arg(streams.size())
                 .arg(bad)
                 .arg(warn)
                 .arg(streams.size() - bad - warn);
        for (const StreamSummary &s : streams)
            t += QStringLiteral("  %1  %2  %3  (%4 line(s), %5)\n")
                     .arg(severityName(s.worst).toUpper(), -8)
                     .arg(streamLabel(s.id), -34)
                     .arg(s.title)
                     .arg(s.metricLines)
                     .arg(lineRange(s.firstLine, s.lastLine));
    } else if (streams.size() == 1 && !streams.first().id.isEmpty()) {
        t += QStringLiteral("stream: %1\n").arg(streams.first().id);
    }
    for (const Diagnosis &d : diagnoses) {
        t += QStringLiteral("\n%1  %2").arg(severityName(d.severity).toUpper(), d.title);
        if (d.seconds > 0)
            t += QStringLiteral("  (%1 s)").arg(d.seconds);
        if (multi)
            t += QStringLiteral("  [%1]").arg(streamLabel(d.stream));
        t += QLatin1Char('\n');
        if (!d.detail.isEmpty())
            t += QStringLiteral("  Seen: %1\n").arg(d.detail);
        if (!d.cause.isEmpty())
            t += QStringLiteral("  Likely cause: %1\n").arg(d.cause);
        if (d.candidates.size() > 1 || (d.candidates.size() == 1 && !d.candidates.first().why.isEmpty())) {
            t += QStringLiteral("  Causes that fit, most likely first:\n");
            for (qsizetype i = 0; i < d.candidates.size(); ++i)
                t += QStringLiteral("    %1. %2 (%3)\n").arg(i + 1).arg(d.candidates[i].cause, d.candidates[i].why);
        }
        if (!d.tellApart.isEmpty())
            t += QStringLiteral("  To tell them apart: %1\n").arg(d.tellApart);
        if (!d.fix.isEmpty())
            t += QStringLiteral("  Fix: %1\n").arg(d.fix);
        if (!d.evidence.isEmpty()) {
            t += QStringLiteral("  Evidence:\n");
            for (const Evidence &e : d.evidence)
                t += QStringLiteral("    %1: %2\n").arg(e.lineNo, 6).arg(e.text);
        }
    }
    return t;
}

QJsonObject Report::toJson() const
{
    QJsonObject o{{QStringLiteral("inputOk"), inputOk},
                  {QStringLiteral("bytesRead"), bytesRead},
                  {QStringLiteral("totalLines"), totalLines},
                  {QStringLiteral("metricLines"), metricLines},
                  {QStringLiteral("truncatedLines"), truncatedLines},
                  {QStringLiteral("binaryLines"), binaryLines},
                  {QStringLiteral("badValueLines"), badValueLines},
                  {QStringLiteral("exitCode"), exitCode()}};
    if (cancelled)
        o.insert(QStringLiteral("cancelled"), true);
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    if (!warning.isEmpty())
        o.insert(QStringLiteral("warning"), warning);
    if (metricLines > 0) {
        o.insert(QStringLiteral("fps"), QJsonObject{{QStringLiteral("min"), fpsMin},
                                                    {QStringLiteral("mean"), fpsMean},
                                                    {QStringLiteral("max"), fpsMax}});
        o.insert(QStringLiteral("qMax"), qMax);
        o.insert(QStringLiteral("dropsTotal"), dropsTotal);
    }
    QJsonArray streamsJson;
    for (const StreamSummary &s : streams)
        streamsJson.append(QJsonObject{{QStringLiteral("id"), s.id},
                                       {QStringLiteral("metricLines"), s.metricLines},
                                       {QStringLiteral("firstLine"), s.firstLine},
                                       {QStringLiteral("lastLine"), s.lastLine},
                                       {QStringLiteral("worst"), severityName(s.worst)},
                                       {QStringLiteral("top"), kindName(s.top)},
                                       {QStringLiteral("title"), s.title}});
    o.insert(QStringLiteral("streams"), streamsJson);
    QJsonArray diags;
    for (const Diagnosis &d : diagnoses)
        diags.append(d.toJson());
    o.insert(QStringLiteral("diagnoses"), diags);
    QJsonArray series;
    for (const MetricLine &m : this->series)
        series.append(m.toJson());
    o.insert(QStringLiteral("series"), series);
    o.insert(QStringLiteral("seriesComplete"), qint64(this->series.size()) == metricLines);
    return o;
}

} // namespace pacelab::doctor
