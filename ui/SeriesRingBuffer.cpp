#include "SeriesRingBuffer.h"

#include <algorithm>
#include <cmath>

namespace pacelab::ui {

SeriesRingBuffer::SeriesRingBuffer(int capacity)
    : m_capacity(std::max(1, capacity))
    , m_data(m_capacity)
{
}

bool SeriesRingBuffer::append(double t, double value)
{
    if (!std::isfinite(t) || !std::isfinite(value))
        return false;
    if (m_size > 0 && t < last().x())
        return false;
    if (m_size < m_capacity) {
        m_data[(m_head + m_size) % m_capacity] = QPointF(t, value);
        ++m_size;
    } else {
        m_data[m_head] = QPointF(t, value); // overwrite the oldest
        m_head = (m_head + 1) % m_capacity;
    }
    return true;
}

void SeriesRingBuffer::clear()
{
    m_head = 0;
    m_size = 0;
}

QPointF SeriesRingBuffer::at(int i) const
{
    return m_data[(m_head + i) % m_capacity];
}

QPointF SeriesRingBuffer::last() const
{
    return at(m_size - 1);
}

QList<QPointF> SeriesRingBuffer::points(double fromT) const
{
    // Times are sorted: binary search the first point to keep.
    int lo = 0, hi = m_size;
    while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (at(mid).x() < fromT)
            lo = mid + 1;
        else
            hi = mid;
    }
    QList<QPointF> out;
    out.reserve(m_size - lo);
    for (int i = lo; i < m_size; ++i)
        out.append(at(i));
    return out;
}

bool SeriesRingBuffer::valueRange(double fromT, double *minV, double *maxV) const
{
    bool any = false;
    double lo = 0, hi = 0;
    for (int i = m_size - 1; i >= 0; --i) {
        const QPointF p = at(i);
        if (p.x() < fromT)
            break;
        if (!any) {
            lo = hi = p.y();
            any = true;
        } else {
            lo = std::min(lo, p.y());
            hi = std::max(hi, p.y());
        }
    }
    if (any) {
        *minV = lo;
        *maxV = hi;
    }
    return any;
}

} // namespace pacelab::ui
