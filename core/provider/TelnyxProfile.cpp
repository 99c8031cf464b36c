#include "provider/ProfileJson.h"
#include "provider/Profiles.h"

#include <QJsonArray>
#include <QJsonDocument>

// Telnyx Media Streaming over WebSockets, bidirectional RTP mode (stream_bidirectional_mode=rtp,
// codec PCMU): Twilio-like JSON text frames with snake_case ids. Facts, sources and assumptions:
// docs/providers.md, section "Telnyx".
namespace pacelab::provider {

namespace {

using json::Checker;

const QString kEvent = QStringLiteral("event");
const QString kStreamId = QStringLiteral("stream_id");
const QString kSeq = QStringLiteral("sequence_number");

// Bidirectional RTP chunks must hold 20 ms .. 30 s of audio: 160 .. 240,000 B of 8 kHz PCMU.
constexpr int kMinChunkBytes = 160;
constexpr int kMaxChunkBytes = 240'000;

QString num(qint64 n)
{
    return QString::number(n); // Telnyx sends sequence_number, chunk and timestamp as strings
}

// media_format {encoding, sample_rate} → PaceLab's format; nullopt for codecs PaceLab does not
// decode (G722, OPUS, AMR-WB) and for L16, which RTP carries big-endian (RFC 3551) while
// MediaFormat's L16 is little-endian: decoding it as such would be noise.
std::optional<MediaFormat> formatFrom(const QString &encoding, qint64 rate)
{
    const QString e = encoding.toUpper();
    if (e == QLatin1String("PCMU") && rate == 8000)
        return MediaFormat::mulaw8k();
    if (e == QLatin1String("PCMA") && rate == 8000)
        return MediaFormat{MediaFormat::Encoding::Alaw, 8000, 20};
    return std::nullopt;
}

class TelnyxProfile final : public Profile
{
public:
    Id id() const override { return Id::Telnyx; }
    QString name() const override { return QStringLiteral("telnyx"); }
    QString displayName() const override { return QStringLiteral("Telnyx Media Streaming"); }
    MediaFormat outboundFormat() const override { return MediaFormat::mulaw8k(); }
    MediaFormat inboundFormat() const override { return MediaFormat::mulaw8k(); }
    Limits limits() const override
    {
        Limits l;
        l.minAudioBytes = kMinChunkBytes;
        l.maxAudioBytes = kMaxChunkBytes;
        return l;
    }
    bool clearEchoesPendingMarks() const override { return true; } // "a clear frame also returns queued marks"
    // Telnyx's client frames carry no stream id (the socket is the stream); one a bot adds anyway
    // is checked when present.
    bool botMessagesCarryStreamId() const override { return false; }

    // ---- bot -> provider ----------------------------------------------------------------------
    WireMessage encodeMedia(const QString &, const QByteArray &audio) const override
    {
        return {json::compact({{kEvent, QStringLiteral("media")},
                               {QStringLiteral("media"), QJsonObject{{QStringLiteral("payload"), json::base64(audio)}}}}),
                false};
    }
    WireMessage encodeMark(const QString &, const QString &markName) const override
    {
        return {json::compact({{kEvent, QStringLiteral("mark")},
                               {QStringLiteral("mark"), QJsonObject{{QStringLiteral("name"), markName}}}}),
                false};
    }
    WireMessage encodeClear(const QString &) const override
    {
        return {json::compact({{kEvent, QStringLiteral("clear")}}), false};
    }

