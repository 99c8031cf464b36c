#include "TwilioMessages.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QJsonValue>
#include <QRandomGenerator>

#include <initializer_list>

namespace pacelab::twilio {

QString eventName(Event e)
{
    switch (e) {
    case Event::Connected: return QStringLiteral("connected");
    case Event::Start: return QStringLiteral("start");
    case Event::Media: return QStringLiteral("media");
    case Event::Dtmf: return QStringLiteral("dtmf");
    case Event::Mark: return QStringLiteral("mark");
    case Event::Stop: return QStringLiteral("stop");
    case Event::Clear: return QStringLiteral("clear");
    case Event::Unknown: break;
    }
    return QStringLiteral("unknown");
}

Event eventFromName(const QString &name)
{
    for (Event e : {Event::Connected, Event::Start, Event::Media, Event::Dtmf, Event::Mark,
                    Event::Stop, Event::Clear}) {
        if (eventName(e) == name)
            return e;
    }
    return Event::Unknown;
}

QString parseErrorName(ParseError e)
{
    switch (e) {
    case ParseError::None: return QStringLiteral("no error");
    case ParseError::InvalidJson: return QStringLiteral("invalid JSON");
    case ParseError::NotAnObject: return QStringLiteral("not a JSON object");
    case ParseError::UnknownEvent: return QStringLiteral("unknown event");
    case ParseError::MissingField: return QStringLiteral("missing field");
    case ParseError::UnexpectedField: return QStringLiteral("unexpected field");
    case ParseError::WrongType: return QStringLiteral("wrong type");
    case ParseError::StreamSidMismatch: return QStringLiteral("streamSid mismatch");
    case ParseError::PayloadNotBase64: return QStringLiteral("payload not base64");
    case ParseError::PayloadIsRiff: return QStringLiteral("payload is a WAV file");
    case ParseError::BinaryFrame: return QStringLiteral("binary frame");
    }
    return QStringLiteral("unknown error");
}

int twilioCodeFor(ParseError e)
{
    switch (e) {
    case ParseError::None: return NoError;
    case ParseError::PayloadIsRiff:
    case ParseError::BinaryFrame: return BinaryOrRawAudio;
    default: return InvalidMessage;
    }
}

namespace {

// ---- encoding helpers -----------------------------------------------------------------------

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QString num(qint64 n)
{
    return QString::number(n); // Twilio sends every number as a string
}

QString base64(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toBase64());
}

// ---- parsing helpers ------------------------------------------------------------------------

QString typeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return QStringLiteral("boolean");
    case QJsonValue::Double: return QStringLiteral("number");
    case QJsonValue::String: return QStringLiteral("string");
    case QJsonValue::Array: return QStringLiteral("array");
    case QJsonValue::Object: return QStringLiteral("object");
    case QJsonValue::Undefined: break;
    }
    return QStringLiteral("undefined");
}

// Small state holder so each check is one line and the first problem wins.
class Checker
{
public:
    explicit Checker(ParseResult &r, QString eventLabel) : m_r(r), m_event(std::move(eventLabel)) {}

    bool failed() const { return !m_r.ok(); }

    bool fail(ParseError e, const QString &detail)
    {
        if (m_r.ok()) {
            m_r.error = e;
            m_r.twilioCode = twilioCodeFor(e);
            m_r.detail = detail;
        }
        return false;
    }

    // Every key of `o` must be in `allowed`; `prefix` is "" or "media." for messages.
    bool onlyFields(const QJsonObject &o, const QString &prefix, std::initializer_list<const char *> allowed)
    {
        for (auto it = o.begin(); it != o.end(); ++it) {
            bool known = false;
            for (const char *a : allowed)
                if (it.key() == QLatin1String(a))
                    known = true;
            if (!known)
                return fail(ParseError::UnexpectedField,
                            QStringLiteral("unexpected field '%1%2' in %3").arg(prefix, it.key(), m_event));
        }
        return true;
    }

