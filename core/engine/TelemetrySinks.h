#pragma once

#include "engine/Telemetry.h"

#include <QFile>
#include <QString>

#include <functional>
#include <vector>

namespace pacelab {

// Where a closed telemetry second goes: callbacks (PacedSender's signal and shared state), an
// appended JSON Lines file, stdout ("[TX] ..." lines). The accumulator counts, this publishes;
// neither knows the other's clock. One thread only.
class TelemetrySinks
{
public:
    using Callback = std::function<void(const TelemetrySnapshot &)>;

    ~TelemetrySinks() { closeJsonl(); }

    void addCallback(Callback cb) { m_callbacks.push_back(std::move(cb)); }
    // Opens (appending) unless already open; returns an error message, empty on success.
    QString openJsonl(const QString &path);
    bool jsonlOpen() const { return m_jsonl.isOpen(); }
    void closeJsonl();
    void setStdout(bool on) { m_stdout = on; }

    // Callbacks first, then the file (flushed: a crash loses at most the current second), then
    // stdout. A snapshot without `sched` gets the publishing thread's (the sender thread's, as
    // the [TX] line shows it), so the JSONL says which scheduling the pacing actually had.
    void publish(const TelemetrySnapshot &s);

    // The calling thread's scheduling as a [TX] `sched` token, read from the kernel: fifo:N,
    // rr:N, nice:N (raised, N < 0) or normal. How it was obtained (rtkit, or real-time turned
    // off) is not visible there: those threads read rr:N and normal.
    static QString threadSchedTag();
    // A line of any other shape (e.g. MultiStreamSender's summary) to the text sinks.
    void publishJson(const QJsonObject &o, const QString &line);

private:
    std::vector<Callback> m_callbacks;
    QFile m_jsonl;
    bool m_stdout = false;
};

} // namespace pacelab
