// Capture writer and reader (docs/capture-format.md). Over 500 lines because the reader is one
// streaming state machine for two formats (PaceLab captures and free-form Twilio-style dumps)
// plus the input checks every hostile file needs (sniffing, timestamp ranges, cut tails); split,
// each half would need the other's line splitter and time checks.
#include "Capture.h"

#include "util/FileUtil.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QRegularExpression>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cmath>
#include <deque>
#include <limits>
#include <mutex>

namespace pacelab::capture {

namespace {
constexpr qint64 kAssumedSpacingUs = 20'000;

QString shortText(QByteArrayView b, int max = 60)
{
    QString s = QString::fromUtf8(b.first(std::min<qsizetype>(b.size(), max * 4))).simplified();
    if (s.size() > max)
        s = s.left(max - 1) + QChar(0x2026);
    return s;
}

bool isValidUtf8(const QByteArray &b)
{
    return QString::fromUtf8(b).toUtf8() == b;
}
} // namespace

qint64 steadyNowUs()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

QString dirName(Dir d)
{
    return d == Dir::Out ? QStringLiteral("out") : QStringLiteral("in");
}

QString typeName(Record::Type t)
{
    switch (t) {
    case Record::Type::Header: return QString::fromLatin1(kHeaderType);
    case Record::Type::Message: return QStringLiteral("msg");
    case Record::Type::TxTelemetry: return QStringLiteral("tx-telemetry");
    case Record::Type::RxSecond: return QStringLiteral("rx-second");
    case Record::Type::Event: return QStringLiteral("event");
    }
    return {};
}

Record Record::message(qint64 tUs, Dir dir, MsgKind kind, const QByteArray &data)
{
    Record r;
    r.type = Type::Message;
    r.tUs = tUs;
    r.dir = dir;
    r.kind = kind;
    r.data = data;
    return r;
}

QJsonObject Record::toJson() const
{
    QJsonObject o = fields;
    o.insert(QStringLiteral("type"), typeName(type));
    if (type == Type::Header) {
        o.insert(QStringLiteral("version"), kFormatVersion);
        return o;
    }
    o.insert(QStringLiteral("t_us"), tUs);
    if (type == Type::Message) {
        o.insert(QStringLiteral("dir"), dirName(dir));
        o.insert(QStringLiteral("kind"), kind == MsgKind::Text ? QStringLiteral("text") : QStringLiteral("binary"));
        if (kind == MsgKind::Binary)
            o.insert(QStringLiteral("data"), QString::fromLatin1(data.toBase64()));
        else if (isValidUtf8(data))
            o.insert(QStringLiteral("data"), QString::fromUtf8(data));
        else // a text frame that is not UTF-8 (a 31924 case): keep the exact bytes
            o.insert(QStringLiteral("data_b64"), QString::fromLatin1(data.toBase64()));
    }
    return o;
}

QByteArray Record::toLine() const
{
    return QJsonDocument(toJson()).toJson(QJsonDocument::Compact) + '\n';
}

bool Record::operator==(const Record &o) const
{
    return type == o.type && tUs == o.tUs && dir == o.dir && kind == o.kind && data == o.data
        && fields == o.fields;
}

// ---- writer ------------------------------------------------------------------------------------

namespace {

// Atomic replace (POSIX rename); elsewhere remove + rename.
bool replaceFile(const QString &from, const QString &to)
{
#ifdef Q_OS_UNIX
    return ::rename(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) == 0;
#else
    QFile::remove(to);
    return QFile::rename(from, to);
#endif
}

} // namespace

struct CaptureWriter::Private
{
    std::mutex mutex;
    std::unique_ptr<QFile> file;
    QIODevice *dev = nullptr;
    // Writing to a file: the capture goes to partPath and is renamed to path on a clean close,
    // so a failed run never destroys an earlier capture of the same name. Empty partPath: the
    // path is a device or FIFO (/dev/stdout), written directly.
    QString path;
    QString partPath;
    QByteArray buffer;
    qint64 lastFlushUs = 0;
    qint64 written = 0;
    qint64 lost = 0;
    QString error;

