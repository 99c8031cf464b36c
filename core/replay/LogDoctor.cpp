#include "LogDoctor.h"

#include <QFile>
#include <QFileInfo>
#include <QIODevice>
#include <QJsonArray>
#include <QMap>
#include <QStringDecoder>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <vector>

namespace pacelab::doctor {

// ---- thresholds (reasoning in docs/log-doctor.md) ---------------------------------------------
namespace {
constexpr double kNominalFps = 50.0;
constexpr double kHealthyTol = 1.0;     // 49..51: a frame crossing the second boundary
constexpr double kBacklogTol = 3.0;     // 47..53: "fps about 50" while the queue backs up
constexpr double kStallFps = 40.0;      // "well below 50": 20 % of the audio missing
constexpr double kLowFps = 45.0;        // under this with an empty queue: audio gaps
constexpr double kHighFps = 55.0;
constexpr double kQueueLow = 10.0;      // checklist: q mostly < 10
constexpr double kDefaultBound = 120.0; // checklist: tx_q = 120
constexpr double kFullFraction = 0.8;
constexpr double kDriftMinDeficit = 0.3;  // fps; 6 ms of audio per second
constexpr double kDriftMinFrames = 4.0;   // deficit x seconds: beyond window-boundary noise
constexpr int kDriftMinSeconds = 8;
constexpr double kSteadyStdDev = 2.0;
constexpr int kFrameSizeMinRun = 5;
constexpr int kStarvedMinRun = 3;
constexpr int kBacklogMinRun = 3;
constexpr double kProducerFastRate = 50.5; // estimated producer frames/s
constexpr int kSniffBytes = 4096;
constexpr int kMaxExtras = 12;

enum class Field { None, Fps, Q, Drops, Bound };

QByteArray normalizeKey(QByteArrayView key)
{
    const qsizetype dot = key.lastIndexOf('.');
    if (dot >= 0 && dot + 1 < key.size())
        key = key.sliced(dot + 1);
    QByteArray out;
    out.reserve(key.size());
    for (char c : key) {
        if (c == '_' || c == '-')
            continue;
        out.append((c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c);
    }
    return out;
}

Field fieldOf(const QByteArray &k)
{
    static const char *const fps[] = {"fps", "framessentlastsec", "framessent", "framespersec",
                                      "framespersecond", "txfps", "sentfps", "framessentpersec",
                                      "framesent", "framessentsec"};
    static const char *const q[] = {"q", "txq", "txqsize", "txqueue", "txqueuesize", "txqdepth",
                                    "queue", "queuesize", "queuedepth", "qsize", "qdepth",
                                    "txqlen", "qlen", "queuelen", "txqueuedepth"};
    static const char *const drops[] = {"drops", "dropslastsec", "dropped", "drop",
                                        "droppedframes", "txdrops", "dropsthissec", "dropcount",
                                        "dropsthissecond", "dropssec"};
    static const char *const bound[] = {"cap", "capacity", "qcap", "bound", "qcapacity",
                                        "maxsize", "queuecapacity", "qmaxsize", "txqcap",
                                        "txqcapacity", "qbound"};
    for (const char *a : fps)
        if (k == a)
            return Field::Fps;
    for (const char *a : q)
        if (k == a)
            return Field::Q;
    for (const char *a : drops)
        if (k == a)
            return Field::Drops;
    for (const char *a : bound)
        if (k == a)
            return Field::Bound;
    return Field::None;
}

// Keys accepted in the bare "fps 50 q 6" form (no '=' or ':'): only unmistakable ones.
bool spacedFormAllowed(const QByteArray &k)
{
    return k == "fps" || k == "q" || k == "drops" || k == "txqsize" || k == "framessentlastsec"
        || k == "dropslastsec";
}

inline bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool isDigit(char c) { return c >= '0' && c <= '9'; }
inline bool isWordChar(char c) { return isAlpha(c) || isDigit(c) || c == '_'; }
inline bool isKeyChar(char c) { return isWordChar(c) || c == '.' || c == '-'; }
inline bool isSpace(char c) { return c == ' ' || c == '\t'; }

QString citeText(QByteArrayView line, int maxChars)
{
    QString s = QString::fromUtf8(line.trimmed());
    if (s.size() > maxChars)
        s = s.left(maxChars - 1) + QChar(0x2026);
    return s;
}

QString fmt(double v)
{
    if (std::abs(v - std::round(v)) < 1e-9)
        return QString::number(qint64(std::llround(v)));
    return QString::number(v, 'f', 1);
}

QString lineRange(qint64 a, qint64 b)
{
    return a == b ? QStringLiteral("line %1").arg(a) : QStringLiteral("lines %1-%2").arg(a).arg(b);
}
} // namespace

std::optional<MetricLine> parseMetricLine(QByteArrayView line, qint64 lineNo)
{
    // The receive side's own lines ("[RX] fps=50 buffered=...") are not sender metrics.
    if (line.contains(QByteArrayView("[RX]")) || line.contains(QByteArrayView("\"rx-second\"")))
        return std::nullopt;

    MetricLine m;
    m.lineNo = lineNo;
    bool haveFps = false, haveQ = false, haveDrops = false;
    const char *s = line.data();
    const qsizetype n = line.size();
    qsizetype i = 0;
    while (i < n) {
        const char c = s[i];
        if (!(isAlpha(c) || c == '_') || (i > 0 && isWordChar(s[i - 1]))) {
            ++i;
            continue;
        }
        qsizetype j = i;
        while (j < n && isKeyChar(s[j]))
            ++j;
        qsizetype keyEnd = j;
        while (keyEnd > i && (s[keyEnd - 1] == '.' || s[keyEnd - 1] == '-'))
            --keyEnd;
        const QByteArrayView rawKey(s + i, keyEnd - i);
        qsizetype k = j;
        if (k < n && (s[k] == '"' || s[k] == '\''))
            ++k; // closing quote of a JSON key
        const qsizetype beforeSpace = k;
        while (k < n && isSpace(s[k]))
            ++k;
        bool sep = false;
        if (k < n && (s[k] == '=' || s[k] == ':')) {
            sep = true;
            ++k;
            while (k < n && isSpace(s[k]))
                ++k;
        }
        const QByteArray key = normalizeKey(rawKey);
        if (!sep && !(k > beforeSpace && spacedFormAllowed(key))) {
            i = j;
            continue;
        }
        if (k < n && (s[k] == '"' || s[k] == '\''))
            ++k;
        const qsizetype numStart = k;
        if (k < n && (s[k] == '-' || s[k] == '+'))
            ++k;
        qsizetype digits = 0;
        while (k < n && isDigit(s[k])) {
            ++k;
            ++digits;
        }
        if (k + 1 < n && s[k] == '.' && isDigit(s[k + 1])) {
            ++k;
            while (k < n && isDigit(s[k]))
                ++k;
        }
        if (digits == 0) {
            i = j;
            continue;
        }
        const QByteArrayView number(s + numStart, k - numStart);
        qsizetype unitEnd = k;
        while (unitEnd < n && unitEnd - k < 6
               && (isAlpha(s[unitEnd]) || s[unitEnd] == '%' || quint8(s[unitEnd]) >= 0x80))
            ++unitEnd;
        // "12:00:01" after a key is a time, not a value: the number must not run on with ':'.
        bool ok = false;
        const double value = number.toByteArray().toDouble(&ok);
        if (ok && std::isfinite(value)) {
            switch (fieldOf(key)) {
            case Field::Fps:
                if (!haveFps) {
                    m.fps = value;
                    haveFps = true;
                }
                break;
            // A negative depth or drop count is no reading (some loggers print -1 for "unknown",
            // which is also this struct's "absent"): skip it, a later field may hold the value.
            case Field::Q:
                if (!haveQ && value >= 0) {
                    m.q = value;
                    haveQ = true;
                }
                break;
            case Field::Drops:
                if (!haveDrops && value >= 0) {
                    m.drops = value;
                    haveDrops = true;
                }
                break;
            case Field::Bound:
                if (m.bound < 0)
                    m.bound = value;
                break;
            case Field::None:
                if (m.extras.size() < kMaxExtras)
                    m.extras.append({QString::fromUtf8(rawKey),
                                     QString::fromUtf8(QByteArrayView(s + numStart, unitEnd - numStart))});
                break;
            }
        }
        i = unitEnd;
    }
    if (!haveFps || !(haveQ || haveDrops) || m.fps < 0 || m.fps > 100000)
        return std::nullopt;
    if (m.q < -1 || m.drops < -1)
        return std::nullopt;
    return m;
}

QJsonObject MetricLine::toJson() const
{
    QJsonObject o{{QStringLiteral("line"), lineNo}, {QStringLiteral("fps"), fps}};
    if (q >= 0)
        o.insert(QStringLiteral("q"), q);
    if (drops >= 0)
        o.insert(QStringLiteral("drops"), drops);
    if (bound >= 0)
        o.insert(QStringLiteral("bound"), bound);
    if (!extras.isEmpty()) {
        QJsonObject e;
        for (const auto &kv : extras)
            e.insert(kv.first, kv.second);
        o.insert(QStringLiteral("extras"), e);
    }
    return o;
}

QString kindName(Kind k)
{
    switch (k) {
    case Kind::Healthy: return QStringLiteral("healthy");
    case Kind::Idle: return QStringLiteral("idle");
    case Kind::ProducerTooFast: return QStringLiteral("producer-too-fast");
    case Kind::FrameSize: return QStringLiteral("frame-size");
    case Kind::SenderStalled: return QStringLiteral("sender-stalled");
    case Kind::TimerDrift: return QStringLiteral("timer-drift");
    case Kind::ProducerStarved: return QStringLiteral("producer-starved");
    case Kind::SporadicDrops: return QStringLiteral("sporadic-drops");
    case Kind::TooLittleData: return QStringLiteral("too-little-data");
    }
    return QStringLiteral("unknown");
}

QString severityName(Severity s)
{
    switch (s) {
    case Severity::Ok: return QStringLiteral("ok");
    case Severity::Info: return QStringLiteral("info");
    case Severity::Warning: return QStringLiteral("warning");
    case Severity::Problem: return QStringLiteral("problem");
    }
    return QStringLiteral("unknown");
}

QJsonObject Diagnosis::toJson() const
{
    QJsonArray ev;
    for (const Evidence &e : evidence)
        ev.append(QJsonObject{{QStringLiteral("line"), e.lineNo}, {QStringLiteral("text"), e.text}});
    return QJsonObject{{QStringLiteral("kind"), kindName(kind)},
                       {QStringLiteral("severity"), severityName(severity)},
                       {QStringLiteral("title"), title},
                       {QStringLiteral("detail"), detail},
                       {QStringLiteral("cause"), cause},
                       {QStringLiteral("fix"), fix},
                       {QStringLiteral("seconds"), seconds},
                       {QStringLiteral("evidence"), ev}};
}

Severity Report::worst() const
{
    Severity w = Severity::Ok;
    for (const Diagnosis &d : diagnoses)
        w = std::max(w, d.severity);
    return w;
}

int Report::exitCode() const
{
    if (!inputOk || metricLines == 0)
        return 2;
    return worst() >= Severity::Warning ? 1 : 0;
}

QString Report::toText() const
{
    QString t;
    if (!inputOk) {
        t += QStringLiteral("pacelab doctor: %1\n").arg(error);
        return t;
    }
    if (metricLines == 0 && bytesRead == 0) {
        t += QStringLiteral("pacelab doctor: the input is empty (0 bytes): nothing to diagnose.\n");
        return t;
    }
    if (metricLines == 0) {
        t += QStringLiteral("pacelab doctor: no metric lines found in %1 line(s).\n").arg(totalLines);
        t += QStringLiteral("Expected per-second sender metrics such as `[TX] fps=50 q=6 drops=0`, "
                            "`fps: 50, q: 6, drops: 0` or JSON lines like "
                            "{\"frames_sent_last_sec\":50,\"tx_q_size\":6,\"drops_last_sec\":0}: "
                            "fps plus q or drops on one line.\n");
        if (binaryLines > 0)
            t += QStringLiteral("(%1 line(s) with binary data were skipped.)\n").arg(binaryLines);
        return t;
    }
    t += QStringLiteral("%1 metric line(s) out of %2 (other lines ignored)\n")
             .arg(metricLines)
             .arg(totalLines);
    t += QStringLiteral("fps min/mean/max %1/%2/%3").arg(fmt(fpsMin), QString::number(fpsMean, 'f', 1), fmt(fpsMax));
    if (qMax >= 0)
        t += QStringLiteral(", q max %1").arg(fmt(qMax));
    t += QStringLiteral(", drops total %1\n").arg(fmt(dropsTotal));
    if (!warning.isEmpty())
        t += QStringLiteral("note: %1\n").arg(warning);
    for (const Diagnosis &d : diagnoses) {
        t += QStringLiteral("\n%1  %2").arg(severityName(d.severity).toUpper(), d.title);
        if (d.seconds > 0)
            t += QStringLiteral("  (%1 s)").arg(d.seconds);
        t += QLatin1Char('\n');
        if (!d.detail.isEmpty())
            t += QStringLiteral("  Seen: %1\n").arg(d.detail);
        if (!d.cause.isEmpty())
            t += QStringLiteral("  Likely cause: %1\n").arg(d.cause);
        if (!d.fix.isEmpty())
            t += QStringLiteral("  Fix: %1\n").arg(d.fix);
        if (!d.evidence.isEmpty()) {
            t += QStringLiteral("  Evidence:\n");
            for (const Evidence &e : d.evidence)
                t += QStringLiteral("    %1: %2\n").arg(e.lineNo, 6).arg(e.text);
        }
    }
    return t;
}

QJsonObject Report::toJson() const
{
    QJsonObject o{{QStringLiteral("inputOk"), inputOk},
                  {QStringLiteral("bytesRead"), bytesRead},
                  {QStringLiteral("totalLines"), totalLines},
                  {QStringLiteral("metricLines"), metricLines},
                  {QStringLiteral("truncatedLines"), truncatedLines},
                  {QStringLiteral("binaryLines"), binaryLines},
                  {QStringLiteral("exitCode"), exitCode()}};
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    if (!warning.isEmpty())
        o.insert(QStringLiteral("warning"), warning);
    if (metricLines > 0) {
        o.insert(QStringLiteral("fps"), QJsonObject{{QStringLiteral("min"), fpsMin},
                                                    {QStringLiteral("mean"), fpsMean},
                                                    {QStringLiteral("max"), fpsMax}});
        o.insert(QStringLiteral("qMax"), qMax);
        o.insert(QStringLiteral("dropsTotal"), dropsTotal);
    }
    QJsonArray diags;
    for (const Diagnosis &d : diagnoses)
        diags.append(d.toJson());
    o.insert(QStringLiteral("diagnoses"), diags);
    QJsonArray series;
    for (const MetricLine &m : this->series)
        series.append(m.toJson());
    o.insert(QStringLiteral("series"), series);
    o.insert(QStringLiteral("seriesComplete"), qint64(this->series.size()) == metricLines);
    return o;
}

// ---- analysis of one block of consecutive metric lines ----------------------------------------

namespace {

enum class St { Idle, Stall, Backlog, LowEmpty, HighFps, Good, Other };

struct BlockResult
{
    QList<Diagnosis> diagnoses;
    qint64 active = 0;   // non-idle seconds
    qint64 interior = 0; // active and not at the edge of a stretch
    qint64 good = 0;     // interior seconds at fps 49..51, q < 10, no drops
    qint64 idle = 0;
    qint64 qLow = 0;     // active seconds with q < 10 (or q unknown)
    double bound = kDefaultBound;
    bool boundKnown = false;
};

class BlockAnalyzer
{
public:
    BlockAnalyzer(const std::vector<MetricLine> &s, const Limits &lim) : s(s), lim(lim) {}

