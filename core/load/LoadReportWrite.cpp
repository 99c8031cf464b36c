// The reports of a load run: the end-of-run text, JSON (every call, plus the summaries and the
// knee), JUnit (one testcase per step) and one self-contained HTML page (inline SVG, no external
// assets).
#include "LoadReport.h"

#include "CallMetrics.h"
#include "provider/Provider.h"

#include "util/FileUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QXmlStreamWriter>

#include <algorithm>
#include <cmath>

namespace pacelab {

namespace {

// The limits the run was judged with: the checklist's, at its provider's frame duration.
Thresholds runLimits(const LoadRun &run)
{
    const provider::Id id = provider::idFromName(run.provider).value_or(provider::Id::Twilio);
    return loadThresholdsFor(provider::profile(id).outboundFormat());
}

QList<StepSummary> summariesOf(const LoadRun &run)
{
    QList<StepSummary> s;
    for (const LoadStep &step : run.steps)
        s.append(summarizeStep(step));
    return s;
}

QJsonObject spreadJson(const MetricSpread &m)
{
    return QJsonObject{{QStringLiteral("name"), m.name},   {QStringLiteral("unit"), m.unit},
                       {QStringLiteral("calls"), m.calls}, {QStringLiteral("p50"), m.p50},
                       {QStringLiteral("p95"), m.p95},     {QStringLiteral("p99"), m.p99},
                       {QStringLiteral("worst"), m.worst}, {QStringLiteral("higherIsWorse"), m.higherIsWorse}};
}

// Text from files and bots may carry control characters XML 1.0 does not allow (and
// QXmlStreamWriter would write them as they are): they become U+FFFD.
QString xmlSafe(QString s)
{
    for (QChar &c : s) {
        const char16_t u = c.unicode();
        if ((u < 0x20 && u != '\t' && u != '\n' && u != '\r') || u == 0xFFFE || u == 0xFFFF)
            c = QChar(0xFFFD);
    }
    return s;
}

// The page is also well-formed XML (checked by the tests with QXmlStreamReader).
QString esc(const QString &s)
{
    return xmlSafe(s).toHtmlEscaped();
}

} // namespace

// ---- text report ------------------------------------------------------------------------------

namespace {

QString metricValue(const MetricSpread &m, double v)
{
    if (m.calls == 0)
        return QStringLiteral("-");
    if (m.unit == QLatin1String("s") || m.name.startsWith(QLatin1String("MOS")))
        return QString::number(v, 'f', 2);
    if (m.unit.isEmpty())
        return QString::number(v, 'f', 0);
    return QString::number(v, 'f', 1);
}

} // namespace

QString loadTextReport(const LoadRun &run)
{
    // The knee phrase needs the limits the run was judged with.
    const Thresholds limits = runLimits(run);
    QString t;
    QTextStream o(&t);
    o << "Load run against " << (run.botUrl.isEmpty() ? QStringLiteral("(unknown bot)") : run.botUrl);
    if (!run.shard.isEmpty())
        o << " (shards " << run.shard << ")";
    o << "\n";
    if (run.provider != QLatin1String("twilio"))
        o << "Provider: " << run.provider << " (fps judged against " << limits.fpsTarget << ")\n";
    QList<StepSummary> summaries;
    for (const LoadStep &step : run.steps) {
        const StepSummary s = summarizeStep(step);
        summaries.append(s);
        o << "\n== " << s.targetCalls << " concurrent calls: " << (s.holds ? "HOLDS" : "BREAKS") << " ("
          << step.callsUp << " up, " << step.callsFailed << " failed, " << s.callsPassed << "/" << step.calls.size()
          << " passed";
        if (step.cpuPerCallPct >= 0)
            o << ", emulator CPU " << QString::number(step.cpuPerCallPct, 'f', 2) << " % per call";
        o << ")\n";
        o << QStringLiteral("  %1 %2 %3 %4 %5  calls\n")
                 .arg(QStringLiteral("metric"), -24)
                 .arg(QStringLiteral("p50"), 9)
                 .arg(QStringLiteral("p95"), 9)
                 .arg(QStringLiteral("p99"), 9)
                 .arg(QStringLiteral("worst"), 9);
        for (const MetricSpread &m : s.metrics) {
            const QString name = m.unit.isEmpty() ? m.name : QStringLiteral("%1 (%2)").arg(m.name, m.unit);
            o << QStringLiteral("  %1 %2 %3 %4 %5  %6\n")
                     .arg(name, -24)
                     .arg(metricValue(m, m.p50), 9)
                     .arg(metricValue(m, m.p95), 9)
                     .arg(metricValue(m, m.p99), 9)
                     .arg(metricValue(m, m.worst), 9)
                     .arg(m.calls);
        }
        if (!s.topReasons.isEmpty()) {
            o << "  failures by check:\n";
            for (const QString &r : s.topReasons)
                o << "    " << r << "\n";
        }
        QList<CallResult> failed;
        for (const CallResult &c : step.calls)
            if (!c.pass)
                failed.append(c);
        std::stable_sort(failed.begin(), failed.end(), callWorseThan);
        const int shown = std::min<int>(int(failed.size()), 20);
        if (shown > 0)
            o << "  failed calls (worst first):\n";
        for (int i = 0; i < shown; ++i) {
            const CallResult &c = failed.at(i);
            o << "    #" << c.index << (c.shard.isEmpty() ? QString() : QStringLiteral(" [%1]").arg(c.shard)) << " "
              << c.callSid << ": " << c.verdictReason << "\n";
        }
        if (failed.size() > shown)
            o << "    ... and " << (failed.size() - shown) << " more (all calls are in the JSON report)\n";
    }
    if (!summaries.isEmpty()) {
        o << "\nKnee: " << findKnee(summaries, limits).sentence << "\n";
        // One step (no --steps): where quality broke while the ramp added calls, or why not.
        if (run.steps.size() == 1 && (run.steps.first().rampPerSec >= 0 || !run.steps.first().ramp.isEmpty()))
            o << "Knee from the ramp: " << findRampKnee(run.steps.first(), limits).sentence << "\n";
        o << "MOS is an estimate (ITU-T G.107 E-model as simplified by Twilio's voice SDK), not a listening test.\n";
    }
    return t;
}

// ---- JSON -------------------------------------------------------------------------------------

bool writeLoadJson(const LoadRun &run, const QString &path, QString *error)
{
    QJsonObject o = run.toJson();
    // Derived figures for readers that do not judge themselves; LoadRun::fromJson ignores them.
    const QList<StepSummary> sums = summariesOf(run);
    QJsonArray summaries;
    for (const StepSummary &s : sums) {
        QJsonArray metrics;
        for (const MetricSpread &m : s.metrics)
            metrics.append(spreadJson(m));
        summaries.append(QJsonObject{{QStringLiteral("targetCalls"), s.targetCalls},
                                     {QStringLiteral("callsPassed"), s.callsPassed},
                                     {QStringLiteral("holds"), s.holds},
                                     {QStringLiteral("metrics"), metrics},
                                     {QStringLiteral("topReasons"), QJsonArray::fromStringList(s.topReasons)}});
    }
    o.insert(QStringLiteral("summaries"), summaries);
    const KneeResult k = findKnee(sums, runLimits(run));
    o.insert(QStringLiteral("knee"), QJsonObject{{QStringLiteral("found"), k.found},
                                                 {QStringLiteral("holdsAt"), k.holdsAt},
                                                 {QStringLiteral("breaksAt"), k.breaksAt},
                                                 {QStringLiteral("sentence"), k.sentence}});
    if (run.steps.size() == 1 && (run.steps.first().rampPerSec >= 0 || !run.steps.first().ramp.isEmpty())) {
        const KneeResult rk = findRampKnee(run.steps.first(), runLimits(run));
        o.insert(QStringLiteral("rampKnee"), QJsonObject{{QStringLiteral("found"), rk.found},
                                                         {QStringLiteral("holdsAt"), rk.holdsAt},
                                                         {QStringLiteral("breaksAt"), rk.breaksAt},
                                                         {QStringLiteral("sentence"), rk.sentence}});
    }
    o.insert(QStringLiteral("mosNote"), QStringLiteral("mos and rFactor are estimates: ITU-T G.107 E-model as simplified by "
                                                      "Twilio's voice SDK (twilio-voice.js lib/twilio/rtc/mos.ts)"));
    return saveFileAtomically(path, QJsonDocument(o).toJson(QJsonDocument::Indented), error, QStringLiteral("load report"));
}

// ---- JUnit ------------------------------------------------------------------------------------

QByteArray loadJUnitXml(const LoadRun &run)
{
    const QList<StepSummary> sums = summariesOf(run);
    int failures = 0;
    double total = 0.0;
    for (qsizetype i = 0; i < sums.size(); ++i) {
        failures += sums.at(i).holds ? 0 : 1;
        total += run.steps.at(i).durationSec;
    }
    QByteArray xml;
    QXmlStreamWriter w(&xml);
    w.setAutoFormatting(true);
    w.writeStartDocument();
    w.writeStartElement(QStringLiteral("testsuites"));
    w.writeStartElement(QStringLiteral("testsuite"));
    w.writeAttribute(QStringLiteral("name"), QStringLiteral("pacelab load"));
    w.writeAttribute(QStringLiteral("tests"), QString::number(sums.size()));
    w.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    w.writeAttribute(QStringLiteral("errors"), QStringLiteral("0"));
    w.writeAttribute(QStringLiteral("time"), QString::number(total, 'f', 3));
    if (!run.startedUtc.isEmpty())
        w.writeAttribute(QStringLiteral("timestamp"), xmlSafe(run.startedUtc));
    if (!run.host.isEmpty())
        w.writeAttribute(QStringLiteral("hostname"), xmlSafe(run.host));
    w.writeStartElement(QStringLiteral("properties"));
    auto property = [&](const QString &name, const QString &value) {
        w.writeStartElement(QStringLiteral("property"));
        w.writeAttribute(QStringLiteral("name"), name);
        w.writeAttribute(QStringLiteral("value"), xmlSafe(value));
        w.writeEndElement();
    };
    property(QStringLiteral("bot"), run.botUrl);
    property(QStringLiteral("provider"), run.provider);
    if (!run.shard.isEmpty())
        property(QStringLiteral("shards"), run.shard);
    property(QStringLiteral("knee"), findKnee(sums, runLimits(run)).sentence);
    w.writeEndElement(); // properties
    for (qsizetype i = 0; i < sums.size(); ++i) {
        const StepSummary &s = sums.at(i);
        const LoadStep &step = run.steps.at(i);
        w.writeStartElement(QStringLiteral("testcase"));
        w.writeAttribute(QStringLiteral("classname"), QStringLiteral("pacelab.load"));
        w.writeAttribute(QStringLiteral("name"), QStringLiteral("%1 concurrent calls").arg(s.targetCalls));
        w.writeAttribute(QStringLiteral("time"), QString::number(step.durationSec, 'f', 3));
        if (!s.holds) {
            const int failedCalls = int(step.calls.size()) - s.callsPassed + std::max(0, s.targetCalls - int(step.calls.size()));
            w.writeStartElement(QStringLiteral("failure"));
            w.writeAttribute(QStringLiteral("message"),
                             xmlSafe(QStringLiteral("%1 of %2 calls failed; %3")
                                 .arg(failedCalls)
                                 .arg(s.targetCalls)
                                 .arg(s.topReasons.isEmpty() ? QStringLiteral("calls missing from the results")
                                                             : s.topReasons.first())));
            w.writeAttribute(QStringLiteral("type"), QStringLiteral("LoadLimit"));
            QList<CallResult> failed;
            for (const CallResult &c : step.calls)
                if (!c.pass)
                    failed.append(c);
            std::stable_sort(failed.begin(), failed.end(), callWorseThan);
            QString body = s.topReasons.join(QLatin1Char('\n')) + QStringLiteral("\n\n");
            const qsizetype shown = std::min<qsizetype>(failed.size(), 200);
            for (qsizetype j = 0; j < shown; ++j)
                body += QStringLiteral("call %1 %2: %3\n").arg(failed.at(j).index).arg(failed.at(j).callSid, failed.at(j).verdictReason);
            if (failed.size() > shown)
                body += QStringLiteral("... and %1 more\n").arg(failed.size() - shown);
            w.writeCharacters(xmlSafe(body));
            w.writeEndElement(); // failure
        }
        w.writeEndElement(); // testcase
    }
    w.writeEndElement(); // testsuite
    w.writeEndElement(); // testsuites
    w.writeEndDocument();
    return xml;
}

bool writeLoadJUnit(const LoadRun &run, const QString &path, QString *error)
{
    return saveFileAtomically(path, loadJUnitXml(run), error, QStringLiteral("JUnit report"));
}

// ---- HTML -------------------------------------------------------------------------------------

namespace {

// Bars of "% of calls that passed" per step; held steps green, broken red.
QString kneeChartSvg(const QList<StepSummary> &sums, const KneeResult &knee)
{
    const int w = 640, h = 240, left = 48, bottom = 36, top = 16;
    const int n = std::max<int>(1, int(sums.size()));
    const double slot = double(w - left - 10) / n;
    QString svg = QStringLiteral("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%1\" height=\"%2\" viewBox=\"0 0 %1 %2\" "
                                 "role=\"img\" aria-label=\"calls passing per step\">")
                      .arg(w)
                      .arg(h);
    const int plotH = h - bottom - top;
    for (int pct = 0; pct <= 100; pct += 25) {
        const double y = top + plotH * (1.0 - pct / 100.0);
        svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"#ddd\"/>"
                              "<text x=\"%4\" y=\"%5\" font-size=\"10\" text-anchor=\"end\">%6 %</text>")
                   .arg(left)
                   .arg(y, 0, 'f', 1)
                   .arg(w - 10)
                   .arg(left - 4)
                   .arg(y + 3, 0, 'f', 1)
                   .arg(pct);
    }
    for (int i = 0; i < sums.size(); ++i) {
        const StepSummary &s = sums.at(i);
        const double pct = s.targetCalls > 0 ? 100.0 * s.callsPassed / s.targetCalls : 0.0;
        const double bh = plotH * std::clamp(pct, 0.0, 100.0) / 100.0;
        const double x = left + i * slot + slot * 0.15;
        const QString colour = s.holds ? QStringLiteral("#2e7d32") : QStringLiteral("#c62828");
        svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\"><title>%6 calls: %7 % passed</title></rect>")
                   .arg(x, 0, 'f', 1)
                   .arg(top + plotH - bh, 0, 'f', 1)
                   .arg(slot * 0.7, 0, 'f', 1)
                   .arg(bh, 0, 'f', 1)
                   .arg(colour)
                   .arg(s.targetCalls)
                   .arg(pct, 0, 'f', 1);
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" font-size=\"11\" text-anchor=\"middle\">%3%4</text>")
                   .arg(x + slot * 0.35, 0, 'f', 1)
                   .arg(h - bottom + 14)
                   .arg(s.targetCalls)
                   .arg(knee.found && s.targetCalls == knee.holdsAt ? QStringLiteral(" ◆") : QString());
    }
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" font-size=\"11\" text-anchor=\"middle\">concurrent calls (◆ = the knee)</text>")
               .arg(left + (w - left) / 2)
               .arg(h - 4);
    svg += QStringLiteral("</svg>");
    return svg;
}

