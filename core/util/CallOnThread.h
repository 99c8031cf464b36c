#pragma once

#include <QMetaObject>
#include <QObject>
#include <future>
#include <memory>
#include <optional>

namespace pacelab {

// Runs fn on ctx's thread, waits, and hands fn's result back to the calling thread.
// Why not invokeMethod(ctx, [&] {...}, Qt::BlockingQueuedConnection): that lambda writes the
// caller's stack from the other thread, ordered only by Qt's internal semaphore, which
// ThreadSanitizer cannot see in a non-instrumented Qt, and a by-reference capture makes
// it easy to read or write a dangling local. Here arguments are copied into fn and the result
// travels through a std::future, whose synchronisation is visible to the sanitizer.
// Returns nullopt when ctx's thread discarded the call unrun (its event loop had stopped).
// Must not be called from ctx's own thread (it would wait for itself, as BlockingQueued would).
template<typename F>
auto callOnThread(QObject *ctx, F fn) -> std::optional<decltype(fn())>
{
    using R = decltype(fn());
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> result = promise->get_future();
    QMetaObject::invokeMethod(
        ctx, [promise, fn = std::move(fn)]() mutable { promise->set_value(fn()); },
        Qt::QueuedConnection);
    try {
        return result.get();
    } catch (const std::future_error &) { // broken promise: the queued call was destroyed unrun
        return std::nullopt;
    }
}

} // namespace pacelab
