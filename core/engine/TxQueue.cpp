#include "engine/TxQueue.h"

#include <QtDebug>

#include <algorithm>
#include <chrono>

namespace pacelab {

qint64 steadyNowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

TxItem TxItem::media(QByteArray mulaw)
{
    TxItem item;
    item.kind = Media;
    item.payload = std::move(mulaw);
    return item;
}

TxItem TxItem::mark(QString name)
{
    TxItem item;
    item.kind = Mark;
    item.markName = std::move(name);
    return item;
}

TxQueue::TxQueue(int capacity, int highWater)
    : m_capacity(std::max(0, capacity)),
      m_highWater(m_capacity == 0 ? 0
                  : (highWater < 0 || highWater > m_capacity) ? m_capacity
                  : std::max(1, highWater)),
      m_warn([](const QString &text) { qWarning().noquote() << text; }),
      m_now(&steadyNowNs)
{
}

void TxQueue::stampLocked(TxItem &item)
{
    item.seq = m_nextSeq++;
    if (item.enqueuedNs == 0)
        item.enqueuedNs = m_now();
    ++m_totalPushed;
}

void TxQueue::noteSizeLocked()
{
    m_maxSize = std::max(m_maxSize, int(m_items.size()));
}

bool TxQueue::pushBlocking(TxItem item, int timeoutMs)
{
    return pushWaiting(std::move(item), timeoutMs) == PushResult::Ok;
}

TxQueue::PushResult TxQueue::pushWaiting(TxItem item, int timeoutMs)
{
    std::unique_lock lock(m_mutex);
    const quint64 generation = m_abortGeneration;
    auto canPush = [&] {
        return m_closed || generation != m_abortGeneration || m_highWater == 0
               || int(m_items.size()) < m_highWater;
    };
    if (timeoutMs < 0) {
        m_notFull.wait(lock, canPush);
    } else if (!m_notFull.wait_for(lock, std::chrono::milliseconds(timeoutMs), canPush)) {
        return PushResult::WouldBlock;
    }
    if (m_closed)
        return PushResult::Closed;
    if (generation != m_abortGeneration)
        return PushResult::Aborted;
    stampLocked(item);
    m_items.push_back(std::move(item));
    noteSizeLocked();
    return PushResult::Ok;
}

TxQueue::PushResult TxQueue::tryPush(TxItem item)
{
    std::unique_lock lock(m_mutex);
    if (m_closed)
        return PushResult::Closed;
    if (m_highWater != 0 && int(m_items.size()) >= m_highWater)
        return PushResult::WouldBlock;
    stampLocked(item);
    m_items.push_back(std::move(item));
    noteSizeLocked();
    return PushResult::Ok;
}

TxQueue::PushResult TxQueue::pushDropOldest(TxItem item)
{
    std::unique_lock lock(m_mutex);
    if (m_closed)
        return PushResult::Closed;
    bool dropped = false;
    if (m_capacity != 0 && int(m_items.size()) >= m_capacity) {
        // Drop the oldest *audio*: a mark is a promise to the bot's logic and costs nothing.
        auto it = std::find_if(m_items.begin(), m_items.end(),
                               [](const TxItem &i) { return i.kind == TxItem::Media; });
        m_items.erase(it != m_items.end() ? it : m_items.begin());
        dropped = true;
    }
    stampLocked(item);
    m_items.push_back(std::move(item));
    noteSizeLocked();
    if (dropped)
        noteDropLocked(lock); // may unlock to call the handler
    return dropped ? PushResult::DroppedOldest : PushResult::Ok;
}

TxQueue::PushResult TxQueue::pushAlways(TxItem item)
{
    std::unique_lock lock(m_mutex);
    if (m_closed)
        return PushResult::Closed;
    stampLocked(item);
    m_items.push_back(std::move(item));
    noteSizeLocked();
    return PushResult::Ok;
}

std::optional<TxItem> TxQueue::tryPop()
{
    std::unique_lock lock(m_mutex);
    if (m_items.empty())
        return std::nullopt;
    TxItem item = std::move(m_items.front());
    m_items.pop_front();
    lock.unlock();
    m_notFull.notify_all();
    return item;
}

std::optional<TxItem> TxQueue::tryPopMark()
{
    std::unique_lock lock(m_mutex);
    if (m_items.empty() || m_items.front().kind != TxItem::Mark)
        return std::nullopt;
    TxItem item = std::move(m_items.front());
    m_items.pop_front();
    lock.unlock();
    m_notFull.notify_all();
    return item;
}

bool TxQueue::isEmpty() const
{
    std::lock_guard lock(m_mutex);
    return m_items.empty();
}

int TxQueue::clear(bool abortWaiting)
{
    std::unique_lock lock(m_mutex);
    const int n = int(m_items.size());
    m_items.clear();
    if (abortWaiting)
        ++m_abortGeneration;
    lock.unlock();
    m_notFull.notify_all();
    return n;
}

void TxQueue::close()
{
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
    }
    m_notFull.notify_all();
}

