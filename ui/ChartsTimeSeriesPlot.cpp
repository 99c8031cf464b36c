#include "ChartsTimeSeriesPlot.h"

#include <QChart>
#include <QChartView>
#include <QGraphicsLayout>
#include <QGraphicsScene>
#include <QGraphicsTextItem>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace pacelab::ui {

namespace {
constexpr int kRefreshMs = 100; // 10 Hz at most

// Rounds up to 1, 2, 2.5 or 5 times a power of ten, with a tick count that puts the ticks on
// round values (0, 50, 100...), so the axis never reads 0, 63, 125, 188.
struct NiceTop
{
    double top;
    int ticks;
};
NiceTop niceTop(double v)
{
    if (!(v > 0))
        return {1.0, 6};
    const double p = std::pow(10.0, std::floor(std::log10(v)));
    const std::pair<double, int> steps[] = {{1.0, 6}, {2.0, 5}, {2.5, 6}, {5.0, 6}, {10.0, 6}};
    for (const auto &[m, ticks] : steps)
        if (m * p >= v * (1.0 - 1e-9))
            return {m * p, ticks};
    return {10.0 * p, 6};
}

QString labelFormatFor(double step)
{
    // As many decimals as the step has: 2.5 needs one ("7.5", not "8"), 0.25 two.
    int decimals = 0;
    while (decimals < 4) {
        const double scaled = step * std::pow(10.0, decimals);
        if (std::abs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled))
            break;
        ++decimals;
    }
    return QStringLiteral("%.%1f").arg(decimals);
}

// A tick step of 1, 2 or 5 times a power of ten near span/targetTicks: ticks land on round
// values (-60, -50 ... 0 s; 0, 0.5, 1 s) whatever the range is.
double niceStep(double span, int targetTicks)
{
    const double raw = std::max(1e-9, span / std::max(1, targetTicks));
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (m * p >= raw * (1.0 - 1e-9))
            return m * p;
    return 10.0 * p;
}

QString colorSwatch(const QColor &c, bool dashed)
{
    return QStringLiteral("<span style=\"color:%1\">%2</span>").arg(c.name(), dashed ? QStringLiteral("╌╌") : QStringLiteral("━━"));
}
} // namespace

TimeSeriesPlot *TimeSeriesPlot::create(QWidget *parent)
{
    return new ChartsTimeSeriesPlot(parent);
}

