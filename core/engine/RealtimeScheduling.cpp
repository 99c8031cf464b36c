#include "engine/RealtimeScheduling.h"

#include <QStringList>

#include <algorithm>
#include <cerrno>
#include <cstring>

#ifdef Q_OS_LINUX
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#ifdef PACELAB_HAVE_RTKIT
#include <dbus/dbus.h>
#endif

namespace pacelab {

QString SchedulingResult::tag() const
{
    switch (kind) {
    case Kind::Fifo: return QStringLiteral("fifo:%1").arg(value);
    case Kind::Rtkit: return QStringLiteral("rtkit:rr:%1").arg(value);
    case Kind::Nice: return QStringLiteral("nice:%1").arg(value);
    case Kind::Normal: break;
    }
    return policy == QLatin1String("off") ? QStringLiteral("off") : QStringLiteral("normal");
}

QString SchedulingResult::summary() const
{
    QString s = QStringLiteral("sender thread scheduling: ") + policy;
    if (!isRealtime() && !why.isEmpty())
        s += QStringLiteral(" (not real-time: %1)").arg(why);
    if (!isRealtime() && !fix.isEmpty())
        s += QStringLiteral("; fix: ") + fix;
    return s;
}

namespace {

QString errnoText(int e)
{
    return QString::fromLocal8Bit(strerror(e));
}

#ifdef PACELAB_HAVE_RTKIT
// RealtimeKit over a private system-bus connection (libdbus-1: the core does not link QtDBus).
// Short timeouts: a bus that does not answer must not hold up the sender thread's start.
constexpr int kDbusTimeoutMs = 1000;
const char *const kRtkitName = "org.freedesktop.RealtimeKit1";
const char *const kRtkitPath = "/org/freedesktop/RealtimeKit1";

class RtkitBus
{
public:
    RtkitBus()
    {
        dbus_threads_init_default();
        DBusError e;
        dbus_error_init(&e);
        m_conn = dbus_bus_get_private(DBUS_BUS_SYSTEM, &e);
        if (!m_conn) {
            m_error = QStringLiteral("cannot reach the D-Bus system bus (%1)").arg(QString::fromUtf8(e.message));
            dbus_error_free(&e);
            return;
        }
        // A bus that goes away must not exit the process (libdbus's default for bus connections).
        dbus_connection_set_exit_on_disconnect(m_conn, FALSE);
    }
    ~RtkitBus()
    {
        if (m_conn) {
            dbus_connection_close(m_conn);
            dbus_connection_unref(m_conn);
        }
    }
    const QString &error() const { return m_error; }

    // A numeric property of RealtimeKit1 (int32 or int64), or false with error() set.
    bool property(const char *name, qint64 *out)
    {
        DBusMessage *m = dbus_message_new_method_call(kRtkitName, kRtkitPath, "org.freedesktop.DBus.Properties", "Get");
        if (!m)
            return fail(QStringLiteral("out of memory"));
        const char *iface = "org.freedesktop.RealtimeKit1";
        dbus_message_append_args(m, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID);
        DBusMessage *reply = send(m);
        if (!reply)
            return false;
        bool ok = false;
        DBusMessageIter it, var;
        if (dbus_message_iter_init(reply, &it) && dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_VARIANT) {
            dbus_message_iter_recurse(&it, &var);
            const int t = dbus_message_iter_get_arg_type(&var);
            if (t == DBUS_TYPE_INT32) {
                dbus_int32_t v = 0;
                dbus_message_iter_get_basic(&var, &v);
                *out = v;
                ok = true;
            } else if (t == DBUS_TYPE_INT64) {
                dbus_int64_t v = 0;
                dbus_message_iter_get_basic(&var, &v);
                *out = v;
                ok = true;
            }
        }
        dbus_message_unref(reply);
        return ok ? true : fail(QStringLiteral("RealtimeKit property %1 has an unexpected type").arg(QLatin1String(name)));
    }

    // MakeThreadRealtime(t thread, u priority) / MakeThreadHighPriority(t thread, i priority).
    bool makeThread(const char *method, quint64 tid, qint32 value, bool unsignedValue)
    {
        DBusMessage *m = dbus_message_new_method_call(kRtkitName, kRtkitPath, kRtkitName, method);
        if (!m)
            return fail(QStringLiteral("out of memory"));
        dbus_uint64_t t = tid;
        dbus_uint32_t u = dbus_uint32_t(value);
        dbus_int32_t i = value;
        if (unsignedValue)
            dbus_message_append_args(m, DBUS_TYPE_UINT64, &t, DBUS_TYPE_UINT32, &u, DBUS_TYPE_INVALID);
        else
            dbus_message_append_args(m, DBUS_TYPE_UINT64, &t, DBUS_TYPE_INT32, &i, DBUS_TYPE_INVALID);
        DBusMessage *reply = send(m);
        if (!reply)
            return false;
        dbus_message_unref(reply);
        return true;
    }

private:
    DBusMessage *send(DBusMessage *m)
    {
        if (!m_conn) {
            dbus_message_unref(m);
            return nullptr;
        }
        DBusError e;
        dbus_error_init(&e);
        DBusMessage *reply = dbus_connection_send_with_reply_and_block(m_conn, m, kDbusTimeoutMs, &e);
        dbus_message_unref(m);
        if (!reply) {
            m_error = QStringLiteral("RealtimeKit: %1").arg(QString::fromUtf8(e.message));
            dbus_error_free(&e);
        }
        return reply;
    }
    bool fail(const QString &why)
    {
        m_error = why;
        return false;
    }