    bool writeHeaderLocked(const QJsonObject &extra)
    {
        Record h;
        h.type = Record::Type::Header;
        h.fields = extra;
        h.fields.insert(QStringLiteral("created"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
        h.fields.insert(QStringLiteral("tool"), QStringLiteral("pacelab %1").arg(QStringLiteral(PACELAB_VERSION)));
        h.fields.insert(QStringLiteral("clock"), QStringLiteral("steady_clock microseconds; only differences matter"));
        h.fields.insert(QStringLiteral("t0_us"), steadyNowUs());
        buffer += h.toLine();
        return flushLocked();
    }

    bool flushLocked()
    {
        lastFlushUs = steadyNowUs();
        if (!dev || buffer.isEmpty())
            return error.isEmpty();
        if (!writeAll(dev, buffer.constData(), buffer.size())) {
            error = file ? QStringLiteral("cannot write capture '%1': %2").arg(file->fileName(), dev->errorString())
                         : QStringLiteral("write failed: %1").arg(dev->errorString());
            dev = nullptr; // stop writing; later records are counted as lost
            buffer.clear();
            return false;
        }
        buffer.clear();
        if (file && !file->flush()) {
            error = QStringLiteral("cannot write capture '%1': %2").arg(file->fileName(), file->errorString());
            dev = nullptr;
            return false;
        }
        return true;
    }

    void appendLocked(const Record &r, bool flushNow)
    {
        if (!dev) {
            ++lost;
            return;
        }
        buffer += r.toLine();
        ++written;
        const qint64 now = steadyNowUs();
        if (flushNow || now - lastFlushUs >= 1'000'000 || buffer.size() >= 1024 * 1024)
            flushLocked();
    }
};

CaptureWriter::CaptureWriter() : d(std::make_unique<Private>()) {}

CaptureWriter::~CaptureWriter()
{
    close();
}

bool CaptureWriter::open(const QString &path, const QJsonObject &headerExtra)
{
    std::lock_guard lock(d->mutex);
    const QFileInfo fi(path);
    if (fi.isDir()) {
        d->error = QStringLiteral("cannot create capture '%1': it is a directory").arg(path);
        return false;
    }
    const bool direct = fi.exists() && !fi.isFile(); // device, FIFO, socket
    const QString target = direct ? path : path + QStringLiteral(".part");
    auto f = std::make_unique<QFile>(target);
    // Unbuffered: lines are batched in d->buffer already, and a full disk must show at the write
    // with its errno (a buffered QFile reports "Unknown error" from a later flush).
    if (!f->open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Unbuffered)) {
        d->error = QStringLiteral("cannot create capture '%1': %2").arg(target, f->errorString());
        return false;
    }
    d->path = path;
    d->partPath = direct ? QString() : target;
    d->file = std::move(f);
    d->dev = d->file.get();
    d->error.clear();
    d->written = d->lost = 0;
    return d->writeHeaderLocked(headerExtra);
}

bool CaptureWriter::open(QIODevice *device, const QJsonObject &headerExtra)
{
    std::lock_guard lock(d->mutex);
    if (!device || !device->isWritable()) {
        d->error = QStringLiteral("capture device is not open for writing");
        return false;
    }
    d->file.reset();
    d->path.clear();
    d->partPath.clear();
    d->dev = device;
    d->error.clear();
    d->written = d->lost = 0;
    return d->writeHeaderLocked(headerExtra);
}

bool CaptureWriter::isOpen() const
{
    std::lock_guard lock(d->mutex);
    return d->dev != nullptr;
}

void CaptureWriter::close()
{
    std::lock_guard lock(d->mutex);
    d->flushLocked();
    if (d->file) {
        d->file->close();
        if (!d->partPath.isEmpty()) {
            if (d->error.isEmpty()) {
                if (!replaceFile(d->partPath, d->path))
                    d->error = QStringLiteral("cannot rename capture '%1' to '%2': %3")
                                   .arg(d->partPath, d->path, QString::fromLocal8Bit(strerror(errno)));
            } else if (!d->error.contains(QLatin1String("left unchanged"))) {
                d->error += QStringLiteral("; the partial capture is in '%1', '%2' was left unchanged")
                                .arg(d->partPath, d->path);
            }
        }
    }
    d->file.reset();
    d->partPath.clear();
    d->dev = nullptr;
}

void CaptureWriter::flush()
{
    std::lock_guard lock(d->mutex);
    d->flushLocked();
}

void CaptureWriter::recordMessage(Dir dir, MsgKind kind, const QByteArray &data, qint64 tUs)
{
    record(Record::message(tUs < 0 ? steadyNowUs() : tUs, dir, kind, data));
}

void CaptureWriter::recordTxTelemetry(const QJsonObject &snapshot, qint64 tUs)
{
    Record r;
    r.type = Record::Type::TxTelemetry;
    r.tUs = tUs < 0 ? steadyNowUs() : tUs;
    r.fields = snapshot;
    record(r);
}

void CaptureWriter::recordRxSecond(const QJsonObject &perSecond, qint64 tUs)
{
    Record r;
    r.type = Record::Type::RxSecond;
    r.tUs = tUs < 0 ? steadyNowUs() : tUs;
    r.fields = perSecond;
    record(r);
}

void CaptureWriter::recordEvent(const QString &name, const QString &text, qint64 tUs)
{
    Record r;
    r.type = Record::Type::Event;
    r.tUs = tUs < 0 ? steadyNowUs() : tUs;
    r.fields.insert(QStringLiteral("name"), name);
    if (!text.isEmpty())
        r.fields.insert(QStringLiteral("text"), text);
    record(r);
}

void CaptureWriter::record(const Record &r)
{
    std::lock_guard lock(d->mutex);
    // Telemetry is once a second: flushing with it keeps the file at most ~1 s behind.
    d->appendLocked(r, r.type == Record::Type::TxTelemetry || r.type == Record::Type::RxSecond);
}

qint64 CaptureWriter::recordsWritten() const
{
    std::lock_guard lock(d->mutex);
    return d->written;
}

qint64 CaptureWriter::recordsLost() const
{
    std::lock_guard lock(d->mutex);
    return d->lost;
}

QString CaptureWriter::errorString() const
{
    std::lock_guard lock(d->mutex);
    return d->error;
}

// ---- reader ------------------------------------------------------------------------------------

struct CaptureReader::Private
{
    ReadOptions opt;
    std::unique_ptr<QFile> file;
    QIODevice *dev = nullptr;
    Format format = Format::Unknown;
    QJsonObject header;
    QString fatal;
    QList<ReadError> errors;
    qint64 errorCount = 0;
    qint64 lineNo = 0;
    qint64 bytesRead = 0;
    qint64 totalBytes = -1;
    bool ended = false;
    bool stopped = false;
    std::deque<std::pair<qint64, QByteArray>> pending; // lines read while sniffing