ChartsTimeSeriesPlot::ChartsTimeSeriesPlot(QWidget *parent)
    : TimeSeriesPlot(parent)
{
    m_chart = new QChart;
    m_chart->setAnimationOptions(QChart::NoAnimation); // animations would cost CPU each refresh
    m_chart->legend()->hide(); // our own legend label below: it wraps instead of eliding
    QFont small = font();
    small.setPointSizeF(std::max(7.0, small.pointSizeF() - 1.5));
    m_chart->setMargins(QMargins(2, 2, 6, 2));
    m_chart->layout()->setContentsMargins(0, 0, 0, 0);
    m_chart->setBackgroundRoundness(0);

    // No axis titles: Qt Charts elides them to "…" on a short chart. The unit is in the header,
    // the x labels say "s" (seconds ago, 0 = now).
    m_axisX = new QValueAxis;
    m_axisX->setTickType(QValueAxis::TicksDynamic);
    m_axisX->setTickAnchor(0.0);
    m_axisX->setLabelsFont(small);
    m_axisY = new QValueAxis;
    m_axisY->setTickType(QValueAxis::TicksDynamic);
    m_axisY->setTickAnchor(0.0);
    m_axisY->setLabelsFont(small);
    m_chart->addAxis(m_axisX, Qt::AlignBottom);
    m_chart->addAxis(m_axisY, Qt::AlignLeft);

    m_view = new QChartView(m_chart, this);
    m_view->setRenderHint(QPainter::Antialiasing, true);
    m_view->setMinimumSize(200, 90);
    m_view->setOptimizationFlags(QGraphicsView::DontSavePainterState | QGraphicsView::DontAdjustForAntialiasing);
    // Axis labels are items whose old positions Qt Charts does not always invalidate when the
    // range changes (ghost tick labels until the next resize): repaint the whole viewport.
    m_view->setViewportUpdateMode(QGraphicsView::FullViewportUpdate);

    m_header = new QLabel(this);
    m_header->setAlignment(Qt::AlignCenter);
    m_header->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    m_header->setTextFormat(Qt::RichText);
    m_legend = new QLabel(this);
    m_legend->setObjectName(QStringLiteral("legend"));
    m_legend->setFont(small);
    m_legend->setWordWrap(true);
    m_legend->setAlignment(Qt::AlignCenter);
    m_legend->setTextFormat(Qt::RichText);
    m_legend->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Minimum);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 2, 0, 2);
    layout->setSpacing(0);
    layout->addWidget(m_header);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_legend);

    m_placeholder = new QLabel(this);
    m_placeholder->setObjectName(QStringLiteral("placeholder"));
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_placeholder->setStyleSheet(QStringLiteral(
        "QLabel { color: #444; background: rgba(255,255,255,225); border: 1px solid #bbb;"
        " border-radius: 4px; padding: 2px 6px; }"));
    m_placeholderText = tr("waiting for data…");
    m_placeholder->setText(m_placeholderText);
    // The plot area moves when the axis labels get wider: keep the empty-state text inside it.
    connect(m_chart, &QChart::plotAreaChanged, this, &ChartsTimeSeriesPlot::updatePlaceholder);

    updateAxes(0.0);
    m_timer.setInterval(kRefreshMs);
    connect(&m_timer, &QTimer::timeout, this, &ChartsTimeSeriesPlot::refresh);
    m_timer.start();
    updatePlaceholder();
}

ChartsTimeSeriesPlot::~ChartsTimeSeriesPlot() = default;

void ChartsTimeSeriesPlot::setTitle(const QString &title, const QString &unit)
{
    m_title = title;
    m_unit = unit;
    m_header->setText(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()));
    setToolTip(unit.isEmpty() ? title : tr("%1, in %2; x: seconds ago (0 = now)").arg(title, unit));
    updateLegend();
}

int ChartsTimeSeriesPlot::addSeries(const QString &name, const QColor &color)
{
    auto *line = new QLineSeries;
    line->setName(name);
    QPen pen(color);
    pen.setWidthF(1.8);
    line->setPen(pen);
    m_chart->addSeries(line);
    line->attachAxis(m_axisX);
    line->attachAxis(m_axisY);
    m_series.push_back(Series{name, color, line, SeriesRingBuffer(1200)});
    updateLegend();
    return int(m_series.size()) - 1;
}

void ChartsTimeSeriesPlot::appendPoint(int series, double tSec, double value)
{
    if (series < 0 || series >= int(m_series.size()))
        return;
    if (m_series[size_t(series)].buffer.append(tSec, value))
        m_dirty = true;
}

void ChartsTimeSeriesPlot::setSeriesName(int series, const QString &name)
{
    if (series < 0 || series >= int(m_series.size()))
        return;
    m_series[size_t(series)].name = name;
    m_series[size_t(series)].line->setName(name);
    updateLegend();
}

void ChartsTimeSeriesPlot::removeLimitLines()
{
    for (auto &l : m_limits) {
        m_chart->removeSeries(l.line);
        delete l.line;
    }
    m_limits.clear();
    m_dirty = true;
    updateAxes(m_lastEndT, true);
    updateLegend();
}

void ChartsTimeSeriesPlot::setLimitLine(double value, const QString &label, const QColor &color)
{
    auto *line = new QLineSeries;
    line->setName(label);
    QPen pen(color);
    pen.setStyle(Qt::DashLine);
    pen.setWidthF(1.2);
    line->setPen(pen);
    m_chart->addSeries(line);
    line->attachAxis(m_axisX);
    line->attachAxis(m_axisY);
    line->replace(QList<QPointF>{QPointF(-m_window, value), QPointF(0.0, value)});
    m_limits.push_back(Limit{value, label, color, line});
    m_dirty = true;
    updateAxes(0.0);
    updateLegend();
}

