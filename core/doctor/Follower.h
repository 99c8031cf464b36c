#pragma once

#include "LogDoctor.h"

#include <deque>
#include <map>

// Live diagnosis (`pacelab doctor --follow`, the GUI's follow mode): every metric line updates
// its stream's verdict over the last `window` seconds, and a change of the overall verdict (the
// worst stream's) is recorded with the line that caused it. Verdicts depend only on the lines,
// never on how the input was chunked or when it arrived.
namespace pacelab::doctor {

struct Verdict
{
    Severity severity = Severity::Info;
    Kind kind = Kind::TooLittleData;
    QString stream;
    QString title;
    qint64 lineNo = 0; // the line that changed it

    bool sameAs(const Verdict &o) const { return severity == o.severity && kind == o.kind && stream == o.stream; }
    QString toLine() const; // "line 12: PROBLEM sender-stalled [CA…] Sender stalled / …"
};

class Follower
{
public:
    explicit Follower(Limits limits = Limits(), int windowSeconds = 30);
    ~Follower();
    Follower(const Follower &) = delete;
    Follower &operator=(const Follower &) = delete;

    void addData(QByteArrayView chunk);
    bool failed() const { return m_doc.failed(); }
    // Verdict changes since the last call, in input order.
    QList<Verdict> takeChanges();
    const Verdict &current() const { return m_current; }
    bool hasVerdict() const { return m_have; }
    Report report() const { return m_doc.snapshot(); } // the whole input so far
    Report finish() { return m_doc.finish(); }

private:
    void onMetric(const MetricLine &m);

    struct StreamWindow
    {
        std::deque<MetricLine> lines;
        Verdict verdict;
        qint64 order = 0;
    };
    Limits m_limits;
    int m_window;
    LogDoctor m_doc;
    std::map<QString, StreamWindow> m_streams;
    Verdict m_current;
    bool m_have = false;
    QList<Verdict> m_changes;
};

} // namespace pacelab::doctor
