// The two input formats of the capture reader, one line at a time: PaceLab capture records and
// JSON Lines dumps of any provider's messages (free-form prefixes, wrappers, assorted timestamps,
// binary frames in base64).
#include "CaptureReaderPrivate.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QRegularExpression>

namespace pacelab::capture {

using namespace detail;

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

namespace {

// A binary WebSocket frame logged in a JSON line: {"dir":"out","kind":"binary","data":"<base64>"}
// ("binary":true or "opcode":2 say the same; "data", "data_b64" or "payload" hold the bytes).
bool isBinaryWrapper(const QJsonObject &o)
{
    return o.value(QStringLiteral("kind")).toString() == QLatin1String("binary") || o.value(QStringLiteral("binary")).toBool()
        || o.value(QStringLiteral("opcode")).toInt() == 2;
}

// The media-stream message object: one with an "event" (Twilio, Telnyx, Plivo, Exotel, Vonage's
// websocket:* events) or an "action" (Vonage's bot-side control messages).
bool isStreamMessage(const QJsonObject &o)
{
    return o.contains(QStringLiteral("event")) || o.value(QStringLiteral("action")).isString();
}

// -1 unknown, 0 out (bot -> provider), 1 in (provider -> bot), from the message's own shape:
// provider-side events and fields (sequence numbers, media.track/chunk/timestamp) are inbound,
// the bot's requests outbound. Names of every provider (docs/replay.md, "Providers").
int directionFromShape(const QJsonObject &ev)
{
    const QString event = ev.value(QStringLiteral("event")).toString();
    if (ev.value(QStringLiteral("action")).isString())
        return 0; // Vonage: the bot's clear / notify
    static const QStringList inbound{QStringLiteral("connected"), QStringLiteral("start"), QStringLiteral("stop"),
                                     QStringLiteral("dtmf"), QStringLiteral("error"), QStringLiteral("playedStream"),
                                     QStringLiteral("clearedAudio"), QStringLiteral("cleared")};
    static const QStringList outbound{QStringLiteral("clear"), QStringLiteral("clearAudio"), QStringLiteral("playAudio"),
                                      QStringLiteral("checkpoint"), QStringLiteral("sendDTMF")};
    if (inbound.contains(event) || event.startsWith(QLatin1String("websocket:")))
        return 1;
    if (outbound.contains(event))
        return 0;
    const QJsonObject media = ev.value(QStringLiteral("media")).toObject();
    const bool fromProvider = ev.contains(QStringLiteral("sequenceNumber")) || ev.contains(QStringLiteral("sequence_number"))
        || media.contains(QStringLiteral("track")) || media.contains(QStringLiteral("chunk"))
        || media.contains(QStringLiteral("timestamp"));
    return fromProvider ? 1 : 0;
}

} // namespace

bool looksLikeDumpLine(QByteArrayView line)
{
    return line.contains("\"event\"") || line.contains("\"action\"") || line.contains("\"binary\"")
        || line.contains("\"opcode\"");
}

std::optional<Record> CaptureReader::Private::parseDump(qint64 line, const QByteArray &text)
{
    const qsizetype open = text.indexOf('{');
    const qsizetype close = text.lastIndexOf('}');
    if (open < 0 || close < open)
        return std::nullopt; // an unrelated log line
    const bool looksLikeEvent = text.contains("\"event\"") || text.contains("\"action\"");
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(text.mid(open, close - open + 1), &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        if (looksLikeEvent)
            addError(line, QStringLiteral("invalid JSON (%1 at offset %2): %3").arg(pe.errorString()).arg(open + pe.offset).arg(shortText(text)));
        return std::nullopt;
    }
    const QJsonObject outer = doc.object();
    // A binary frame in a wrapper, the message itself, or the message one level down in a
    // logging wrapper ({"ts":..,"msg":{...}} or a JSON-encoded string).
    QJsonObject ev;
    std::optional<QByteArray> binaryData;
    if (isBinaryWrapper(outer)) {
        QJsonValue v;
        for (const char *k : {"data", "data_b64", "payload"}) {
            v = outer.value(QLatin1String(k));
            if (v.isString())
                break;
        }
        if (!v.isString()) {
            addError(line, QStringLiteral("a binary frame without its bytes (a base64 string in 'data')"));
            return std::nullopt;
        }
        auto dec = QByteArray::fromBase64Encoding(v.toString().toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        if (!dec) {
            addError(line, QStringLiteral("a binary frame whose 'data' is not valid base64"));
            return std::nullopt;
        }
        binaryData = *dec;
    } else if (isStreamMessage(outer)) {
        ev = outer;
    } else {
        for (auto it = outer.begin(); it != outer.end() && ev.isEmpty(); ++it) {
            if (it->isObject() && isStreamMessage(it->toObject()))
                ev = it->toObject();
            else if (it->isString() && (it->toString().contains(QLatin1String("\"event\"")) || it->toString().contains(QLatin1String("\"action\"")))) {
                const QJsonDocument inner = QJsonDocument::fromJson(it->toString().toUtf8());
                if (inner.isObject() && isStreamMessage(inner.object()))
                    ev = inner.object();
            }
        }
    }
    if (ev.isEmpty() && !binaryData)
        return std::nullopt;
    const QString event = ev.value(QStringLiteral("event")).toString();
    if (!binaryData && event.isEmpty() && !ev.value(QStringLiteral("action")).isString()) {
        addError(line, QStringLiteral("'event' is not a string"));
        return std::nullopt;
    }
    const QJsonObject media = ev.value(QStringLiteral("media")).toObject();
    if ((event == QLatin1String("media") || event == QLatin1String("playAudio")) && !media.value(QStringLiteral("payload")).isString()) {
        addError(line, QStringLiteral("%1 event without a string media.payload").arg(event));
        return std::nullopt;
    }

    // Direction: an explicit field or prefix word, else what the message's shape implies.
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
    if (dir < 0 && binaryData) {
        addError(line, QStringLiteral("a binary frame without a direction: say \"dir\":\"out\" (bot -> provider) or \"in\""));
        return std::nullopt;
    }
    if (dir < 0)
        dir = directionFromShape(ev);

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
    r.kind = binaryData ? MsgKind::Binary : MsgKind::Text;
    r.data = binaryData ? *binaryData : QJsonDocument(ev).toJson(QJsonDocument::Compact);
    return r;
}

} // namespace pacelab::capture
