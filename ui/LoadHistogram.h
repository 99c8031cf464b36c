#pragma once

#include <QList>
#include <QString>
#include <QWidget>

namespace pacelab::ui {

// A histogram of one value per call (fps p1, jitter, buffered seconds) drawn with QPainter:
// cheap to redraw for any number of calls (binning is O(calls), painting O(bins)). Limit lines
// are dashed and labelled with their value, so the limit is readable without colour.
class LoadHistogram final : public QWidget
{
    Q_OBJECT
public:
    explicit LoadHistogram(const QString &title, const QString &unit, QWidget *parent = nullptr);

    // The checklist's limits for this value (e.g. 48 and 52 fps, 0.5 s); drawn as dashed lines.
    void setLimits(const QList<double> &limits);
    // The least x range shown, so a run of perfect calls does not read as a spread.
    void setBaseRange(double lo, double hi);
    void setValues(const QList<double> &values);

    QString title() const { return m_title; }
    int sampleCount() const { return int(m_values.size()); }
    QList<int> binCounts() const { return m_counts; }
    double rangeLow() const { return m_lo; }
    double rangeHigh() const { return m_hi; }
    int paintCount() const { return m_paints; }

    QSize minimumSizeHint() const override { return {170, 130}; }
    QSize sizeHint() const override { return {260, 170}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    void rebin();

    QString m_title;
    QString m_unit;
    QList<double> m_values;
    QList<double> m_limits;
    QList<int> m_counts;
    double m_baseLo = 0.0, m_baseHi = 1.0;
    double m_lo = 0.0, m_hi = 1.0;
    int m_paints = 0;
};

} // namespace pacelab::ui
