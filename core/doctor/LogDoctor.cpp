// Over 500 lines: the input side (sniffing, gzip, UTF-16, line splitting with caps, live mode)
// is one state machine; grouping and the report are in StreamGroups, the rules in the detectors.
// The streaming driver: input sniffing (binary, gzip, UTF-16), line splitting, grouping metric
// lines by stream, block-wise analysis with bounded memory, and the report over all streams.
#include "LogDoctor.h"
#include "StreamContext.h"
#include "StreamGroups.h"

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

QString citeText(QByteArrayView line, int maxChars)
{
    QString s = QString::fromUtf8(line.trimmed());
    if (s.contains(QChar(0x1b)))
        s.remove(QRegularExpression(QStringLiteral("\x1b\\[[0-9;?]*[A-Za-z]")));
    if (s.size() > maxChars)
        s = s.left(maxChars - 1) + QChar(0x2026);
    return s;
}

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