void ChartsTimeSeriesPlot::setWindowSeconds(double seconds)
{
    m_window = std::max(1.0, seconds);
    m_dirty = true;
    updateAxes(0.0);
}

void ChartsTimeSeriesPlot::setBaseRange(double minValue, double maxValue)
{
    m_baseMin = minValue;
    m_baseMax = std::max(minValue + 1e-9, maxValue);
    m_dirty = true;
    updateAxes(0.0);
}

void ChartsTimeSeriesPlot::setPlaceholderText(const QString &text)
{
    m_placeholderText = text;
    m_placeholder->setText(text);
    updatePlaceholder();
}

void ChartsTimeSeriesPlot::setPaused(bool paused)
{
    m_paused = paused;
    if (!paused)
        m_dirty = true;
}

void ChartsTimeSeriesPlot::clear()
{
    for (auto &s : m_series) {
        s.buffer.clear();
        s.line->clear();
    }
    m_dirty = true;
    updateAxes(0.0);
    updatePlaceholder();
}

QStringList ChartsTimeSeriesPlot::seriesNames() const
{
    QStringList names;
    for (const auto &s : m_series)
        names << s.name;
    return names;
}

QList<QPointF> ChartsTimeSeriesPlot::seriesPoints(int series) const
{
    if (series < 0 || series >= int(m_series.size()))
        return {};
    return m_series[size_t(series)].buffer.points();
}

void ChartsTimeSeriesPlot::resizeEvent(QResizeEvent *event)
{
    TimeSeriesPlot::resizeEvent(event);
    // The unit joins the title when there is room; otherwise it stays in the tooltip.
    const QString full = m_unit.isEmpty() ? m_title : QStringLiteral("%1 (%2)").arg(m_title, m_unit);
    QFont bold = m_header->font();
    bold.setBold(true);
    const bool fits = QFontMetrics(bold).horizontalAdvance(full) + 8 <= m_header->width();
    m_header->setText(QStringLiteral("<b>%1</b>").arg((fits ? full : m_title).toHtmlEscaped()));
    updatePlaceholder();
    // Qt Charts replaces a tick label by "..." when the ticks are closer than the label is
    // tall (or wide): the tick counts follow the size.
    updateAxes(m_lastEndT, true);
}

void ChartsTimeSeriesPlot::refreshNow()
{
    const bool paused = m_paused;
    m_paused = false;
    m_dirty = true;
    refresh();
    m_paused = paused;
}

void ChartsTimeSeriesPlot::updateLegend()
{
    QStringList items;
    for (const auto &s : m_series)
        items << QStringLiteral("%1&nbsp;%2").arg(colorSwatch(s.color, false), s.name.toHtmlEscaped().replace(QLatin1Char(' '), QStringLiteral("&nbsp;")));
    for (const auto &l : m_limits)
        items << QStringLiteral("%1&nbsp;%2").arg(colorSwatch(l.color, true), l.label.toHtmlEscaped().replace(QLatin1Char(' '), QStringLiteral("&nbsp;")));
    m_legend->setText(items.join(QStringLiteral(" &nbsp; ")));
}

