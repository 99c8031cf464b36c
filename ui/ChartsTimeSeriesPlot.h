#pragma once

#include "SeriesRingBuffer.h"
#include "TimeSeriesPlot.h"

#include <QTimer>
#include <vector>

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QLineSeries;
class QValueAxis;
class QLabel;
QT_END_NAMESPACE

namespace pacelab::ui {

// Qt Charts backend: points go to ring buffers; a 10 Hz timer pushes changed buffers into the
// series with replace() (one call per series, not one per point) and moves the axes.
// The title and the legend are plain labels around the chart, not Qt Charts items: Qt Charts
// elides its legend and axis titles silently when space is short ("ma…"), a wrapped label never
// does, and its fit can be checked (clippedTexts()).
class ChartsTimeSeriesPlot final : public TimeSeriesPlot
{
    Q_OBJECT
public:
    explicit ChartsTimeSeriesPlot(QWidget *parent = nullptr);
    ~ChartsTimeSeriesPlot() override;

    void setTitle(const QString &title, const QString &unit) override;
    QString title() const override { return m_title; }
    int addSeries(const QString &name, const QColor &color) override;
    void appendPoint(int series, double tSec, double value) override;
    void setSeriesName(int series, const QString &name) override;
    void setLimitLine(double value, const QString &label, const QColor &color) override;
    void removeLimitLines() override;
    void setWindowSeconds(double seconds) override;
    void setBaseRange(double minValue, double maxValue) override;
    void setPlaceholderText(const QString &text) override;
    void setPaused(bool paused) override;
    bool isPaused() const override { return m_paused; }
    void clear() override;
    QStringList seriesNames() const override;
    QList<QPointF> seriesPoints(int series) const override;
    int refreshCount() const override { return m_refreshCount; }
    void refreshNow() override;
    QStringList clippedTexts() const override;
    QChart *chart() const { return m_chart; } // for tests

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void refresh();
    void updateAxes(double endT, bool force = false);
    void updatePlaceholder();
    void updateLegend();

    struct Series
    {
        QString name;
        QColor color;
        QLineSeries *line = nullptr;
        SeriesRingBuffer buffer;
    };
    struct Limit
    {
        double value;
        QString label;
        QColor color;
        QLineSeries *line;
    };

    QChart *m_chart = nullptr;
    QChartView *m_view = nullptr;
    QValueAxis *m_axisX = nullptr;
    QValueAxis *m_axisY = nullptr;
    QLabel *m_header = nullptr;
    QLabel *m_legend = nullptr;
    QLabel *m_placeholder = nullptr;
    std::vector<Series> m_series;
    std::vector<Limit> m_limits;
    QTimer m_timer;
    QString m_title;
    QString m_unit;
    QString m_placeholderText;
    double m_window = 60.0;
    double m_baseMin = 0.0;
    double m_baseMax = 1.0;
    bool m_dirty = false;
    bool m_paused = false;
    double m_lastEndT = 0.0;
    int m_refreshCount = 0;
};

} // namespace pacelab::ui