    // Twilio dump state
    qint64 lastT[2] = {-1, -1};
    bool haveAnyT = false;
    qint64 assumed = 0;
    qint64 timeOfDayBaseUs = 0; // for HH:MM:SS prefixes crossing midnight
    qint64 lastTimeOfDayUs = -1;

    // Timestamp range checks (ReadOptions::maxSpanUs, backwardToleranceUs)
    qint64 originUs = -1;
    qint64 originLine = 0;
    qint64 latestUs = -1;                 // captures: latest timestamp so far
    qint64 latestMeasured[2] = {-1, -1};  // dumps: per direction, measured timestamps only

    // A last line without its newline: where it started, and whether it was dropped as cut.
    qint64 unterminatedLine = 0;
    qint64 unterminatedAt = -1;
    qint64 truncatedAt = -1;
    qint64 truncatedLine = 0;

    void addError(qint64 line, const QString &msg)
    {
        ++errorCount;
        if (errors.size() < opt.maxErrorsKept)
            errors.append(ReadError{line, QStringLiteral("line %1: %2").arg(line).arg(msg)});
        if (opt.stopOnError)
            stopped = true;
    }

    // One line, capped; nullopt at the end. Overlong lines are reported and skipped. Reads the
    // device in 64 KiB blocks and splits lines itself: memory stays at one block plus one line
    // whatever the file holds (QIODevice::readLine(max) would allocate max bytes per call).
    QByteArray buf;
    qsizetype pos = 0;
    bool atEnd = false;

    bool fill()
    {
        if (atEnd || !dev)
            return false;
        if (pos > 0) {
            buf.remove(0, pos);
            pos = 0;
        }
        for (;;) {
            const QByteArray more = dev->read(64 * 1024);
            if (!more.isEmpty()) {
                buf += more;
                return true;
            }
            // End of data; a pipe or socket may still deliver more.
            if (!dev->isSequential() || !dev->waitForReadyRead(30000)) {
                atEnd = true;
                return false;
            }
        }
    }