QStringList ChartsTimeSeriesPlot::clippedTexts() const
{
    QStringList out;
    if (!isVisible())
        return out;
    QFont bold = m_header->font();
    bold.setBold(true);
    if (QFontMetrics(bold).horizontalAdvance(m_title) > m_header->contentsRect().width())
        out << QStringLiteral("%1: title").arg(m_title);
    // The legend wraps: it is clipped only when its wrapped height is not given to it, or when
    // a single item is wider than the label.
    if (m_legend->heightForWidth(m_legend->width()) > m_legend->height())
        out << QStringLiteral("%1: legend (needs %2 px, has %3)").arg(m_title).arg(m_legend->heightForWidth(m_legend->width())).arg(m_legend->height());
    const QFontMetrics lfm(m_legend->font());
    for (const auto &s : m_series)
        if (lfm.horizontalAdvance(QStringLiteral("━━ ") + s.name) > m_legend->width())
            out << QStringLiteral("%1: legend item %2").arg(m_title, s.name);
    // Qt Charts elides an axis label it thinks has no room ("…" instead of "100").
    if (m_chart->scene()) {
        for (QGraphicsItem *item : m_chart->scene()->items()) {
            auto *text = dynamic_cast<QGraphicsTextItem *>(item);
            if (text && text->isVisible() && (text->toPlainText().contains(QChar(0x2026)) || text->toPlainText().contains(QLatin1String("..."))))
                out << QStringLiteral("%1: axis label '%2'").arg(m_title, text->toPlainText());
        }
    }
    if (m_placeholder->isVisible()) {
        const QRect plot = m_view->mapFromScene(m_chart->plotArea()).boundingRect().translated(m_view->pos());
        if (!plot.adjusted(-2, -2, 2, 2).contains(m_placeholder->geometry()))
            out << QStringLiteral("%1: empty-state text outside the plot area").arg(m_title);
        if (m_placeholder->heightForWidth(m_placeholder->width()) > m_placeholder->height())
            out << QStringLiteral("%1: empty-state text cut").arg(m_title);
    }
    return out;
}

void ChartsTimeSeriesPlot::refresh()
{
    if (!m_dirty || m_paused)
        return;
    m_dirty = false;
    ++m_refreshCount;
    double endT = 0.0;
    for (const auto &s : m_series)
        if (!s.buffer.isEmpty())
            endT = std::max(endT, s.buffer.last().x());
    // The x axis is fixed (-window..0 s, "seconds ago"): moving its range would re-layout the
    // axis labels on every redraw, which is most of what Qt Charts spends. The points shift
    // instead, which costs a subtraction each.
    const double fromT = endT - m_window - 1.0;
    // More points than pixel columns only cost stroking time: keep each column's min and max
    // (spikes stay visible).
    const int columns = std::max(50, int(m_chart->plotArea().width()) / 2);
    for (auto &s : m_series) {
        QList<QPointF> pts = s.buffer.points(fromT);
        if (pts.size() > columns) {
            QList<QPointF> reduced;
            reduced.reserve(2 * columns + 2);
            const double span = m_window + 1.0;
            int bucket = -1;
            QPointF lo, hi;
            auto flush = [&] {
                if (bucket < 0)
                    return;
                if (lo.x() <= hi.x()) {
                    reduced << lo;
                    if (hi != lo)
                        reduced << hi;
                } else {
                    reduced << hi << lo;
                }
            };
            for (const QPointF &p : std::as_const(pts)) {
                const int b = int((p.x() - fromT) / span * columns);
                if (b != bucket) {
                    flush();
                    bucket = b;
                    lo = hi = p;
                } else {
                    if (p.y() < lo.y())
                        lo = p;
                    if (p.y() > hi.y())
                        hi = p;
                }
            }
            flush();
            pts = std::move(reduced);
        }
        for (QPointF &p : pts)
            p.setX(p.x() - endT);
        s.line->replace(pts);
    }
    updateAxes(endT);
    updatePlaceholder();
}

