#include "Follower.h"
#include "StreamContext.h"

#include <algorithm>

namespace pacelab::doctor {

QString Verdict::toLine() const
{
    QString s = QStringLiteral("line %1: %2 %3").arg(lineNo).arg(severityName(severity).toUpper(), kindName(kind));
    if (!stream.isEmpty())
        s += QStringLiteral(" [%1]").arg(stream);
    return s + QStringLiteral(" - ") + title;
}

Follower::Follower(Limits limits, int windowSeconds)
    : m_limits(limits), m_window(std::max(5, windowSeconds)), m_doc(limits)
{
    m_doc.setLive(true);
    m_doc.setMetricObserver([this](const MetricLine &m) { onMetric(m); });
}

Follower::~Follower() = default;

void Follower::addData(QByteArrayView chunk)
{
    m_doc.addData(chunk);
}

QList<Verdict> Follower::takeChanges()
{
    QList<Verdict> out;
    out.swap(m_changes);
    return out;
}

void Follower::onMetric(const MetricLine &m)
{
    auto it = m_streams.find(m.stream);
    if (it == m_streams.end()) {
        if (qsizetype(m_streams.size()) >= m_limits.maxStreams)
            return; // bounded: later ids are in the full report only
        it = m_streams.emplace(m.stream, StreamWindow{}).first;
        it->second.order = qint64(m_streams.size());
    }
    StreamWindow &w = it->second;
    w.lines.push_back(m);
    if (int(w.lines.size()) > m_window)
        w.lines.pop_front();
    const std::vector<MetricLine> v(w.lines.begin(), w.lines.end());
    const StreamResult r = analyzeStream(v, m_limits);
    Verdict vd;
    vd.stream = m.stream;
    vd.lineNo = m.lineNo;
    const Diagnosis *top = nullptr;
    for (const Diagnosis &d : r.diagnoses)
        if (d.severity >= Severity::Warning
            && (!top || d.severity > top->severity || (d.severity == top->severity && kindRank(d.kind) < kindRank(top->kind))))
            top = &d;
    if (top) {
        vd.severity = top->severity;
        vd.kind = top->kind;
        vd.title = top->title;
    } else if (r.active == 0) {
        vd.severity = Severity::Ok;
        vd.kind = Kind::Idle;
        vd.title = QStringLiteral("Idle");
    } else if (r.active < 3) {
        vd.severity = Severity::Info;
        vd.kind = Kind::TooLittleData;
        vd.title = QStringLiteral("Too little data to judge");
    } else {
        vd.severity = Severity::Ok;
        vd.kind = Kind::Healthy;
        vd.title = QStringLiteral("Healthy");
    }
    w.verdict = vd;
    // Overall: the worst stream's verdict (first seen wins ties).
    // "Too little data" of a stream just begun ranks below another stream's "healthy".
    auto level = [](const Verdict &v) { return v.kind == Kind::TooLittleData ? -1 : int(v.severity); };
    const Verdict *worst = nullptr;
    qint64 worstOrder = 0;
    for (const auto &[id, sw] : m_streams) {
        const Verdict &c = sw.verdict;
        if (!worst || level(c) > level(*worst)
            || (level(c) == level(*worst) && (kindRank(c.kind) < kindRank(worst->kind)
                                                  || (c.kind == worst->kind && sw.order < worstOrder)))) {
            worst = &c;
            worstOrder = sw.order;
        }
    }
    if (!worst)
        return;
    if (!m_have || !worst->sameAs(m_current)) {
        m_current = *worst;
        m_current.lineNo = m.lineNo;
        m_have = true;
        m_changes.append(m_current);
    }
}

} // namespace pacelab::doctor
