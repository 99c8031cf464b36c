// The streaming driver: input sniffing (binary, gzip, UTF-16), line splitting, grouping metric
// lines by stream, block-wise analysis with bounded memory, and the report over all streams.
#include "LogDoctor.h"
#include "StreamContext.h"

#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QIODevice>
#include <QMap>
#include <QRegularExpression>
#include <QStringDecoder>

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <vector>

namespace pacelab::doctor {

namespace {

constexpr int kSniffBytes = 4096;
const QString kOtherStream = QStringLiteral("(other)");

QString citeText(QByteArrayView line, int maxChars)
{
    QString s = QString::fromUtf8(line.trimmed());
    if (s.contains(QChar(0x1b)))
        s.remove(QRegularExpression(QStringLiteral("\x1b\\[[0-9;?]*[A-Za-z]")));
    if (s.size() > maxChars)
        s = s.left(maxChars - 1) + QChar(0x2026);
    return s;
}

PlotPoint mergePoints(const PlotPoint &a, const PlotPoint &b)
{
    // Keep what a plot must not hide: the dip in fps, the peak in q, every drop.
    PlotPoint p = a;
    p.fps = std::min(a.fps, b.fps);
    p.q = std::max(a.q, b.q);
    p.drops = (a.drops < 0 && b.drops < 0) ? -1 : std::max(0.0, a.drops) + std::max(0.0, b.drops);
    return p;
}

struct StreamState
{
    QString id;
    std::vector<MetricLine> block;
    QMap<QString, Diagnosis> found; // by kind (+ sub-stream when split)
    qint64 active = 0, interior = 0, good = 0, idle = 0, qLow = 0;
    qint64 metricLines = 0, firstLine = 0, lastLine = 0;
};

// Everything the analysis keeps: copyable, so a snapshot can finish a copy.
struct Analysis
{
    Limits lim;
    std::vector<StreamState> streams;
    QHash<QString, int> index;
    qint64 buffered = 0;

    qint64 metricLines = 0;
    std::deque<MetricLine> tail;
    QList<PlotPoint> plot;
    int stride = 1;
    PlotPoint bucket;
    int bucketCount = 0;
    double fpsMin = 0, fpsMax = 0, fpsSum = 0, qMax = -1, dropsTotal = 0;

    void add(MetricLine &&m);
    void analyzeBlock(StreamState &st);
    void pushPlot(const PlotPoint &p);
    void merge(StreamState &st, const QList<Diagnosis> &ds, const QString &sub);
    void fill(Report &r);
};

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

// The verdict when nothing is flagged: healthy, idle or too little data.
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
struct Gunzip
{
    z_stream z{};
    bool ok = false;
    bool ended = false; // last member complete
    QString error;

    Gunzip() { ok = inflateInit2(&z, 16 + MAX_WBITS) == Z_OK; }
    ~Gunzip() { inflateEnd(&z); }
    Gunzip(const Gunzip &) = delete;
    Gunzip &operator=(const Gunzip &) = delete;

    // Inflates `in`, handing every decompressed piece to sink; false on corrupt data.
    template <typename Sink>
    bool feed(QByteArrayView in, qint64 consumedBefore, Sink sink)
    {
        char out[64 * 1024];
        z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
        z.avail_in = uInt(in.size());
        while (z.avail_in > 0) {
            if (ended) {
                // Another member follows (or trailing garbage: gzip tools ignore zero padding).
                if (*z.next_in == 0) {
                    z.avail_in = 0;
                    break;
                }
                inflateReset(&z);
                ended = false;
            }
            z.next_out = reinterpret_cast<Bytef *>(out);
            z.avail_out = sizeof(out);
            const int rc = inflate(&z, Z_NO_FLUSH);
            const qsizetype produced = qsizetype(sizeof(out) - z.avail_out);
            if (produced > 0)
                sink(QByteArrayView(out, produced));
            if (rc == Z_STREAM_END) {
                ended = true;
                continue;
            }
            if (rc != Z_OK && rc != Z_BUF_ERROR) {
                error = QStringLiteral("the gzip data is corrupt after %1 compressed byte(s): %2")
                            .arg(consumedBefore + qint64(in.size() - z.avail_in))
                            .arg(QString::fromLatin1(z.msg ? z.msg : "inflate failed"));
                return false;
            }
            if (rc == Z_BUF_ERROR && produced == 0)
                break;
        }
        return true;
    }
};

} // namespace

struct LogDoctor::Private
{
    Limits lim;
    bool sniffed = false;
    bool gzSniffed = false;
    bool live = false;
    bool failed = false;
    QString error;
    QByteArray sniffBuf;
    std::unique_ptr<Gunzip> gz;
    qint64 gzIn = 0;
    std::optional<QStringDecoder> utf16;
    QString encodingNote;

