#pragma once

#include <QObject>
#include <QThread>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>

namespace pacelab {

// Runs functions on the thread this object lives on and hands their results back.
// Why not QMetaObject::invokeMethod(obj, lambda, Qt::BlockingQueuedConnection): the lambda and
// everything it captures are written on the calling thread and read on the other one, and the
// only ordering between the two is Qt's event queue. In a Qt not built with ThreadSanitizer that
// ordering is invisible, so every such call is a reported race (and a [&] capture lets the other
// thread write the caller's stack). Here the job crosses threads through a std::mutex, the result
// comes back through a std::future, and Qt only carries an argument-less wake-up signal.
// Create it before its thread starts, or move it there (or make it a child of an object there).
class ThreadCaller : public QObject
{
    Q_OBJECT
public:
    explicit ThreadCaller(QObject *parent = nullptr)
        : QObject(parent)
    {
        connect(this, &ThreadCaller::jobsPosted, this, &ThreadCaller::runJobs, Qt::QueuedConnection);
    }

    // Runs fn on this object's thread and waits for its result. nullopt when that thread is
    // not running (the job would never run). Never call it from this object's own thread.
    template<typename F>
    auto call(F fn) -> std::optional<decltype(fn())>
    {
        using R = decltype(fn());
        if (!thread() || !thread()->isRunning())
            return std::nullopt;
        auto promise = std::make_shared<std::promise<R>>();
        std::future<R> result = promise->get_future();
        post([promise, fn = std::move(fn)]() mutable { promise->set_value(fn()); });
        try {
            return result.get();
        } catch (const std::future_error &) { // broken promise: the job was destroyed unrun
            return std::nullopt;
        }
    }

    // Runs job on this object's thread later; does not wait.
    void post(std::function<void()> job)
    {
        {
            const std::lock_guard lock(m_mutex);
            m_jobs.push_back(std::move(job));
        }
        Q_EMIT jobsPosted();
    }

Q_SIGNALS:
    void jobsPosted();

private:
    void runJobs()
    {
        for (;;) {
            std::function<void()> job;
            {
                const std::lock_guard lock(m_mutex);
                if (m_jobs.empty())
                    return;
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            job();
        }
    }

    std::mutex m_mutex;
    std::deque<std::function<void()>> m_jobs;
};

} // namespace pacelab