    // Required value of the given type; `path` is the dotted name used in messages.
    bool require(const QJsonObject &o, const QString &key, const QString &path, QJsonValue::Type type,
                 QJsonValue *out)
    {
        const auto it = o.constFind(key);
        if (it == o.constEnd())
            return fail(ParseError::MissingField,
                        QStringLiteral("missing field '%1' in %2").arg(path, m_event));
        if (it->type() != type)
            return fail(ParseError::WrongType, QStringLiteral("%1 must be a %2, got %3")
                                                   .arg(path, typeName(QJsonValue(type)), typeName(*it)));
        *out = *it;
        return true;
    }

    bool requireString(const QJsonObject &o, const QString &key, const QString &path, QString *out,
                       bool allowEmpty = true)
    {
        QJsonValue v;
        if (!require(o, key, path, QJsonValue::String, &v))
            return false;
        *out = v.toString();
        if (!allowEmpty && out->isEmpty())
            return fail(ParseError::MissingField, QStringLiteral("%1 is empty in %2").arg(path, m_event));
        return true;
    }

    bool requireObject(const QJsonObject &o, const QString &key, const QString &path, QJsonObject *out)
    {
        QJsonValue v;
        if (!require(o, key, path, QJsonValue::Object, &v))
            return false;
        *out = v.toObject();
        return true;
    }

    // Twilio's numbers travel as strings of decimal digits ("sequenceNumber":"3").
    bool requireNumberString(const QJsonObject &o, const QString &key, const QString &path, qint64 *out)
    {
        const auto it = o.constFind(key);
        if (it == o.constEnd())
            return fail(ParseError::MissingField,
                        QStringLiteral("missing field '%1' in %2").arg(path, m_event));
        if (!it->isString())
            return fail(ParseError::WrongType,
                        QStringLiteral("%1 must be a string of digits (Twilio sends numbers as strings), got %2")
                            .arg(path, typeName(*it)));
        const QString s = it->toString();
        bool digitsOnly = !s.isEmpty() && s.size() <= 18;
        for (QChar c : s)
            if (c < QLatin1Char('0') || c > QLatin1Char('9'))
                digitsOnly = false;
        if (!digitsOnly)
            return fail(ParseError::WrongType,
                        QStringLiteral("%1 '%2' is not a non-negative decimal integer").arg(path, s.left(40)));
        *out = s.toLongLong();
        return true;
    }

    // Plain JSON number (mediaFormat.sampleRate, channels).
    bool requireInt(const QJsonObject &o, const QString &key, const QString &path, int *out)
    {
        QJsonValue v;
        if (!require(o, key, path, QJsonValue::Double, &v))
            return false;
        const double d = v.toDouble();
        if (!(d >= 0 && d <= 1e9) || d != static_cast<double>(static_cast<int>(d)))
            return fail(ParseError::WrongType,
                        QStringLiteral("%1 must be a non-negative integer, got %2").arg(path).arg(d));
        *out = static_cast<int>(d);
        return true;
    }

    bool decodePayload(const QString &b64, const QString &path, QByteArray *out)
    {
        // Base64 is ASCII; anything else cannot be valid, and toLatin1 would hide it.
        for (QChar c : b64)
            if (c.unicode() > 0x7f)
                return fail(ParseError::PayloadNotBase64,
                            QStringLiteral("%1 is not valid base64 (non-ASCII character)").arg(path));
        // Qt accepts unpadded input; standard decoders (and Twilio) want whole 4-char groups.
        if (b64.size() % 4 != 0)
            return fail(ParseError::PayloadNotBase64,
                        QStringLiteral("%1 is not valid base64 (length %2 is not a multiple of 4: missing '=' padding?)")
                            .arg(path)
                            .arg(b64.size()));
        auto decoded = QByteArray::fromBase64Encoding(
            b64.toLatin1(), QByteArray::Base64Encoding | QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return fail(ParseError::PayloadNotBase64, QStringLiteral("%1 is not valid base64").arg(path));
        *out = std::move(decoded.decoded);
        return true;
    }

private:
    ParseResult &m_r;
    QString m_event;
};

bool parseObject(const QByteArray &json, ParseResult &r, QJsonObject *out)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError) {
        // Qt refuses a bare top-level value ("42", "\"media\""), which RFC 8259 calls valid JSON:
        // say it is not an object rather than not JSON.
        const QJsonDocument wrapped = QJsonDocument::fromJson('[' + json + ']');
        if (wrapped.isArray() && wrapped.array().size() == 1) {
            r.error = ParseError::NotAnObject;
            r.twilioCode = InvalidMessage;
            r.detail = QStringLiteral("the message is a JSON %1, not an object").arg(typeName(wrapped.array().at(0)));
            return false;
        }
        r.error = ParseError::InvalidJson;
        r.twilioCode = InvalidMessage;
        r.detail = json.trimmed().isEmpty()
                       ? QStringLiteral("invalid JSON: the message is empty")
                       : QStringLiteral("invalid JSON at offset %1: %2").arg(pe.offset).arg(pe.errorString());
        return false;
    }
    if (!doc.isObject()) {
        r.error = ParseError::NotAnObject;
        r.twilioCode = InvalidMessage;
        r.detail = QStringLiteral("the message is a JSON array, not an object");
        return false;
    }
    *out = doc.object();
    return true;
}

