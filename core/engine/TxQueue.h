#pragma once

#include <QByteArray>
#include <QString>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

namespace pacelab {

// One item of outbound traffic. Marks travel in the same queue as audio so they keep their
// place relative to it (Twilio echoes a mark once the audio sent before it has played).
struct TxItem
{
    enum Kind { Media, Mark };
    Kind kind = Media;
    QByteArray payload; // one frame of the sender's format (Twilio: 160 B mu-law); not enforced on purpose
    QString markName;
    quint64 seq = 0;        // assigned by the queue, monotonically increasing
    qint64 enqueuedNs = 0;  // steady clock; stamped by the queue when left 0

    static TxItem media(QByteArray mulaw);
    static TxItem mark(QString name);
};

// steady_clock now, in ns (the clock every engine timestamp uses).
qint64 steadyNowNs();

// The tx queue of the checklist: bounded, thread-safe, many producers, one consumer.
//  - pushBlocking(): back-pressure for producers faster than real time (TTS): waits while
//    size() >= highWater().
//  - pushDropOldest(): for real-time sources (mic): never waits; when full, the oldest media
//    frame is dropped so the newest audio survives.
//  - pushAlways(): control items (marks): never waits, never drops, ignores the bound.
// capacity 0 = unbounded (only for the broken-twin scenarios): nothing blocks, nothing drops.
class TxQueue
{
public:
    // Aborted: only from pushWaiting(), when clear(true) ended the wait (the item is stale).
    enum class PushResult { Ok, WouldBlock, DroppedOldest, Closed, Aborted };

    // highWater < 0 (or > capacity) means "= capacity".
    explicit TxQueue(int capacity = 120, int highWater = -1);
    TxQueue(const TxQueue &) = delete;
    TxQueue &operator=(const TxQueue &) = delete;

    // Waits while size() >= highWater(). timeoutMs < 0 = forever. Returns false on timeout,
    // when the queue is closed, or when clear(true) aborted the wait.
    bool pushBlocking(TxItem item, int timeoutMs = -1);
    // The same wait, saying why it failed: WouldBlock = timed out, Closed, or Aborted.
    PushResult pushWaiting(TxItem item, int timeoutMs = -1);
    PushResult tryPush(TxItem item);
    PushResult pushDropOldest(TxItem item);
    PushResult pushAlways(TxItem item);

    std::optional<TxItem> tryPop();
    // Pops the head only if it is a Mark (lets the sender flush marks that follow a frame).
    std::optional<TxItem> tryPopMark();
    bool isEmpty() const;

    // Removes everything and wakes waiting producers. abortWaiting: those producers return
    // false instead of pushing (barge-in: a TTS producer blocked on stale speech stops).
    int clear(bool abortWaiting = false);
    void close();  // wakes and fails all waiting producers; later pushes return Closed
    void reopen(); // accepts pushes again (a new stream)
    bool isClosed() const;

    int size() const;
    int capacity() const { return m_capacity; }
    int highWater() const { return m_highWater; }
    quint64 totalDrops() const;
    quint64 totalPushed() const;
    // Largest size() since the previous call (the sender reads it once per telemetry second).
    int takeMaxSize();

    // Drop warnings are throttled: at most one per interval, saying how many frames were
    // dropped since the previous one ("tx queue full: dropped 37 oldest frames in the last
    // 2.0 s"). The handler runs on the thread that dropped (or that called flushDropWarning).
    void setDropWarnInterval(int ms);
    void setWarningHandler(std::function<void(const QString &)> handler); // default: qWarning
    void setClock(std::function<qint64()> nowNs); // tests inject a fake clock
    // Reports drops still pending once the interval has passed (the sender calls it each second,
    // so a burst of drops that then stops is still reported).
    void flushDropWarning();

private:
    void stampLocked(TxItem &item);
    void noteSizeLocked();
    void noteDropLocked(std::unique_lock<std::mutex> &lock);
    void maybeWarnLocked(std::unique_lock<std::mutex> &lock, bool force);

    const int m_capacity;
    const int m_highWater;
    mutable std::mutex m_mutex;
    std::condition_variable m_notFull;
    std::deque<TxItem> m_items;
    bool m_closed = false;
    quint64 m_nextSeq = 1;
    quint64 m_abortGeneration = 0;
    quint64 m_totalDrops = 0;
    quint64 m_totalPushed = 0;
    int m_maxSize = 0;

    int m_warnIntervalMs = 2000;
    quint64 m_pendingWarnDrops = 0;
    qint64 m_lastWarnNs = 0;
    bool m_warnedOnce = false;
    std::function<void(const QString &)> m_warn;
    std::function<qint64()> m_now;
};

} // namespace pacelab
