#pragma once

#include "Percentile.h"

#include <QString>
#include <QStringList>

#include <functional>

// What every benchmark measures the same way: CPU time, resident memory, the machine it ran on,
// waiting with the event loop running, real-time scheduling of a bench thread, integer options.
namespace pacelab::bench {

enum class CpuOf { Process, Thread };
// User + system CPU seconds of this process (or of the calling thread) so far.
double cpuSeconds(CpuOf who = CpuOf::Process);

// Resident set size in KiB (Linux /proc; 0 elsewhere).
qint64 rssKiB();

// "2 CPUs, load average 1.3": for the header of a bench's output.
QString machineSummary();

// Runs the calling thread's event loop for ms milliseconds (sockets served on it keep working).
void runEventsFor(int ms);
// Runs it in 10 ms slices until done() or timeoutMs; false on timeout. Sleeps in the event
// loop, never busy-polls: a busy main thread would be counted against the sender under test.
bool runEventsUntil(const std::function<bool()> &done, int timeoutMs);

// SCHED_FIFO at priority for the calling thread (0: leave it). Returns what it got, as the
// engine names it ("SCHED_FIFO 50", "normal"); *refusal, if given, says why when refused.
QString setThreadFifo(int priority, QString *refusal = nullptr);

// A usage message on stderr: "WHO: error" first when there is an error (WHO: the program and
// bench, e.g. "pacelab-bench wire"), then text. Returns 2 (the exit code of bad usage).
int printUsage(const char *who, const QString &error, const QString &text);

// Reads args[i + 1] as an integer in lo..hi for the option args[i], advancing i. On failure
// *error is "--name wants lo..hi<unit>, got 'x'" (or "--name needs a value") and false returns.
bool takeInt(const QStringList &args, int &i, int lo, int hi, int *out, QString *error,
             const char *unit = "");

// A bench's command line: integers checked against a range, strings, flags, and --help/-h.
class OptionParser
{
public:
    void addInt(const char *name, int lo, int hi, int *out, const char *unit = "");
    void addString(const char *name, QString *out);
    void addFlag(const char *name, bool *out);
    // -1: parsed, go on. Otherwise the exit code: 0 after --help (usage({}) printed), or
    // usage(error)'s for an unknown option or a bad value.
    int parse(const QStringList &args, const std::function<int(const QString &)> &usage) const;

private:
    struct Option
    {
        QString name;
        enum Kind { Int, String, Flag } kind;
        int lo = 0, hi = 0;
        const char *unit = "";
        void *out = nullptr;
    };
    QList<Option> m_options;
};

} // namespace pacelab::bench
