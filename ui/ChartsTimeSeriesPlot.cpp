#include "ChartsTimeSeriesPlot.h"

#include <QChart>
#include <QChartView>
#include <QGraphicsLayout>
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
    const int decimals = step >= 1.0 ? 0 : int(std::ceil(-std::log10(step) - 1e-9));
    return QStringLiteral("%.%1f").arg(std::clamp(decimals, 0, 4));
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
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    QFont small = font();
    small.setPointSizeF(std::max(7.0, small.pointSizeF() - 1.5));
    m_chart->legend()->setFont(small);
    m_chart->setMargins(QMargins(4, 2, 4, 2));
    m_chart->layout()->setContentsMargins(0, 0, 0, 0);
    m_chart->setBackgroundRoundness(0);

    m_axisX = new QValueAxis;
    m_axisX->setTitleText(tr("seconds ago"));
    m_axisX->setLabelFormat(QStringLiteral("%.0f"));
    m_axisX->setTickCount(7);
    m_axisX->setLabelsFont(small);
    m_axisX->setTitleFont(small);
    m_axisY = new QValueAxis;
    m_axisY->setLabelsFont(small);
    m_axisY->setTitleFont(small);
    m_axisY->setTickCount(5);
    m_chart->addAxis(m_axisX, Qt::AlignBottom);
    m_chart->addAxis(m_axisY, Qt::AlignLeft);

    m_view = new QChartView(m_chart, this);
    m_view->setRenderHint(QPainter::Antialiasing, true);
    m_view->setMinimumSize(220, 150);
    m_view->setOptimizationFlags(QGraphicsView::DontSavePainterState | QGraphicsView::DontAdjustForAntialiasing);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);

    m_placeholder = new QLabel(this);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_placeholder->setStyleSheet(QStringLiteral(
        "QLabel { color: #555; background: rgba(255,255,255,215); border: 1px solid #bbb;"
        " border-radius: 4px; padding: 4px 10px; }"));
    m_placeholderText = tr("waiting for data…");
    m_placeholder->setText(m_placeholderText);

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
    m_chart->setTitle(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()));
    m_axisY->setTitleText(unit);
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
    m_series.push_back(Series{name, line, SeriesRingBuffer(1200)});
    return int(m_series.size()) - 1;
}

void ChartsTimeSeriesPlot::appendPoint(int series, double tSec, double value)
{
    if (series < 0 || series >= int(m_series.size()))
        return;
    if (m_series[size_t(series)].buffer.append(tSec, value))
        m_dirty = true;
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
    m_limits.push_back(Limit{value, line});
    m_dirty = true;
    updateAxes(0.0);
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
    updatePlaceholder();
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

void ChartsTimeSeriesPlot::updateAxes(double endT)
{
    if (m_axisX->min() != -m_window || m_axisX->max() != 0.0) {
        m_axisX->setRange(-m_window, 0.0);
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
    double lo, hi;
    int ticks;
    if (minV >= 0) {
        const NiceTop nice = niceTop(maxV * 1.12);
        lo = 0.0;
        hi = nice.top;
        ticks = nice.ticks;
    } else {
        const double pad = 0.1 * std::max(1e-9, maxV - minV);
        lo = minV - pad;
        hi = maxV + pad;
        ticks = 5;
    }
    if (m_axisY->min() != lo || m_axisY->max() != hi) {
        m_axisY->setRange(lo, hi);
        m_axisY->setTickCount(ticks);
        m_axisY->setLabelFormat(labelFormatFor((hi - lo) / (ticks - 1)));
    }
}

void ChartsTimeSeriesPlot::updatePlaceholder()
{
    bool any = false;
    for (const auto &s : m_series)
        any = any || !s.buffer.isEmpty();
    m_placeholder->setVisible(!any && !m_placeholderText.isEmpty());
    if (m_placeholder->isVisible()) {
        // Wrapped to most of the chart's width so a long reason is never clipped.
        const int maxW = std::max(120, width() * 3 / 4);
        m_placeholder->setMaximumWidth(maxW);
        m_placeholder->setMinimumWidth(std::min(maxW, m_placeholder->fontMetrics().horizontalAdvance(m_placeholderText) + 24));
        m_placeholder->adjustSize();
        const QRect r = rect();
        m_placeholder->move(r.center().x() - m_placeholder->width() / 2,
                            r.center().y() - m_placeholder->height() / 2);
        m_placeholder->raise();
    }
}

} // namespace pacelab::ui
