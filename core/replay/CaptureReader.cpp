// Capture reader (docs/capture-format.md): opening, sniffing what the input is, the timestamp
// range checks, and the record stream. The per-line parsers of the two formats are in
// CaptureFormats.cpp.
#include "CaptureReaderPrivate.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>

namespace pacelab::capture {

using namespace detail;

namespace {
// "2026-11-25T12:00:00.000Z" for epoch-like dump times, else seconds (captures use a steady
// clock whose zero is arbitrary).
QString describeTime(qint64 t, bool dump)
{
    if (dump && t >= 946'684'800'000'000LL && t <= 253'402'300'799'000'000LL) // 2000..9999
        return QDateTime::fromMSecsSinceEpoch(t / 1000, Qt::UTC).toString(Qt::ISODateWithMs);
    return QStringLiteral("%1 s").arg(t / 1e6, 0, 'f', 6);
}

QString describeSpan(qint64 us)
{
    const double s = us / 1e6;
    if (s >= 2 * 86400.0)
        return QStringLiteral("%1 days").arg(s / 86400.0, 0, 'f', 1);
    return QStringLiteral("%1 s").arg(s, 0, 'f', 3);
}
} // namespace

bool CaptureReader::Private::checkTime(qint64 line, qint64 t, int dir, const QString &what)
{
    if (t == kNegativeTime || t < 0) {
        addError(line, QStringLiteral("%1 is negative: not a usable time, skipped").arg(what));
        return false;
    }
    if (t == kHugeTime || t > kMaxTimeUs) {
        addError(line, QStringLiteral("%1 is out of range (at most %2 µs), skipped").arg(what).arg(kMaxTimeUs));
        return false;
    }
    if (originUs < 0) {
        originUs = t;
        originLine = line;
    } else if (t - originUs > opt.maxSpanUs || originUs - t > opt.maxSpanUs) {
        addError(line, QStringLiteral("%1 %2 is %3 %4 the first timestamp (%5, line %6); at most %7 either way "
                                      "is accepted: a corrupt value or two recordings joined, skipped")
                           .arg(what, describeTime(t, dir >= 0), describeSpan(std::abs(t - originUs)),
                                t > originUs ? QStringLiteral("after") : QStringLiteral("before"), describeTime(originUs, dir >= 0))
                           .arg(originLine)
                           .arg(describeSpan(opt.maxSpanUs)));
        return false;
    }
    qint64 &latest = dir < 0 ? latestUs : latestMeasured[dir];
    if (latest >= 0 && t < latest - opt.backwardToleranceUs) {
        addError(line, QStringLiteral("%1 %2 goes back %3 in time (latest so far %4%5; at most %6 back is "
                                      "accepted), skipped")
                           .arg(what, describeTime(t, dir >= 0), describeSpan(latest - t), describeTime(latest, dir >= 0),
                                dir < 0 ? QString() : dir == 0 ? QStringLiteral(" outbound") : QStringLiteral(" inbound"),
                                describeSpan(opt.backwardToleranceUs)));
        return false;
    }
    latest = std::max(latest, t);
    return true;
}

// The first bytes say what the file is before any line is split: compressed, UTF-16 or binary
// input gets a clear error at once (and /dev/zero is not read forever looking for a newline).
bool CaptureReader::Private::sniffBytes()
{
    if (buf.size() - pos < 4096)
        fill();
    const QByteArrayView b = QByteArrayView(buf).sliced(pos, std::min<qsizetype>(buf.size() - pos, 4096));
    if (b.startsWith("\x1f\x8b")) {
        fatal = QStringLiteral("the file is gzip-compressed: decompress it first (gunzip FILE, or zcat FILE > call.jsonl)");
        return false;
    }
    if (b.startsWith("RIFF") || b.startsWith("RIFX") || b.startsWith("RF64")) {
        fatal = QStringLiteral("this is a WAV file, not a capture (load it as a recorded call instead)");
        return false;
    }
    if (b.startsWith("PK\x03\x04")) {
        fatal = QStringLiteral("the file is a ZIP archive: extract the capture from it first");
        return false;
    }
    if (b.startsWith("\xff\xfe") || b.startsWith("\xfe\xff")) {
        fatal = QStringLiteral("the file is UTF-16 text: captures and dumps are UTF-8 JSON Lines "
                               "(convert it, e.g. iconv -f UTF-16 -t UTF-8 FILE > call.jsonl)");
        return false;
    }
    if (b.startsWith("\xef\xbb\xbf")) { // a UTF-8 byte order mark (Windows editors): skipped
        pos += 3;
        bytesRead += 3;
    }
    const qsizetype nul = b.count('\0');
    if (nul > 0) {
        fatal = QStringLiteral("binary data (%1 NUL byte(s) in the first %2 bytes): not a JSON Lines capture or dump")
                    .arg(nul)
                    .arg(b.size());
        return false;
    }
    return true;
}

bool CaptureReader::Private::sniff()
{
    if (!sniffBytes())
        return false;
    // Skip leading blank lines; look at the first real one.
    for (int guard = 0; guard < 1000; ++guard) {
        std::optional<QByteArray> l = readLine();
        if (!l) {
            if (stopped) { // stopOnError and a bad (overlong) line: that is the reason, say it
                fatal = errors.isEmpty() ? QStringLiteral("stopped at the first bad line") : errors.constLast().message;
                return false;
            }
            if (!pending.empty())
                break;
            if (fatal.isEmpty())
                fatal = lineNo == 0 ? QStringLiteral("the file is empty") : QStringLiteral("no records found (only blank lines)");
            return false;
        }
        if (l->trimmed().isEmpty())
            continue;
        const QByteArray &first = *l;
        if (lineNo == unterminatedLine && pending.empty() && first.trimmed().startsWith('{')
            && QJsonDocument::fromJson(first).isNull()) {
            fatal = first.contains("\"pacelab-capture\"")
                ? QStringLiteral("the capture header is cut short (the file ends after %1 bytes, inside its first "
                                 "line): nothing was recorded")
                      .arg(bytesRead)
                : QStringLiteral("the file ends after %1 bytes inside its first line, which is not complete JSON: "
                                 "a capture cut short while its header was written?")
                      .arg(bytesRead);
            return false;
        }
        if (first.startsWith("RIFF")) {
            fatal = QStringLiteral("this is a WAV file, not a capture (load it as a recorded call instead)");
            return false;
        }
        if (first.contains('\0')) {
            fatal = QStringLiteral("binary data on line %1: not a JSON Lines capture").arg(lineNo);
            return false;
        }
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(first, &pe);
        if (doc.isObject() && doc.object().value(QStringLiteral("type")).toString() == QLatin1String(kHeaderType)) {
            const QJsonObject h = doc.object();
            const auto version = jsonInteger(h.value(QStringLiteral("version")));
            if (!version) {
                fatal = QStringLiteral("line %1: the capture header has no integer 'version'").arg(lineNo);
                return false;
            }
            if (*version > kFormatVersion || *version < 1) {
                fatal = QStringLiteral("capture format version %1 is not supported (this PaceLab reads version %2)")
                            .arg(*version)
                            .arg(kFormatVersion);
                return false;
            }
            format = Format::PaceLab;
            header = h;
            header.remove(QStringLiteral("type"));
            return true;
        }
        // A dump: bots log the messages they send/receive, one per line, often with a prefix, and
        // often after some unrelated lines.
        pending.emplace_back(lineNo, first);
        if (looksLikeDumpLine(first)) {
            format = Format::JsonDump;
            header = QJsonObject{{QStringLiteral("type"), QStringLiteral("json-dump")}};
            return true;
        }
        if (pending.size() >= 200)
            break;
    }
    fatal = QStringLiteral("not a PaceLab capture (no {\"type\":\"pacelab-capture\"} header on the first line) and no "
                           "media-stream message lines ({\"event\":\"media\",...}, {\"action\":...}) in the first %1 lines; line %2 reads: %3")
                .arg(pending.size())
                .arg(pending.empty() ? 0 : pending.front().first)
                .arg(pending.empty() ? QString() : shortText(pending.front().second));
    if (!errors.isEmpty())
        fatal += QStringLiteral(" (and %1)").arg(errors.first().message);
    return false;
}

CaptureReader::CaptureReader(ReadOptions options) : d(std::make_unique<Private>())
{
    d->opt = options;
    d->opt.maxLineBytes = std::max(1024, d->opt.maxLineBytes);
}

CaptureReader::~CaptureReader() = default;

bool CaptureReader::open(const QString &path)
{
    const QFileInfo fi(path);
    if (!fi.exists()) {
        d->fatal = QStringLiteral("%1: no such file").arg(path);
        // A recording that never finished (the writer was killed) is still named <path>.part.
        if (QFileInfo::exists(path + QStringLiteral(".part")))
            d->fatal += QStringLiteral(" (but '%1.part' is there: the capture of a run that did not finish; "
                                       "replay that file, every complete line of it loads)").arg(path);
        return false;
    }
    if (fi.isDir()) {
        d->fatal = QStringLiteral("%1 is a directory").arg(path);
        return false;
    }
    auto f = std::make_unique<QFile>(path);
    if (!f->open(QIODevice::ReadOnly)) {
        d->fatal = QStringLiteral("cannot open %1: %2").arg(path, f->errorString());
        return false;
    }
    d->totalBytes = f->size();
    d->file = std::move(f);
    d->dev = d->file.get();
    return d->sniff();
}

bool CaptureReader::open(QIODevice *device)
{
    if (!device || !device->isReadable()) {
        d->fatal = QStringLiteral("the capture device is not open for reading");
        return false;
    }
    d->dev = device;
    d->totalBytes = device->isSequential() ? -1 : device->size();
    return d->sniff();
}

CaptureReader::Format CaptureReader::format() const
{
    return d->format;
}

QJsonObject CaptureReader::header() const
{
    return d->header;
}

std::optional<Record> CaptureReader::next()
{
    if (!d->fatal.isEmpty() || d->format == Format::Unknown || d->stopped)
        return std::nullopt;
    for (;;) {
        qint64 line = 0;
        QByteArray text;
        if (!d->pending.empty()) {
            line = d->pending.front().first;
            text = std::move(d->pending.front().second);
            d->pending.pop_front();
        } else {
            std::optional<QByteArray> l = d->readLine();
            if (!l) {
                d->ended = true;
                return std::nullopt;
            }
            line = d->lineNo;
            text = std::move(*l);
        }
        if (text.trimmed().isEmpty())
            continue;
        if (line == d->unterminatedLine && d->unterminatedAt >= 0) {
            // The data ends inside this line: a writer killed mid-write. Its JSON is cut (a
            // complete line would have its newline), so it is ignored and reported, not an error.
            const qsizetype open = d->format == Format::PaceLab ? 0 : text.indexOf('{');
            const qsizetype close = text.lastIndexOf('}');
            const bool cut = open >= 0
                && (close < open || QJsonDocument::fromJson(text.mid(open, close - open + 1)).isNull());
            if (cut && (d->format == Format::PaceLab || text.contains("\"event\""))) {
                d->truncatedAt = d->unterminatedAt;
                d->truncatedLine = line;
                continue;
            }
        }
        std::optional<Record> r = d->format == Format::PaceLab ? d->parsePaceLab(line, text) : d->parseDump(line, text);
        if (r)
            return r;
        if (d->stopped)
            return std::nullopt;
    }
}

bool CaptureReader::atEnd() const
{
    return d->ended;
}

QString CaptureReader::fatalError() const
{
    return d->fatal;
}

QList<ReadError> CaptureReader::errors() const
{
    return d->errors;
}

qint64 CaptureReader::errorCount() const
{
    return d->errorCount;
}

qint64 CaptureReader::linesRead() const
{
    return d->lineNo;
}

qint64 CaptureReader::bytesRead() const
{
    return d->bytesRead;
}

qint64 CaptureReader::totalBytes() const
{
    return d->totalBytes;
}

qint64 CaptureReader::assumedTimings() const
{
    return d->assumed;
}

qint64 CaptureReader::truncatedTailAt() const
{
    return d->truncatedAt;
}

QStringList CaptureReader::notes() const
{
    QStringList n;
    if (d->format == Format::JsonDump && d->assumed > 0)
        n << QStringLiteral("%1 message(s) had no timestamp: each was placed 20 ms after the previous one in its "
                            "direction, so their pacing figures describe that assumption, not the real call")
                 .arg(d->assumed);
    if (d->truncatedAt >= 0)
        n << QStringLiteral("last line (line %1) truncated at byte %2: ignored (the file ends inside it, e.g. the "
                            "recording process was killed); every complete line before it was read")
                 .arg(d->truncatedLine)
                 .arg(d->truncatedAt);
    return n;
}

} // namespace pacelab::capture