    ParseResult parseFromBot(const QByteArray &data, bool binary, const QString &expectedStreamId) const override
    {
        ParseResult r;
        if (binary) {
            Checker(r, *this, QString())
                .fail(ParseError::WrongFrameType,
                      QStringLiteral("binary WebSocket frame of %1 bytes: Telnyx accepts only JSON text frames "
                                     "(audio goes base64 in media.payload)")
                          .arg(data.size()));
            return r;
        }
        QJsonObject o;
        if (!json::parseObject(data, *this, r, &o))
            return r;
        QString ev;
        if (!Checker(r, *this, QStringLiteral("the message")).requireString(o, kEvent, kEvent, &ev))
            return r;
        Message &m = r.message;
        m.name = ev;
        Checker c(r, *this, json::quote(ev));
        if (ev == QLatin1String("media")) {
            m.event = Event::Media;
            QJsonObject media;
            QString b64;
            if (!c.onlyFields(o, QString(), {"event", "media", "stream_id"}) || !streamIdIfAny(c, o, expectedStreamId, &m)
                || !c.requireObject(o, QStringLiteral("media"), QStringLiteral("media"), &media)
                || !c.onlyFields(media, QStringLiteral("media."), {"payload"})
                || !c.requireString(media, QStringLiteral("payload"), QStringLiteral("media.payload"), &b64)
                || !c.decodeBase64(b64, QStringLiteral("media.payload"), &m.audio)
                || !c.refuseRiff(&m.audio, QStringLiteral("media.payload"), QStringLiteral("Telnyx wants raw RTP payload (8 kHz PCMU)")))
                return r;
            if (m.audio.size() < kMinChunkBytes || m.audio.size() > kMaxChunkBytes)
                c.fail(ParseError::BadAudioSize,
                       QStringLiteral("media.payload carries %1 bytes (%2 ms): Telnyx plays RTP chunks of 20 ms to 30 s "
                                      "(%3 to %4 bytes of 8 kHz PCMU)")
                           .arg(m.audio.size())
                           .arg(outboundFormat().bytesToMs(m.audio.size()), 0, 'f', 1)
                           .arg(kMinChunkBytes)
                           .arg(kMaxChunkBytes));
            return r;
        }
        if (ev == QLatin1String("mark")) {
            m.event = Event::Mark;
            QJsonObject mark;
            c.onlyFields(o, QString(), {"event", "mark", "stream_id"}) && streamIdIfAny(c, o, expectedStreamId, &m)
                && c.requireObject(o, QStringLiteral("mark"), QStringLiteral("mark"), &mark)
                && c.onlyFields(mark, QStringLiteral("mark."), {"name"})
                && c.requireString(mark, QStringLiteral("name"), QStringLiteral("mark.name"), &m.markName, false);
            return r;
        }
        if (ev == QLatin1String("clear")) {
            m.event = Event::Clear;
            c.onlyFields(o, QString(), {"event", "stream_id"}) && streamIdIfAny(c, o, expectedStreamId, &m);
            return r;
        }
        static const QStringList fromTelnyx{QStringLiteral("connected"), QStringLiteral("start"), QStringLiteral("dtmf"),
                                            QStringLiteral("stop"), QStringLiteral("error")};
        c.fail(ParseError::UnknownEvent,
               fromTelnyx.contains(ev)
                   ? QStringLiteral("event '%1' is sent by Telnyx, not by a bot (a bot may send media, mark or clear)").arg(ev)
                   : QStringLiteral("unknown event '%1' (a bot may send media, mark or clear)").arg(json::quote(ev)));
        return r;
    }

    // ---- provider -> bot ----------------------------------------------------------------------
    QList<WireMessage> encodeHandshake(const StartParams &p, qint64 *sequence) const override
    {
        const QJsonObject format{{QStringLiteral("encoding"), QStringLiteral("PCMU")},
                                 {QStringLiteral("sample_rate"), 8000},
                                 {QStringLiteral("channels"), 1}};
        const QJsonObject start{{QStringLiteral("user_id"), p.accountId},
                                {QStringLiteral("call_control_id"), p.callId},
                                {QStringLiteral("custom_parameters"), QJsonObject::fromVariantMap(p.customParameters)},
                                {QStringLiteral("media_format"), format}};
        return {{json::compact({{kEvent, QStringLiteral("connected")}, {QStringLiteral("version"), QStringLiteral("1.0.0")}}), false},
                {json::compact({{kEvent, QStringLiteral("start")},
                                {kSeq, num(++*sequence)},
                                {QStringLiteral("start"), start},
                                {kStreamId, p.streamId}}),
                 false}};
    }
    WireMessage encodeInboundMedia(const StartParams &p, qint64 *sequence, qint64 chunk, qint64 timestampMs,
                                   const QByteArray &audio) const override
    {
        const QJsonObject media{{QStringLiteral("track"), QStringLiteral("inbound")},
                                {QStringLiteral("chunk"), num(chunk)},
                                {QStringLiteral("timestamp"), num(timestampMs)},
                                {QStringLiteral("payload"), json::base64(audio)}};
        return {json::compact({{kEvent, QStringLiteral("media")}, {kSeq, num(++*sequence)}, {QStringLiteral("media"), media}, {kStreamId, p.streamId}}),
                false};
    }
    WireMessage encodeDtmf(const StartParams &p, qint64 *sequence, const QString &digit) const override
    {
        return {json::compact({{kEvent, QStringLiteral("dtmf")},
                               {kSeq, num(++*sequence)},
                               {QStringLiteral("dtmf"), QJsonObject{{QStringLiteral("digit"), digit}}},
                               {kStreamId, p.streamId}}),
                false};
    }
    WireMessage encodeMarkEcho(const StartParams &p, qint64 *sequence, const QString &markName) const override
    {
        return {json::compact({{kEvent, QStringLiteral("mark")},
                               {kSeq, num(++*sequence)},
                               {QStringLiteral("mark"), QJsonObject{{QStringLiteral("name"), markName}}},
                               {kStreamId, p.streamId}}),
                false};
    }
    std::optional<WireMessage> encodeClearAck(const StartParams &, qint64 *) const override { return std::nullopt; }
    std::optional<WireMessage> encodeStop(const StartParams &p, qint64 *sequence) const override
    {
        return WireMessage{json::compact({{kEvent, QStringLiteral("stop")},
                                          {kSeq, num(++*sequence)},
                                          {QStringLiteral("stop"), QJsonObject{{QStringLiteral("user_id"), p.accountId},
                                                                               {QStringLiteral("call_control_id"), p.callId}}},
                                          {kStreamId, p.streamId}}),
                           false};
    }

