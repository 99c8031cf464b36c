// One log line -> the sender's numbers, the call/stream it belongs to and its timestamp.
// A scanner, not a grammar: it finds `key=value`, `key: value`, `"key": value` and the bare
// `fps 50` form anywhere on the line, so any logger prefix, key order or JSON nesting works.
#include "LogDoctor.h"

#include <cmath>
#include <cstring>

namespace pacelab::doctor {

namespace {

constexpr int kMaxExtras = 12;

enum class Field { None, Fps, Q, Drops, Bound, Bytes, Late, Sq, Stalled, Time, Id };

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
    struct Alias { const char *name; Field f; };
    static const Alias aliases[] = {
        {"fps", Field::Fps}, {"framessentlastsec", Field::Fps}, {"framessent", Field::Fps},
        {"framespersec", Field::Fps}, {"framespersecond", Field::Fps}, {"txfps", Field::Fps},
        {"sentfps", Field::Fps}, {"framessentpersec", Field::Fps}, {"framesent", Field::Fps},
        {"framessentsec", Field::Fps},
        {"q", Field::Q}, {"txq", Field::Q}, {"txqsize", Field::Q}, {"txqueue", Field::Q},
        {"txqueuesize", Field::Q}, {"txqdepth", Field::Q}, {"queue", Field::Q},
        {"queuesize", Field::Q}, {"queuedepth", Field::Q}, {"qsize", Field::Q},
        {"qdepth", Field::Q}, {"txqlen", Field::Q}, {"qlen", Field::Q}, {"queuelen", Field::Q},
        {"txqueuedepth", Field::Q},
        {"drops", Field::Drops}, {"dropslastsec", Field::Drops}, {"dropped", Field::Drops},
        {"drop", Field::Drops}, {"droppedframes", Field::Drops}, {"txdrops", Field::Drops},
        {"dropsthissec", Field::Drops}, {"dropcount", Field::Drops},
        {"dropsthissecond", Field::Drops}, {"dropssec", Field::Drops},
        {"cap", Field::Bound}, {"capacity", Field::Bound}, {"qcap", Field::Bound},
        {"bound", Field::Bound}, {"qcapacity", Field::Bound}, {"maxsize", Field::Bound},
        {"queuecapacity", Field::Bound}, {"qmaxsize", Field::Bound}, {"txqcap", Field::Bound},
        {"txqcapacity", Field::Bound}, {"qbound", Field::Bound},
        {"bytes", Field::Bytes}, {"bytessent", Field::Bytes}, {"txbytes", Field::Bytes},
        {"byteslastsec", Field::Bytes},
        {"late", Field::Late}, {"latewakeups", Field::Late}, {"lateresets", Field::Late},
        {"sq", Field::Sq}, {"sendq", Field::Sq}, {"sockq", Field::Sq}, {"bytestowrite", Field::Sq},
        {"stalled", Field::Stalled},
        {"ts", Field::Time}, {"time", Field::Time}, {"timestamp", Field::Time},
        {"epoch", Field::Time}, {"unixtime", Field::Time},
        {"callsid", Field::Id}, {"streamsid", Field::Id}, {"callid", Field::Id},
        {"session", Field::Id}, {"sessionid", Field::Id}, {"streamid", Field::Id},
        {"conversationid", Field::Id},
    };
    for (const Alias &a : aliases)
        if (k == a.name)
            return a.f;
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
inline bool isHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline bool isWordChar(char c) { return isAlpha(c) || isDigit(c) || c == '_'; }
inline bool isKeyChar(char c) { return isWordChar(c) || c == '.' || c == '-'; }
inline bool isSpace(char c) { return c == ' ' || c == '\t'; }
inline bool isIdChar(char c) { return isWordChar(c) || c == '-' || c == '.' || c == ':'; }

// ANSI colour/cursor sequences (ESC [ ... letter) and lone ESCs removed.
QByteArray stripAnsi(QByteArrayView in)
{
    QByteArray out;
    out.reserve(in.size());
    for (qsizetype i = 0; i < in.size(); ++i) {
        if (in[i] != '\x1b') {
            out.append(in[i]);
            continue;
        }
        if (i + 1 < in.size() && in[i + 1] == '[') {
            qsizetype j = i + 2;
            while (j < in.size() && !isAlpha(in[j]) && j - i < 32)
                ++j;
            i = j; // the final letter too
        }
    }
    return out;
}

qint64 daysFromCivil(int y, int m, int d)
{
    // Howard Hinnant's algorithm: calendar date -> days since 1970-01-01 (no time zone involved,
    // so the same log gives the same numbers on every machine).
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return qint64(era) * 146097 + doe - 719468;
}

int num(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; ++i)
        v = v * 10 + (p[i] - '0');
    return v;
}

// The first "[YYYY-MM-DD[T ]]HH:MM:SS[.,fff]" on the line, in seconds; -1 when none.
double findTimestamp(QByteArrayView line, bool *precise)
{
    const char *s = line.data();
    const qsizetype n = line.size();
    for (qsizetype i = 0; i + 8 <= n; ++i) {
        if (!(isDigit(s[i]) && isDigit(s[i + 1]) && s[i + 2] == ':' && isDigit(s[i + 3]) && isDigit(s[i + 4])
              && s[i + 5] == ':' && isDigit(s[i + 6]) && isDigit(s[i + 7])))
            continue;
        if (i > 0 && (isDigit(s[i - 1]) || s[i - 1] == ':'))
            continue;
        const int hh = num(s + i, 2), mm = num(s + i + 3, 2), ss = num(s + i + 6, 2);
        if (hh > 23 || mm > 59 || ss > 60)
            continue;
        double t = hh * 3600.0 + mm * 60.0 + ss;
        qsizetype k = i + 8;
        if (k + 1 < n && (s[k] == '.' || s[k] == ',') && isDigit(s[k + 1])) {
            *precise = true;
            double scale = 0.1;
            for (++k; k < n && isDigit(s[k]); ++k, scale /= 10)
                if (scale > 1e-9)
                    t += (s[k] - '0') * scale;
        }
        // A date right before it ("2026-11-25T" or "2026-11-25 ").
        if (i >= 11 && isDigit(s[i - 11]) && isDigit(s[i - 8]) && s[i - 7] == '-' && s[i - 4] == '-'
            && (s[i - 1] == 'T' || s[i - 1] == ' ') && isDigit(s[i - 3]) && isDigit(s[i - 2])) {
            const int y = num(s + i - 11, 4), mo = num(s + i - 6, 2), d = num(s + i - 3, 2);
            if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31)
                t += double(daysFromCivil(y, mo, d)) * 86400.0;
        }
        return t;
    }
    return -1;
}

