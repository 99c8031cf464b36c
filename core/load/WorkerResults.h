#pragma once

// What the many-call emulators (LoadEmulator: calls placed; ListenEmulator: streams accepted)
// ask of their worker threads, in one place: each worker is asked on its own thread and waits.

#include "LoadTypes.h"
#include "ThreadPriority.h"

#include <QList>
#include <QMetaObject>
#include <QPointer>
#include <QThread>

#include <algorithm>

namespace pacelab {

// Every worker's CallResults, in call order. Call from a thread other than the workers'.
template<typename Worker>
QList<CallResult> collectWorkerResults(const QList<Worker *> &workers)
{
    QList<CallResult> all;
    for (Worker *w : workers) {
        QList<CallResult> part;
        QMetaObject::invokeMethod(w, [w, &part] { part = w->results(); }, Qt::BlockingQueuedConnection);
        all += part;
    }
    std::sort(all.begin(), all.end(), [](const CallResult &a, const CallResult &b) { return a.index < b.index; });
    return all;
}

// CPU seconds the worker threads used (each reads its own thread clock).
template<typename Worker>
double sumWorkerCpuSec(const QList<Worker *> &workers)
{
    double sum = 0.0;
    for (Worker *w : workers) {
        double v = 0.0;
        QMetaObject::invokeMethod(w, [w, &v] { v = w->threadCpuSec(); }, Qt::BlockingQueuedConnection);
        sum += v;
    }
    return sum;
}

// Deletes each worker on its own thread (its sockets and timers belong there), then ends and
// deletes its thread; both lists end empty.
template<typename Worker>
void stopWorkerThreads(QList<Worker *> &workers, QList<QThread *> &threads)
{
    for (int i = 0; i < workers.size(); ++i) {
        Worker *w = workers[i];
        QMetaObject::invokeMethod(w, [w] { delete w; }, Qt::BlockingQueuedConnection);
        threads[i]->quit();
        threads[i]->wait();
        delete threads[i];
    }
    workers.clear();
    threads.clear();
}

// Asks for SCHED_FIFO `priority` on the worker's own thread; a refusal's reason reaches
// onRefused queued on `owner`'s thread (when the owner still exists).
template<typename Owner, typename OnRefused>
void askWorkerRealtime(QObject *worker, int priority, Owner *owner, OnRefused onRefused)
{
    QMetaObject::invokeMethod(worker, [priority, guard = QPointer<Owner>(owner), onRefused] {
        QString why;
        if (!setCurrentThreadRealtime(priority, &why) && guard)
            QMetaObject::invokeMethod(guard.data(), [onRefused, why] { onRefused(why); }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

} // namespace pacelab
