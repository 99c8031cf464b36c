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
    m_axisX->setTitleText(tr("time (s)"));
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
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);

    m_placeholder = new QLabel(this);
    m_placeholder->setAlignment(Qt::AlignCenter);
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
    m_limits.push_back(Limit{value, line});
    m_dirty = true;
    updateAxes(0.0);
}

void ChartsTimeSeriesPlot::setWindowSeconds(double seconds)
{
    m_window = std::max(1.0, seconds);
    m_dirty = true;
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
    const double fromT = std::max(0.0, endT - m_window);
    for (auto &s : m_series)
        s.line->replace(s.buffer.points(fromT - 1.0));
    updateAxes(endT);
    updatePlaceholder();
}

void ChartsTimeSeriesPlot::updateAxes(double endT)
{
    // The first window is shown whole (0..60 s) so the axis never reads 0..1; then it scrolls.
    const double hi = std::max(m_window, endT);
    const double lo = hi - m_window;
    m_axisX->setRange(lo, hi);
    for (const auto &l : m_limits)
        l.line->replace(QList<QPointF>{QPointF(lo, l.value), QPointF(hi, l.value)});

    double minV = m_baseMin, maxV = m_baseMax;
    for (const auto &s : m_series) {
        double a, b;
        if (s.buffer.valueRange(lo - 1.0, &a, &b)) {
            minV = std::min(minV, a);
            maxV = std::max(maxV, b);
        }
    }
    for (const auto &l : m_limits) {
        minV = std::min(minV, l.value);
        maxV = std::max(maxV, l.value);
    }
    // Headroom above the highest value or limit so a line sitting on it stays visible.
    if (minV >= 0) {
        const NiceTop nice = niceTop(maxV * 1.12);
        m_axisY->setRange(0.0, nice.top);
        m_axisY->setTickCount(nice.ticks);
        m_axisY->setLabelFormat(labelFormatFor(nice.top / (nice.ticks - 1)));
    } else {
        const double pad = 0.1 * std::max(1e-9, maxV - minV);
        m_axisY->setRange(minV - pad, maxV + pad);
        m_axisY->setTickCount(5);
        m_axisY->applyNiceNumbers();
    }
}

void ChartsTimeSeriesPlot::updatePlaceholder()
{
    bool any = false;
    for (const auto &s : m_series)
        any = any || !s.buffer.isEmpty();
    m_placeholder->setVisible(!any && !m_placeholderText.isEmpty());
    if (m_placeholder->isVisible()) {
        m_placeholder->adjustSize();
        const QRect r = rect();
        m_placeholder->move(r.center().x() - m_placeholder->width() / 2,
                            r.center().y() - m_placeholder->height() / 2);
        m_placeholder->raise();
    }
}

} // namespace pacelab::ui