// A Twilio SID: CA/MZ + 32 hex digits, at a word boundary.
QString findTwilioSid(QByteArrayView line)
{
    const char *s = line.data();
    const qsizetype n = line.size();
    QString call;
    for (qsizetype i = 0; i + 34 <= n; ++i) {
        if (!((s[i] == 'C' && s[i + 1] == 'A') || (s[i] == 'M' && s[i + 1] == 'Z')))
            continue;
        if (i > 0 && isWordChar(s[i - 1]))
            continue;
        bool hex = true;
        for (int k = 2; k < 34 && hex; ++k)
            hex = isHex(s[i + k]);
        if (!hex || (i + 34 < n && isWordChar(s[i + 34])))
            continue;
        const QString sid = QString::fromLatin1(s + i, 34);
        if (s[i] == 'M')
            return sid; // the stream is what the metrics are about
        if (call.isEmpty())
            call = sid;
    }
    return call;
}

// A "[call-7]" style tag: not a level, thread, pid or time.
QString findBracketTag(QByteArrayView line)
{
    static const char *const skip[] = {"tx", "rx", "info", "debug", "warning", "warn", "error", "trace",
                                       "critical", "fatal", "notice", "err", "crit", "mainthread"};
    static const char *const skipPrefix[] = {"thread", "asyncio", "pool-", "worker", "task-", "uvicorn"};
    const char *s = line.data();
    const qsizetype n = line.size();
    for (qsizetype i = 0; i < n; ++i) {
        if (s[i] != '[' || (i > 0 && !isSpace(s[i - 1]) && s[i - 1] != ']'))
            continue;
        qsizetype j = i + 1;
        while (j < n && (isWordChar(s[j]) || s[j] == '-' || s[j] == '.' || s[j] == ':'))
            ++j;
        if (j >= n || s[j] != ']' || j - i - 1 < 2 || j - i - 1 > 64)
            continue;
        const QByteArray tag(s + i + 1, j - i - 1);
        if (isDigit(tag[0]))
            continue; // a pid, a time, a counter
        bool letter = false;
        for (char c : tag)
            letter = letter || isAlpha(c);
        if (!letter)
            continue;
        const QByteArray lower = tag.toLower();
        bool skipped = false;
        for (const char *w : skip)
            skipped = skipped || lower == w;
        for (const char *w : skipPrefix)
            skipped = skipped || lower.startsWith(w);
        if (!skipped)
            return QString::fromLatin1(tag);
    }
    return {};
}

bool isNotANumber(QByteArrayView v)
{
    const QByteArray l = v.toByteArray().toLower();
    return l.startsWith("nan") || l.startsWith("inf") || l.startsWith("+inf") || l.startsWith("-inf");
}

} // namespace

