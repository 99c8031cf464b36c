#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

// Small tools the scenarios share.
namespace pacelab::check {

// "Numbered silence": a mu-law frame that is digital silence (only the two zero codes 0xFF and
// 0x7F) yet carries a 32-bit number, so the peer can check order, gaps and which frames a drop
// policy kept, without anything audible. `bytes` < 40 cannot carry a tag (plain silence).
QByteArray taggedFrame(quint32 number, int bytes = 160);
std::optional<quint32> readFrameTag(const QByteArray &mulaw);

// Level of a mu-law frame in dBFS (RMS; -120 for digital silence).
double mulawDbfs(const QByteArray &mulaw);

// Burns CPU on N threads (the "under load" broken twin: a relative-sleep pacer drifts more).
class CpuLoad
{
public:
    CpuLoad() = default;
    ~CpuLoad();
    CpuLoad(const CpuLoad &) = delete;
    CpuLoad &operator=(const CpuLoad &) = delete;
    void start(int threads);
    void stop();
    bool running() const { return !m_threads.empty(); }

private:
    std::atomic<bool> m_stop{false};
    std::vector<std::thread> m_threads;
};

// Formatting for criteria: "49..51", "1.23 ms".
QString fmtRange(int lo, int hi);
QString fmtMs(double ms, int decimals = 1);
QString fmtPct(double share); // 0.953 -> "95.3 %"

// Percentile (0..100) of a list, nearest-rank; 0 for an empty list.
double percentile(QList<double> values, double p);

} // namespace pacelab::check