    std::optional<QByteArray> readLine()
    {
        bool skipping = false; // inside an overlong line: drop bytes up to its newline
        for (;;) {
            const qsizetype nl = buf.indexOf('\n', pos);
            if (nl < 0) {
                if (buf.size() - pos > opt.maxLineBytes) {
                    // Too long already: forget what we have, keep looking for its end.
                    bytesRead += buf.size() - pos;
                    buf.clear();
                    pos = 0;
                    skipping = true;
                }
                if (fill())
                    continue;
                // End of data: a last line without a newline still counts.
                if (buf.size() == pos && !skipping)
                    return std::nullopt;
                QByteArray line = buf.mid(pos);
                const qint64 startsAt = bytesRead;
                bytesRead += line.size();
                buf.clear();
                pos = 0;
                ++lineNo;
                if (skipping || line.size() > opt.maxLineBytes) {
                    addError(lineNo, QStringLiteral("longer than %1 bytes, skipped").arg(opt.maxLineBytes));
                    return std::nullopt;
                }
                unterminatedLine = lineNo;
                unterminatedAt = startsAt;
                while (line.endsWith('\r'))
                    line.chop(1);
                return line;
            }
            QByteArray line = buf.mid(pos, nl - pos);
            bytesRead += nl + 1 - pos;
            pos = nl + 1;
            ++lineNo;
            if (skipping || line.size() > opt.maxLineBytes) {
                addError(lineNo, QStringLiteral("longer than %1 bytes, skipped").arg(opt.maxLineBytes));
                if (stopped)
                    return std::nullopt;
                skipping = false;
                continue;
            }
            while (line.endsWith('\r'))
                line.chop(1);
            return line;
        }
    }

