#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

class QIODevice;

// Capture files: one session as JSON Lines (docs/capture-format.md). The first line is a
// header {"type":"pacelab-capture","version":1,"provider":"twilio",...}; then one record per
// WebSocket message sent or received and one per telemetry second. The reader also accepts JSON
// Lines dumps of media-stream messages as bots log them, one message per line, of any provider
// (with or without timestamps; binary frames base64-encoded in a wrapper).
namespace pacelab::capture {

constexpr int kFormatVersion = 1;
constexpr const char *kHeaderType = "pacelab-capture";
// Header field naming the provider whose protocol the messages speak ("twilio", "vonage", ...).
constexpr const char *kProviderField = "provider";

enum class Dir { Out, In };     // out = bot -> provider (the paced path), in = provider -> bot
enum class MsgKind { Text, Binary };

struct Record
{
    enum class Type { Header, Message, TxTelemetry, RxSecond, Event };
    Type type = Type::Message;
    qint64 lineNo = 0; // where it was read (0 when built in memory)
    qint64 tUs = 0;    // steady-clock µs (monotonic; only differences matter)
    // Message
    Dir dir = Dir::Out;
    MsgKind kind = MsgKind::Text;
    QByteArray data;   // text: the message as sent (UTF-8 JSON); binary: the raw bytes
    // Header, TxTelemetry, RxSecond, Event: the record's fields (without type / t_us)
    QJsonObject fields;

    static Record message(qint64 tUs, Dir dir, MsgKind kind, const QByteArray &data);
    QJsonObject toJson() const;
    QByteArray toLine() const; // compact JSON + '\n'
    bool operator==(const Record &o) const;
};

QString dirName(Dir d);
QString typeName(Record::Type t);

// `header` with the provider's name in kProviderField (kept if the caller set one already): what
// a capture writer is opened with, so replay knows the protocol without guessing.
QJsonObject withProvider(QJsonObject header, const QString &providerName);

// steady_clock now in µs: the clock every capture timestamp uses.
qint64 steadyNowUs();

// Thread-safe: the sender thread, the emulator and the UI may all record into one writer.
// Lines are buffered and flushed at least once per second (and on telemetry records, close).
class CaptureWriter
{
public:
    CaptureWriter();
    ~CaptureWriter(); // closes
    CaptureWriter(const CaptureWriter &) = delete;
    CaptureWriter &operator=(const CaptureWriter &) = delete;

    // Writes the header at once. headerExtra adds fields (source, streamSid, config...).
    // The capture is written to "<path>.part" and renamed to path by close(): a run that fails
    // to write (disk full) leaves an earlier capture of that name intact, and its partial capture
    // in the .part file. A path that is a device or FIFO is written directly.
    bool open(const QString &path, const QJsonObject &headerExtra = {});
    bool open(QIODevice *device, const QJsonObject &headerExtra = {}); // not owned; must be open
    bool isOpen() const;
    void close();
    void flush();

    // tUs < 0 = now (steadyNowUs()).
    void recordMessage(Dir dir, MsgKind kind, const QByteArray &data, qint64 tUs = -1);
    void recordTxTelemetry(const QJsonObject &snapshot, qint64 tUs = -1); // TelemetrySnapshot::toJson()
    void recordRxSecond(const QJsonObject &perSecond, qint64 tUs = -1);   // PerSecondRx::toJson()
    void recordEvent(const QString &name, const QString &text = {}, qint64 tUs = -1);
    void record(const Record &r); // any record (tUs as given)

    qint64 recordsWritten() const;
    qint64 recordsLost() const; // after a write error
    QString errorString() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

struct ReadError
{
    qint64 lineNo = 0;
    QString message; // "line 12: field 'dir' must be \"out\" or \"in\", got \"up\""
};

// Timestamps are range-checked as they are read (docs/capture-format.md, "Timestamps"): a line
// with an absurd time is a per-line error, so no later stage ever sees a time jump larger than
// maxSpanUs or a value that could overflow.
constexpr qint64 kMaxTimeUs = 9'000'000'000'000'000; // any timestamp: 0..9e15 µs (~285 years)

struct ReadOptions
{
    bool stopOnError = false;  // false: skip bad lines (each reported), true: stop at the first
    int maxErrorsKept = 100;   // all are counted, the first ones kept
    int maxLineBytes = 8 * 1024 * 1024;
    // A timestamp further than this from the file's first timestamp is refused (a corrupt value,
    // or two recordings joined): 10 days, far beyond any call.
    qint64 maxSpanUs = 10LL * 24 * 3600 * 1'000'000;
    // Going back in time by more than this is refused: captures against the latest timestamp
    // of the file, dumps against the latest one of the same direction. Smaller steps back
    // (writers on several threads) are kept; the replay keeps them in file order.
    qint64 backwardToleranceUs = 1'000'000;
};

// Streams records from a PaceLab capture or a JSON Lines dump. open() sniffs the format.
class CaptureReader
{
public:
    // JsonDump: one media-stream message per line, any provider (TwilioDump: its older name).
    enum class Format { Unknown, PaceLab, TwilioDump, JsonDump = TwilioDump };

    explicit CaptureReader(ReadOptions options = ReadOptions());
    ~CaptureReader();
    CaptureReader(const CaptureReader &) = delete;
    CaptureReader &operator=(const CaptureReader &) = delete;

    bool open(const QString &path);
    bool open(QIODevice *device); // not owned; must be open
    Format format() const;
    QJsonObject header() const; // PaceLab: the header's fields; dump: {"type":"json-dump"}

    // Next record (the header is not returned). nullopt at the end, on a fatal error, or at
    // the first bad line with stopOnError.
    std::optional<Record> next();

    bool atEnd() const;
    QString fatalError() const;          // unusable input (not a capture, newer version, I/O)
    QList<ReadError> errors() const;     // bad lines (first maxErrorsKept)
    qint64 errorCount() const;
    qint64 linesRead() const;
    qint64 bytesRead() const;
    qint64 totalBytes() const;           // -1 unknown (pipe)
    // Dumps: how many messages got no timestamp and were placed 20 ms after the previous one in
    // their direction.
    qint64 assumedTimings() const;
    // The file ends inside a line (the writer was killed mid-write): that line is ignored, not
    // an error. -1 when the file ends cleanly; else the byte offset where the cut line starts.
    qint64 truncatedTailAt() const;
    QStringList notes() const;           // human text on assumptions made and on a cut tail

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pacelab::capture
