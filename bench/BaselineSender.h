#pragma once

#include <QObject>
#include <QString>
#include <QThread>
#include <QUrl>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace pacelab::bench {

struct BaselineOptions
{
    QUrl url;
    QString streamSid;
    int frames = 0;
    qint64 intervalUs = 20000;
    // > 0: the thread asks for SCHED_FIFO at this priority (the same as the sender under test
    // with --rt, so that a comparison is about the pacing method only). 0: default scheduling.
    int fifoPriority = 0;
    QThread::Priority threadPriority = QThread::InheritPriority;
};

// The naive pacer every bench compares against: one frame per QTimer(Qt::PreciseTimer) tick on
// a thread of its own, trusting the timer. Measured like PaceLab's sender: each frame is
// written and flushed on that thread (the bytes reach the kernel), then timestamped against its
// slot on the absolute grid anchored when the socket connected. The JSON of the next frame is
// made after each write, as PaceLab prepares its next frame ahead of the deadline.
class BaselineSender
{
public:
    explicit BaselineSender(BaselineOptions options);
    ~BaselineSender(); // stop()

    // Starts the thread, connects, then sends frames. Call once.
    void start();
    // Every frame written, or the connection failed (see error()). Thread-safe.
    bool isFinished() const { return m_finished.load(std::memory_order_acquire); }
    // Runs the caller's event loop for graceMs (the close handshake, and a peer served on the
    // calling thread, go on), then ends the thread. The figures below are valid after it.
    void stop(int graceMs = 200);

    // start(), then run the caller's event loop until isFinished() and alsoDone() (e.g. a peer
    // on the caller's thread has every frame) or timeoutMs, then stop(graceMs). Measures the
    // process's CPU until then, the grace left out (processCores()). False on a timeout.
    bool run(int timeoutMs, const std::function<bool()> &alsoDone = {}, int graceMs = 200);
    // CPU time of the whole process / wall time during run().
    double processCores() const { return m_processCores; }

    // Per frame sent: microseconds from its grid slot to the end of its flush.
    const std::vector<qint64> &latenessUs() const { return m_lateness; }
    struct Summary
    {
        qint64 p50 = 0, p99 = 0, max = 0;
        qint64 last = 0; // the last frame's: the drift of the timer against the grid
    };
    Summary summary() const;
    // What the thread actually ran at: "SCHED_FIFO 50", "normal".
    QString scheduling() const { return m_scheduling; }
    // Why the requested SCHED_FIFO was refused, or empty.
    QString schedulingRefusal() const { return m_refusal; }
    // The connection's failure, or empty.
    QString error() const { return m_error; }

private:
    BaselineOptions m_options;
    QThread m_thread;
    std::unique_ptr<QObject> m_context; // lives on m_thread; the socket and the timer are its children
    std::vector<qint64> m_lateness;
    QString m_scheduling = QStringLiteral("normal");
    QString m_refusal;
    QString m_error;
    double m_processCores = 0;
    std::atomic<bool> m_finished{false};
    bool m_started = false;
    bool m_stopped = false;
};

} // namespace pacelab::bench
