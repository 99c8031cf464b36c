#include "engine/TelemetrySinks.h"

#include <QJsonDocument>

#include <cerrno>
#include <cstdio>

#ifdef Q_OS_UNIX
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace pacelab {

QString TelemetrySinks::openJsonl(const QString &path)
{
    if (path.isEmpty() || m_jsonl.isOpen())
        return {};
    m_jsonl.setFileName(path);
    if (!m_jsonl.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text))
        return QStringLiteral("cannot open telemetry file '%1': %2").arg(path, m_jsonl.errorString());
    return {};
}

void TelemetrySinks::closeJsonl()
{
    if (m_jsonl.isOpen())
        m_jsonl.close();
}

QString TelemetrySinks::threadSchedTag()
{
#ifdef Q_OS_UNIX
    int policy = SCHED_OTHER;
    sched_param sp{};
    if (pthread_getschedparam(pthread_self(), &policy, &sp) == 0) {
        if (policy == SCHED_FIFO)
            return QStringLiteral("fifo:%1").arg(sp.sched_priority);
        if (policy == SCHED_RR)
            return QStringLiteral("rr:%1").arg(sp.sched_priority);
    }
#ifdef SYS_gettid
    errno = 0;
    const int nice = getpriority(PRIO_PROCESS, id_t(syscall(SYS_gettid))); // Linux: per thread
    if (errno == 0 && nice < 0)
        return QStringLiteral("nice:%1").arg(nice);
#endif
#endif
    return QStringLiteral("normal");
}

void TelemetrySinks::publish(const TelemetrySnapshot &s)
{
    for (const auto &cb : m_callbacks)
        cb(s);
    if (m_jsonl.isOpen() || m_stdout) {
        // Read once per second on the publishing thread: two system calls, nothing per frame.
        if (s.sched.isEmpty() && m_jsonl.isOpen()) {
            TelemetrySnapshot stamped = s;
            stamped.sched = threadSchedTag();
            publishJson(stamped.toJson(), m_stdout ? s.toLine() : QString());
        } else {
            publishJson(s.toJson(), m_stdout ? s.toLine() : QString());
        }
    }
}

void TelemetrySinks::publishJson(const QJsonObject &o, const QString &line)
{
    if (m_jsonl.isOpen()) {
        m_jsonl.write(QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
        m_jsonl.flush();
    }
    if (m_stdout && !line.isEmpty()) {
        std::fputs(line.toLocal8Bit().constData(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    }
}

} // namespace pacelab