    BlockResult run();

private:
    double qOf(size_t i) const { return s[i].q < 0 ? 0.0 : s[i].q; }
    bool hasQ(size_t i) const { return s[i].q >= 0; }
    double dropsOf(size_t i) const { return s[i].drops < 0 ? 0.0 : s[i].drops; }
    bool isIdle(size_t i) const { return s[i].fps <= 0 && qOf(i) <= 0 && dropsOf(i) <= 0; }
    bool full(size_t i) const { return hasQ(i) && qOf(i) >= fullLevel; }

    // Cited lines for a run [a, b]: the line before it, its start, worst, first drop, end.
    QList<Evidence> evidenceFor(size_t a, size_t b, size_t worst, bool withContext = true) const;
    void addEvidence(QList<Evidence> &list, size_t i) const;

    void findStalls();
    void findBacklog();
    void findFrameSizeAndStarvation();
    void findDrift();
    void findDrops();

    const std::vector<MetricLine> &s;
    const Limits &lim;
    std::vector<St> st;
    std::vector<bool> edge;
    std::vector<bool> explained; // second already covered by a diagnosis with drops
    double bound = kDefaultBound;
    bool boundKnown = false;
    QString boundText;
    double fullLevel = kDefaultBound * kFullFraction;
    bool driftSlow = false;
    BlockResult res;
};

void BlockAnalyzer::addEvidence(QList<Evidence> &list, size_t i) const
{
    for (const Evidence &e : list)
        if (e.lineNo == s[i].lineNo)
            return;
    if (list.size() >= lim.maxEvidence)
        return;
    list.append(Evidence{s[i].lineNo, s[i].text});
}

QList<Evidence> BlockAnalyzer::evidenceFor(size_t a, size_t b, size_t worst, bool withContext) const
{
    QList<Evidence> ev;
    if (withContext && a > 0)
        addEvidence(ev, a - 1);
    addEvidence(ev, a);
    addEvidence(ev, worst);
    for (size_t i = a; i <= b; ++i)
        if (dropsOf(i) > 0) {
            addEvidence(ev, i);
            break;
        }
    addEvidence(ev, b);
    std::sort(ev.begin(), ev.end(), [](const Evidence &x, const Evidence &y) { return x.lineNo < y.lineNo; });
    return ev;
}

BlockResult BlockAnalyzer::run()
{
    const size_t n = s.size();
    // The queue's bound: logged, else inferred from where drops happen, else the checklist's.
    double logged = -1, qAtDrop = -1;
    for (size_t i = 0; i < n; ++i) {
        logged = std::max(logged, s[i].bound);
        if (dropsOf(i) > 0 && hasQ(i))
            qAtDrop = std::max(qAtDrop, qOf(i));
    }
    if (logged > 0) {
        bound = logged;
        boundKnown = true;
        boundText = QStringLiteral("the logged bound %1").arg(fmt(bound));
    } else if (qAtDrop >= 5) {
        bound = qAtDrop;
        boundKnown = true;
        boundText = QStringLiteral("~%1, where drops happen").arg(fmt(bound));
    } else {
        boundText = QStringLiteral("the checklist's %1").arg(fmt(bound));
    }
    fullLevel = std::max(5.0, bound * kFullFraction);
    res.bound = bound;
    res.boundKnown = boundKnown;

    st.assign(n, St::Other);
    edge.assign(n, false);
    explained.assign(n, false);
    for (size_t i = 0; i < n; ++i) {
        const double f = s[i].fps, qq = qOf(i), dr = dropsOf(i);
        const bool qRising = hasQ(i) && i > 0 && hasQ(i - 1) && qq >= kQueueLow && qq > qOf(i - 1);
        if (isIdle(i))
            st[i] = St::Idle;
        else if (f < kStallFps && (full(i) || dr > 0 || (f <= 0 && qq > 0) || qRising))
            st[i] = St::Stall;
        else if (std::abs(f - kNominalFps) <= kBacklogTol && (full(i) || dr > 0 || qq >= kQueueLow))
            st[i] = St::Backlog;
        else if (f < kLowFps && qq <= 2 && dr <= 0)
            st[i] = St::LowEmpty;
        else if (f > kHighFps && dr <= 0 && !full(i))
            st[i] = St::HighFps;
        else if (std::abs(f - kNominalFps) <= kHealthyTol && qq < kQueueLow && dr <= 0)
            st[i] = St::Good;
    }
    // Seconds at the start or end of a talk stretch (or of the log) are partial: speech began or
    // ended inside them, so their fps says nothing about pacing.
    for (size_t i = 0; i < n; ++i) {
        if (st[i] == St::Idle) {
            ++res.idle;
            continue;
        }
        ++res.active;
        if (qOf(i) < kQueueLow)
            ++res.qLow;
        edge[i] = (i == 0 || st[i - 1] == St::Idle || i + 1 == n || st[i + 1] == St::Idle);
        if (!edge[i]) {
            ++res.interior;
            if (st[i] == St::Good)
                ++res.good;
        }
    }

    findStalls();
    findDrift(); // before backlog: a slow sender explains a growing queue
    findBacklog();
    findFrameSizeAndStarvation();
    findDrops();
    return res;
}

// Calls fn(first, last) for every maximal run of `state` in `states`.
template <typename States, typename State, typename Fn>
static void forEachRun(const States &states, State state, Fn fn)
{
    const size_t n = states.size();
    for (size_t i = 0; i < n;) {
        if (states[i] != state) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j + 1 < n && states[j + 1] == state)
            ++j;
        fn(i, j);
        i = j + 1;
    }
}

void BlockAnalyzer::findStalls()
{
    int runs = 0, seconds = 0, longest = 0;
    double minFps = 1e9, maxQ = 0, drops = 0;
    size_t firstA = 0, firstB = 0, worst = 0;
    bool have = false;
    forEachRun(st, St::Stall, [&](size_t i, size_t j) {
        const int len = int(j - i + 1);
        size_t w = i;
        for (size_t k = i; k <= j; ++k)
            if (s[k].fps < s[w].fps)
                w = k;
        // One second is enough when it is deep, or when the queue overflowed meanwhile: a
        // blocked loop also blocks its own telemetry, so one line may stand for several seconds.
        bool overflowed = false;
        for (size_t k = i; k <= j; ++k)
            overflowed = overflowed || (full(k) && dropsOf(k) > 0);
        if (len >= 2 || s[w].fps <= 25 || overflowed) {
            ++runs;
            seconds += len;
            for (size_t k = i; k <= j; ++k) {
                maxQ = std::max(maxQ, qOf(k));
                drops += dropsOf(k);
                explained[k] = true;
            }
            if (!have || len > longest) {
                firstA = i;
                firstB = j;
                worst = w;
                have = true;
            }
            longest = std::max(longest, len);
            minFps = std::min(minFps, s[w].fps);
        }
    });
    if (!have)
        return;
    Diagnosis d;
    d.kind = Kind::SenderStalled;
    d.severity = Severity::Problem;
    d.title = QStringLiteral("Sender stalled / socket back-pressure");
    d.seconds = seconds;
    d.detail = QStringLiteral("%1 stall(s), longest %2 s (%3): fps fell to %4 while q rose to %5 "
                              "(bound %6); %7 frame(s) dropped meanwhile.")
                   .arg(runs)
                   .arg(longest)
                   .arg(lineRange(s[firstA].lineNo, s[firstB].lineNo))
                   .arg(fmt(minFps))
                   .arg(fmt(maxQ))
                   .arg(boundText)
                   .arg(fmt(drops));
    d.cause = QStringLiteral(
        "the transmit loop stopped taking frames although audio was queued: the WebSocket write "
        "blocked (the peer or a proxy reads too slowly, or the network stalled), or the send task "
        "was blocked (a synchronous call, a long GC pause or a CPU-starved event loop in the "
        "same thread/loop as the sender). A blocked loop also delays its own telemetry, so one "
        "line may cover several seconds.");
    d.fix = QStringLiteral(
        "keep the sender alone on its thread/loop and never block it (no synchronous TTS/HTTP "
        "calls there); bound the socket's write buffer and log bytesToWrite to tell a slow peer "
        "from a blocked loop; keep the ping every 15-20 s so a dead connection is found; with "
        "drop-oldest the queue recovers by itself once the socket drains.");
    d.evidence = evidenceFor(firstA, firstB, worst);
    res.diagnoses.append(d);
}

void BlockAnalyzer::findDrift()
{
    const size_t n = s.size();
    std::vector<size_t> paced;
    for (size_t i = 0; i < n; ++i) {
        if (edge[i] || st[i] == St::Idle || st[i] == St::Stall)
            continue;
        const double f = s[i].fps;
        if (f < kLowFps - 1 || f > kHighFps + 1)
            continue;
        // A short second that ends with an empty queue may be the producer's fault, not the
        // pacer's: leave it out.
        if (hasQ(i) && qOf(i) < 1 && f < kNominalFps - 0.5)
            continue;
        paced.push_back(i);
    }
    const int N = int(paced.size());
    if (N < kDriftMinSeconds)
        return;
    // The rate is the pacer's only while audio waits for it: a second that ends with an empty
    // queue shows the producer's rate, whether it reads 49 or 51. Leaving out only the short ones
    // (as paced does) biased every q=0 log with boundary wobble toward "faster" or "49/51".
    double sum = 0;
    int below = 0, above = 0, queued = 0, offByOne = 0, exact = 0;
    for (size_t i : paced) {
        if (hasQ(i) && qOf(i) < 1)
            continue;
        const double f = s[i].fps;
        sum += f;
        below += f < kNominalFps - 0.05;
        above += f > kNominalFps + 0.05;
        const double r = std::round(f);
        offByOne += (std::abs(r - kNominalFps) == 1.0);
        exact += (r == kNominalFps);
        ++queued;
    }
    if (queued < kDriftMinSeconds)
        return;
    const double mean = sum / queued;
    const double deficit = kNominalFps - mean;
    Diagnosis d;
    d.kind = Kind::TimerDrift;
    d.seconds = queued;
    const size_t a = paced.front(), b = paced.back();
    size_t worst = a;
    for (size_t i : paced)
        if (std::abs(s[i].fps - kNominalFps) > std::abs(s[worst].fps - kNominalFps))
            worst = i;
    if (std::abs(deficit) >= kDriftMinDeficit && std::abs(deficit) * queued >= kDriftMinFrames
        && (deficit > 0 ? below >= 2 * above : above >= 2 * below)) {
        const double msPerSec = std::abs(deficit) * 20.0;
        const double ppm = -deficit / kNominalFps * 1e6;
        d.severity = std::abs(deficit) >= 0.5 ? Severity::Problem : Severity::Warning;
        if (deficit > 0) {
            driftSlow = true;
            d.title = QStringLiteral("Timer drift: the sender runs slower than real time");
            d.detail = QStringLiteral("over %1 s with audio queued (%2), fps averaged %3 instead of 50: "
                                      "%4 ms of audio lost per second (%5 ppm, %6 s per minute); "
                                      "the caller's buffer empties and the queue grows.")
                           .arg(queued)
                           .arg(lineRange(s[a].lineNo, s[b].lineNo))
                           .arg(mean, 0, 'f', 2)
                           .arg(msPerSec, 0, 'f', 1)
                           .arg(qRound64(ppm))
                           .arg(msPerSec * 60 / 1000, 0, 'f', 2);
            d.cause = QStringLiteral(
                "the transmit loop sleeps a fixed 20 ms after each send (sleep(0.02)) instead of "
                "waiting for an absolute deadline, so every send's own time and every oversleep "
                "add up; or a frame interval slightly above 20 ms.");
        } else {
            d.title = QStringLiteral("Timer drift: the sender runs faster than real time");
            d.detail = QStringLiteral("over %1 s (%2), fps averaged %3 instead of 50: %4 ms of audio "
                                      "ahead per second (+%5 ppm); the caller's buffer grows, so "
                                      "latency and barge-in delay grow.")
                           .arg(queued)
                           .arg(lineRange(s[a].lineNo, s[b].lineNo))
                           .arg(mean, 0, 'f', 2)
                           .arg(msPerSec, 0, 'f', 1)
                           .arg(qRound64(ppm));
            d.cause = QStringLiteral(
                "the pacer's interval is shorter than 20 ms, or it catches up after late wake-ups "
                "without bound (sending every missed frame at once).");
        }
        d.fix = QStringLiteral(
            "pace on a monotonic absolute deadline: next_deadline += 0.020; sleep(next_deadline - "
            "now) when positive; if it is already past by several frames, re-anchor next_deadline "
            "to now (checklist, step 2).");
    } else if (std::abs(deficit) < kDriftMinDeficit && offByOne * 2 >= queued && exact * 100 <= queued * 35) {
        d.severity = Severity::Warning;
        d.title = QStringLiteral("Timer jitter: fps alternates 49/51");
        d.detail = QStringLiteral("%1 of %2 seconds with audio queued were 49 or 51 and only %3 "
                                  "exactly 50 (%4): the average rate is right but frames keep "
                                  "crossing the second boundary, i.e. they leave late and then catch up.")
                       .arg(offByOne)
                       .arg(queued)
                       .arg(exact)
                       .arg(lineRange(s[a].lineNo, s[b].lineNo));
        d.cause = QStringLiteral(
            "coarse or late timer wake-ups (sleep granularity, a busy event loop) make the loop "
            "send a frame late and the next one early; a fixed-sleep pacer that corrects itself "
            "from time to time looks the same.");
        d.fix = QStringLiteral(
            "pace on absolute deadlines with a precise final wait (sleep until ~1-2 ms before, "
            "then a short precise wait), keep the sender's loop free of other work, and log the "
            "p99 lateness to confirm.");
    } else {
        return;
    }
    d.evidence = evidenceFor(a, std::min(b, a + 2), worst, false);
    addEvidence(d.evidence, b);
    std::sort(d.evidence.begin(), d.evidence.end(), [](const Evidence &x, const Evidence &y) { return x.lineNo < y.lineNo; });
    res.diagnoses.append(d);
}

void BlockAnalyzer::findBacklog()
{
    int problemRuns = 0, warnRuns = 0, seconds = 0;
    double dropsAll = 0, qMaxAll = 0;
    size_t bestA = 0, bestB = 0, bestWorst = 0;
    double bestScore = -1;
    bool problem = false;
    QString bestFigures;
    forEachRun(st, St::Backlog, [&](size_t i, size_t j) {
        const int len = int(j - i + 1);
        if (len >= kBacklogMinRun) {
            const double qStart = (i > 0 && hasQ(i - 1)) ? qOf(i - 1) : qOf(i);
            double fpsSum = 0, drops = 0, qMax = 0;
            size_t w = i;
            for (size_t k = i; k <= j; ++k) {
                fpsSum += s[k].fps;
                drops += dropsOf(k);
                if (qOf(k) > qMax) {
                    qMax = qOf(k);
                    w = k;
                }
            }
            // Frames the producer pushed per second: sent + queue growth + dropped.
            const double rate = (fpsSum + (qOf(j) - qStart) + drops) / len;
            const bool reachesFull = qMax >= fullLevel;
            // A queue that merely stays full (rate ~50) is a warning: back-pressure holding a
            // producer at the limit, or a queue that never drained after a stall.
            const bool runProblem = (drops > 0 && rate > kProducerFastRate)
                || (reachesFull && rate > kProducerFastRate)
                || (qOf(j) - qStart >= kQueueLow && rate >= kProducerFastRate + 0.5);
            const bool explainedByDrift = driftSlow && rate <= kProducerFastRate;
            if (runProblem || !explainedByDrift) {
                problem = problem || runProblem;
                runProblem ? ++problemRuns : ++warnRuns;
                seconds += len;
                dropsAll += drops;
                qMaxAll = std::max(qMaxAll, qMax);
                for (size_t k = i; k <= j; ++k)
                    explained[k] = true;
                const double score = (runProblem ? 1e9 : 0) + drops * 1000 + qMax * 10 + len;
                if (score > bestScore) {
                    bestScore = score;
                    bestA = i;
                    bestB = j;
                    bestWorst = w;
                    bestFigures = QStringLiteral("q went from %1 to %2 (bound %3) over %4 s (%5) "
                                                 "while fps averaged %6; %7 frame(s) dropped; the "
                                                 "producer pushed ~%8 frames/s.")
                                      .arg(fmt(qStart))
                                      .arg(fmt(qMax))
                                      .arg(boundText)
                                      .arg(len)
                                      .arg(lineRange(s[i].lineNo, s[j].lineNo))
                                      .arg(fpsSum / len, 0, 'f', 1)
                                      .arg(fmt(drops))
                                      .arg(rate, 0, 'f', 1);
                }
            }
        }
    });
    if (problemRuns + warnRuns == 0)
        return;
    Diagnosis d;
    d.kind = Kind::ProducerTooFast;
    d.seconds = seconds;
    if (problem) {
        d.severity = Severity::Problem;
        d.title = QStringLiteral("Producer faster than real time");
        d.detail = bestFigures
            + QStringLiteral(" In all: %1 stretch(es), %2 frame(s) dropped, q up to %3 (%4 ms of "
                             "queued speech).")
                  .arg(problemRuns + warnRuns)
                  .arg(fmt(dropsAll))
                  .arg(fmt(qMaxAll))
                  .arg(fmt(qMaxAll * 20));
        d.cause = QStringLiteral(
            "TTS (or another producer) pushes audio faster than 50 frames/s and nothing slows it "
            "down: the sender is right at 50 fps, so the surplus piles up in the queue and, with "
            "drop-oldest, is thrown away (the caller hears skipped words). Frames shorter than "
            "20 ms (e.g. 80 B = 10 ms) look the same: more frames than the clock can send.");
        d.fix = QStringLiteral(
            "let the producer wait for room (blocking put / back-pressure at a high-water mark "
            "well below the bound, e.g. 60) instead of drop-oldest for TTS; keep drop-oldest only "
            "for real-time sources; make every frame exactly 160 B mu-law; flush the queue on "
            "barge-in (clear).");
    } else {
        d.severity = Severity::Warning;
        d.title = QStringLiteral("Queue stays high: producer ahead of real time");
        d.detail = bestFigures
            + QStringLiteral(" q >= 10 for %1 s in all: each queued frame is 20 ms of delay "
                             "before the caller hears it.")
                  .arg(seconds);
        d.cause = QStringLiteral(
            "the producer runs ahead of the 50 fps clock and back-pressure holds it at the queue "
            "limit, or the queue filled during a stall and a real-time producer keeps it there: "
            "nothing is lost, but speech waits in the queue (latency, slow barge-in).");
        d.fix = QStringLiteral(
            "lower the producer's high-water mark (aim for q < 10 most of the time, checklist "
            "step 4) and clear the queue on barge-in.");
    }
    d.evidence = evidenceFor(bestA, bestB, bestWorst);
    res.diagnoses.append(d);
}

void BlockAnalyzer::findFrameSizeAndStarvation()
{
    const size_t n = s.size();
    bool frameFound = false, starvedFound = false;
    Diagnosis frame, starved;
    for (size_t i = 0; i < n;) {
        const bool cand = !edge[i] && (st[i] == St::LowEmpty || st[i] == St::HighFps);
        if (!cand) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j + 1 < n && !edge[j + 1] && (st[j + 1] == St::LowEmpty || st[j + 1] == St::HighFps))
            ++j;
        const int len = int(j - i + 1);
        double sum = 0, sq = 0;
        for (size_t k = i; k <= j; ++k) {
            sum += s[k].fps;
            sq += s[k].fps * s[k].fps;
        }
        const double mean = sum / len;
        const double sd = std::sqrt(std::max(0.0, sq / len - mean * mean));
        size_t w = i;
        for (size_t k = i; k <= j; ++k)
            if (std::abs(s[k].fps - kNominalFps) > std::abs(s[w].fps - kNominalFps))
                w = k;
        if (len >= kFrameSizeMinRun && sd <= kSteadyStdDev && (mean <= kLowFps || mean >= kHighFps)) {
            const double frameMs = 20.0 * kNominalFps / mean;
            if (!frameFound) {
                frame.kind = Kind::FrameSize;
                frame.severity = Severity::Problem;
                frame.title = mean < kNominalFps ? QStringLiteral("Frames too big (fps steady well below 50)")
                                                 : QStringLiteral("Frames too small (fps steady well above 50)");
                frame.detail = QStringLiteral("fps held at %1 (±%2) for %3 s (%4) with an empty queue "
                                              "and no drops: the audio clock is fine, so each frame "
                                              "must carry ~%5 ms of audio (~%6 B mu-law) instead of "
                                              "20 ms / 160 B.")
                                   .arg(mean, 0, 'f', 1)
                                   .arg(sd, 0, 'f', 1)
                                   .arg(len)
                                   .arg(lineRange(s[i].lineNo, s[j].lineNo))
                                   .arg(qRound(frameMs))
                                   .arg(qRound(frameMs * 8));
                frame.cause = mean < kNominalFps
                    ? QStringLiteral("the audio is cut into chunks longer than 20 ms (e.g. 320 B = "
                                     "40 ms, or 320 B of PCM16 treated as mu-law); Twilio accepts "
                                     "them, but the per-frame pacing and the fps figures no longer "
                                     "mean what they should.")
                    : QStringLiteral("the audio is cut into chunks shorter than 20 ms (e.g. 80 B = "
                                     "10 ms) and sent as they come, so the sender is not pacing "
                                     "20 ms frames at all.");
                frame.fix = QStringLiteral(
                    "cut the audio into exactly 20 ms: 160 B of 8 kHz mu-law (320 B of PCM16 "
                    "before conversion), carrying the remainder to the next chunk (checklist, "
                    "step 5).");
                frame.evidence = evidenceFor(i, j, w);
                frameFound = true;
            }
            frame.seconds += len;
        } else if (len >= kStarvedMinRun) {
            if (mean < kNominalFps) {
                if (!starvedFound) {
                    starved.kind = Kind::ProducerStarved;
                    starved.severity = Severity::Warning;
                    starved.title = QStringLiteral("Producer too slow: gaps in the audio");
                    starved.detail = QStringLiteral("fps %1-%2 (mean %3) for %4 s (%5) with the queue "
                                                    "empty: the sender had nothing to send.")
                                         .arg(fmt(mean - sd < 0 ? 0 : std::floor(mean - sd)))
                                         .arg(fmt(std::ceil(mean + sd)))
                                         .arg(mean, 0, 'f', 1)
                                         .arg(len)
                                         .arg(lineRange(s[i].lineNo, s[j].lineNo));
                    starved.cause = QStringLiteral(
                        "the producer (TTS, file reader, upstream stream) delivers audio slower "
                        "than real time, so the caller hears gaps even though the sender is fine.");
                    starved.fix = QStringLiteral(
                        "start sending only after a small lead is buffered (e.g. 100-200 ms), "
                        "stream TTS faster than real time with back-pressure, or send comfort "
                        "silence so the gaps are at least clean.");
                    starved.evidence = evidenceFor(i, j, w);
                    starvedFound = true;
                }
                starved.seconds += len;
            } else {
                if (!frameFound) {
                    frame.kind = Kind::FrameSize;
                    frame.severity = Severity::Problem;
                    frame.title = QStringLiteral("Unpaced sending: fps well above 50");
                    frame.detail = QStringLiteral("fps %1 on average (irregular, ±%2) for %3 s (%4) "
                                                  "with an empty queue.")
                                       .arg(mean, 0, 'f', 1)
                                       .arg(sd, 0, 'f', 1)
                                       .arg(len)
                                       .arg(lineRange(s[i].lineNo, s[j].lineNo));
                    frame.cause = QStringLiteral(
                        "frames leave as soon as they are produced (no 20 ms clock), or they are "
                        "shorter than 20 ms: Twilio's buffer fills faster than it plays.");
                    frame.fix = QStringLiteral(
                        "send through one paced loop at exactly one 160 B frame per 20 ms "
                        "(checklist, steps 1, 2 and 5).");
                    frame.evidence = evidenceFor(i, j, w);
                    frameFound = true;
                }
                frame.seconds += len;
            }
        }
        i = j + 1;
    }
    if (frameFound)
        res.diagnoses.append(frame);
    if (starvedFound)
        res.diagnoses.append(starved);
}

void BlockAnalyzer::findDrops()
{
    const size_t n = s.size();
    int seconds = 0, longest = 0;
    double drops = 0;
    size_t a = 0, b = 0, worst = 0;
    bool have = false;
    for (size_t i = 0; i < n;) {
        if (explained[i] || dropsOf(i) <= 0) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j + 1 < n && !explained[j + 1] && dropsOf(j + 1) > 0)
            ++j;
        const int len = int(j - i + 1);
        size_t w = i;
        for (size_t k = i; k <= j; ++k) {
            drops += dropsOf(k);
            if (dropsOf(k) > dropsOf(w))
                w = k;
        }
        seconds += len;
        if (!have || len > longest) {
            a = i;
            b = j;
            worst = w;
            have = true;
            longest = len;
        }
        i = j + 1;
    }
    if (!have)
        return;
    Diagnosis d;
    d.kind = Kind::SporadicDrops;
    d.seconds = seconds;
    d.severity = longest >= 2 ? Severity::Warning : Severity::Info;
    d.title = longest >= 2 ? QStringLiteral("Drops in runs") : QStringLiteral("A few isolated drops");
    d.detail = QStringLiteral("%1 frame(s) dropped in %2 second(s); longest run %3 s (%4).")
                   .arg(fmt(drops))
                   .arg(seconds)
                   .arg(longest)
                   .arg(lineRange(s[a].lineNo, s[b].lineNo));
    d.cause = longest >= 2
        ? QStringLiteral("the queue overflowed for several seconds in a row: a producer burst "
                         "larger than the queue, or short sender hiccups.")
        : QStringLiteral("a short burst overflowed the queue; the checklist tolerates a few drops "
                         "under short load, not a run of them.");
    d.fix = QStringLiteral("if it recurs, give bursty producers back-pressure (blocking put) and "
                           "check the sender's loop for blocking work.");
    d.evidence = evidenceFor(a, b, worst);
    res.diagnoses.append(d);
}

} // namespace

