#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

class QIODevice;

// The "log doctor": reads per-second sender metrics out of arbitrary log text (the checklist's
// "[TX] fps=50 q=6 drops=0", key: value / key=value variants, JSON lines, inside any logger's
// prefix), groups them by call/stream, and says what is wrong with each stream, ranking the
// causes that fit and citing the lines. Streaming with bounded memory. Module layout:
// MetricParser (one line -> numbers, stream id, timestamp), StreamContext (one stream's
// classified seconds), Detectors (one per failure mode), Wording (every title/cause/fix),
// this file (input handling, grouping, the report), Follower (live verdicts).
// Thresholds and reasoning: docs/log-doctor.md.
namespace pacelab::doctor {

// One parsed metric line (one second of the sender's life).
struct MetricLine
{
    qint64 lineNo = 0;   // 1-based line number in the input
    double fps = 0.0;    // frames sent that second
    double q = -1.0;     // tx queue depth; -1 = not in the line
    double drops = -1.0; // frames dropped that second; -1 = not in the line
    double bound = -1.0; // queue capacity, when logged
    double bytes = -1.0; // bytes sent that second (bytes=), when logged
    double late = -1.0;  // late wake-ups / re-anchors (late=), when logged
    double sq = -1.0;    // socket/send queue depth (sq=), when logged
    double stalled = -1.0; // stalled= flag, when logged
    double t = -1.0;     // timestamp in seconds (any origin), -1 = none on the line
    bool tPrecise = false; // the timestamp has a fraction of a second
    QString stream;      // call/stream id found on the line ("" = none)
    QList<QPair<QString, QString>> extras; // other key/value fields, as written (capped)
    QString text;        // the line, trimmed and capped, for citing

    QJsonObject toJson() const;
};

// What parsing a line gave.
enum class LineKind { Other, Metric, BadValue };
struct ParsedLine
{
    LineKind kind = LineKind::Other;
    MetricLine metric;
    QString badField; // for BadValue: "fps=1e999"
};

// Parses one line; nullopt when it carries no sender metrics (needs fps plus q or drops).
std::optional<MetricLine> parseMetricLine(QByteArrayView line, qint64 lineNo);
// The same, telling a non-metric line from one whose metric value is not a number.
ParsedLine parseLine(QByteArrayView line, qint64 lineNo);

enum class Kind {
    Healthy,
    Idle,
    ProducerTooFast, // q climbs toward the bound while fps stays 50, drops
    FrameSize,       // fps steady far from 50 with an empty queue: frames not 20 ms long
    TwoSenders,      // fps ~100 of full-size frames: two transmit loops on one stream
    SenderStalled,   // fps falls well below 50, q full, drops in runs
    CatchUpBurst,    // a second far above 50 right after one far below: no re-anchoring
    TimerDrift,      // steady deficit/excess, or fps alternating 49/51
    ProducerStarved, // fps below 50 with an empty queue: gaps in the audio
    RateOff,         // several seconds well off 50 fitting no pattern: still a problem
    SporadicDrops,   // drops outside any of the above
    Interleaved,     // lines of several streams mixed without ids
    TooLittleData,
};
QString kindName(Kind k); // "producer-too-fast", ...

enum class Severity { Ok, Info, Warning, Problem };
QString severityName(Severity s); // "ok", "info", "warning", "problem"

struct Evidence
{
    qint64 lineNo = 0;
    QString text;
};

// One cause that fits the numbers (a diagnosis ranks them, best first).
struct Candidate
{
    QString cause;
    QString why; // the figures for (or against) it
};

struct Diagnosis
{
    Kind kind = Kind::Healthy;
    Severity severity = Severity::Ok;
    QString stream;  // the call/stream it is about ("" = the only stream)
    QString title;
    QString detail;  // the figures that triggered it
    QString cause;   // likely cause (the first candidate's)
    QString fix;
    QList<Candidate> candidates; // every cause that fits, ranked
    QString tellApart; // the one extra log field that would tell the candidates apart
    int seconds = 0; // metric lines (seconds) concerned
    QList<Evidence> evidence; // cited lines, in input order