bool readEvent(const QJsonObject &o, ParseResult &r, QString *name)
{
    Checker c(r, QStringLiteral("the message"));
    return c.requireString(o, QStringLiteral("event"), QStringLiteral("event"), name);
}

bool isRiff(const QByteArray &payload)
{
    return payload.startsWith("RIFF");
}

} // namespace

// ---- bot → Twilio ---------------------------------------------------------------------------

QByteArray encodeMedia(const QString &streamSid, const QByteArray &mulaw)
{
    return compact({{QStringLiteral("event"), QStringLiteral("media")},
                    {QStringLiteral("streamSid"), streamSid},
                    {QStringLiteral("media"), QJsonObject{{QStringLiteral("payload"), base64(mulaw)}}}});
}

QByteArray encodeMark(const QString &streamSid, const QString &name)
{
    return compact({{QStringLiteral("event"), QStringLiteral("mark")},
                    {QStringLiteral("streamSid"), streamSid},
                    {QStringLiteral("mark"), QJsonObject{{QStringLiteral("name"), name}}}});
}

QByteArray encodeClear(const QString &streamSid)
{
    return compact({{QStringLiteral("event"), QStringLiteral("clear")},
                    {QStringLiteral("streamSid"), streamSid}});
}

ParseResult parseFromBot(const QByteArray &json, const QString &expectedStreamSid)
{
    ParseResult r;
    QJsonObject o;
    if (!parseObject(json, r, &o))
        return r;
    QString name;
    if (!readEvent(o, r, &name))
        return r;

    const Event ev = eventFromName(name);
    if (ev != Event::Media && ev != Event::Mark && ev != Event::Clear) {
        r.error = ParseError::UnknownEvent;
        r.twilioCode = InvalidMessage;
        r.detail = ev == Event::Unknown
                       ? QStringLiteral("unknown event '%1' (a bot may send media, mark or clear)").arg(name.left(60))
                       : QStringLiteral("event '%1' is sent by Twilio, not by a bot (a bot may send media, mark or clear)")
                             .arg(name);
        return r;
    }
    r.message.event = ev;
    Checker c(r, name);

    // Unexpected top-level fields first: they are the most common outbound mistake.
    switch (ev) {
    case Event::Media: c.onlyFields(o, QString(), {"event", "streamSid", "media"}); break;
    case Event::Mark: c.onlyFields(o, QString(), {"event", "streamSid", "mark"}); break;
    default: c.onlyFields(o, QString(), {"event", "streamSid"}); break;
    }
    if (c.failed())
        return r;

    QString sid;
    if (!c.requireString(o, QStringLiteral("streamSid"), QStringLiteral("streamSid"), &sid, false))
        return r;
    r.message.streamSid = sid;

    if (ev == Event::Media) {
        QJsonObject media;
        QString b64;
        if (!c.requireObject(o, QStringLiteral("media"), QStringLiteral("media"), &media)
            || !c.onlyFields(media, QStringLiteral("media."), {"payload"})
            || !c.requireString(media, QStringLiteral("payload"), QStringLiteral("media.payload"), &b64))
            return r;
        if (!expectedStreamSid.isEmpty() && sid != expectedStreamSid) {
            c.fail(ParseError::StreamSidMismatch,
                   QStringLiteral("streamSid '%1' does not match the stream '%2'").arg(sid.left(80), expectedStreamSid));
            return r;
        }
        if (!c.decodePayload(b64, QStringLiteral("media.payload"), &r.message.payload))
            return r;
        if (isRiff(r.message.payload)) {
            const bool wave = r.message.payload.size() >= 12 && r.message.payload.mid(8, 4) == "WAVE";
            c.fail(ParseError::PayloadIsRiff,
                   QStringLiteral("media.payload starts with a %1 file header: Twilio wants raw 8 kHz mu-law "
                                  "without a header")
                       .arg(wave ? QStringLiteral("RIFF/WAVE") : QStringLiteral("RIFF")));
            r.message.payload.clear();
            return r;
        }
        if (r.message.payload.isEmpty())
            r.detail = QStringLiteral("note: media.payload is empty (legal, plays nothing)");
        return r;
    }

    if (ev == Event::Mark) {
        QJsonObject mark;
        if (!c.requireObject(o, QStringLiteral("mark"), QStringLiteral("mark"), &mark)
            || !c.onlyFields(mark, QStringLiteral("mark."), {"name"})
            || !c.requireString(mark, QStringLiteral("name"), QStringLiteral("mark.name"), &r.message.markName, false))
            return r;
    }

    if (!expectedStreamSid.isEmpty() && sid != expectedStreamSid)
        c.fail(ParseError::StreamSidMismatch,
               QStringLiteral("streamSid '%1' does not match the stream '%2'").arg(sid.left(80), expectedStreamSid));
    return r;
}