    QByteArray carry;
    bool carryOverlong = false;
    qint64 bytesRead = 0;
    qint64 lineNo = 0;
    qint64 truncated = 0;
    qint64 binaryLines = 0;
    qint64 badValueLines = 0;
    qint64 firstBadValueLine = 0;
    QString firstBadValue;
    std::function<void(const MetricLine &)> observer;

    Analysis a;

    void addRaw(QByteArrayView chunk);
    void addDecoded(QByteArrayView chunk);
    void sniff();
    void feedText(QByteArrayView data);
    void processLine(QByteArrayView line);
    void baseReport(Report &r) const;
};

void LogDoctor::Private::addRaw(QByteArrayView chunk)
{
    // The gzip magic decides before anything else: its bytes would look binary.
    if (!gzSniffed) {
        sniffBuf.append(chunk);
        if (sniffBuf.size() < 2)
            return;
        gzSniffed = true;
        QByteArray pending;
        pending.swap(sniffBuf);
        if (pending.startsWith("\x1f\x8b")) {
            gz = std::make_unique<Gunzip>();
            encodingNote = QStringLiteral("input decompressed from gzip");
        }
        chunk = pending;
        if (gz) {
            if (!gz->feed(chunk, gzIn, [this](QByteArrayView out) { addDecoded(out); })) {
                failed = true;
                error = gz->error;
            }
            gzIn += chunk.size();
        } else {
            addDecoded(chunk);
        }
        return;
    }
    if (gz) {
        if (!gz->feed(chunk, gzIn, [this](QByteArrayView out) { addDecoded(out); })) {
            failed = true;
            error = gz->error;
        }
        gzIn += chunk.size();
        return;
    }
    addDecoded(chunk);
}

void LogDoctor::Private::addDecoded(QByteArrayView chunk)
{
    if (failed)
        return;
    if (!sniffed) {
        sniffBuf.append(chunk);
        // Live input cannot wait for 4 KiB: its first complete line decides.
        if (sniffBuf.size() >= kSniffBytes || (live && sniffBuf.contains('\n')))
            sniff();
        return;
    }
    if (utf16)
        feedText(QString(utf16->decode(chunk)).toUtf8());
    else
        feedText(chunk);
}

void LogDoctor::Private::sniff()
{
    sniffed = true;
    const QByteArray &b = sniffBuf;
    auto starts = [&](const char *magic, int len) { return b.size() >= len && std::memcmp(b.constData(), magic, len) == 0; };
    if (starts("\x1f\x8b", 2)) {
        error = QStringLiteral("the input is gzip inside gzip: decompress it once first (e.g. `zcat FILE > out.log.gz`).");
    } else if (starts("PK\x03\x04", 4)) {
        error = QStringLiteral("the input is a ZIP archive: extract the log file first.");
    } else if (starts("RIFF", 4)) {
        error = QStringLiteral("the input is a RIFF/WAV file, not a log: to analyse a recorded call use `pacelab replay FILE`.");
    } else if (starts("\x7f" "ELF", 4) || starts("MZ", 2)) {
        error = QStringLiteral("the input is an executable, not a log.");
    } else if (starts("\xff\xfe", 2)) {
        utf16.emplace(QStringDecoder::Utf16LE);
        encodingNote = QStringLiteral("input decoded from UTF-16LE");
        sniffBuf.remove(0, 2);
    } else if (starts("\xfe\xff", 2)) {
        utf16.emplace(QStringDecoder::Utf16BE);
        encodingNote = QStringLiteral("input decoded from UTF-16BE");
        sniffBuf.remove(0, 2);
    } else {
        if (starts("\xef\xbb\xbf", 3))
            sniffBuf.remove(0, 3);
        qsizetype nul = 0, nulOdd = 0, ctrl = 0;
        // Only the first kSniffBytes decide: the first chunk may be far larger (256 KB reads),
        // and one NUL line deep inside it is a skipped line, not a binary file.
        const qsizetype size = std::min<qsizetype>(sniffBuf.size(), kSniffBytes);
        for (qsizetype i = 0; i < size; ++i) {
            const quint8 c = quint8(sniffBuf[i]);
            if (c == 0) {
                ++nul;
                nulOdd += (i % 2);
            } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b) {
                ++ctrl;
            }
        }
        if (nul > 0 && size >= 8 && nul * 10 >= size * 4 && (nulOdd * 10 >= nul * 9 || nulOdd * 10 <= nul)) {
            // Text saved as UTF-16 without a BOM (every other byte NUL).
            const bool le = nulOdd * 10 >= nul * 9;
            utf16.emplace(le ? QStringDecoder::Utf16LE : QStringDecoder::Utf16BE);
            encodingNote = le ? QStringLiteral("input decoded from UTF-16LE (no BOM)")
                              : QStringLiteral("input decoded from UTF-16BE (no BOM)");
        } else if (nul > 0 || ctrl * 20 > size) {
            error = QStringLiteral("the input looks binary (%1 NUL and %2 other control byte(s) in the "
                                   "first %3 bytes), not a text log: expected lines such as "
                                   "`[TX] fps=50 q=6 drops=0`.")
                        .arg(nul)
                        .arg(ctrl)
                        .arg(size);
        }
    }
    if (!error.isEmpty()) {
        failed = true;
        sniffBuf.clear();
        return;
    }
    QByteArray pending;
    pending.swap(sniffBuf);
    if (utf16)
        feedText(QString(utf16->decode(pending)).toUtf8());
    else
        feedText(pending);
}

