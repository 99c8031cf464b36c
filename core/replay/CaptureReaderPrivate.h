// Internal to the capture reader: its state (CaptureReader::Private) and the helpers shared by
// the line reader and sniffing (CaptureReader.cpp) and the two formats' parsers
// (CaptureFormats.cpp). Not part of the API.
#pragma once

#include "Capture.h"

#include <QDateTime>
#include <QFile>
#include <QJsonValue>

#include <cmath>
#include <deque>
#include <limits>
#include <memory>

namespace pacelab::capture {

namespace detail {
constexpr qint64 kAssumedSpacingUs = 20'000;

// Markers for a time value that is present but unusable (reported per line).
constexpr qint64 kNegativeTime = std::numeric_limits<qint64>::min();
constexpr qint64 kHugeTime = std::numeric_limits<qint64>::max();
constexpr qint64 kNoTime = -1;

inline QString shortText(QByteArrayView b, int max = 60)
{
    QString s = QString::fromUtf8(b.first(std::min<qsizetype>(b.size(), max * 4))).simplified();
    if (s.size() > max)
        s = s.left(max - 1) + QChar(0x2026);
    return s;
}

inline std::optional<qint64> jsonInteger(const QJsonValue &v)
{
    if (!v.isDouble())
        return std::nullopt;
    const double d = v.toDouble();
    if (d != std::floor(d) || std::abs(d) > kMaxTimeUs)
        return std::nullopt;
    return qint64(d);
}

// µs from a double without undefined behaviour: NaN, infinities and anything beyond
// kMaxTimeUs become kHugeTime, negatives kNegativeTime.
inline qint64 usFromDouble(double us)
{
    if (std::isnan(us) || us > double(kMaxTimeUs))
        return kHugeTime;
    if (us < 0)
        return kNegativeTime;
    return qint64(us);
}
} // namespace detail

// A line that may hold a dump message (an "event", a Vonage "action", a binary frame wrapper).
bool looksLikeDumpLine(QByteArrayView line);

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

} // namespace pacelab::capture