ParseResult binaryFrameFromBot(qsizetype size)
{
    ParseResult r;
    r.error = ParseError::BinaryFrame;
    r.twilioCode = BinaryOrRawAudio;
    r.detail = QStringLiteral("binary WebSocket frame of %1 bytes: Twilio accepts only JSON text frames "
                              "(audio goes base64 in media.payload)")
                   .arg(size);
    return r;
}

// ---- Twilio → bot ---------------------------------------------------------------------------

QByteArray encodeConnected()
{
    return compact({{QStringLiteral("event"), QStringLiteral("connected")},
                    {QStringLiteral("protocol"), QStringLiteral("Call")},
                    {QStringLiteral("version"), QStringLiteral("1.0.0")}});
}

QByteArray encodeStart(const StartInfo &info, qint64 sequenceNumber)
{
    const QJsonObject format{{QStringLiteral("encoding"), info.encoding},
                             {QStringLiteral("sampleRate"), info.sampleRate},
                             {QStringLiteral("channels"), info.channels}};
    const QJsonObject start{{QStringLiteral("streamSid"), info.streamSid},
                            {QStringLiteral("accountSid"), info.accountSid},
                            {QStringLiteral("callSid"), info.callSid},
                            {QStringLiteral("tracks"), QJsonArray::fromStringList(info.tracks)},
                            {QStringLiteral("customParameters"), QJsonObject::fromVariantMap(info.customParameters)},
                            {QStringLiteral("mediaFormat"), format}};
    return compact({{QStringLiteral("event"), QStringLiteral("start")},
                    {QStringLiteral("sequenceNumber"), num(sequenceNumber)},
                    {QStringLiteral("streamSid"), info.streamSid},
                    {QStringLiteral("start"), start}});
}

QByteArray encodeInboundMedia(const QString &streamSid, qint64 sequenceNumber, qint64 chunk,
                              qint64 timestampMs, const QByteArray &mulaw, const QString &track)
{
    const QJsonObject media{{QStringLiteral("track"), track},
                            {QStringLiteral("chunk"), num(chunk)},
                            {QStringLiteral("timestamp"), num(timestampMs)},
                            {QStringLiteral("payload"), base64(mulaw)}};
    return compact({{QStringLiteral("event"), QStringLiteral("media")},
                    {QStringLiteral("sequenceNumber"), num(sequenceNumber)},
                    {QStringLiteral("streamSid"), streamSid},
                    {QStringLiteral("media"), media}});
}