    bool sniff();
    bool sniffBytes();
    bool checkTime(qint64 line, qint64 t, int dir, const QString &what);
    std::optional<Record> parsePaceLab(qint64 line, const QByteArray &text);
    std::optional<Record> parseDump(qint64 line, const QByteArray &text);
    qint64 prefixTimeUs(QByteArrayView prefix);
};

static std::optional<qint64> jsonInteger(const QJsonValue &v)
{
    if (!v.isDouble())
        return std::nullopt;
    const double d = v.toDouble();
    if (d != std::floor(d) || std::abs(d) > kMaxTimeUs)
        return std::nullopt;
    return qint64(d);
}

namespace {
// Markers for a time value that is present but unusable (reported per line).
constexpr qint64 kNegativeTime = std::numeric_limits<qint64>::min();
constexpr qint64 kHugeTime = std::numeric_limits<qint64>::max();
constexpr qint64 kNoTime = -1;

// µs from a double without undefined behaviour: NaN, infinities and anything beyond
// kMaxTimeUs become kHugeTime, negatives kNegativeTime.
qint64 usFromDouble(double us)
{
    if (std::isnan(us) || us > double(kMaxTimeUs))
        return kHugeTime;
    if (us < 0)
        return kNegativeTime;
    return qint64(us);
}

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
        // A Twilio-style dump: bots log the events they send/receive, often with a prefix, and
        // often after some unrelated lines.
        pending.emplace_back(lineNo, first);
        if (first.contains("\"event\"")) {
            format = Format::TwilioDump;
            header = QJsonObject{{QStringLiteral("type"), QStringLiteral("twilio-dump")}};
            return true;
        }
        if (pending.size() >= 200)
            break;
    }
    fatal = QStringLiteral("not a PaceLab capture (no {\"type\":\"pacelab-capture\"} header on the first line) and no "
                           "Twilio event lines ({\"event\":\"media\",...}) in the first %1 lines; line %2 reads: %3")
                .arg(pending.size())
                .arg(pending.empty() ? 0 : pending.front().first)
                .arg(pending.empty() ? QString() : shortText(pending.front().second));
    if (!errors.isEmpty())
        fatal += QStringLiteral(" (and %1)").arg(errors.first().message);
    return false;
}

std::optional<Record> CaptureReader::Private::parsePaceLab(qint64 line, const QByteArray &text)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &pe);
    if (pe.error != QJsonParseError::NoError) {
        addError(line, QStringLiteral("invalid JSON (%1 at offset %2): %3").arg(pe.errorString()).arg(pe.offset).arg(shortText(text)));
        return std::nullopt;
    }
    if (!doc.isObject()) {
        addError(line, QStringLiteral("not a JSON object"));
        return std::nullopt;
    }
    QJsonObject o = doc.object();
    QString type = o.value(QStringLiteral("type")).toString();
    if (type.isEmpty() && o.contains(QStringLiteral("dir")))
        type = QStringLiteral("msg");
    Record r;
    r.lineNo = line;
    if (type == QLatin1String("msg"))
        r.type = Record::Type::Message;
    else if (type == QLatin1String("tx-telemetry"))
        r.type = Record::Type::TxTelemetry;
    else if (type == QLatin1String("rx-second"))
        r.type = Record::Type::RxSecond;
    else if (type == QLatin1String("event"))
        r.type = Record::Type::Event;
    else if (type == QLatin1String(kHeaderType)) {
        addError(line, QStringLiteral("a second capture header: captures cannot be concatenated"));
        return std::nullopt;
    } else if (type.isEmpty()) {
        addError(line, QStringLiteral("record without 'type'"));
        return std::nullopt;
    } else {
        addError(line, QStringLiteral("unknown record type '%1'").arg(type));
        return std::nullopt;
    }
    const QJsonValue tv = o.value(QStringLiteral("t_us"));
    if (tv.isUndefined()) {
        addError(line, QStringLiteral("missing 't_us'"));
        return std::nullopt;
    }
    const double td = tv.toDouble(std::nan(""));
    if (!tv.isDouble() || !std::isfinite(td) || td != std::floor(td)) {
        addError(line, QStringLiteral("'t_us' must be an integer (µs)"));
        return std::nullopt;
    }
    const qint64 t = usFromDouble(td);
    if (t == kNegativeTime || t == kHugeTime) {
        addError(line, QStringLiteral("'t_us' %1 is %2, skipped")
                           .arg(td, 0, 'g', 19)
                           .arg(t == kNegativeTime ? QStringLiteral("negative") : QStringLiteral("out of range (at most %1 µs)").arg(kMaxTimeUs)));
        return std::nullopt;
    }
    if (!checkTime(line, t, -1, QStringLiteral("'t_us'")))
        return std::nullopt;
    r.tUs = t;
    o.remove(QStringLiteral("type"));
    o.remove(QStringLiteral("t_us"));
    if (r.type != Record::Type::Message) {
        r.fields = o;
        return r;
    }
    const QString dir = o.value(QStringLiteral("dir")).toString();
    if (dir == QLatin1String("out"))
        r.dir = Dir::Out;
    else if (dir == QLatin1String("in"))
        r.dir = Dir::In;
    else {
        addError(line, QStringLiteral("field 'dir' must be \"out\" or \"in\", got %1")
                           .arg(o.contains(QStringLiteral("dir")) ? QStringLiteral("\"%1\"").arg(shortText(dir.toUtf8())) : QStringLiteral("nothing")));
        return std::nullopt;
    }
    const QString kind = o.value(QStringLiteral("kind")).toString();
    if (kind == QLatin1String("text"))
        r.kind = MsgKind::Text;
    else if (kind == QLatin1String("binary"))
        r.kind = MsgKind::Binary;
    else {
        addError(line, QStringLiteral("field 'kind' must be \"text\" or \"binary\""));
        return std::nullopt;
    }
    const QJsonValue data = o.value(QStringLiteral("data"));
    const QJsonValue b64 = o.value(QStringLiteral("data_b64"));
    if (r.kind == MsgKind::Text && data.isString()) {
        r.data = data.toString().toUtf8();
    } else if (data.isString() || b64.isString()) {
        const QString enc = data.isString() ? data.toString() : b64.toString();
        auto dec = QByteArray::fromBase64Encoding(enc.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        if (!dec) {
            addError(line, QStringLiteral("'%1' is not valid base64").arg(data.isString() ? QStringLiteral("data") : QStringLiteral("data_b64")));
            return std::nullopt;
        }
        r.data = *dec;
    } else {
        addError(line, QStringLiteral("missing 'data' (a string)"));
        return std::nullopt;
    }
    return r;
}