// ---- streaming -------------------------------------------------------------------------------

struct LogDoctor::Private
{
    Limits lim;
    bool sniffed = false;
    bool failed = false;
    QString error;
    QByteArray sniffBuf;
    std::optional<QStringDecoder> utf16;
    QString encodingNote;

    QByteArray carry;
    bool carryOverlong = false;
    qint64 bytesRead = 0;
    qint64 lineNo = 0;
    qint64 metricLines = 0;
    qint64 truncated = 0;
    qint64 binaryLines = 0;

    std::vector<MetricLine> block;
    std::deque<MetricLine> tail;
    QList<PlotPoint> plot;
    int stride = 1;
    PlotPoint bucket;
    int bucketCount = 0;

    double fpsMin = 0, fpsMax = 0, fpsSum = 0, qMax = -1, dropsTotal = 0;

    QMap<int, Diagnosis> found; // by Kind
    qint64 active = 0, interior = 0, good = 0, idle = 0, qLow = 0;
    int blocks = 0;

    void sniff();
    void feedText(QByteArrayView data);
    void processLine(QByteArrayView line);
    void addMetric(MetricLine &&m);
    void analyzeBlock();
    void pushPlot(const PlotPoint &p);
};

static PlotPoint mergePoints(const PlotPoint &a, const PlotPoint &b)
{
    // Keep what a plot must not hide: the dip in fps, the peak in q, every drop.
    PlotPoint p = a;
    p.fps = std::min(a.fps, b.fps);
    p.q = std::max(a.q, b.q);
    p.drops = (a.drops < 0 && b.drops < 0) ? -1 : std::max(0.0, a.drops) + std::max(0.0, b.drops);
    return p;
}