    QJsonObject toJson() const;
};

// A decimated point of the whole series (for plotting any input size).
struct PlotPoint
{
    qint64 lineNo = 0;
    double fps = 0.0;
    double q = -1.0;
    double drops = -1.0;
};

// One call/stream found in the input.
struct StreamSummary
{
    QString id; // "" = lines without an id
    qint64 metricLines = 0;
    qint64 firstLine = 0, lastLine = 0;
    Severity worst = Severity::Ok;
    Kind top = Kind::Healthy;
    QString title; // of its top diagnosis
};

struct Report
{
    bool inputOk = true; // false: unusable input (binary, unreadable); error says why
    QString error;
    QString warning;     // non-fatal note about the input (truncated lines, window only...)
    bool cancelled = false;

    qint64 bytesRead = 0;
    qint64 totalLines = 0;
    qint64 metricLines = 0;
    qint64 truncatedLines = 0; // longer than Limits::maxLineBytes (cut, rest skipped)
    qint64 binaryLines = 0;    // lines with NUL bytes or control garbage, skipped
    qint64 badValueLines = 0;  // metric lines whose value is not a number (fps=NaN, 1e999)
    qint64 firstBadValueLine = 0;
    QString firstBadValue;

    // Summary over every metric line read.
    double fpsMin = 0.0, fpsMax = 0.0, fpsMean = 0.0;
    double qMax = -1.0;
    double dropsTotal = 0.0;

    QList<MetricLine> series; // the last Limits::maxSeries metric lines
    QList<PlotPoint> plot;    // the whole input, decimated to <= Limits::maxPlotPoints
    int plotStride = 1;       // metric lines per plot point

    QList<StreamSummary> streams; // worst first
    QList<Diagnosis> diagnoses;   // most severe first (over every stream)

    bool hasMetrics() const { return metricLines > 0; }
    Severity worst() const;
    // 0 healthy/idle (nothing above Info), 1 a problem or warning, 2 unusable input.
    int exitCode() const;
    QString toText() const;
    QJsonObject toJson() const;
};

struct Limits
{
    int maxLineBytes = 16 * 1024;  // longer lines are cut (and counted)
    int blockLines = 10000;        // metric lines analysed together (memory bound)
    int maxSeries = 10000;         // metric lines kept in Report::series
    int maxPlotPoints = 4000;
    int maxEvidence = 6;           // cited lines per diagnosis
    int maxCitedChars = 240;
    int maxStreams = 256;          // more ids than this share one "(other)" stream
};

// Streaming analyser. Feed data (any chunking) or whole lines, then finish().
class LogDoctor
{
public:
    explicit LogDoctor(Limits limits = Limits());
    ~LogDoctor();
    LogDoctor(const LogDoctor &) = delete;
    LogDoctor &operator=(const LogDoctor &) = delete;

    // Raw bytes as read; the first chunk is sniffed for binary/compressed/UTF-16 input.
    // gzip input is decompressed on the fly.
    void addData(QByteArrayView chunk);
    // One line without its newline (the caller split it).
    void addLine(QByteArrayView line);
    bool failed() const; // unusable input detected: further data is ignored
    // Called for every metric line as it is parsed (the live follower uses it).
    void setMetricObserver(std::function<void(const MetricLine &)> observer);
    // Live input (a followed file, a pipe): the input is sniffed at its first complete line
    // instead of after 4 KiB, so lines are diagnosed as they arrive.
    void setLive(bool live);
    // The report so far, without ending the input (copies the analysis state).
    Report snapshot() const;
    Report finish();

    static Report analyzeText(const QString &text, Limits limits = Limits());
    // Reads until EOF or until *cancel turns true; progress(bytesRead) is called every
    // progressBytes of input when given.
    static Report analyzeDevice(QIODevice *device, Limits limits = Limits(),
                                const std::function<void(qint64)> &progress = {},
                                const std::atomic<bool> *cancel = nullptr,
                                qint64 progressBytes = 8 * 1024 * 1024);
    static Report analyzeFile(const QString &path, Limits limits = Limits(),
                              const std::function<void(qint64)> &progress = {},
                              const std::atomic<bool> *cancel = nullptr);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pacelab::doctor