qint64 CaptureReader::Private::prefixTimeUs(QByteArrayView prefix)
{
    static const QRegularExpression iso(QStringLiteral(R"((\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?)"));
    static const QRegularExpression tod(QStringLiteral(R"((?<![\d:])(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?)"));
    const QString p = QString::fromUtf8(prefix);
    auto frac = [](const QString &f) -> qint64 {
        if (f.isEmpty())
            return 0;
        return QStringView(f).left(6).toString().leftJustified(6, QLatin1Char('0')).toLongLong();
    };
    QRegularExpressionMatch m = iso.match(p);
    if (m.hasMatch()) {
        const QDate date = QDate::fromString(m.captured(1), Qt::ISODate);
        const QTime time(m.captured(2).toInt(), m.captured(3).toInt(), m.captured(4).toInt());
        if (date.isValid() && time.isValid()) {
            const QDateTime dt(date, time, Qt::UTC);
            const qint64 us = dt.toMSecsSinceEpoch() * 1000 + frac(m.captured(5)); // years 0000-9999: no overflow
            return us < 0 ? kNegativeTime : us;
        }
    }
    m = tod.match(p);
    if (m.hasMatch()) {
        const qint64 h = m.captured(1).toInt(), mi = m.captured(2).toInt(), s = m.captured(3).toInt();
        if (h < 24 && mi < 60 && s < 61) {
            qint64 us = ((h * 60 + mi) * 60 + s) * 1'000'000 + frac(m.captured(4));
            // Crossed midnight (capped: a hostile file flipping 23:59/00:00 forever cannot
            // overflow the base; its times go out of range and are refused instead).
            if (lastTimeOfDayUs >= 0 && us + timeOfDayBaseUs < lastTimeOfDayUs - 12LL * 3600 * 1'000'000
                && timeOfDayBaseUs <= kMaxTimeUs)
                timeOfDayBaseUs += 24LL * 3600 * 1'000'000;
            us += timeOfDayBaseUs;
            lastTimeOfDayUs = us;
            return us;
        }
    }
    return -1;
}

// kNoTime when v is not a time at all; kNegativeTime / kHugeTime when it is one but unusable.
static qint64 numberTimeUs(const QJsonValue &v)
{
    if (v.isDouble()) {
        const double x = v.toDouble();
        if (x == 0)
            return kNoTime;
        if (x < 0)
            return kNegativeTime;
        if (x < 1e11) // seconds (epoch or relative)
            return usFromDouble(x * 1e6);
        if (x < 1e14) // ms
            return usFromDouble(x * 1e3);
        return usFromDouble(x); // µs
    }
    if (v.isString()) {
        const QDateTime dt = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
        if (dt.isValid())
            return usFromDouble(double(dt.toMSecsSinceEpoch()) * 1000.0);
        bool ok = false;
        const double x = v.toString().toDouble(&ok);
        if (ok)
            return numberTimeUs(QJsonValue(x));
    }
    return kNoTime;
}

