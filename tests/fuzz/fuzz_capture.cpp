// Capture reader (core/replay/Capture): PaceLab JSON Lines captures and Twilio-style dumps (the
// reader sniffs which). Any input ends in records, per-line errors or one fatal error; the
// counters stay consistent; every record read from a capture can be written by CaptureWriter
// and read back unchanged. Run in both error modes (skip bad lines / stop at the first).
#include "FuzzCheck.h"

#include "replay/Capture.h"

#include <QBuffer>
#include <QByteArray>

using namespace pacelab::capture;

namespace {

struct ReadAll
{
    QList<Record> records;
    CaptureReader::Format format = CaptureReader::Format::Unknown;
    qint64 errorCount = 0;
};

ReadAll readAll(const QByteArray &bytes, bool stopOnError)
{
    ReadAll out;
    QList<Record> &records = out.records;
    QByteArray copy = bytes;
    QBuffer buf(&copy);
    buf.open(QIODevice::ReadOnly);
    ReadOptions opt;
    opt.stopOnError = stopOnError;
    opt.maxErrorsKept = 5;
    opt.maxLineBytes = 1024; // the smallest the reader allows: reaches the overlong-line path
    CaptureReader reader(opt);
    const bool opened = reader.open(&buf);
    out.format = reader.format();
    out.errorCount = reader.errorCount();
    if (!opened) {
        FUZZ_CHECK(!reader.fatalError().isEmpty(), "open failed without a message");
        FUZZ_CHECK(!reader.next(), "a record after a failed open");
        return out;
    }
    FUZZ_CHECK(reader.format() != CaptureReader::Format::Unknown, "opened with an unknown format");
    while (std::optional<Record> r = reader.next()) {
        FUZZ_CHECK(r->type != Record::Type::Header, "header returned as a record");
        FUZZ_CHECK(r->lineNo >= 1 && r->lineNo <= reader.linesRead(), "line %lld of %lld", qlonglong(r->lineNo),
                   qlonglong(reader.linesRead()));
        records.append(std::move(*r));
        FUZZ_CHECK(records.size() <= bytes.size(), "more records than bytes");
    }
    FUZZ_CHECK(reader.errors().size() <= 5, "%lld errors kept", qlonglong(reader.errors().size()));
    FUZZ_CHECK(reader.errorCount() >= reader.errors().size(), "error count below errors kept");
    if (stopOnError)
        FUZZ_CHECK(reader.errorCount() <= 1, "%lld errors with stopOnError", qlonglong(reader.errorCount()));
    for (const ReadError &e : reader.errors())
        FUZZ_CHECK(!e.message.isEmpty() && e.lineNo >= 1, "empty error");
    FUZZ_CHECK(reader.bytesRead() <= bytes.size(), "read %lld of %lld bytes", qlonglong(reader.bytesRead()),
               qlonglong(bytes.size()));
    FUZZ_CHECK(reader.totalBytes() == bytes.size(), "totalBytes");
    if (reader.format() == CaptureReader::Format::TwilioDump)
        FUZZ_CHECK(reader.assumedTimings() <= records.size(), "more assumed timings than records");
    out.errorCount = reader.errorCount();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const ReadAll skipping = readAll(bytes, false);
    const ReadAll stopping = readAll(bytes, true);
    const QList<Record> &all = skipping.records;
    const QList<Record> &stopped = stopping.records;
    const CaptureReader::Format format = skipping.format;
    // Stopping at a bad line while sniffing may leave the format unknown; otherwise it agrees.
    FUZZ_CHECK(format == stopping.format
                   || (stopping.format == CaptureReader::Format::Unknown && stopping.errorCount == 1),
               "format depends on the error mode");
    FUZZ_CHECK(stopped.size() <= all.size(), "stopOnError read more records");
    for (qsizetype i = 0; i < stopped.size(); ++i)
        FUZZ_CHECK(stopped[i] == all[i], "record %lld differs between error modes", qlonglong(i));
    // A capture's records, written again by CaptureWriter, must read back unchanged. (Not for
    // dumps: their times may mix assumed and measured clocks, which the capture reader's range
    // checks rightly refuse, and nothing in PaceLab re-saves a dump as a capture.)
    if (format != CaptureReader::Format::PaceLab)
        return 0;
    QByteArray written;
    {
        QBuffer out(&written);
        out.open(QIODevice::WriteOnly);
        CaptureWriter w;
        FUZZ_CHECK(w.open(&out), "writer open");
        for (const Record &r : all)
            w.record(r);
        w.close();
        FUZZ_CHECK(w.recordsWritten() == all.size() && w.recordsLost() == 0, "writer lost records");
    }
    QBuffer in(&written);
    in.open(QIODevice::ReadOnly);
    ReadOptions opt;
    opt.maxLineBytes = 64 * 1024 * 1024;
    CaptureReader back(opt);
    FUZZ_CHECK(back.open(&in), "re-read: %s", qPrintable(back.fatalError()));
    FUZZ_CHECK(back.format() == CaptureReader::Format::PaceLab, "re-read format");
    for (qsizetype i = 0; i < all.size(); ++i) {
        const std::optional<Record> r = back.next();
        FUZZ_CHECK(r.has_value(), "record %lld lost on round trip (%s)", qlonglong(i),
                   back.errors().isEmpty() ? "" : qPrintable(back.errors().first().message));
        // Compared as written, not with Record::operator==: Qt 6.4's QJsonObject == says two
        // objects differ when a key held a U+FEFF that its parser dropped, though both serialize
        // to the same bytes.
        const Record &e = all[i];
        FUZZ_CHECK(r->type == e.type && r->tUs == e.tUs && r->dir == e.dir && r->kind == e.kind && r->data == e.data
                       && r->toLine() == e.toLine(),
                   "record %lld changed on round trip:\n  %s\n  %s", qlonglong(i), e.toLine().constData(),
                   r->toLine().constData());
    }
    FUZZ_CHECK(!back.next() && back.errorCount() == 0, "extra records or errors on round trip");
    return 0;
}
