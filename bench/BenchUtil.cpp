#include "BenchUtil.h"

#include <QEventLoop>
#include <QFile>
#include <QThread>
#include <QTimer>

#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#ifdef Q_OS_UNIX
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#endif

namespace pacelab::bench {

double cpuSeconds(CpuOf who)
{
#ifdef Q_OS_UNIX
    rusage ru{};
#ifdef RUSAGE_THREAD
    getrusage(who == CpuOf::Thread ? RUSAGE_THREAD : RUSAGE_SELF, &ru);
#else
    Q_UNUSED(who);
    getrusage(RUSAGE_SELF, &ru);
#endif
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
#else
    Q_UNUSED(who);
    return 0;
#endif
}

qint64 rssKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    return 0;
}

QString machineSummary()
{
    double load[3] = {0, 0, 0};
#ifdef Q_OS_UNIX
    getloadavg(load, 3);
#endif
    return QStringLiteral("%1 CPUs, load average %2").arg(QThread::idealThreadCount()).arg(load[0], 0, 'f', 1);
}

void runEventsFor(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

bool runEventsUntil(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs)
            return false;
        runEventsFor(10);
    }
    return true;
}

QString setThreadFifo(int priority, QString *refusal)
{
#ifdef Q_OS_UNIX
    if (priority > 0) {
        sched_param sp{};
        sp.sched_priority = priority;
        const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
        if (rc != 0 && refusal)
            *refusal = QStringLiteral("SCHED_FIFO %1 refused: %2").arg(priority).arg(QString::fromLocal8Bit(strerror(rc)));
    }
    // What the thread has now, whatever was asked.
    int policy = SCHED_OTHER;
    sched_param now{};
    pthread_getschedparam(pthread_self(), &policy, &now);
    if (policy == SCHED_FIFO)
        return QStringLiteral("SCHED_FIFO %1").arg(now.sched_priority);
    if (policy == SCHED_RR)
        return QStringLiteral("SCHED_RR %1").arg(now.sched_priority);
#else
    if (priority > 0 && refusal)
        *refusal = QStringLiteral("SCHED_FIFO is POSIX only");
#endif
    return QStringLiteral("normal");
}

int printUsage(const char *who, const QString &error, const QString &text)
{
    if (!error.isEmpty())
        std::fprintf(stderr, "%s: %s\n", who, qPrintable(error));
    std::fprintf(stderr, "%s", qPrintable(text));
    return 2;
}

bool takeInt(const QStringList &args, int &i, int lo, int hi, int *out, QString *error, const char *unit)
{
    const QString name = args.value(i);
    if (i + 1 >= args.size()) {
        *error = QStringLiteral("%1 needs a value").arg(name);
        return false;
    }
    const QString text = args[++i];
    bool ok = false;
    const int v = text.toInt(&ok);
    if (!ok || v < lo || v > hi) {
        *error = QStringLiteral("%1 wants %2..%3%4, got '%5'").arg(name).arg(lo).arg(hi).arg(QLatin1String(unit), text);
        return false;
    }
    *out = v;
    return true;
}

void OptionParser::addInt(const char *name, int lo, int hi, int *out, const char *unit)
{
    m_options.append({QString::fromUtf8(name), Option::Int, lo, hi, unit, out});
}

void OptionParser::addString(const char *name, QString *out)
{
    m_options.append({QString::fromUtf8(name), Option::String, 0, 0, "", out});
}

void OptionParser::addFlag(const char *name, bool *out)
{
    m_options.append({QString::fromUtf8(name), Option::Flag, 0, 0, "", out});
}

int OptionParser::parse(const QStringList &args, const std::function<int(const QString &)> &usage) const
{
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("--help") || a == QLatin1String("-h")) {
            usage({});
            return 0;
        }
        const auto it = std::find_if(m_options.cbegin(), m_options.cend(), [&](const Option &o) { return o.name == a; });
        if (it == m_options.cend())
            return usage(QStringLiteral("unknown option '%1'").arg(a));
        QString error;
        switch (it->kind) {
        case Option::Int:
            if (!takeInt(args, i, it->lo, it->hi, static_cast<int *>(it->out), &error, it->unit))
                return usage(error);
            break;
        case Option::String:
            if (i + 1 >= args.size())
                return usage(QStringLiteral("%1 needs a value").arg(a));
            *static_cast<QString *>(it->out) = args[++i];
            break;
        case Option::Flag:
            *static_cast<bool *>(it->out) = true;
            break;
        }
    }
    return -1;
}

} // namespace pacelab::bench