std::optional<Record> CaptureReader::Private::parseDump(qint64 line, const QByteArray &text)
{
    const qsizetype open = text.indexOf('{');
    const qsizetype close = text.lastIndexOf('}');
    if (open < 0 || close < open)
        return std::nullopt; // an unrelated log line
    const bool looksLikeEvent = text.contains("\"event\"");
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(text.mid(open, close - open + 1), &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        if (looksLikeEvent)
            addError(line, QStringLiteral("invalid JSON (%1 at offset %2): %3").arg(pe.errorString()).arg(open + pe.offset).arg(shortText(text)));
        return std::nullopt;
    }
    const QJsonObject outer = doc.object();
    // The event itself, or one level down in a logging wrapper ({"ts":..,"msg":{...}} or a
    // JSON-encoded string).
    QJsonObject ev;
    if (outer.contains(QStringLiteral("event"))) {
        ev = outer;
    } else {
        for (auto it = outer.begin(); it != outer.end() && ev.isEmpty(); ++it) {
            if (it->isObject() && it->toObject().contains(QStringLiteral("event")))
                ev = it->toObject();
            else if (it->isString() && it->toString().contains(QLatin1String("\"event\""))) {
                const QJsonDocument inner = QJsonDocument::fromJson(it->toString().toUtf8());
                if (inner.isObject() && inner.object().contains(QStringLiteral("event")))
                    ev = inner.object();
            }
        }
    }
    if (ev.isEmpty())
        return std::nullopt;
    const QString event = ev.value(QStringLiteral("event")).toString();
    if (event.isEmpty()) {
        addError(line, QStringLiteral("'event' is not a string"));
        return std::nullopt;
    }
    const QJsonObject media = ev.value(QStringLiteral("media")).toObject();
    if (event == QLatin1String("media") && !media.value(QStringLiteral("payload")).isString()) {
        addError(line, QStringLiteral("media event without a string media.payload"));
        return std::nullopt;
    }

    // Direction: an explicit field or prefix word, else what Twilio's shapes imply.
    int dir = -1;
    const QString explicitDir = (outer.value(QStringLiteral("dir")).toString() + outer.value(QStringLiteral("direction")).toString()).toLower();
    if (!explicitDir.isEmpty()) {
        if (explicitDir.startsWith(QLatin1String("out")) || explicitDir.startsWith(QLatin1String("sent")) || explicitDir == QLatin1String("tx"))
            dir = 0;
        else if (explicitDir.startsWith(QLatin1String("in")) || explicitDir.startsWith(QLatin1String("rec")) || explicitDir == QLatin1String("rx"))
            dir = 1;
    }
    const QString prefix = QString::fromUtf8(text.left(open)).toLower();
    if (dir < 0 && !prefix.isEmpty()) {
        static const QRegularExpression outWords(QStringLiteral(R"((\bsen[dt]\b|\bsending\b|\bout(bound|going)?\b|>>|->|\btx\b))"));
        static const QRegularExpression inWords(QStringLiteral(R"((\brecv\b|\breceived?\b|\bin(bound|coming)?\b|<<|<-|\brx\b))"));
        if (outWords.match(prefix).hasMatch())
            dir = 0;
        else if (inWords.match(prefix).hasMatch())
            dir = 1;
    }
    if (dir < 0) {
        const bool fromTwilio = ev.contains(QStringLiteral("sequenceNumber")) || media.contains(QStringLiteral("track"))
            || media.contains(QStringLiteral("chunk")) || media.contains(QStringLiteral("timestamp"));
        if (event == QLatin1String("connected") || event == QLatin1String("start") || event == QLatin1String("stop")
            || event == QLatin1String("dtmf"))
            dir = 1;
        else if (event == QLatin1String("clear"))
            dir = 0;
        else
            dir = fromTwilio ? 1 : 0;
    }

    // Time: a field of the wrapper, a timestamp in the prefix, Twilio's media.timestamp (ms from
    // the stream start) for inbound, else 20 ms after the previous message in this direction.
    qint64 t = kNoTime;
    QString what;
    for (const char *k : {"t_us", "ts", "time", "timestamp", "@timestamp", "t"}) {
        const QJsonValue v = outer.value(QLatin1String(k));
        if (v.isUndefined())
            continue;
        t = QLatin1String(k) == QLatin1String("t_us") && v.isDouble() ? usFromDouble(v.toDouble()) : numberTimeUs(v);
        if (t != kNoTime) {
            what = QStringLiteral("field '%1'").arg(QLatin1String(k));
            break;
        }
    }
    if (t == kNoTime && open > 0) {
        t = prefixTimeUs(QByteArrayView(text).first(open));
        if (t < 0 && t != kNegativeTime)
            t = kNoTime;
        what = QStringLiteral("the time in the line's prefix");
    }
    if (t == kNoTime && dir == 1 && event == QLatin1String("media")) {
        // Twilio's own ms since the stream started.
        const QJsonValue ts = media.value(QStringLiteral("timestamp"));
        bool ok = false;
        const double ms = ts.isString() ? ts.toString().toDouble(&ok) : ts.toDouble(std::nan(""));
        if ((ts.isString() && ok) || (ts.isDouble() && std::isfinite(ms))) {
            t = usFromDouble(std::floor(ms) * 1000.0);
            what = QStringLiteral("media.timestamp");
        }
    }
    if (t != kNoTime) {
        if (!checkTime(line, t, dir, what))
            return std::nullopt;
    } else {
        ++assumed;
        // Measured times are at most kMaxTimeUs, so adding 20 ms per line cannot overflow.
        t = lastT[dir] >= 0 ? lastT[dir] + kAssumedSpacingUs : (haveAnyT ? std::max(lastT[0], lastT[1]) : 0);
    }
    haveAnyT = true;
    lastT[dir] = t;

    Record r;
    r.lineNo = line;
    r.type = Record::Type::Message;
    r.tUs = t;
    r.dir = dir == 0 ? Dir::Out : Dir::In;
    r.kind = MsgKind::Text;
    r.data = QJsonDocument(ev).toJson(QJsonDocument::Compact);
    return r;
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
    if (d->format == Format::TwilioDump && d->assumed > 0)
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