    ParseResult parseFromProvider(const QByteArray &data, bool binary, const QString &expectedStreamId) const override
    {
        ParseResult r;
        if (binary) {
            Checker(r, *this, QString())
                .fail(ParseError::WrongFrameType,
                      QStringLiteral("binary WebSocket frame of %1 bytes: Telnyx sends only JSON text frames").arg(data.size()));
            return r;
        }
        QJsonObject o;
        if (!json::parseObject(data, *this, r, &o))
            return r;
        QString ev;
        if (!Checker(r, *this, QStringLiteral("the message")).requireString(o, kEvent, kEvent, &ev))
            return r;
        Message &m = r.message;
        m.name = ev;
        Checker c(r, *this, json::quote(ev));

        if (ev == QLatin1String("connected")) {
            m.event = Event::Connected;
            QString version; // "1.0.0"; checked for its type, not kept (Message::text is for errors)
            c.optionalString(o, QStringLiteral("version"), QStringLiteral("version"), &version);
            return r;
        }
        static const QStringList known{QStringLiteral("start"), QStringLiteral("media"), QStringLiteral("dtmf"),
                                       QStringLiteral("mark"), QStringLiteral("stop"), QStringLiteral("error")};
        if (!known.contains(ev)) {
            c.fail(ParseError::UnknownEvent,
                   QStringLiteral("unknown event '%1' from Telnyx (expected connected, start, media, dtmf, mark, error or stop)")
                       .arg(json::quote(ev)));
            return r;
        }
        // Every other frame names the stream; sequence_number is absent from error frames.
        if (!c.requireString(o, kStreamId, kStreamId, &m.streamId, false) || !c.checkStreamId(m.streamId, expectedStreamId, kStreamId))
            return r;
        if (o.contains(kSeq) && !c.requireIntegerOrDigits(o, kSeq, kSeq, &m.sequenceNumber))
            return r;

        if (ev == QLatin1String("start")) {
            m.event = Event::Start;
            QJsonObject s, format;
            QString encoding;
            qint64 rate = 0, channels = 1;
            if (!c.requireObject(o, QStringLiteral("start"), QStringLiteral("start"), &s)
                || !c.requireString(s, QStringLiteral("call_control_id"), QStringLiteral("start.call_control_id"), &m.callId)
                || !c.optionalString(s, QStringLiteral("user_id"), QStringLiteral("start.user_id"), &m.accountId)
                || !c.requireObject(s, QStringLiteral("media_format"), QStringLiteral("start.media_format"), &format)
                || !c.requireString(format, QStringLiteral("encoding"), QStringLiteral("start.media_format.encoding"), &encoding)
                || !c.requireIntegerOrDigits(format, QStringLiteral("sample_rate"), QStringLiteral("start.media_format.sample_rate"), &rate)
                || !c.optionalIntegerOrDigits(format, QStringLiteral("channels"), QStringLiteral("start.media_format.channels"), &channels))
                return r;
            m.format = formatFrom(encoding, rate);
            QJsonObject params;
            if (!c.optionalObject(s, QStringLiteral("custom_parameters"), QStringLiteral("start.custom_parameters"), &params))
                return r;
            m.customParameters = params.toVariantMap();
            m.tracks = QStringList{QStringLiteral("inbound")};
            return r;
        }
        if (ev == QLatin1String("media")) {
            m.event = Event::Media;
            QJsonObject media;
            QString b64;
            c.requireObject(o, QStringLiteral("media"), QStringLiteral("media"), &media)
                && c.optionalString(media, QStringLiteral("track"), QStringLiteral("media.track"), &m.track)
                && c.optionalIntegerOrDigits(media, QStringLiteral("chunk"), QStringLiteral("media.chunk"), &m.chunk)
                && c.optionalIntegerOrDigits(media, QStringLiteral("timestamp"), QStringLiteral("media.timestamp"), &m.timestampMs)
                && c.requireString(media, QStringLiteral("payload"), QStringLiteral("media.payload"), &b64)
                && c.decodeBase64(b64, QStringLiteral("media.payload"), &m.audio);
            return r;
        }
        if (ev == QLatin1String("dtmf")) {
            m.event = Event::Dtmf;
            QJsonObject dtmf;
            c.requireObject(o, QStringLiteral("dtmf"), QStringLiteral("dtmf"), &dtmf)
                && c.requireString(dtmf, QStringLiteral("digit"), QStringLiteral("dtmf.digit"), &m.digit, false);
            return r;
        }
        if (ev == QLatin1String("mark")) {
            m.event = Event::Mark;
            QJsonObject mark;
            c.requireObject(o, QStringLiteral("mark"), QStringLiteral("mark"), &mark)
                && c.requireString(mark, QStringLiteral("name"), QStringLiteral("mark.name"), &m.markName);
            return r;
        }
        if (ev == QLatin1String("stop")) {
            m.event = Event::Stop;
            QJsonObject stop;
            c.optionalObject(o, QStringLiteral("stop"), QStringLiteral("stop"), &stop)
                && c.optionalString(stop, QStringLiteral("call_control_id"), QStringLiteral("stop.call_control_id"), &m.callId)
                && c.optionalString(stop, QStringLiteral("user_id"), QStringLiteral("stop.user_id"), &m.accountId);
            return r;
        }
        // error: {payload: {code, title, detail}}; every part optional, the text says what came.
        m.event = Event::Error;
        QJsonObject payload;
        if (!c.optionalObject(o, QStringLiteral("payload"), QStringLiteral("payload"), &payload))
            return r;
        QStringList parts;
        const QJsonValue code = payload.value(QStringLiteral("code"));
        if (code.isDouble() || code.isString())
            parts << (code.isDouble() ? QString::number(code.toDouble(), 'f', 0) : json::quote(code.toString()));
        for (const char *k : {"title", "detail"})
            if (payload.value(QLatin1String(k)).isString())
                parts << json::quote(payload.value(QLatin1String(k)).toString(), 200);
        m.text = parts.isEmpty() ? QStringLiteral("error frame without a payload") : parts.join(QStringLiteral(": "));
        return r;
    }

