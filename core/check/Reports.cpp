#include "Reports.h"

#include "util/FileUtil.h"

#include <QDir>
#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointF>
#include <QXmlStreamWriter>

#include <algorithm>
#include <cmath>

#ifndef PACELAB_VERSION
#define PACELAB_VERSION "dev"
#endif

namespace pacelab::check {

// ---- common ---------------------------------------------------------------------------------

ReportMeta ReportMeta::from(const CheckConfig &cfg, const QDateTime &startedAt, double totalSec)
{
    ReportMeta m;
    m.startedAt = startedAt;
    m.totalSec = totalSec;
    m.config = cfg.toJson();
    m.target = cfg.describeTarget();
    m.provider = provider::name(cfg.provider);
    m.format = provider::profile(cfg.provider).outboundFormat().describe();
    return m;
}

ReportCounts ReportCounts::of(const QList<ScenarioResult> &results)
{
    ReportCounts c;
    for (const ScenarioResult &r : results) {
        ++c.total;
        switch (r.verdict) {
        case Verdict::Pass: ++c.passed; break;
        case Verdict::Fail: ++c.failed; break;
        case Verdict::Error: ++c.errors; break;
        case Verdict::Skipped: ++c.skipped; break;
        }
    }
    return c;
}

namespace {

struct Resolved
{
    QDateTime startedAt;
    double totalSec;
    QString host;
    QString target;
    QString provider;
    QString providerName; // "Twilio Media Streams"
    QString format;
    QJsonObject config;
};

Resolved resolve(const QList<ScenarioResult> &results, const ReportMeta &meta)
{
    Resolved r;
    r.startedAt = meta.startedAt.isValid() ? meta.startedAt : QDateTime::currentDateTime();
    r.totalSec = meta.totalSec;
    if (r.totalSec < 0) {
        r.totalSec = 0;
        for (const ScenarioResult &s : results)
            r.totalSec += s.durationSec;
    }
    r.host = meta.hostName.isEmpty() ? QHostInfo::localHostName() : meta.hostName;
    r.target = meta.target.isEmpty() ? QStringLiteral("PaceLab sender -> built-in emulator on 127.0.0.1")
                                     : meta.target;
    r.config = meta.config;
    // Reports name the protocol the checklist spoke: the thresholds (fps, frame size) follow it.
    r.provider = !meta.provider.isEmpty() ? meta.provider
                 : meta.config.value(QStringLiteral("provider")).toString(QStringLiteral("twilio"));
    const std::optional<provider::Id> id = provider::idFromName(r.provider);
    r.providerName = id ? provider::profile(*id).displayName() : r.provider;
    r.format = !meta.format.isEmpty() ? meta.format
               : id               ? provider::profile(*id).outboundFormat().describe()
                                  : QString();
    return r;
}

QString fmt(double v, int decimals = 1)
{
    return QString::number(v, 'f', decimals);
}

// The text a CI system shows for a scenario: the reason, then every criterion with its numbers.
QString criteriaText(const ScenarioResult &r)
{
    QString text;
    for (const Criterion &c : r.criteria) {
        const QString mark = c.informational ? QStringLiteral("[info]") : c.pass ? QStringLiteral("[ok]  ")
                                                                                  : QStringLiteral("[FAIL]");
        text += QStringLiteral("%1 %2: %3").arg(mark, c.name, c.measured);
        if (!c.limit.isEmpty())
            text += QStringLiteral(" (limit %1)").arg(c.limit);
        text += QLatin1Char('\n');
    }
    return text;
}

} // namespace

bool checkWritable(const QString &path, QString *error)
{
    return checkOutputPath(path, error, QStringLiteral("report"));
}

// ---- JUnit ----------------------------------------------------------------------------------

QByteArray junitXml(const QList<ScenarioResult> &results, const ReportMeta &meta)
{
    const Resolved m = resolve(results, meta);
    const ReportCounts c = ReportCounts::of(results);
    QByteArray out;
    QXmlStreamWriter w(&out);
    w.setAutoFormatting(true);
    w.writeStartDocument();
    w.writeStartElement(QStringLiteral("testsuites"));
    w.writeAttribute(QStringLiteral("name"), QStringLiteral("pacelab check"));
    w.writeAttribute(QStringLiteral("tests"), QString::number(c.total));
    w.writeAttribute(QStringLiteral("failures"), QString::number(c.failed));
    w.writeAttribute(QStringLiteral("errors"), QString::number(c.errors));
    w.writeAttribute(QStringLiteral("skipped"), QString::number(c.skipped));
    w.writeAttribute(QStringLiteral("time"), fmt(m.totalSec, 3));

    w.writeStartElement(QStringLiteral("testsuite"));
    w.writeAttribute(QStringLiteral("name"), QStringLiteral("pacelab.check"));
    w.writeAttribute(QStringLiteral("tests"), QString::number(c.total));
    w.writeAttribute(QStringLiteral("failures"), QString::number(c.failed));
    w.writeAttribute(QStringLiteral("errors"), QString::number(c.errors));
    w.writeAttribute(QStringLiteral("skipped"), QString::number(c.skipped));
    w.writeAttribute(QStringLiteral("time"), fmt(m.totalSec, 3));
    w.writeAttribute(QStringLiteral("timestamp"), m.startedAt.toString(Qt::ISODate));
    w.writeAttribute(QStringLiteral("hostname"), m.host);

    w.writeStartElement(QStringLiteral("properties"));
    auto prop = [&](const QString &name, const QString &value) {
        w.writeStartElement(QStringLiteral("property"));
        w.writeAttribute(QStringLiteral("name"), name);
        w.writeAttribute(QStringLiteral("value"), value);
        w.writeEndElement();
    };
    prop(QStringLiteral("pacelab.version"), QStringLiteral(PACELAB_VERSION));
    prop(QStringLiteral("target"), m.target);
    prop(QStringLiteral("provider"), m.provider);
    if (!m.format.isEmpty())
        prop(QStringLiteral("format"), m.format);
    const QJsonArray broken = m.config.value(QStringLiteral("broken")).toArray();
    if (!broken.isEmpty()) {
        QStringList names;
        for (const QJsonValue &v : broken)
            names << v.toString();
        prop(QStringLiteral("broken"), names.join(QLatin1Char(',')));
    }
    w.writeEndElement(); // properties

    for (const ScenarioResult &r : results) {
        w.writeStartElement(QStringLiteral("testcase"));
        w.writeAttribute(QStringLiteral("classname"), QStringLiteral("pacelab.check"));
        w.writeAttribute(QStringLiteral("name"), QStringLiteral("%1 %2").arg(r.id, r.title));
        w.writeAttribute(QStringLiteral("time"), fmt(r.durationSec, 3));
        const QString body = criteriaText(r) + (r.details.isEmpty() ? QString() : QStringLiteral("\n") + r.details);
        switch (r.verdict) {
        case Verdict::Pass: break;
        case Verdict::Fail:
            w.writeStartElement(QStringLiteral("failure"));
            w.writeAttribute(QStringLiteral("message"), r.reason);
            w.writeAttribute(QStringLiteral("type"), QStringLiteral("threshold"));
            w.writeCharacters(body);
            w.writeEndElement();
            break;
        case Verdict::Error:
            w.writeStartElement(QStringLiteral("error"));
            w.writeAttribute(QStringLiteral("message"), r.reason);
            w.writeAttribute(QStringLiteral("type"), QStringLiteral("error"));
            w.writeCharacters(body);
            w.writeEndElement();
            break;
        case Verdict::Skipped:
            w.writeStartElement(QStringLiteral("skipped"));
            w.writeAttribute(QStringLiteral("message"), r.reason);
            w.writeEndElement();
            break;
        }
        if (r.verdict == Verdict::Pass && !body.trimmed().isEmpty()) {
            w.writeStartElement(QStringLiteral("system-out"));
            w.writeCharacters(QStringLiteral("%1\n%2").arg(r.reason, body));
            w.writeEndElement();
        }
        w.writeEndElement(); // testcase
    }
    w.writeEndElement(); // testsuite
    w.writeEndElement(); // testsuites
    w.writeEndDocument();
    return out;
}

bool writeJUnit(const QList<ScenarioResult> &results, const QString &path, QString *error,
                const ReportMeta &meta)
{
    return saveFileAtomically(path, junitXml(results, meta), error, QStringLiteral("report"));
}

// ---- JSON -----------------------------------------------------------------------------------

QJsonObject reportJson(const QList<ScenarioResult> &results, const ReportMeta &meta)
{
    const Resolved m = resolve(results, meta);
    const ReportCounts c = ReportCounts::of(results);
    QJsonArray arr;
    for (const ScenarioResult &r : results)
        arr.append(r.toJson());
    return QJsonObject{
        {QStringLiteral("tool"), QStringLiteral("pacelab check")},
        {QStringLiteral("version"), QStringLiteral(PACELAB_VERSION)},
        {QStringLiteral("startedAt"), m.startedAt.toString(Qt::ISODateWithMs)},
        {QStringLiteral("host"), m.host},
        {QStringLiteral("target"), m.target},
        {QStringLiteral("provider"), m.provider},
        {QStringLiteral("format"), m.format},
        {QStringLiteral("totalSec"), m.totalSec},
        {QStringLiteral("passed"), c.total > 0 && c.passed + c.skipped == c.total && c.passed > 0},
        {QStringLiteral("counts"), QJsonObject{{QStringLiteral("total"), c.total},
                                               {QStringLiteral("passed"), c.passed},
                                               {QStringLiteral("failed"), c.failed},
                                               {QStringLiteral("errors"), c.errors},
                                               {QStringLiteral("skipped"), c.skipped}}},
        {QStringLiteral("config"), m.config},
        {QStringLiteral("results"), arr},
    };
}

bool writeJson(const QList<ScenarioResult> &results, const QString &path, QString *error,
               const ReportMeta &meta)
{
    return saveFileAtomically(path, QJsonDocument(reportJson(results, meta)).toJson(QJsonDocument::Indented), error, QStringLiteral("report"));
}

// ---- HTML -----------------------------------------------------------------------------------

namespace {

QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

struct ChartSeries
{
    QString name;
    QString color;
    QList<QPointF> points;
    bool bars = false;
    bool dashed = false;
};

struct GuideLine
{
    double y;
    QString label;
    QString color;
};

double niceStep(double range, int targetTicks)
{
    if (range <= 0)
        return 1.0;
    const double raw = range / targetTicks;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double norm = raw / mag;
    const double nice = norm <= 1.0 ? 1.0 : norm <= 2.0 ? 2.0 : norm <= 5.0 ? 5.0 : 10.0;
    return nice * mag;
}

QString num(double v)
{
    // Compact tick labels: 0.25, 50, 1200.
    if (std::fabs(v - std::round(v)) < 1e-9)
        return QString::number(qint64(std::llround(v)));
    return QString::number(v, 'g', 4);
}

// A small line/bar chart as inline SVG: x = second of the run, y = the value. yLo/yHi is the
// range the chart shows at least (guides and data widen it), so a 50 ± 1 band stays readable.
QString svgChart(const QString &title, const QString &unit, const QList<ChartSeries> &series,
                 const QList<GuideLine> &guides, double yLo, double yHi)
{
    constexpr double W = 540, H = 210, L = 46, R = 12, T = 30, B = 30;
    const double pw = W - L - R, ph = H - T - B;

    double xMin = 1e300, xMax = -1e300, dMin = 1e300, dMax = -1e300;
    for (const ChartSeries &s : series)
        for (const QPointF &p : s.points) {
            xMin = std::min(xMin, p.x());
            xMax = std::max(xMax, p.x());
            dMin = std::min(dMin, p.y());
            dMax = std::max(dMax, p.y());
        }
    if (xMin > xMax) {
        xMin = 0;
        xMax = 1;
        dMin = dMax = 0;
    }
    bool hasBars = false;
    for (const ChartSeries &s : series)
        hasBars = hasBars || s.bars;
    if (hasBars) { // bars need half a slot of room either side
        xMin -= 0.5;
        xMax += 0.5;
    }
    if (xMax - xMin < 1)
        xMax = xMin + 1;
    double lo = std::min(yLo, dMin), hi = std::max(yHi, dMax);
    for (const GuideLine &g : guides) {
        lo = std::min(lo, g.y);
        hi = std::max(hi, g.y);
    }
    if (hi - lo < 1e-9)
        hi = lo + 1;
    const double step = niceStep(hi - lo, 4);
    lo = std::floor(lo / step) * step;
    hi = std::ceil(hi / step) * step;
    if (hi <= dMax + 1e-9 && dMax > yHi) // keep the top data point off the frame
        hi += step;

    auto X = [&](double x) { return L + (x - xMin) / (xMax - xMin) * pw; };
    auto Y = [&](double y) { return T + (1.0 - (y - lo) / (hi - lo)) * ph; };

    QString svg;
    svg += QStringLiteral("<svg class=\"chart\" viewBox=\"0 0 %1 %2\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"%3\">")
               .arg(W).arg(H).arg(esc(title));
    svg += QStringLiteral("<rect x=\"0\" y=\"0\" width=\"%1\" height=\"%2\" fill=\"#fff\"/>").arg(W).arg(H);
    svg += QStringLiteral("<text x=\"%1\" y=\"17\" class=\"ct\">%2</text>").arg(L).arg(esc(title + (unit.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(unit))));

    // Legend, right-aligned on the title line.
    double lx = W - R;
    for (int i = int(series.size()) - 1; i >= 0; --i) {
        const ChartSeries &s = series[i];
        const double tw = 6.2 * s.name.size();
        lx -= tw;
        svg += QStringLiteral("<text x=\"%1\" y=\"17\" class=\"lg\">%2</text>").arg(fmt(lx, 1), esc(s.name));
        lx -= 14;
        svg += QStringLiteral("<rect x=\"%1\" y=\"9\" width=\"10\" height=\"10\" fill=\"%2\"/>").arg(fmt(lx, 1), s.color);
        lx -= 10;
    }

    // Y grid and labels.
    for (double v = lo; v <= hi + step * 0.01; v += step) {
        const double y = Y(v);
        svg += QStringLiteral("<line x1=\"%1\" x2=\"%2\" y1=\"%3\" y2=\"%3\" class=\"grid\"/>").arg(L).arg(W - R).arg(fmt(y, 1));
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"ax\" text-anchor=\"end\">%3</text>").arg(L - 5).arg(fmt(y + 3.5, 1), num(v));
    }
    // X labels: whole seconds, about 8 of them.
    const double xs = std::max(1.0, niceStep(xMax - xMin, 8));
    for (double v = std::ceil(xMin / xs) * xs; v <= xMax + 1e-9; v += xs) {
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"ax\" text-anchor=\"middle\">%3</text>")
                   .arg(fmt(X(v), 1)).arg(H - B + 14).arg(num(v));
    }
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"ax\" text-anchor=\"end\">s</text>").arg(W - R).arg(H - 4);
    svg += QStringLiteral("<line x1=\"%1\" x2=\"%2\" y1=\"%3\" y2=\"%3\" class=\"axis\"/>").arg(L).arg(W - R).arg(fmt(T + ph, 1));
    svg += QStringLiteral("<line x1=\"%1\" x2=\"%1\" y1=\"%2\" y2=\"%3\" class=\"axis\"/>").arg(L).arg(T).arg(fmt(T + ph, 1));

    // Bars first, lines over them.
    const int barSeries = int(std::count_if(series.begin(), series.end(), [](const ChartSeries &s) { return s.bars; }));
    int barIndex = 0;
    for (const ChartSeries &s : series) {
        if (!s.bars)
            continue;
        const double slot = pw / (xMax - xMin);
        const double bw = std::max(1.0, slot * 0.7 / std::max(1, barSeries));
        for (const QPointF &p : s.points) {
            if (p.y() == 0)
                continue;
            const double x = X(p.x()) - slot * 0.35 + barIndex * bw;
            const double y0 = Y(std::max(lo, 0.0)), y1 = Y(p.y());
            svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\"><title>%6 s: %7 %8</title></rect>")
                       .arg(fmt(x, 1), fmt(std::min(y0, y1), 1), fmt(bw, 1), fmt(std::fabs(y0 - y1), 1), s.color)
                       .arg(num(p.x()), num(p.y()), esc(s.name));
        }
        ++barIndex;
    }
    for (const ChartSeries &s : series) {
        if (s.bars || s.points.isEmpty())
            continue;
        QString pts;
        for (const QPointF &p : s.points)
            pts += QStringLiteral("%1,%2 ").arg(fmt(X(p.x()), 1), fmt(Y(p.y()), 1));
        svg += QStringLiteral("<polyline points=\"%1\" fill=\"none\" stroke=\"%2\" stroke-width=\"1.8\"%3/>")
                   .arg(pts.trimmed(), s.color, s.dashed ? QStringLiteral(" stroke-dasharray=\"4 3\"") : QString());
        const bool dots = s.points.size() <= 40;
        for (const QPointF &p : s.points)
            svg += QStringLiteral("<circle cx=\"%1\" cy=\"%2\" r=\"%3\" fill=\"%4\"%5><title>%6 s: %7 %8</title></circle>")
                       .arg(fmt(X(p.x()), 1), fmt(Y(p.y()), 1), dots ? QStringLiteral("2.2") : QStringLiteral("3"), s.color,
                            dots ? QString() : QStringLiteral(" fill-opacity=\"0\""))
                       .arg(num(p.x()), num(p.y()), esc(s.name));
    }
    // Guides on top, labelled at the right end: above the line, or below it when another
    // guide sits just above (a 49/51 band would otherwise print both labels on one spot).
    QList<double> guideYs;
    for (const GuideLine &g : guides)
        guideYs << Y(g.y);
    for (qsizetype i = 0; i < guides.size(); ++i) {
        const GuideLine &g = guides[i];
        const double y = guideYs[i];
        bool crowdedAbove = false;
        for (qsizetype j = 0; j < guides.size(); ++j)
            crowdedAbove = crowdedAbove || (j != i && guideYs[j] < y && y - guideYs[j] < 13);
        svg += QStringLiteral("<line x1=\"%1\" x2=\"%2\" y1=\"%3\" y2=\"%3\" stroke=\"%4\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>")
                   .arg(L).arg(W - R).arg(fmt(y, 1), g.color);
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"gl\" fill=\"%3\" text-anchor=\"end\">%4</text>")
                   .arg(W - R - 3).arg(fmt(crowdedAbove ? y + 11 : y - 3, 1), g.color, esc(g.label));
    }
    // An all-zero bar chart says so, rather than looking empty.
    bool allZero = hasBars;
    for (const ChartSeries &s : series)
        for (const QPointF &p : s.points)
            allZero = allZero && (!s.bars || p.y() == 0);
    if (allZero)
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"none\" text-anchor=\"middle\">none</text>")
                   .arg(fmt(L + pw / 2, 1), fmt(T + ph / 2, 1));
    svg += QStringLiteral("</svg>");
    return svg;
}