QByteArray encodeDtmf(const QString &streamSid, qint64 sequenceNumber, const QString &digit)
{
    return compact({{QStringLiteral("event"), QStringLiteral("dtmf")},
                    {QStringLiteral("sequenceNumber"), num(sequenceNumber)},
                    {QStringLiteral("streamSid"), streamSid},
                    {QStringLiteral("dtmf"), QJsonObject{{QStringLiteral("track"), QStringLiteral("inbound_track")},
                                                         {QStringLiteral("digit"), digit}}}});
}

QByteArray encodeMarkEcho(const QString &streamSid, qint64 sequenceNumber, const QString &name)
{
    return compact({{QStringLiteral("event"), QStringLiteral("mark")},
                    {QStringLiteral("sequenceNumber"), num(sequenceNumber)},
                    {QStringLiteral("streamSid"), streamSid},
                    {QStringLiteral("mark"), QJsonObject{{QStringLiteral("name"), name}}}});
}

QByteArray encodeStop(const QString &streamSid, qint64 sequenceNumber, const QString &accountSid,
                      const QString &callSid)
{
    return compact({{QStringLiteral("event"), QStringLiteral("stop")},
                    {QStringLiteral("sequenceNumber"), num(sequenceNumber)},
                    {QStringLiteral("streamSid"), streamSid},
                    {QStringLiteral("stop"), QJsonObject{{QStringLiteral("accountSid"), accountSid},
                                                         {QStringLiteral("callSid"), callSid}}}});
}