QString histogramSvg(const QString &title, const QString &unit, const QList<double> &values, double limit)
{
    const int w = 300, h = 160, left = 30, bottom = 30, top = 18, bins = 20;
    QString svg = QStringLiteral("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%1\" height=\"%2\" viewBox=\"0 0 %1 %2\" "
                                 "role=\"img\" aria-label=\"%3\">")
                      .arg(w)
                      .arg(h)
                      .arg(esc(title));
    svg += QStringLiteral("<text x=\"%1\" y=\"12\" font-size=\"12\" text-anchor=\"middle\">%2</text>").arg(w / 2).arg(esc(title));
    if (values.isEmpty()) {
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" font-size=\"11\" text-anchor=\"middle\">no calls with a value</text></svg>")
                   .arg(w / 2)
                   .arg(h / 2);
        return svg;
    }
    double lo = *std::min_element(values.cbegin(), values.cend());
    double hi = *std::max_element(values.cbegin(), values.cend());
    if (limit >= 0) {
        lo = std::min(lo, limit);
        hi = std::max(hi, limit);
    }
    if (hi - lo < 1e-9)
        hi = lo + 1.0;
    QList<int> count(bins, 0);
    for (double v : values)
        ++count[std::clamp(int((v - lo) / (hi - lo) * bins), 0, bins - 1)];
    const int most = *std::max_element(count.cbegin(), count.cend());
    const int plotW = w - left - 8, plotH = h - top - bottom;
    for (int b = 0; b < bins; ++b) {
        if (count.at(b) == 0)
            continue;
        const double bh = double(plotH) * count.at(b) / most;
        svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"#1565c0\"><title>%5 calls</title></rect>")
                   .arg(left + plotW * b / double(bins), 0, 'f', 1)
                   .arg(top + plotH - bh, 0, 'f', 1)
                   .arg(plotW / double(bins) - 1, 0, 'f', 1)
                   .arg(bh, 0, 'f', 1)
                   .arg(count.at(b));
    }
    if (limit >= 0) {
        const double x = left + plotW * (limit - lo) / (hi - lo);
        svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" stroke=\"#c62828\" stroke-dasharray=\"4 2\"><title>limit %4</title></line>")
                   .arg(x, 0, 'f', 1)
                   .arg(top)
                   .arg(top + plotH)
                   .arg(limit);
    }
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" font-size=\"10\">%3</text>").arg(left).arg(h - bottom + 12).arg(QString::number(lo, 'g', 4));
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" font-size=\"10\" text-anchor=\"end\">%3 %4</text>")
               .arg(w - 8)
               .arg(h - bottom + 12)
               .arg(QString::number(hi, 'g', 4), esc(unit));
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" font-size=\"10\" text-anchor=\"end\">%3</text>").arg(left - 3).arg(top + 8).arg(most);
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" font-size=\"10\" text-anchor=\"middle\">calls per bin</text>").arg(w / 2).arg(h - 4);
    svg += QStringLiteral("</svg>");
    return svg;
}