    StartParams withIds(StartParams p) const override
    {
        // Shapes from Telnyx's examples: upper-case UUIDs for stream_id and user_id,
        // "v3:" + 54 URL-safe base64 characters for call_control_id.
        if (p.streamId.isEmpty())
            p.streamId = json::uuid(true);
        if (p.accountId.isEmpty())
            p.accountId = json::uuid(true);
        if (p.callId.isEmpty())
            p.callId = QStringLiteral("v3:")
                       + json::randomChars(54, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
        return p;
    }

    int recognize(const QByteArray &data, bool binary) const override
    {
        if (binary)
            return 0;
        const QJsonObject o = QJsonDocument::fromJson(data).object();
        if (o.isEmpty())
            return 0;
        const QString ev = o.value(kEvent).toString();
        if (o.contains(kStreamId)) {
            const QJsonObject start = o.value(QStringLiteral("start")).toObject();
            return start.contains(QStringLiteral("call_control_id")) ? 100 : 90;
        }
        if (o.contains(QStringLiteral("streamSid")) || o.contains(QStringLiteral("streamId")) || o.contains(QStringLiteral("stream_sid")))
            return 0; // Twilio, Plivo, Exotel
        // A connected frame without Twilio's "protocol", or a bot's frame without any stream id:
        // Twilio-shaped but Telnyx's, weakly.
        if (ev == QLatin1String("connected") && !o.contains(QStringLiteral("protocol")) && o.value(QStringLiteral("version")).isString())
            return 30;
        if ((ev == QLatin1String("media") && o.size() == 2 && o.value(QStringLiteral("media")).toObject().keys() == QStringList{QStringLiteral("payload")})
            || (ev == QLatin1String("mark") && o.size() == 2 && o.value(QStringLiteral("mark")).isObject())
            || (ev == QLatin1String("clear") && o.size() == 1))
            return 20;
        return 0;
    }

private:
    // A stream_id a bot adds is not documented but harmless; when present it must be a string and
    // name this stream.
    static bool streamIdIfAny(Checker &c, const QJsonObject &o, const QString &expected, Message *m)
    {
        if (!o.contains(kStreamId))
            return true;
        return c.requireString(o, kStreamId, kStreamId, &m->streamId, false) && c.checkStreamId(m->streamId, expected, kStreamId);
    }
};

} // namespace

const Profile &telnyxProfile()
{
    static const TelnyxProfile p;
    return p;
}

} // namespace pacelab::provider