ParseResult parseFromTwilio(const QByteArray &json, const QString &expectedStreamSid)
{
    ParseResult r;
    QJsonObject o;
    if (!parseObject(json, r, &o))
        return r;
    QString name;
    if (!readEvent(o, r, &name))
        return r;

    const Event ev = eventFromName(name);
    if (ev == Event::Unknown || ev == Event::Clear) {
        r.error = ParseError::UnknownEvent;
        r.twilioCode = InvalidMessage;
        r.detail = QStringLiteral("unknown event '%1' from Twilio (expected connected, start, media, dtmf, mark or stop)")
                       .arg(name.left(60));
        return r;
    }
    r.message.event = ev;
    Message &m = r.message;
    Checker c(r, name);

    if (ev == Event::Connected) {
        c.requireString(o, QStringLiteral("protocol"), QStringLiteral("protocol"), &m.protocol)
            && c.requireString(o, QStringLiteral("version"), QStringLiteral("version"), &m.version);
        return r;
    }

    // Every other event carries a sequence number and the stream id.
    if (!c.requireNumberString(o, QStringLiteral("sequenceNumber"), QStringLiteral("sequenceNumber"), &m.sequenceNumber)
        || !c.requireString(o, QStringLiteral("streamSid"), QStringLiteral("streamSid"), &m.streamSid, false))
        return r;
    if (!expectedStreamSid.isEmpty() && m.streamSid != expectedStreamSid) {
        c.fail(ParseError::StreamSidMismatch, QStringLiteral("streamSid '%1' does not match the stream '%2'")
                                                  .arg(m.streamSid.left(80), expectedStreamSid));
        return r;
    }

    switch (ev) {
    case Event::Start: {
        QJsonObject s, format;
        QJsonValue tracks;
        StartInfo &info = m.start;
        if (!c.requireObject(o, QStringLiteral("start"), QStringLiteral("start"), &s)
            || !c.requireString(s, QStringLiteral("accountSid"), QStringLiteral("start.accountSid"), &info.accountSid)
            || !c.requireString(s, QStringLiteral("callSid"), QStringLiteral("start.callSid"), &info.callSid)
            || !c.require(s, QStringLiteral("tracks"), QStringLiteral("start.tracks"), QJsonValue::Array, &tracks)
            || !c.requireObject(s, QStringLiteral("mediaFormat"), QStringLiteral("start.mediaFormat"), &format)
            || !c.requireString(format, QStringLiteral("encoding"), QStringLiteral("start.mediaFormat.encoding"),
                                &info.encoding)
            || !c.requireInt(format, QStringLiteral("sampleRate"), QStringLiteral("start.mediaFormat.sampleRate"),
                             &info.sampleRate)
            || !c.requireInt(format, QStringLiteral("channels"), QStringLiteral("start.mediaFormat.channels"),
                             &info.channels))
            return r;
        info.tracks.clear();
        const QJsonArray arr = tracks.toArray();
        for (qsizetype i = 0; i < arr.size(); ++i) {
            if (!arr.at(i).isString()) {
                c.fail(ParseError::WrongType, QStringLiteral("start.tracks[%1] must be a string, got %2")
                                                  .arg(i).arg(typeName(arr.at(i))));
                return r;
            }
            info.tracks << arr.at(i).toString();
        }
        // start.streamSid is optional (older payloads omit it) but must agree when present.
        info.streamSid = m.streamSid;
        if (s.contains(QStringLiteral("streamSid"))) {
            QString inner;
            if (!c.requireString(s, QStringLiteral("streamSid"), QStringLiteral("start.streamSid"), &inner))
                return r;
            if (inner != m.streamSid) {
                c.fail(ParseError::StreamSidMismatch,
                       QStringLiteral("start.streamSid '%1' does not match streamSid '%2'").arg(inner.left(80), m.streamSid));
                return r;
            }
        }
        if (s.contains(QStringLiteral("customParameters"))) {
            QJsonObject params;
            if (!c.requireObject(s, QStringLiteral("customParameters"), QStringLiteral("start.customParameters"), &params))
                return r;
            info.customParameters = params.toVariantMap();
        }
        break;
    }
    case Event::Media: {
        QJsonObject media;
        QString b64;
        if (!c.requireObject(o, QStringLiteral("media"), QStringLiteral("media"), &media)
            || !c.requireString(media, QStringLiteral("track"), QStringLiteral("media.track"), &m.track)
            || !c.requireNumberString(media, QStringLiteral("chunk"), QStringLiteral("media.chunk"), &m.chunk)
            || !c.requireNumberString(media, QStringLiteral("timestamp"), QStringLiteral("media.timestamp"),
                                      &m.timestampMs)
            || !c.requireString(media, QStringLiteral("payload"), QStringLiteral("media.payload"), &b64)
            || !c.decodePayload(b64, QStringLiteral("media.payload"), &m.payload))
            return r;
        break;
    }
    case Event::Dtmf: {
        QJsonObject dtmf;
        if (!c.requireObject(o, QStringLiteral("dtmf"), QStringLiteral("dtmf"), &dtmf)
            || !c.requireString(dtmf, QStringLiteral("digit"), QStringLiteral("dtmf.digit"), &m.digit, false))
            return r;
        if (dtmf.contains(QStringLiteral("track")))
            c.requireString(dtmf, QStringLiteral("track"), QStringLiteral("dtmf.track"), &m.track);
        break;
    }
    case Event::Mark: {
        QJsonObject mark;
        c.requireObject(o, QStringLiteral("mark"), QStringLiteral("mark"), &mark)
            && c.requireString(mark, QStringLiteral("name"), QStringLiteral("mark.name"), &m.markName);
        break;
    }
    case Event::Stop: {
        QJsonObject stop;
        c.requireObject(o, QStringLiteral("stop"), QStringLiteral("stop"), &stop)
            && c.requireString(stop, QStringLiteral("accountSid"), QStringLiteral("stop.accountSid"), &m.start.accountSid)
            && c.requireString(stop, QStringLiteral("callSid"), QStringLiteral("stop.callSid"), &m.start.callSid);
        break;
    }
    default: break;
    }
    return r;
}

QString makeSid(const QString &prefix)
{
    quint32 words[4];
    QRandomGenerator::global()->fillRange(words);
    const QByteArray raw(reinterpret_cast<const char *>(words), sizeof(words));
    return prefix + QString::fromLatin1(raw.toHex());
}

} // namespace pacelab::twilio