    DBusConnection *m_conn = nullptr;
    QString m_error;
};
#endif

#ifdef Q_OS_LINUX
long currentTid()
{
    return long(syscall(SYS_gettid));
}
#endif

class SystemOps final : public SchedulingOps
{
public:
    int setFifo(int priority) override
    {
#ifdef Q_OS_LINUX
        sched_param sp{};
        sp.sched_priority = priority;
        // The thread alone (its TID), and children forked from it start normal again.
        if (sched_setscheduler(pid_t(currentTid()), SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0)
            return 0;
        return errno;
#else
        Q_UNUSED(priority);
        return ENOSYS;
#endif
    }
    int rtprioLimit() override
    {
#ifdef Q_OS_LINUX
        rlimit rl{};
        if (getrlimit(RLIMIT_RTPRIO, &rl) == 0)
            return rl.rlim_cur == RLIM_INFINITY ? 99 : int(std::min<rlim_t>(rl.rlim_cur, 99));
#endif
        return 0;
    }
    bool isRoot() override
    {
#ifdef Q_OS_UNIX
        return geteuid() == 0;
#else
        return false;
#endif
    }
    bool rtkitBuilt() override
    {
#ifdef PACELAB_HAVE_RTKIT
        return true;
#else
        return false;
#endif
    }
    QString rtkitRealtime(int priority, int *granted) override
    {
#if defined(PACELAB_HAVE_RTKIT) && defined(Q_OS_LINUX)
        RtkitBus bus;
        if (!bus.error().isEmpty())
            return bus.error();
        qint64 maxPrio = 0;
        qint64 rttimeMax = 0;
        if (!bus.property("MaxRealtimePriority", &maxPrio) || !bus.property("RTTimeUSecMax", &rttimeMax))
            return bus.error();
        if (maxPrio < 1)
            return QStringLiteral("RealtimeKit allows no real-time priority (MaxRealtimePriority %1)").arg(maxPrio);
        // rtkit only serves a process whose RLIMIT_RTTIME is capped (so a runaway RT thread gets
        // SIGXCPU instead of freezing the machine). The sender blocks every 20 ms: far below it.
        rlimit rl{};
        if (getrlimit(RLIMIT_RTTIME, &rl) == 0 && rttimeMax > 0
            && (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > rlim_t(rttimeMax))) {
            rl.rlim_cur = rl.rlim_max = rlim_t(rttimeMax);
            if (setrlimit(RLIMIT_RTTIME, &rl) != 0)
                return QStringLiteral("cannot cap RLIMIT_RTTIME for RealtimeKit: %1").arg(errnoText(errno));
        }
        const int prio = int(std::min<qint64>(priority, maxPrio));
        if (!bus.makeThread("MakeThreadRealtime", quint64(currentTid()), prio, true))
            return bus.error();
        *granted = prio;
        return {};
#else
        Q_UNUSED(priority);
        Q_UNUSED(granted);
        return QStringLiteral("not built with RealtimeKit (libdbus-1 missing at build time)");
#endif
    }
    int setNice(int nice) override
    {
#ifdef Q_OS_LINUX
        // On Linux a TID names one thread for setpriority (the rest of the process keeps its nice).
        if (setpriority(PRIO_PROCESS, id_t(currentTid()), nice) == 0)
            return 0;
        return errno;
#else
        Q_UNUSED(nice);
        return ENOSYS;
#endif
    }
    int niceLimit() override
    {
#ifdef Q_OS_LINUX
        rlimit rl{};
        if (getrlimit(RLIMIT_NICE, &rl) == 0) {
            const rlim_t r = rl.rlim_cur == RLIM_INFINITY ? 40 : std::min<rlim_t>(rl.rlim_cur, 40);
            return 20 - int(r);
        }
#endif
        return 20;
    }
    QString rtkitHighPriority(int nice, int *granted) override
    {
#if defined(PACELAB_HAVE_RTKIT) && defined(Q_OS_LINUX)
        RtkitBus bus;
        if (!bus.error().isEmpty())
            return bus.error();
        qint64 minNice = 0;
        if (!bus.property("MinNiceLevel", &minNice))
            return bus.error();
        const int n = int(std::max<qint64>(nice, minNice));
        if (n >= 0)
            return QStringLiteral("RealtimeKit allows no raised priority (MinNiceLevel %1)").arg(minNice);
        if (!bus.makeThread("MakeThreadHighPriority", quint64(currentTid()), n, false))
            return bus.error();
        *granted = n;
        return {};
#else
        Q_UNUSED(nice);
        Q_UNUSED(granted);
        return QStringLiteral("not built with RealtimeKit (libdbus-1 missing at build time)");
#endif
    }
};

} // namespace

SchedulingOps &systemSchedulingOps()
{
    static SystemOps ops;
    return ops;
}

SchedulingResult applyRealtimeScheduling(const RealtimeRequest &request)
{
    return applyRealtimeScheduling(request, systemSchedulingOps());
}

SchedulingResult applyRealtimeScheduling(const RealtimeRequest &request, SchedulingOps &ops)
{
    SchedulingResult r;
    if (!request.enabled) {
        r.policy = QStringLiteral("off");
        r.why = QStringLiteral("real-time scheduling turned off in the configuration");
        return r;
    }
    const int prio = std::clamp(request.priority, 1, 99);
    const int nice = std::clamp(request.niceLevel, -20, -1);
    QStringList why;

    // 1. SCHED_FIFO directly.
    int e = ops.setFifo(prio);
    if (e == 0) {
        r.kind = SchedulingResult::Kind::Fifo;
        r.value = prio;
        r.policy = QStringLiteral("SCHED_FIFO %1").arg(prio);
        return r;
    }
    const int limit = ops.rtprioLimit();
    why << QStringLiteral("SCHED_FIFO %1: %2 (RLIMIT_RTPRIO %3)").arg(prio).arg(errnoText(e)).arg(limit);
    if (limit > 0 && limit < prio) {
        // An rtprio limit below what we asked: take what the system grants.
        e = ops.setFifo(limit);
        if (e == 0) {
            r.kind = SchedulingResult::Kind::Fifo;
            r.value = limit;
            r.policy = QStringLiteral("SCHED_FIFO %1").arg(limit);
            return r;
        }
        why << QStringLiteral("SCHED_FIFO %1: %2").arg(limit).arg(errnoText(e));
    }

    // 2. RealtimeKit.
    bool rtkitReachable = ops.rtkitBuilt();
    if (ops.rtkitBuilt()) {
        int granted = 0;
        const QString err = ops.rtkitRealtime(prio, &granted);
        // No bus: do not ask it again for the raised priority.
        rtkitReachable = !err.startsWith(QLatin1String("cannot reach"));
        if (err.isEmpty()) {
            r.kind = SchedulingResult::Kind::Rtkit;
            r.value = granted;
            r.policy = QStringLiteral("rtkit SCHED_RR %1").arg(granted);
            return r;
        }
        why << QStringLiteral("rtkit: ") + err;
    } else {
        why << QStringLiteral("rtkit: not built with RealtimeKit (libdbus-1 missing at build time)");
    }

    // The fix for the real-time steps, decided before the fallbacks are tried.
    if (ops.isRoot())
        r.fix = QStringLiteral("root without CAP_SYS_NICE (a container?): run it with `--cap-add=SYS_NICE "
                               "--ulimit rtprio=99`, or check the cgroup's RT budget (cpu.rt_runtime_us)");
    else
        r.fix = QStringLiteral("add `@audio - rtprio 95` to /etc/security/limits.d/95-realtime.conf, put your "
                               "user in group audio and log in again (check: `ulimit -r` prints 95)");

    // 3. A raised priority: nice directly (within RLIMIT_NICE), then rtkit's.
    int target = nice;
    e = ops.setNice(target);
    if (e != 0) {
        why << QStringLiteral("nice %1: %2").arg(target).arg(errnoText(e));
        const int lowest = ops.niceLimit();
        if (lowest < 0 && lowest > target) {
            target = lowest;
            e = ops.setNice(target);
            if (e != 0)
                why << QStringLiteral("nice %1: %2").arg(target).arg(errnoText(e));
        }
    }
    if (e == 0) {
        r.kind = SchedulingResult::Kind::Nice;
        r.value = target;
        r.policy = QStringLiteral("nice %1").arg(target);
        r.why = why.join(QStringLiteral("; "));
        return r;
    }
    if (rtkitReachable) {
        int granted = 0;
        const QString err = ops.rtkitHighPriority(nice, &granted);
        if (err.isEmpty()) {
            r.kind = SchedulingResult::Kind::Nice;
            r.value = granted;
            r.policy = QStringLiteral("nice %1").arg(granted);
            r.why = why.join(QStringLiteral("; "));
            return r;
        }
        why << QStringLiteral("rtkit high priority: ") + err;
    }

    // 4. Normal.
    r.kind = SchedulingResult::Kind::Normal;
    r.policy = QStringLiteral("normal");
    r.why = why.join(QStringLiteral("; "));
    return r;
}

} // namespace pacelab