void LogDoctor::Private::pushPlot(const PlotPoint &p)
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

void LogDoctor::Private::sniff()
{
    sniffed = true;
    const QByteArray &b = sniffBuf;
    auto starts = [&](const char *magic, int len) { return b.size() >= len && std::memcmp(b.constData(), magic, len) == 0; };
    if (starts("\x1f\x8b", 2)) {
        error = QStringLiteral("the input is gzip-compressed: decompress it first (e.g. `zcat FILE | pacelab doctor -`).");
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
        const void *hit = std::memchr(p + pos, '\n', size_t(n - pos));
        const qsizetype end = hit ? static_cast<const char *>(hit) - p : n;
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
    if (line.endsWith('\r'))
        line.chop(1);
    if (std::memchr(line.data(), '\0', size_t(line.size()))) {
        ++binaryLines;
        return;
    }
    std::optional<MetricLine> m = parseMetricLine(line, lineNo);
    if (!m)
        return;
    m->text = citeText(line, lim.maxCitedChars);
    addMetric(std::move(*m));
}

void LogDoctor::Private::addMetric(MetricLine &&m)
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
    block.push_back(std::move(m));
    if (qsizetype(block.size()) >= lim.blockLines)
        analyzeBlock();
}

void LogDoctor::Private::analyzeBlock()
{
    if (block.empty())
        return;
    BlockAnalyzer an(block, lim);
    const BlockResult r = an.run();
    ++blocks;
    active += r.active;
    interior += r.interior;
    good += r.good;
    idle += r.idle;
    qLow += r.qLow;
    for (const Diagnosis &d : r.diagnoses) {
        auto it = found.find(int(d.kind));
        if (it == found.end()) {
            found.insert(int(d.kind), d);
        } else {
            const int seconds = it->seconds + d.seconds;
            if (d.severity > it->severity)
                *it = d; // keep the evidence of the worst occurrence
            it->seconds = seconds;
        }
    }
    block.clear();
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
}