const char *kTxColor = "#1f6feb";
const char *kRxColor = "#e36209";
const char *kLimitColor = "#1a7f37";
const char *kCapColor = "#cf222e";

QString chartsFor(const ScenarioResult &r)
{
    QStringList charts;
    const QJsonObject &lim = r.limits;
    auto has = [&](const char *k) { return lim.contains(QLatin1String(k)); };
    auto get = [&](const char *k) { return lim.value(QLatin1String(k)).toDouble(); };

    if (!r.tx.isEmpty() || !r.rx.isEmpty()) {
        ChartSeries tx{QStringLiteral("sent"), QString::fromLatin1(kTxColor), {}};
        ChartSeries rx{QStringLiteral("arrived"), QString::fromLatin1(kRxColor), {}};
        for (const TxSecond &s : r.tx)
            tx.points.append(QPointF(s.second, s.fps));
        for (const RxSecond &s : r.rx)
            rx.points.append(QPointF(s.second, s.fps));
        QList<ChartSeries> ss;
        if (!tx.points.isEmpty()) ss << tx;
        if (!rx.points.isEmpty()) ss << rx;
        QList<GuideLine> g;
        if (has("fpsMin")) g << GuideLine{get("fpsMin"), QStringLiteral("%1").arg(num(get("fpsMin"))), QString::fromLatin1(kLimitColor)};
        if (has("fpsMax")) g << GuideLine{get("fpsMax"), QStringLiteral("%1").arg(num(get("fpsMax"))), QString::fromLatin1(kLimitColor)};
        charts << svgChart(QStringLiteral("Frames per second"), QString(), ss, g, 40, 60);
    }
    if (!r.tx.isEmpty()) {
        ChartSeries depth{QStringLiteral("depth"), QString::fromLatin1(kTxColor), {}};
        ChartSeries peak{QStringLiteral("max in second"), QStringLiteral("#8fb8f6"), {}, false, true};
        ChartSeries drops{QStringLiteral("drops"), QString::fromLatin1(kCapColor), {}, true};
        ChartSeries p99{QStringLiteral("p99"), QStringLiteral("#8250df"), {}};
        ChartSeries mx{QStringLiteral("max"), QStringLiteral("#e36209"), {}, false, true};
        for (const TxSecond &s : r.tx) {
            depth.points.append(QPointF(s.second, s.queueDepth));
            peak.points.append(QPointF(s.second, s.queueMax));
            drops.points.append(QPointF(s.second, s.drops));
            p99.points.append(QPointF(s.second, s.latenessP99Ms));
            mx.points.append(QPointF(s.second, s.latenessMaxMs));
        }
        QList<GuideLine> qg;
        if (has("queueLimit")) qg << GuideLine{get("queueLimit"), QStringLiteral("limit %1").arg(num(get("queueLimit"))), QString::fromLatin1(kLimitColor)};
        if (has("queueCapacity") && get("queueCapacity") > 0)
            qg << GuideLine{get("queueCapacity"), QStringLiteral("bound %1").arg(num(get("queueCapacity"))), QString::fromLatin1(kCapColor)};
        charts << svgChart(QStringLiteral("Queue depth"), QStringLiteral("frames"), {depth, peak}, qg, 0, 10);
        charts << svgChart(QStringLiteral("Drops per second"), QStringLiteral("frames"), {drops}, {}, 0, 5);
        QList<GuideLine> lg;
        if (has("latenessP99MaxMs")) lg << GuideLine{get("latenessP99MaxMs"), QStringLiteral("p99 limit %1").arg(num(get("latenessP99MaxMs"))), QString::fromLatin1(kLimitColor)};
        if (has("latenessMaxMs")) lg << GuideLine{get("latenessMaxMs"), QStringLiteral("max limit %1").arg(num(get("latenessMaxMs"))), QString::fromLatin1(kCapColor)};
        charts << svgChart(QStringLiteral("Send lateness vs the 20 ms grid"), QStringLiteral("ms"), {p99, mx}, lg, 0, 2);
    }
    if (!r.rx.isEmpty()) {
        ChartSeries buf{QStringLiteral("buffered"), QString::fromLatin1(kRxColor), {}};
        ChartSeries und{QStringLiteral("underruns"), QString::fromLatin1(kCapColor), {}, true};
        bool anyUnderrun = false;
        for (const RxSecond &s : r.rx) {
            buf.points.append(QPointF(s.second, s.bufferedSec));
            und.points.append(QPointF(s.second, s.underruns));
            anyUnderrun = anyUnderrun || s.underruns > 0;
        }
        QList<GuideLine> g;
        if (has("bufferedMaxSec")) g << GuideLine{get("bufferedMaxSec"), QStringLiteral("limit %1 s").arg(num(get("bufferedMaxSec"))), QString::fromLatin1(kLimitColor)};
        charts << svgChart(QStringLiteral("Audio buffered at the peer"), QStringLiteral("s"), {buf}, g, 0, 0.1);
        if (anyUnderrun)
            charts << svgChart(QStringLiteral("Underruns at the peer"), QStringLiteral("per second"), {und}, {}, 0, 2);
    }
    if (charts.isEmpty())
        return QString();
    QString html = QStringLiteral("<div class=\"charts\">");
    for (const QString &c : charts)
        html += QStringLiteral("<div class=\"cbox\">%1</div>").arg(c);
    return html + QStringLiteral("</div>");
}