QString fixed(double v, int prec)
{
    return QString::number(v, 'f', prec);
}

} // namespace

QByteArray loadHtml(const LoadRun &run)
{
    const Thresholds limits = runLimits(run);
    const QList<StepSummary> sums = summariesOf(run);
    const KneeResult knee = findKnee(sums, limits);
    QString h;
    h += QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>PaceLab load report</title>\n"
                        "<style>body{font-family:sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse;margin:8px 0}"
                        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;font-size:13px}th{background:#f3f3f3}"
                        "td.l,th.l{text-align:left}.fail{color:#c62828;font-weight:bold}.pass{color:#2e7d32;font-weight:bold}"
                        ".charts svg{margin:4px 12px 4px 0;border:1px solid #eee}.knee{font-size:18px;padding:8px;background:#fff8e1}"
                        "</style></head><body>\n");
    h += QStringLiteral("<h1>PaceLab load report</h1>\n<p>Bot: <code>%1</code> · provider <code>%2</code>").arg(esc(run.botUrl), esc(run.provider));
    if (!run.startedUtc.isEmpty())
        h += QStringLiteral(" &#183; started %1").arg(esc(run.startedUtc));
    if (!run.host.isEmpty())
        h += QStringLiteral(" &#183; host %1").arg(esc(run.host));
    if (!run.shard.isEmpty())
        h += QStringLiteral(" &#183; shards %1").arg(esc(run.shard));
    h += QStringLiteral("</p>\n<p class=\"knee\">%1</p>\n").arg(esc(knee.sentence));

    h += QStringLiteral("<h2>Summary</h2>\n<table><tr><th>calls</th><th>up</th><th>failed</th><th>passed</th><th>verdict</th>"
                        "<th class=\"l\">most common failure</th></tr>\n");
    for (const StepSummary &s : sums)
        h += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td class=\"%5\">%6</td><td class=\"l\">%7</td></tr>\n")
                 .arg(s.targetCalls)
                 .arg(s.callsUp)
                 .arg(s.callsFailed)
                 .arg(s.callsPassed)
                 .arg(s.holds ? QStringLiteral("pass") : QStringLiteral("fail"), s.holds ? QStringLiteral("HOLDS") : QStringLiteral("BREAKS"))
                 .arg(esc(s.topReasons.value(0)));
    h += QStringLiteral("</table>\n<h2>Knee</h2>\n<div class=\"charts\">%1</div>\n").arg(kneeChartSvg(sums, knee));

    for (qsizetype i = 0; i < sums.size(); ++i) {
        const StepSummary &s = sums.at(i);
        h += QStringLiteral("<h2>%1 concurrent calls</h2>\n<table><tr><th class=\"l\">metric</th><th>p50</th><th>p95</th><th>p99</th>"
                            "<th>worst</th><th>calls</th></tr>\n")
                 .arg(s.targetCalls);
        for (const MetricSpread &m : s.metrics) {
            const int prec = m.unit == QLatin1String("s") || m.name.startsWith(QLatin1String("MOS")) ? 2 : m.unit.isEmpty() ? 0 : 1;
            auto cell = [&](double v) { return m.calls == 0 ? QStringLiteral("-") : fixed(v, prec); };
            h += QStringLiteral("<tr><td class=\"l\">%1%2</td><td>%3</td><td>%4</td><td>%5</td><td>%6</td><td>%7</td></tr>\n")
                     .arg(esc(m.name), m.unit.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(esc(m.unit)))
                     .arg(cell(m.p50), cell(m.p95), cell(m.p99), cell(m.worst))
                     .arg(m.calls);
        }
        h += QStringLiteral("</table>\n");
        if (!s.topReasons.isEmpty()) {
            h += QStringLiteral("<ul>");
            for (const QString &r : s.topReasons)
                h += QStringLiteral("<li>%1</li>").arg(esc(r));
            h += QStringLiteral("</ul>\n");
        }
    }

    // Histograms and the calls table of the step that matters most: the one that broke, else
    // the largest.
    qsizetype focus = sums.size() - 1;
    for (qsizetype i = 0; i < sums.size(); ++i)
        if (sums.at(i).targetCalls == knee.breaksAt)
            focus = i;
    if (focus >= 0) {
        const LoadStep &step = run.steps.at(focus);
        QList<double> fps, jitter, buffered, mos;
        for (const CallResult &c : step.calls) {
            if (!c.connected)
                continue;
            if (c.frames > 0) {
                fps.append(c.fpsP1);
                jitter.append(c.jitterMs);
            }
            buffered.append(c.maxBufferedSec);
            mos.append(c.mos);
        }
        h += QStringLiteral("<h2>Distributions at %1 calls</h2>\n<div class=\"charts\">").arg(sums.at(focus).targetCalls);
        h += histogramSvg(QStringLiteral("fps p1 per call"), QStringLiteral("fps"), fps, limits.fpsTarget - limits.botFpsTolerance);
        h += histogramSvg(QStringLiteral("RFC 3550 jitter per call"), QStringLiteral("ms"), jitter, -1);
        h += histogramSvg(QStringLiteral("most audio buffered per call"), QStringLiteral("s"), buffered, limits.maxBufferedSec);
        h += histogramSvg(QStringLiteral("MOS per call (estimate)"), QString(), mos, -1);
        h += QStringLiteral("</div>\n<p>Dashed red line: the limit. MOS is an <em>estimate</em> (ITU-T G.107 E-model as simplified by "
                            "Twilio's voice SDK, <code>twilio-voice.js lib/twilio/rtc/mos.ts</code>), not a listening test.</p>\n");

        QList<CallResult> calls = step.calls;
        std::stable_sort(calls.begin(), calls.end(), callWorseThan);
        const qsizetype shown = std::min<qsizetype>(calls.size(), 500);
        h += QStringLiteral("<h2>Calls at %1, worst first</h2>\n<table><tr><th>#</th><th class=\"l\">call SID</th><th>verdict</th>"
                            "<th>fps p1</th><th>jitter ms</th><th>buffered s</th><th>underruns</th><th>MOS est.</th>"
                            "<th class=\"l\">reason</th></tr>\n")
                 .arg(sums.at(focus).targetCalls);
        for (qsizetype j = 0; j < shown; ++j) {
            const CallResult &c = calls.at(j);
            // Text from the files (SIDs, reasons) goes in last or alone: QString::arg would
            // substitute a "%1" inside it on a later call.
            h += QStringLiteral("<tr><td>%1</td><td class=\"l\"><code>").arg(c.index) + esc(c.callSid) + QStringLiteral("</code>")
                 + (c.shard.isEmpty() ? QString() : QStringLiteral(" [%1]").arg(esc(c.shard)));
            h += QStringLiteral("</td><td class=\"%1\">%2</td><td>%3</td><td>%4</td><td>%5</td><td>%6</td>")
                     .arg(c.pass ? QStringLiteral("pass") : QStringLiteral("fail"), c.pass ? QStringLiteral("PASS") : QStringLiteral("FAIL"),
                          c.connected ? fixed(c.fpsP1, 1) : QStringLiteral("-"), c.connected ? fixed(c.jitterMs, 2) : QStringLiteral("-"),
                          c.connected ? fixed(c.maxBufferedSec, 2) : QStringLiteral("-"),
                          c.connected ? QString::number(c.underruns) : QStringLiteral("-"));
            h += QStringLiteral("<td>%1</td><td class=\"l\">%2</td></tr>\n")
                     .arg(c.connected ? fixed(c.mos, 2) : QStringLiteral("-"), esc(c.verdictReason));
        }
        h += QStringLiteral("</table>\n");
        if (calls.size() > shown)
            h += QStringLiteral("<p>... and %1 more calls (all are in the JSON report).</p>\n").arg(calls.size() - shown);
    }
    h += QStringLiteral("</body></html>\n");
    return h.toUtf8();
}

bool writeLoadHtml(const LoadRun &run, const QString &path, QString *error)
{
    return saveFileAtomically(path, loadHtml(run), error, QStringLiteral("HTML report"));
}

} // namespace pacelab
