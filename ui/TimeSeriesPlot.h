#pragma once

#include <QColor>
#include <QList>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QWidget>

namespace pacelab::ui {

// A live chart of a few time series over a sliding window. Kept behind this small interface
// because Qt Charts is deprecated in newer Qt: another backend (QPainter, Qt Graphs) can replace
// ChartsTimeSeriesPlot without touching the window. Times are seconds since the session started.
class TimeSeriesPlot : public QWidget
{
    Q_OBJECT
public:
    using QWidget::QWidget;

    // The Qt Charts implementation.
    static TimeSeriesPlot *create(QWidget *parent = nullptr);

    virtual void setTitle(const QString &title, const QString &unit) = 0;
    virtual QString title() const = 0;
    // Returns the series index used by appendPoint().
    virtual int addSeries(const QString &name, const QColor &color) = 0;
    virtual void appendPoint(int series, double tSec, double value) = 0;
    virtual void setSeriesName(int series, const QString &name) = 0; // the legend follows
    // A horizontal reference line (e.g. "50 fps", "limit 120"); several allowed.
    virtual void setLimitLine(double value, const QString &label, const QColor &color) = 0;
    virtual void removeLimitLines() = 0;
    virtual void setWindowSeconds(double seconds) = 0;
    // The y range shown before data arrives and the least it shrinks to; data widens it.
    virtual void setBaseRange(double minValue, double maxValue) = 0;
    // Shown over the chart while no series has a point ("waiting for data", "not in this mode").
    virtual void setPlaceholderText(const QString &text) = 0;
    virtual void setPaused(bool paused) = 0;
    virtual bool isPaused() const = 0;
    virtual void clear() = 0;

    virtual QStringList seriesNames() const = 0;
    virtual QList<QPointF> seriesPoints(int series) const = 0; // all points kept, oldest first
    virtual int refreshCount() const = 0;                      // redraws done (for cost figures)
    // Pushes pending points into the chart now instead of at the next 10 Hz tick (tests, export).
    virtual void refreshNow() = 0;
    // Texts that did not fit where they are shown (title, legend): empty when everything is
    // readable at the current size. The layout tests assert this at every window size.
    virtual QStringList clippedTexts() const = 0;

    bool exportPng(const QString &path, QString *error) const;
};

} // namespace pacelab::ui