void LogDoctor::Private::feedText(QByteArrayView data)
{
    const char *p = data.data();
    const qsizetype n = data.size();
    qsizetype pos = 0;
    while (pos < n) {
        // A line ends at '\n', or at a lone '\r' (old Mac files, progress-style loggers).
        qsizetype end = pos;
        while (end < n && p[end] != '\n' && !(p[end] == '\r' && end + 1 < n && p[end + 1] != '\n'))
            ++end;
        const bool hit = end < n;
        const QByteArrayView seg(p + pos, end - pos);
        if (!hit) {
            // Incomplete line: keep at most maxLineBytes of it.
            if (!carryOverlong) {
                const qsizetype room = lim.maxLineBytes - carry.size();
                if (seg.size() > room) {
                    carry.append(seg.first(std::max<qsizetype>(0, room)));
                    carryOverlong = true;
                } else {
                    carry.append(seg);
                }
            }
            break;
        }
        if (!carry.isEmpty() || carryOverlong) {
            if (!carryOverlong) {
                const qsizetype room = lim.maxLineBytes - carry.size();
                if (seg.size() > room) {
                    carry.append(seg.first(std::max<qsizetype>(0, room)));
                    carryOverlong = true;
                } else {
                    carry.append(seg);
                }
            }
            if (carryOverlong)
                ++truncated;
            processLine(carry);
            carry.clear();
            carryOverlong = false;
        } else if (seg.size() > lim.maxLineBytes) {
            ++truncated;
            processLine(seg.first(lim.maxLineBytes));
        } else {
            processLine(seg);
        }
        pos = end + 1;
    }
}