void ChartsTimeSeriesPlot::updateAxes(double endT, bool force)
{
    m_lastEndT = endT;
    // How many ticks the plot has room for: a label needs about 2.2 line heights vertically
    // and 4.5 characters' worth horizontally ("-60s") between neighbours.
    const QFontMetrics fm(m_axisY->labelsFont());
    const int plotW = std::max(60, m_view->width() - fm.horizontalAdvance(QStringLiteral("0000")) - 16);
    const int plotH = std::max(30, m_view->height() - 2 * fm.height() - 12);
    const int xTicks = std::clamp(plotW / (fm.horizontalAdvance(QStringLiteral("-000s")) + 12), 2, 6);
    const int yTicks = std::clamp(int(plotH / (fm.height() * 2.2)), 1, 5);
    if (force || m_axisX->min() != -m_window || m_axisX->max() != 0.0) {
        // Ticks at multiples of a round step from 0 (now): -60, -50 ... 0, or -20, -15 ... 0
        // for a 23 s replay, never at -23, -19.2 ...
        const double step = niceStep(m_window, xTicks);
        m_axisX->setRange(-m_window, 0.0);
        m_axisX->setTickInterval(step);
        m_axisX->setLabelFormat(step >= 1.0 ? QStringLiteral("%.0fs") : labelFormatFor(step) + QLatin1Char('s'));
        for (const auto &l : m_limits)
            l.line->replace(QList<QPointF>{QPointF(-m_window, l.value), QPointF(0.0, l.value)});
    }

    double minV = m_baseMin, maxV = m_baseMax;
    for (const auto &s : m_series) {
        double a, b;
        if (s.buffer.valueRange(endT - m_window, &a, &b)) {
            minV = std::min(minV, a);
            maxV = std::max(maxV, b);
        }
    }
    for (const auto &l : m_limits) {
        minV = std::min(minV, l.value);
        maxV = std::max(maxV, l.value);
    }
    // Headroom above the highest value or limit so a line sitting on it stays visible. Only
    // touched when it changes (each change re-lays out the labels).
    double lo, hi, step;
    if (minV >= 0) {
        // A round top with headroom, then a round step that gives at most yTicks intervals.
        const double top = niceTop(maxV * 1.12).top;
        step = niceStep(top, yTicks);
        lo = 0.0;
        hi = std::ceil(top / step - 1e-9) * step;
    } else {
        step = niceStep(maxV - minV, yTicks);
        lo = std::floor((minV - 0.05 * (maxV - minV)) / step) * step;
        hi = std::ceil((maxV + 0.05 * (maxV - minV)) / step) * step;
    }
    if (force || m_axisY->min() != lo || m_axisY->max() != hi || m_axisY->tickInterval() != step) {
        // Qt Charts keeps bits laid out under the previous range and interval (ghost tick
        // labels, a stray tick mark, grid lines that end early) until the next resize. A new
        // axis is laid out from scratch: a range change (rare: the scale changed) looks exactly
        // like a fresh chart.
        auto *axis = new QValueAxis;
        axis->setLabelsFont(m_axisY->labelsFont());
        axis->setTickType(QValueAxis::TicksDynamic);
        axis->setTickAnchor(0.0);
        axis->setLabelFormat(labelFormatFor(step));
        axis->setRange(lo, hi);
        axis->setTickInterval(step);
        QValueAxis *old = m_axisY;
        m_chart->removeAxis(old);
        delete old;
        m_chart->addAxis(axis, Qt::AlignLeft);
        for (auto &s : m_series)
            s.line->attachAxis(axis);
        for (auto &l : m_limits)
            l.line->attachAxis(axis);
        m_axisY = axis;
    }
}

void ChartsTimeSeriesPlot::updatePlaceholder()
{
    bool any = false;
    for (const auto &s : m_series)
        any = any || !s.buffer.isEmpty();
    m_placeholder->setVisible(!any && !m_placeholderText.isEmpty());
    if (!m_placeholder->isVisible())
        return;
    // Inside the plot area (never over the axis labels), wrapped to its width.
    QRect plot = m_view->mapFromScene(m_chart->plotArea()).boundingRect().translated(m_view->pos());
    if (plot.width() < 40 || plot.height() < 20)
        plot = m_view->geometry();
    const int w = std::max(40, std::min(plot.width() - 8,
                                        m_placeholder->fontMetrics().horizontalAdvance(m_placeholderText) + 20));
    const int h = std::min(plot.height() - 4, m_placeholder->heightForWidth(w));
    m_placeholder->setFixedSize(w, std::max(h, 10));
    m_placeholder->move(plot.center().x() - w / 2, plot.center().y() - m_placeholder->height() / 2);
    m_placeholder->raise();
}

} // namespace pacelab::ui
