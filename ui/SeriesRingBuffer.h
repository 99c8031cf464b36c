#pragma once

#include <QList>
#include <QPointF>
#include <QVector>

namespace pacelab::ui {

// Fixed-capacity ring of (time, value) points for one chart series. UI-free so it can be unit
// tested; the plot copies points() into QXYSeries::replace() at its refresh rate, which is far
// cheaper than many append()/remove() calls on the series itself.
class SeriesRingBuffer
{
public:
    explicit SeriesRingBuffer(int capacity = 1200);

    int capacity() const { return m_capacity; }
    int size() const { return m_size; }
    bool isEmpty() const { return m_size == 0; }

    // Points must come in non-decreasing time order; an older point is ignored (returns false)
    // because a series drawn out of order would zig-zag back in time.
    bool append(double t, double value);
    void clear();

    QPointF at(int i) const;  // 0 = oldest kept
    QPointF last() const;     // undefined when empty: check isEmpty()
    // Points with t >= fromT, oldest first (fromT = -inf for all).
    QList<QPointF> points(double fromT = -1e300) const;
    // Min/max of the values with t >= fromT; false when none.
    bool valueRange(double fromT, double *minV, double *maxV) const;

private:
    int m_capacity;
    int m_head = 0; // index of the oldest point
    int m_size = 0;
    QVector<QPointF> m_data;
};

} // namespace pacelab::ui