void LogDoctor::Private::processLine(QByteArrayView line)
{
    ++lineNo;
    while (line.endsWith('\r'))
        line.chop(1);
    if (std::memchr(line.data(), '\0', size_t(line.size()))) {
        ++binaryLines;
        return;
    }
    ParsedLine p = parseLine(line, lineNo);
    if (p.kind == LineKind::BadValue) {
        if (badValueLines++ == 0) {
            firstBadValueLine = lineNo;
            firstBadValue = p.badField;
        }
        return;
    }
    if (p.kind != LineKind::Metric)
        return;
    p.metric.text = citeText(line, lim.maxCitedChars);
    if (observer)
        observer(p.metric);
    a.add(std::move(p.metric));
}

void LogDoctor::Private::baseReport(Report &r) const
{
    r.bytesRead = bytesRead;
    r.totalLines = lineNo;
    r.truncatedLines = truncated;
    r.binaryLines = binaryLines;
    r.badValueLines = badValueLines;
    r.firstBadValueLine = firstBadValueLine;
    r.firstBadValue = firstBadValue;
}

LogDoctor::LogDoctor(Limits limits) : d(std::make_unique<Private>())
{
    d->lim = limits;
    d->lim.maxLineBytes = std::max(256, d->lim.maxLineBytes);
    d->lim.blockLines = std::max(100, d->lim.blockLines);
    d->lim.maxSeries = std::max(0, d->lim.maxSeries);
    d->lim.maxPlotPoints = std::max(16, d->lim.maxPlotPoints);
    d->lim.maxEvidence = std::max(1, d->lim.maxEvidence);
    d->lim.maxCitedChars = std::max(40, d->lim.maxCitedChars);
    d->lim.maxStreams = std::max(1, d->lim.maxStreams);
    d->a.lim = d->lim;
}

LogDoctor::~LogDoctor() = default;

bool LogDoctor::failed() const
{
    return d->failed;
}

void LogDoctor::setMetricObserver(std::function<void(const MetricLine &)> observer)
{
    d->observer = std::move(observer);
}

void LogDoctor::setLive(bool live)
{
    d->live = live;
}

void LogDoctor::addData(QByteArrayView chunk)
{
    if (d->failed || chunk.isEmpty())
        return;
    d->bytesRead += chunk.size();
    d->addRaw(chunk);
}

void LogDoctor::addLine(QByteArrayView line)
{
    if (d->failed)
        return;
    d->bytesRead += line.size() + 1;
    if (line.size() > d->lim.maxLineBytes) {
        ++d->truncated;
        line = line.first(d->lim.maxLineBytes);
    }
    d->processLine(line);
}

namespace {
QString joinNotes(const QStringList &notes)
{
    return notes.join(QStringLiteral("; "));
}
} // namespace

Report LogDoctor::snapshot() const
{
    Report r;
    d->baseReport(r);
    if (d->failed) {
        r.inputOk = false;
        r.error = d->error;
        return r;
    }
    Analysis copy = d->a;
    copy.fill(r);
    return r;
}

