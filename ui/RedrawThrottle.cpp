#include "RedrawThrottle.h"

#include <QDeadlineTimer>

#include <algorithm>

namespace pacelab::ui {

RedrawThrottle::RedrawThrottle(int minIntervalMs, QObject *parent)
    : QObject(parent)
    , m_now([] { return QDeadlineTimer::current().deadline(); })
    , m_interval(std::max(1, minIntervalMs))
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &RedrawThrottle::poll);
}

void RedrawThrottle::request()
{
    m_pending = true;
    poll();
}

void RedrawThrottle::poll()
{
    if (!m_pending)
        return;
    const qint64 now = m_now();
    const qint64 since = now - m_last;
    if (m_hasLast && since < m_interval) {
        if (!m_timer.isActive())
            m_timer.start(int(std::clamp<qint64>(m_interval - since, 1, m_interval)));
        return;
    }
    fire(now);
}

void RedrawThrottle::flush()
{
    m_pending = true;
    fire(m_now());
}

void RedrawThrottle::fire(qint64 now)
{
    m_timer.stop();
    m_pending = false;
    m_last = now;
    m_hasLast = true;
    ++m_renders;
    Q_EMIT render();
}

} // namespace pacelab::ui