void TxQueue::reopen()
{
    std::lock_guard lock(m_mutex);
    m_closed = false;
}

bool TxQueue::isClosed() const
{
    std::lock_guard lock(m_mutex);
    return m_closed;
}

int TxQueue::size() const
{
    std::lock_guard lock(m_mutex);
    return int(m_items.size());
}

quint64 TxQueue::totalDrops() const
{
    std::lock_guard lock(m_mutex);
    return m_totalDrops;
}

quint64 TxQueue::totalPushed() const
{
    std::lock_guard lock(m_mutex);
    return m_totalPushed;
}

int TxQueue::takeMaxSize()
{
    std::lock_guard lock(m_mutex);
    const int m = m_maxSize;
    m_maxSize = int(m_items.size());
    return m;
}

void TxQueue::setDropWarnInterval(int ms)
{
    std::lock_guard lock(m_mutex);
    m_warnIntervalMs = std::max(0, ms);
}

void TxQueue::setWarningHandler(std::function<void(const QString &)> handler)
{
    std::lock_guard lock(m_mutex);
    m_warn = std::move(handler);
}

void TxQueue::setClock(std::function<qint64()> nowNs)
{
    std::lock_guard lock(m_mutex);
    m_now = nowNs ? std::move(nowNs) : std::function<qint64()>(&steadyNowNs);
}

void TxQueue::flushDropWarning()
{
    std::unique_lock lock(m_mutex);
    maybeWarnLocked(lock, false);
}

void TxQueue::noteDropLocked(std::unique_lock<std::mutex> &lock)
{
    ++m_totalDrops;
    ++m_pendingWarnDrops;
    maybeWarnLocked(lock, !m_warnedOnce);
}

void TxQueue::maybeWarnLocked(std::unique_lock<std::mutex> &lock, bool force)
{
    if (m_pendingWarnDrops == 0)
        return;
    const qint64 now = m_now();
    const qint64 sinceNs = now - m_lastWarnNs;
    if (!force && sinceNs < qint64(m_warnIntervalMs) * 1000000)
        return;
    const quint64 n = m_pendingWarnDrops;
    QString text = n == 1 ? QStringLiteral("tx queue full: dropped 1 oldest frame")
                          : QStringLiteral("tx queue full: dropped %1 oldest frames").arg(n);
    if (m_warnedOnce)
        text += QStringLiteral(" in the last %1 s").arg(double(sinceNs) / 1e9, 0, 'f', 1);
    m_pendingWarnDrops = 0;
    m_lastWarnNs = now;
    m_warnedOnce = true;
    auto handler = m_warn;
    // The handler may log or emit signals: never call it with the queue locked.
    lock.unlock();
    if (handler)
        handler(text);
    lock.lock();
}

} // namespace pacelab