Report LogDoctor::finish()
{
    Report r;
    if (!d->gzSniffed && !d->failed && !d->sniffBuf.isEmpty()) {
        // Under 2 bytes in all: plain text.
        d->gzSniffed = true;
        QByteArray pending;
        pending.swap(d->sniffBuf);
        d->addDecoded(pending);
    }
    if (!d->sniffed && !d->failed && !d->sniffBuf.isEmpty())
        d->sniff();
    if (!d->failed && (!d->carry.isEmpty() || d->carryOverlong)) {
        if (d->carryOverlong)
            ++d->truncated;
        d->processLine(d->carry);
        d->carry.clear();
        d->carryOverlong = false;
    }
    d->baseReport(r);
    if (d->failed) {
        r.inputOk = false;
        r.error = d->error;
        return r;
    }
    d->a.fill(r);

    QStringList notes;
    if (!d->encodingNote.isEmpty())
        notes << d->encodingNote;
    if (d->gz && !d->gz->ended)
        notes << QStringLiteral("the gzip stream ends early (a truncated file?): diagnosed what was there");
    if (d->truncated > 0)
        notes << QStringLiteral("%1 line(s) longer than %2 bytes were cut").arg(d->truncated).arg(d->lim.maxLineBytes);
    if (d->binaryLines > 0)
        notes << QStringLiteral("%1 line(s) with binary data skipped").arg(d->binaryLines);
    if (d->badValueLines > 0)
        notes << QStringLiteral("%1 metric line(s) with a value that is not a number skipped (first: line %2, %3)")
                     .arg(d->badValueLines)
                     .arg(d->firstBadValueLine)
                     .arg(d->firstBadValue);
    if (d->a.metricLines > qint64(r.series.size()))
        notes << QStringLiteral("series kept for the last %1 of %2 metric lines (plot decimated x%3); "
                                "the diagnosis covers all of them")
                     .arg(r.series.size())
                     .arg(d->a.metricLines)
                     .arg(d->a.stride);
    r.warning = joinNotes(notes);
    return r;
}

Report LogDoctor::analyzeText(const QString &text, Limits limits)
{
    LogDoctor doc(limits);
    doc.addData(text.toUtf8());
    return doc.finish();
}

Report LogDoctor::analyzeDevice(QIODevice *device, Limits limits, const std::function<void(qint64)> &progress,
                                const std::atomic<bool> *cancel, qint64 progressBytes)
{
    LogDoctor doc(limits);
    if (!device || !device->isOpen() || !device->isReadable()) {
        Report r;
        r.inputOk = false;
        r.error = QStringLiteral("the input is not open for reading.");
        return r;
    }
    QByteArray buf(256 * 1024, Qt::Uninitialized);
    progressBytes = std::max<qint64>(1, progressBytes);
    qint64 nextProgress = progressBytes;
    qint64 total = 0;
    bool cancelled = false;
    for (;;) {
        if (cancel && cancel->load()) {
            cancelled = true;
            break;
        }
        qint64 got = device->read(buf.data(), buf.size());
        if (got == 0 && !device->atEnd() && device->waitForReadyRead(-1))
            continue;
        if (got < 0 && device->atEnd())
            break; // some sequential devices signal their end with -1
        if (got < 0) {
            Report r;
            r.inputOk = false;
            r.error = QStringLiteral("read error after %1 bytes: %2").arg(total).arg(device->errorString());
            return r;
        }
        if (got == 0)
            break;
        total += got;
        doc.addData(QByteArrayView(buf.constData(), got));
        if (doc.failed())
            break;
        if (progress && total >= nextProgress) {
            progress(total);
            nextProgress = total + progressBytes;
        }
    }
    Report r = doc.finish();
    if (cancelled) {
        r.cancelled = true;
        const QString note = QStringLiteral("cancelled after %1 bytes: the result covers only the start of the input").arg(total);
        r.warning = r.warning.isEmpty() ? note : r.warning + QStringLiteral("; ") + note;
    }
    return r;
}

Report LogDoctor::analyzeFile(const QString &path, Limits limits, const std::function<void(qint64)> &progress,
                              const std::atomic<bool> *cancel)
{
    QFile f(path);
    const QFileInfo fi(path);
    Report r;
    r.inputOk = false;
    if (!fi.exists()) {
        r.error = QStringLiteral("%1: no such file.").arg(path);
        return r;
    }
    if (fi.isDir()) {
        r.error = QStringLiteral("%1 is a directory, not a log file.").arg(path);
        return r;
    }
    if (!f.open(QIODevice::ReadOnly)) {
        r.error = QStringLiteral("cannot open %1: %2").arg(path, f.errorString());
        return r;
    }
    return analyzeDevice(&f, limits, progress, cancel, 1024 * 1024);
}

} // namespace pacelab::doctor
