#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

class QIODevice;

// The "log doctor": reads per-second sender metrics out of arbitrary log text (the checklist's
// "[TX] fps=50 q=6 drops=0", key: value / key=value variants, JSON lines with the checklist's
// long names) and says what is wrong, citing the lines. Streaming with bounded memory: any
// input size is read line by line; thresholds and reasoning are in docs/log-doctor.md.
namespace pacelab::doctor {

// One parsed metric line (one second of the sender's life).
struct MetricLine
{
    qint64 lineNo = 0;  // 1-based line number in the input
    double fps = 0.0;   // frames sent that second
    double q = -1.0;    // tx queue depth; -1 = not in the line
    double drops = -1.0; // frames dropped that second; -1 = not in the line
    double bound = -1.0; // queue capacity, when logged
    QList<QPair<QString, QString>> extras; // other key/value fields, as written (capped)
    QString text;       // the line, trimmed and capped, for citing

    QJsonObject toJson() const;
};

// Parses one line; nullopt when it carries no sender metrics (needs fps plus q or drops).
std::optional<MetricLine> parseMetricLine(QByteArrayView line, qint64 lineNo);

enum class Kind {
    Healthy,
    Idle,
    ProducerTooFast, // q climbs toward the bound while fps stays 50, drops
    FrameSize,       // fps steady far from 50 with an empty queue: frames not 20 ms long
    SenderStalled,   // fps falls well below 50, q full, drops in runs
    TimerDrift,      // steady deficit/excess, or fps alternating 49/51
    ProducerStarved, // fps below 50 with an empty queue: gaps in the audio
    SporadicDrops,   // drops outside any of the above
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

struct Diagnosis
{
    Kind kind = Kind::Healthy;
    Severity severity = Severity::Ok;
    QString title;
    QString detail;  // the figures that triggered it
    QString cause;   // likely cause
    QString fix;
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

struct Report
{
    bool inputOk = true; // false: unusable input (binary, unreadable); error says why
    QString error;
    QString warning;     // non-fatal note about the input (truncated lines, window only...)

    qint64 bytesRead = 0;
    qint64 totalLines = 0;
    qint64 metricLines = 0;
    qint64 truncatedLines = 0; // longer than Limits::maxLineBytes (cut, rest skipped)
    qint64 binaryLines = 0;    // lines with NUL bytes or control garbage, skipped

    // Summary over every metric line read.
    double fpsMin = 0.0, fpsMax = 0.0, fpsMean = 0.0;
    double qMax = -1.0;
    double dropsTotal = 0.0;

    QList<MetricLine> series; // the last Limits::maxSeries metric lines
    QList<PlotPoint> plot;    // the whole input, decimated to <= Limits::maxPlotPoints
    int plotStride = 1;       // metric lines per plot point

    QList<Diagnosis> diagnoses; // most severe first

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
    void addData(QByteArrayView chunk);
    // One line without its newline (the caller split it).
    void addLine(QByteArrayView line);
    bool failed() const; // binary input detected: further data is ignored
    Report finish();

    static Report analyzeText(const QString &text, Limits limits = Limits());
    // Reads until EOF; progress(bytesRead) is called every few MB when given.
    static Report analyzeDevice(QIODevice *device, Limits limits = Limits(),
                                const std::function<void(qint64)> &progress = {});
    static Report analyzeFile(const QString &path, Limits limits = Limits());

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pacelab::doctor
