#include "StreamGroups.h"
#include "StreamContext.h"

#include <algorithm>

namespace pacelab::doctor {

namespace {

const QString kOtherStream = QStringLiteral("(other)");

PlotPoint mergePoints(const PlotPoint &a, const PlotPoint &b)
{
    // Keep what a plot must not hide: the dip in fps, the peak in q, every drop.
    PlotPoint p = a;
    p.fps = std::min(a.fps, b.fps);
    p.q = std::max(a.q, b.q);
    p.drops = (a.drops < 0 && b.drops < 0) ? -1 : std::max(0.0, a.drops) + std::max(0.0, b.drops);
    return p;
}

// The verdict when nothing is flagged: healthy, idle or too little data.
Diagnosis healthVerdict(qint64 active, qint64 idle, qint64 interior, qint64 good, qint64 qLow, qint64 metricLines,
                        double dropsTotal);

} // namespace

namespace {
Diagnosis healthVerdict(qint64 active, qint64 idle, qint64 interior, qint64 good, qint64 qLow, qint64 metricLines,
                        double dropsTotal)
{
    Diagnosis h;
    if (active == 0) {
        applyWords(h, Say::Idle);
        h.severity = Severity::Ok;
        h.detail = QStringLiteral("all %1 metric line(s) show fps 0 with an empty queue: nothing "
                                  "was being said.")
                       .arg(metricLines);
        h.seconds = int(idle);
    } else if (active < 3) {
        applyWords(h, Say::TooLittle);
        h.severity = Severity::Info;
        h.detail = QStringLiteral("only %1 second(s) with audio; give at least 10-15 lines taken "
                                  "while the bot speaks.")
                       .arg(active);
        h.seconds = int(active);
    } else {
        const double goodPct = interior ? 100.0 * good / interior : 0.0;
        const double qLowPct = 100.0 * qLow / active;
        const bool clean = interior == 0 || goodPct >= 80.0;
        applyWords(h, clean ? Say::Healthy : Say::NoPattern);
        h.seconds = int(active);
        h.severity = clean ? Severity::Ok : Severity::Info;
        h.detail = QStringLiteral("%1 second(s) with audio, %2 idle; %3% of the steady seconds at "
                                  "fps 48-52 with q < 10 and no drops; q < 10 in %4% of the "
                                  "seconds; drops total %5.")
                       .arg(active)
                       .arg(idle)
                       .arg(goodPct, 0, 'f', 0)
                       .arg(qLowPct, 0, 'f', 0)
                       .arg(fmt(dropsTotal));
    }
    return h;
}

} // namespace

void Analysis::pushPlot(const PlotPoint &p)
{
    bucket = bucketCount == 0 ? p : mergePoints(bucket, p);
    if (++bucketCount < stride)
        return;
    plot.append(bucket);
    bucketCount = 0;
    if (plot.size() > lim.maxPlotPoints) {
        QList<PlotPoint> halved;
        halved.reserve(plot.size() / 2 + 1);
        for (qsizetype i = 0; i + 1 < plot.size(); i += 2)
            halved.append(mergePoints(plot[i], plot[i + 1]));
        if (plot.size() % 2)
            halved.append(plot.last());
        plot = halved;
        stride *= 2;
    }
}

void Analysis::add(MetricLine &&m)
{
    if (metricLines == 0) {
        fpsMin = fpsMax = m.fps;
    } else {
        fpsMin = std::min(fpsMin, m.fps);
        fpsMax = std::max(fpsMax, m.fps);
    }
    ++metricLines;
    fpsSum += m.fps;
    qMax = std::max(qMax, m.q);
    dropsTotal += std::max(0.0, m.drops);
    pushPlot(PlotPoint{m.lineNo, m.fps, m.q, m.drops});
    tail.push_back(m);
    if (qsizetype(tail.size()) > lim.maxSeries)
        tail.pop_front();

    QString id = m.stream;
    auto it = index.constFind(id);
    if (it == index.constEnd() && qsizetype(streams.size()) >= lim.maxStreams) {
        id = kOtherStream;
        it = index.constFind(id);
    }
    int si;
    if (it == index.constEnd()) {
        si = int(streams.size());
        streams.push_back(StreamState{});
        streams.back().id = id;
        streams.back().firstLine = m.lineNo;
        index.insert(id, si);
    } else {
        si = *it;
    }
    StreamState &st = streams[size_t(si)];
    ++st.metricLines;
    st.lastLine = m.lineNo;
    st.block.push_back(std::move(m));
    ++buffered;
    if (qsizetype(st.block.size()) >= lim.blockLines) {
        analyzeBlock(st);
    } else if (buffered >= 4LL * lim.blockLines) {
        // Many streams each holding part of a block: analyse the largest (memory bound).
        auto big = std::max_element(streams.begin(), streams.end(), [](const StreamState &a, const StreamState &b) {
            return a.block.size() < b.block.size();
        });
        analyzeBlock(*big);
    }
}

void Analysis::merge(StreamState &st, const QList<Diagnosis> &ds, const QString &sub)
{
    for (Diagnosis d : ds) {
        d.stream = sub;
        const QString key = kindName(d.kind) + QLatin1Char('|') + sub;
        auto it = st.found.find(key);
        if (it == st.found.end()) {
            st.found.insert(key, d);
        } else {
            const int seconds = it->seconds + d.seconds;
            if (d.severity > it->severity)
                *it = d; // keep the evidence of the worst occurrence
            it->seconds = seconds;
        }
    }
}

void Analysis::analyzeBlock(StreamState &st)
{
    if (st.block.empty())
        return;
    // Lines of several calls without ids: analyse each interleaved sub-stream on its own.
    const int k = interleavedStreams(st.block);
    if (k > 0) {
        std::vector<std::vector<MetricLine>> parts(static_cast<size_t>(k));
        for (size_t i = 0; i < st.block.size(); ++i)
            parts[i % size_t(k)].push_back(st.block[i]);
        Diagnosis note;
        applyWords(note, Say::Interleaved);
        note.severity = Severity::Info;
        note.detail = QStringLiteral("%1 metric lines without a call id alternate like %2 interleaved "
                                     "streams (%3); each was diagnosed on its own as %4#1..#%2.")
                          .arg(st.block.size())
                          .arg(k)
                          .arg(lineRange(st.block.front().lineNo, st.block.back().lineNo))
                          .arg(st.id.isEmpty() ? QString() : st.id + QLatin1Char(' '));
        note.seconds = int(st.block.size());
        for (size_t i = 0; i < std::min<size_t>(st.block.size(), size_t(std::min(4, lim.maxEvidence))); ++i)
            note.evidence.append(Evidence{st.block[i].lineNo, st.block[i].text});
        merge(st, {note}, st.id);
        for (int p = 0; p < k; ++p) {
            const StreamResult r = analyzeStream(parts[size_t(p)], lim);
            merge(st, r.diagnoses, (st.id.isEmpty() ? QString() : st.id + QLatin1Char(' ')) + QStringLiteral("#%1").arg(p + 1));
            st.active += r.active;
            st.interior += r.interior;
            st.good += r.good;
            st.idle += r.idle;
            st.qLow += r.qLow;
        }
    } else {
        const StreamResult r = analyzeStream(st.block, lim);
        merge(st, r.diagnoses, st.id);
        st.active += r.active;
        st.interior += r.interior;
        st.good += r.good;
        st.idle += r.idle;
        st.qLow += r.qLow;
    }
    buffered -= qint64(st.block.size());
    st.block.clear();
}

void Analysis::fill(Report &r)
{
    for (StreamState &st : streams)
        analyzeBlock(st);
    r.metricLines = metricLines;
    r.fpsMin = fpsMin;
    r.fpsMax = fpsMax;
    r.fpsMean = metricLines ? fpsSum / metricLines : 0.0;
    r.qMax = qMax;
    r.dropsTotal = dropsTotal;
    r.series = QList<MetricLine>(tail.begin(), tail.end());
    r.plot = plot;
    if (bucketCount > 0) {
        // The unfinished last bucket: a point of its own while there is room, else merged into
        // the last point, so the plot stays within maxPlotPoints.
        if (r.plot.size() < lim.maxPlotPoints)
            r.plot.append(bucket);
        else
            r.plot.last() = mergePoints(r.plot.last(), bucket);
    }
    r.plotStride = stride;
    if (metricLines == 0)
        return;

    // Per stream: its findings, or its health verdict.
    struct Ranked { StreamSummary sum; QList<Diagnosis> flagged; size_t order; };
    std::vector<Ranked> ranked;
    qint64 active = 0, interior = 0, good = 0, idle = 0, qLow = 0;
    for (size_t i = 0; i < streams.size(); ++i) {
        const StreamState &st = streams[i];
        active += st.active;
        interior += st.interior;
        good += st.good;
        idle += st.idle;
        qLow += st.qLow;
        Ranked rk;
        rk.order = i;
        rk.sum.id = st.id;
        rk.sum.metricLines = st.metricLines;
        rk.sum.firstLine = st.firstLine;
        rk.sum.lastLine = st.lastLine;
        for (const Diagnosis &d : st.found)
            rk.flagged.append(d);
        std::stable_sort(rk.flagged.begin(), rk.flagged.end(), [](const Diagnosis &a, const Diagnosis &b) {
            if (a.severity != b.severity)
                return a.severity > b.severity;
            return kindRank(a.kind) < kindRank(b.kind);
        });
        if (!rk.flagged.isEmpty() && rk.flagged.first().severity >= Severity::Warning) {
            rk.sum.worst = rk.flagged.first().severity;
            rk.sum.top = rk.flagged.first().kind;
            rk.sum.title = rk.flagged.first().title;
        } else {
            double drops = 0;
            Q_UNUSED(drops);
            const Diagnosis h = healthVerdict(st.active, st.idle, st.interior, st.good, st.qLow, st.metricLines, 0);
            rk.sum.worst = h.severity;
            rk.sum.top = h.kind;
            rk.sum.title = h.title;
        }
        ranked.push_back(rk);
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked &a, const Ranked &b) {
        if (a.sum.worst != b.sum.worst)
            return a.sum.worst > b.sum.worst;
        const int ra = a.flagged.isEmpty() ? 99 : kindRank(a.flagged.first().kind);
        const int rb = b.flagged.isEmpty() ? 99 : kindRank(b.flagged.first().kind);
        if (ra != rb)
            return ra < rb;
        return a.order < b.order;
    });
    bool flagged = false;
    for (size_t i = 0; i < ranked.size(); ++i) {
        r.streams.append(ranked[i].sum);
        for (const Diagnosis &d : ranked[i].flagged)
            flagged = flagged || d.severity >= Severity::Warning;
    }
    // Most severe first; within a severity, stream by stream (worst stream first), root causes
    // before their consequences.
    for (Severity sev : {Severity::Problem, Severity::Warning, Severity::Info, Severity::Ok})
        for (const Ranked &rk : ranked)
            for (const Diagnosis &d : rk.flagged)
                if (d.severity == sev)
                    r.diagnoses.append(d);
    if (!flagged) {
        Diagnosis h = healthVerdict(active, idle, interior, good, qLow, metricLines, dropsTotal);
        if (streams.size() == 1)
            h.stream = streams.front().id;
        else if (h.kind == Kind::Healthy)
            h.detail = QStringLiteral("%1 streams. ").arg(streams.size()) + h.detail;
        r.diagnoses.prepend(h);
    }
}

// gzip input, inflated as it streams (zlib: 16 + MAX_WBITS = gzip framing; several members
// back to back, as `cat a.gz b.gz` makes, are read one after the other).
} // namespace pacelab::doctor
