#pragma once

#include <QObject>
#include <QTimer>

#include <functional>

namespace pacelab::ui {

// Coalesces "the data changed" into at most one render() per interval, whatever the rate of
// changes (a load run can deliver a snapshot of 1000 calls at any rate): the first change
// renders at once, later ones within the interval render once when it ends. The clock can be
// replaced (tests drive it by hand, so the count of renders is deterministic).
class RedrawThrottle final : public QObject
{
    Q_OBJECT
public:
    explicit RedrawThrottle(int minIntervalMs, QObject *parent = nullptr);

    void setClock(std::function<qint64()> nowMs) { m_now = std::move(nowMs); }
    int minIntervalMs() const { return m_interval; }
    // The data changed: render now if the interval has passed, else once when it has.
    void request();
    // Renders a pending change if its time has come (the timer calls it; tests may too).
    void poll();
    // Renders now whatever the interval (the end of a run must show its final state at once).
    void flush();
    bool isPending() const { return m_pending; }
    int renders() const { return m_renders; }

Q_SIGNALS:
    void render();

private:
    void fire(qint64 now);

    std::function<qint64()> m_now;
    QTimer m_timer;
    int m_interval;
    qint64 m_last = 0;
    bool m_hasLast = false;
    bool m_pending = false;
    int m_renders = 0;
};

} // namespace pacelab::ui