LogDoctor::~LogDoctor() = default;

bool LogDoctor::failed() const
{
    return d->failed;
}

void LogDoctor::addData(QByteArrayView chunk)
{
    if (d->failed || chunk.isEmpty())
        return;
    d->bytesRead += chunk.size();
    if (!d->sniffed) {
        d->sniffBuf.append(chunk);
        if (d->sniffBuf.size() >= kSniffBytes)
            d->sniff();
        return;
    }
    if (d->utf16)
        d->feedText(QString(d->utf16->decode(chunk)).toUtf8());
    else
        d->feedText(chunk);
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

Report LogDoctor::finish()
{
    Report r;
    if (!d->sniffed && !d->failed && !d->sniffBuf.isEmpty())
        d->sniff();
    if (!d->failed && (!d->carry.isEmpty() || d->carryOverlong)) {
        if (d->carryOverlong)
            ++d->truncated;
        d->processLine(d->carry);
        d->carry.clear();
        d->carryOverlong = false;
    }
    r.bytesRead = d->bytesRead;
    if (d->failed) {
        r.inputOk = false;
        r.error = d->error;
        return r;
    }
    d->analyzeBlock();

    r.totalLines = d->lineNo;
    r.metricLines = d->metricLines;
    r.truncatedLines = d->truncated;
    r.binaryLines = d->binaryLines;
    r.fpsMin = d->fpsMin;
    r.fpsMax = d->fpsMax;
    r.fpsMean = d->metricLines ? d->fpsSum / d->metricLines : 0.0;
    r.qMax = d->qMax;
    r.dropsTotal = d->dropsTotal;
    r.series = QList<MetricLine>(d->tail.begin(), d->tail.end());
    r.plot = d->plot;
    if (d->bucketCount > 0) {
        // The unfinished last bucket: a point of its own while there is room, else merged into
        // the last point, so the plot stays within maxPlotPoints.
        if (r.plot.size() < d->lim.maxPlotPoints)
            r.plot.append(d->bucket);
        else
            r.plot.last() = mergePoints(r.plot.last(), d->bucket);
    }
    r.plotStride = d->stride;

    QStringList notes;
    if (!d->encodingNote.isEmpty())
        notes << d->encodingNote;
    if (d->truncated > 0)
        notes << QStringLiteral("%1 line(s) longer than %2 bytes were cut").arg(d->truncated).arg(d->lim.maxLineBytes);
    if (d->binaryLines > 0)
        notes << QStringLiteral("%1 line(s) with binary data skipped").arg(d->binaryLines);
    if (d->metricLines > qint64(r.series.size()))
        notes << QStringLiteral("series kept for the last %1 of %2 metric lines (plot decimated x%3); "
                                "the diagnosis covers all of them")
                     .arg(r.series.size())
                     .arg(d->metricLines)
                     .arg(d->stride);
    r.warning = notes.join(QStringLiteral("; "));

    if (d->metricLines == 0)
        return r;

    for (const Diagnosis &dg : std::as_const(d->found))
        r.diagnoses.append(dg);
    bool flagged = false;
    for (const Diagnosis &dg : std::as_const(r.diagnoses))
        flagged = flagged || dg.severity >= Severity::Warning;

    if (!flagged) {
        Diagnosis h;
        if (d->active == 0) {
            h.kind = Kind::Idle;
            h.severity = Severity::Ok;
            h.title = QStringLiteral("Idle");
            h.detail = QStringLiteral("all %1 metric line(s) show fps 0 with an empty queue: nothing "
                                      "was being said.")
                           .arg(d->metricLines);
            h.seconds = int(d->idle);
        } else if (d->active < 3) {
            h.kind = Kind::TooLittleData;
            h.severity = Severity::Info;
            h.title = QStringLiteral("Too little data to judge");
            h.detail = QStringLiteral("only %1 second(s) with audio; give at least 10-15 lines taken "
                                      "while the bot speaks.")
                           .arg(d->active);
            h.seconds = int(d->active);
        } else {
            const double goodPct = d->interior ? 100.0 * d->good / d->interior : 0.0;
            const double qLowPct = 100.0 * d->qLow / d->active;
            h.kind = Kind::Healthy;
            h.seconds = int(d->active);
            const bool clean = d->interior == 0 || goodPct >= 80.0;
            h.severity = clean ? Severity::Ok : Severity::Info;
            h.title = clean ? QStringLiteral("Healthy") : QStringLiteral("No known failure pattern");
            h.detail = QStringLiteral("%1 second(s) with audio, %2 idle; %3% of the steady seconds at "
                                      "fps 49-51 with q < 10 and no drops; q < 10 in %4% of the "
                                      "seconds; drops total %5.")
                           .arg(d->active)
                           .arg(d->idle)
                           .arg(goodPct, 0, 'f', 0)
                           .arg(qLowPct, 0, 'f', 0)
                           .arg(fmt(d->dropsTotal));
            if (!clean)
                h.cause = QStringLiteral("the seconds off 50 fit none of the known patterns; look at "
                                         "the plot around them.");
        }
        r.diagnoses.prepend(h);
    }
    // Most severe first; among equals, root causes before their consequences (a stall or a
    // slow pacer leaves a full queue behind).
    auto rank = [](Kind k) {
        switch (k) {
        case Kind::SenderStalled: return 0;
        case Kind::FrameSize: return 1;
        case Kind::TimerDrift: return 2;
        case Kind::ProducerTooFast: return 3;
        case Kind::ProducerStarved: return 4;
        case Kind::SporadicDrops: return 5;
        default: return 6;
        }
    };
    std::stable_sort(r.diagnoses.begin(), r.diagnoses.end(), [&](const Diagnosis &a, const Diagnosis &b) {
        if (a.severity != b.severity)
            return a.severity > b.severity;
        return rank(a.kind) < rank(b.kind);
    });
    return r;
}

Report LogDoctor::analyzeText(const QString &text, Limits limits)
{
    LogDoctor doc(limits);
    doc.addData(text.toUtf8());
    return doc.finish();
}

Report LogDoctor::analyzeDevice(QIODevice *device, Limits limits, const std::function<void(qint64)> &progress)
{
    LogDoctor doc(limits);
    if (!device || !device->isOpen() || !device->isReadable()) {
        Report r;
        r.inputOk = false;
        r.error = QStringLiteral("the input is not open for reading.");
        return r;
    }
    QByteArray buf(256 * 1024, Qt::Uninitialized);
    qint64 nextProgress = 8 * 1024 * 1024;
    qint64 total = 0;
    for (;;) {
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
            nextProgress = total + 8 * 1024 * 1024;
        }
    }
    return doc.finish();
}

Report LogDoctor::analyzeFile(const QString &path, Limits limits)
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
    return analyzeDevice(&f, limits);
}

} // namespace pacelab::doctor