QString badge(Verdict v)
{
    return QStringLiteral("<span class=\"badge %1\">%2</span>").arg(verdictName(v).toLower(), verdictName(v));
}

const char *kCss = R"CSS(
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif;color:#1f2328;background:#f6f8fa;margin:0;padding:24px}
main{max-width:1180px;margin:0 auto}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:0;display:flex;align-items:center;gap:10px;flex-wrap:wrap}
.meta{color:#59636e;margin:0 0 16px}
.meta code{background:#eaeef2;padding:1px 5px;border-radius:4px}
.overall{display:inline-block;font-weight:600;padding:6px 12px;border-radius:6px;margin:6px 0 16px;color:#fff}
.overall.pass{background:#1a7f37}.overall.fail{background:#cf222e}
.card{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:16px 18px;margin:0 0 16px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e6ebf0;vertical-align:top}
th{font-weight:600;color:#59636e;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.num{white-space:nowrap;text-align:right;font-variant-numeric:tabular-nums}
td.id a{font-weight:600;color:#0969da;text-decoration:none}
td.title{white-space:nowrap}
.badge{display:inline-block;font-size:12px;font-weight:700;padding:2px 8px;border-radius:12px;color:#fff;letter-spacing:.03em}
.badge.pass{background:#1a7f37}.badge.fail{background:#cf222e}.badge.error{background:#bc4c00}.badge.skipped{background:#6e7781}
.dur{color:#59636e;font-size:13px;font-weight:400}
.reason{margin:8px 0 10px;font-size:14px}
.reason.fail,.reason.error{color:#a40e26}
.what{color:#59636e;margin:4px 0 8px}
.crit td.ok{color:#1a7f37;font-weight:700}.crit td.bad{color:#cf222e;font-weight:700}.crit td.info{color:#6e7781}
.crit tr.failrow td{background:#fff5f5}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:10px;margin:12px 0 4px}
.cbox{border:1px solid #e6ebf0;border-radius:6px;overflow:hidden}
svg.chart{width:100%;height:auto;display:block}
svg .ct{font-size:13px;font-weight:600;fill:#1f2328}
svg .lg{font-size:11px;fill:#59636e}
svg .ax{font-size:10.5px;fill:#59636e}
svg .gl{font-size:10px;font-weight:600}
svg .none{font-size:13px;fill:#8c959f}
svg .grid{stroke:#eef1f4;stroke-width:1}
svg .axis{stroke:#8c959f;stroke-width:1}
details{margin-top:8px}
summary{cursor:pointer;color:#0969da}
pre{background:#f6f8fa;border:1px solid #e6ebf0;border-radius:6px;padding:10px;overflow:auto;font-size:12px;max-height:420px}
@media (max-width:800px){.charts{grid-template-columns:1fr}}
@media print{body{background:#fff;padding:0}.card{break-inside:avoid}}
)CSS";

} // namespace

QByteArray reportHtml(const QList<ScenarioResult> &results, const ReportMeta &meta)
{
    const Resolved m = resolve(results, meta);
    const ReportCounts c = ReportCounts::of(results);
    const bool allPass = c.total > 0 && c.failed == 0 && c.errors == 0 && c.passed > 0;

    QString h;
    h += QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    h += QStringLiteral("<title>PaceLab checklist — %1</title>").arg(allPass ? QStringLiteral("PASS") : QStringLiteral("FAIL"));
    h += QStringLiteral("<style>%1</style></head><body><main>").arg(QString::fromLatin1(kCss));
    h += QStringLiteral("<h1>PaceLab pre-deploy checklist</h1>");
    h += QStringLiteral("<p class=\"meta\">%1 · host <code>%2</code> · %3 · PaceLab %4 · total %5 s</p>")
             .arg(esc(m.startedAt.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss t"))), esc(m.host), esc(m.target),
                  QStringLiteral(PACELAB_VERSION), fmt(m.totalSec, 1));
    h += QStringLiteral("<p class=\"meta\">provider <strong>%1</strong> (<code>%2</code>)%3</p>")
             .arg(esc(m.providerName), esc(m.provider),
                  m.format.isEmpty() ? QString() : QStringLiteral(" · outbound audio %1").arg(esc(m.format)));
    const QJsonArray broken = m.config.value(QStringLiteral("broken")).toArray();
    if (!broken.isEmpty()) {
        QStringList names;
        for (const QJsonValue &v : broken)
            names << v.toString();
        h += QStringLiteral("<p class=\"meta\"><strong>Deliberately broken configuration:</strong> <code>%1</code></p>")
                 .arg(esc(names.join(QStringLiteral(", "))));
    }
    h += QStringLiteral("<div class=\"overall %1\">%2 — %3 passed, %4 failed, %5 errors, %6 skipped of %7</div>")
             .arg(allPass ? QStringLiteral("pass") : QStringLiteral("fail"),
                  allPass ? QStringLiteral("ALL PASS") : QStringLiteral("NOT READY"))
             .arg(c.passed).arg(c.failed).arg(c.errors).arg(c.skipped).arg(c.total);

    // Summary.
    h += QStringLiteral("<div class=\"card\"><table><thead><tr><th>Scenario</th><th>Title</th><th>Verdict</th>"
                        "<th>Time</th><th>Reason</th></tr></thead><tbody>");
    for (const ScenarioResult &r : results) {
        h += QStringLiteral("<tr><td class=\"id\"><a href=\"#%1\">%1</a></td><td class=\"title\">%2</td><td>%3</td><td class=\"num\">%4 s</td><td>%5</td></tr>")
                 .arg(esc(r.id), esc(r.title), badge(r.verdict), fmt(r.durationSec, 1), esc(r.reason));
    }
    h += QStringLiteral("</tbody></table></div>");

    // One card per scenario.
    for (const ScenarioResult &r : results) {
        h += QStringLiteral("<section class=\"card\" id=\"%1\">").arg(esc(r.id));
        h += QStringLiteral("<h2>%1 — %2 %3 <span class=\"dur\">%4 s</span></h2>")
                 .arg(esc(r.id), esc(r.title), badge(r.verdict), fmt(r.durationSec, 1));
        const QString what = r.figures.value(QStringLiteral("whatItChecks")).toString();
        if (!what.isEmpty())
            h += QStringLiteral("<p class=\"what\">%1</p>").arg(esc(what));
        h += QStringLiteral("<p class=\"reason %1\">%2</p>").arg(verdictName(r.verdict).toLower(), esc(r.reason));
        if (!r.criteria.isEmpty()) {
            h += QStringLiteral("<table class=\"crit\"><thead><tr><th></th><th>Criterion</th><th>Measured</th>"
                                "<th>Limit</th></tr></thead><tbody>");
            for (const Criterion &cr : r.criteria) {
                const QString cls = cr.informational ? QStringLiteral("info") : cr.pass ? QStringLiteral("ok") : QStringLiteral("bad");
                const QString mark = cr.informational ? QStringLiteral("i") : cr.pass ? QStringLiteral("✓") : QStringLiteral("✗");
                h += QStringLiteral("<tr%1><td class=\"%2\">%3</td><td>%4</td><td>%5</td><td>%6</td></tr>")
                         .arg(!cr.pass && !cr.informational ? QStringLiteral(" class=\"failrow\"") : QString(), cls, mark,
                              esc(cr.name), esc(cr.measured), esc(cr.limit));
            }
            h += QStringLiteral("</tbody></table>");
        }
        h += chartsFor(r);
        if (!r.details.isEmpty())
            h += QStringLiteral("<details><summary>Details</summary><pre>%1</pre></details>").arg(esc(r.details));
        if (!r.figures.isEmpty())
            h += QStringLiteral("<details><summary>All figures (JSON)</summary><pre>%1</pre></details>")
                     .arg(esc(QString::fromUtf8(QJsonDocument(r.figures).toJson(QJsonDocument::Indented))));
        h += QStringLiteral("</section>");
    }
    if (!m.config.isEmpty())
        h += QStringLiteral("<section class=\"card\"><h2>Configuration</h2><details open><summary>Thresholds, durations, target</summary><pre>%1</pre></details></section>")
                 .arg(esc(QString::fromUtf8(QJsonDocument(m.config).toJson(QJsonDocument::Indented))));
    h += QStringLiteral("</main></body></html>\n");
    return h.toUtf8();
}

bool writeHtml(const QList<ScenarioResult> &results, const QString &path, QString *error,
               const ReportMeta &meta)
{
    return saveFileAtomically(path, reportHtml(results, meta), error, QStringLiteral("report"));
}

} // namespace pacelab::check