ParsedLine parseLine(QByteArrayView rawLine, qint64 lineNo)
{
    ParsedLine out;
    QByteArray cleaned;
    if (rawLine.contains('\x1b')) {
        cleaned = stripAnsi(rawLine);
        rawLine = cleaned;
    }
    const QByteArrayView line = rawLine;
    // The receive side's own lines ("[RX] fps=50 buffered=...") are not sender metrics.
    if (line.contains(QByteArrayView("[RX]")) || line.contains(QByteArrayView("\"rx-second\"")))
        return out;

    MetricLine &m = out.metric;
    m.lineNo = lineNo;
    bool haveFps = false, haveQ = false, haveDrops = false;
    QString idField;
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
        if (k + 1 < n && s[k] == '\\' && s[k + 1] == '"')
            k += 2; // an escaped quote: JSON inside a JSON string
        else if (k < n && (s[k] == '"' || s[k] == '\''))
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
        if (k + 1 < n && s[k] == '\\' && s[k + 1] == '"')
            k += 2;
        else if (k < n && (s[k] == '"' || s[k] == '\''))
            ++k;
        const Field field = fieldOf(key);
        if (field == Field::Id) {
            qsizetype e = k;
            while (e < n && isIdChar(s[e]) && e - k < 80)
                ++e;
            if (e > k && idField.isEmpty())
                idField = QString::fromLatin1(s + k, e - k);
            i = std::max(e, j);
            continue;
        }
        const qsizetype numStart = k;
        if (k < n && (s[k] == '-' || s[k] == '+'))
            ++k;
        if (field == Field::Fps || field == Field::Q || field == Field::Drops) {
            if (isNotANumber(QByteArrayView(s + k, std::min<qsizetype>(4, n - k)))) {
                if (out.badField.isEmpty())
                    out.badField = QString::fromUtf8(rawKey) + QLatin1Char('=')
                        + QString::fromUtf8(QByteArrayView(s + numStart, std::min<qsizetype>(12, n - numStart)).trimmed());
                i = j;
                continue;
            }
        }
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
        // An exponent ("1e3", "1E+999"): part of the number, not a unit.
        if (k + 1 < n && (s[k] == 'e' || s[k] == 'E')) {
            qsizetype e = k + 1;
            if (e < n && (s[e] == '+' || s[e] == '-'))
                ++e;
            if (e < n && isDigit(s[e])) {
                while (e < n && isDigit(s[e]))
                    ++e;
                k = e;
            }
        }
        const QByteArrayView number(s + numStart, k - numStart);
        qsizetype unitEnd = k;
        while (unitEnd < n && unitEnd - k < 6
               && (isAlpha(s[unitEnd]) || s[unitEnd] == '%' || quint8(s[unitEnd]) >= 0x80))
            ++unitEnd;
        bool ok = false;
        const double value = number.toByteArray().toDouble(&ok);
        const bool finite = ok && std::isfinite(value);
        if (!finite && (field == Field::Fps || field == Field::Q || field == Field::Drops)) {
            if (out.badField.isEmpty())
                out.badField = QString::fromUtf8(rawKey) + QLatin1Char('=') + QString::fromUtf8(number);
        } else if (finite) {
            switch (field) {
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
            case Field::Time:
                if (m.t < 0 && value > 1e8) {
                    m.t = value; // epoch seconds (a JSON "ts": 1732536001.12)
                    m.tPrecise = number.contains('.');
                }
                break;
            case Field::Bytes:
            case Field::Late:
            case Field::Sq:
            case Field::Stalled:
            case Field::None:
                if (field == Field::Bytes && m.bytes < 0 && value >= 0)
                    m.bytes = value;
                if (field == Field::Late && m.late < 0 && value >= 0)
                    m.late = value;
                if (field == Field::Sq && m.sq < 0 && value >= 0)
                    m.sq = value;
                if (field == Field::Stalled && m.stalled < 0 && value >= 0)
                    m.stalled = value;
                if (m.extras.size() < kMaxExtras)
                    m.extras.append({QString::fromUtf8(rawKey),
                                     QString::fromUtf8(QByteArrayView(s + numStart, unitEnd - numStart))});
                break;
            case Field::Id:
                break;
            }
        }
        i = std::max(unitEnd, j);
    }
    const bool isMetric = haveFps && (haveQ || haveDrops) && m.fps >= 0 && m.fps <= 100000;
    if (!isMetric) {
        // fps=NaN next to a q or drops, or a q=inf next to an fps: a metric line with a value
        // that is not a number (reported, never read as a figure).
        if (!out.badField.isEmpty() && (haveFps || haveQ || haveDrops))
            out.kind = LineKind::BadValue;
        return out;
    }
    if (!out.badField.isEmpty()) {
        out.kind = LineKind::BadValue;
        return out;
    }
    if (m.t < 0)
        m.t = findTimestamp(line, &m.tPrecise);
    m.stream = !idField.isEmpty() ? idField : findTwilioSid(line);
    if (m.stream.isEmpty())
        m.stream = findBracketTag(line);
    out.kind = LineKind::Metric;
    return out;
}

std::optional<MetricLine> parseMetricLine(QByteArrayView line, qint64 lineNo)
{
    ParsedLine p = parseLine(line, lineNo);
    if (p.kind != LineKind::Metric)
        return std::nullopt;
    return std::move(p.metric);
}

} // namespace pacelab::doctor
