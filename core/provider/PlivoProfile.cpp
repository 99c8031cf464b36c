#include "provider/ProfileJson.h"
#include "provider/Profiles.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

// Plivo Audio Streaming, bidirectional (<Stream bidirectional="true"
// contentType="audio/x-mulaw;rate=8000">): camelCase JSON text frames; the bot plays audio with
// playAudio, marks with checkpoint (echoed as playedStream once played) and interrupts with
// clearAudio (acknowledged with clearedAudio). Facts, sources and assumptions: docs/providers.md,
// section "Plivo".
namespace pacelab::provider {

namespace {

using json::Checker;

const QString kEvent = QStringLiteral("event");
const QString kStreamId = QStringLiteral("streamId");
const QString kSeq = QStringLiteral("sequenceNumber");
const QString kMulaw = QStringLiteral("audio/x-mulaw");
const QString kL16 = QStringLiteral("audio/x-l16");
const QString kExtraHeaders = QStringLiteral("extra_headers");

// "audio/x-mulaw" + 8000 → format; nullopt for anything Plivo does not stream.
std::optional<MediaFormat> formatFrom(const QString &contentType, qint64 rate)
{
    // The <Stream contentType> attribute spells the rate inside ("audio/x-mulaw;rate=8000").
    const QString type = contentType.section(QLatin1Char(';'), 0, 0).trimmed().toLower();
    if (type == kMulaw && rate == 8000)
        return MediaFormat::mulaw8k();
    if (type == kL16 && (rate == 8000 || rate == 16000))
        return MediaFormat::l16(int(rate));
    return std::nullopt;
}

// The <Stream extraHeaders> as Plivo forwards them: one "k=v;k2=v2" string, on start, media and
// dtmf. Always present (empty when there are none): Plivo's own SDK schema requires it.
QString extraHeaders(const StartParams &p)
{
    QStringList pairs;
    for (auto it = p.customParameters.constBegin(); it != p.customParameters.constEnd(); ++it)
        pairs << it.key() + QLatin1Char('=') + it.value().toString();
    return pairs.join(QLatin1Char(';'));
}

QString describe(const QString &contentType, qint64 rate)
{
    return QStringLiteral("'%1' at %2 Hz").arg(json::quote(contentType, 40)).arg(rate);
}

class PlivoProfile final : public Profile
{
public:
    Id id() const override { return Id::Plivo; }
    QString name() const override { return QStringLiteral("plivo"); }
    QString displayName() const override { return QStringLiteral("Plivo Audio Streaming"); }
    // Plivo also streams L16 at 8 or 16 kHz (and defaults to L16 8 kHz); PaceLab's Plivo profile
    // is the mu-law stream voice bots use, so every format check is against 8 kHz mu-law.
    MediaFormat outboundFormat() const override { return MediaFormat::mulaw8k(); }
    MediaFormat inboundFormat() const override { return MediaFormat::mulaw8k(); }
    Limits limits() const override { return {}; } // Plivo documents no buffer or message limit
    // playedStream "will only be emitted if the preceding events were played successfully": a
    // clearAudio drops pending checkpoints and is acknowledged with clearedAudio instead.
    bool clearEchoesPendingMarks() const override { return false; }
    bool botMessagesCarryStreamId() const override { return true; } // checkpoint and clearAudio name the stream

    // ---- bot -> provider ----------------------------------------------------------------------
    WireMessage encodeMedia(const QString &, const QByteArray &audio) const override
    {
        // As documented: no streamId in playAudio (the socket is the stream).
        const QJsonObject media{{QStringLiteral("contentType"), kMulaw},
                                {QStringLiteral("sampleRate"), 8000},
                                {QStringLiteral("payload"), json::base64(audio)}};
        return {json::compact({{kEvent, QStringLiteral("playAudio")}, {QStringLiteral("media"), media}}), false};
    }
    WireMessage encodeMark(const QString &streamId, const QString &markName) const override
    {
        return {json::compact({{kEvent, QStringLiteral("checkpoint")}, {kStreamId, streamId}, {QStringLiteral("name"), markName}}),
                false};
    }
    WireMessage encodeClear(const QString &streamId) const override
    {
        return {json::compact({{kEvent, QStringLiteral("clearAudio")}, {kStreamId, streamId}}), false};
    }

    ParseResult parseFromBot(const QByteArray &data, bool binary, const QString &expectedStreamId) const override
    {
        ParseResult r;
        if (binary) {
            Checker(r, *this, QString())
                .fail(ParseError::WrongFrameType,
                      QStringLiteral("binary WebSocket frame of %1 bytes: Plivo accepts only JSON text frames "
                                     "(audio goes base64 in a playAudio event's media.payload)")
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

        if (ev == QLatin1String("playAudio")) {
            m.event = Event::Media;
            QJsonObject media;
            QString type, b64;
            qint64 rate = 0;
            if (!c.onlyFields(o, QString(), {"event", "media", "streamId"})
                || (o.contains(kStreamId)
                    && (!c.requireString(o, kStreamId, kStreamId, &m.streamId, false) || !c.checkStreamId(m.streamId, expectedStreamId, kStreamId)))
                || !c.requireObject(o, QStringLiteral("media"), QStringLiteral("media"), &media)
                || !c.onlyFields(media, QStringLiteral("media."), {"contentType", "sampleRate", "payload"})
                || !c.requireString(media, QStringLiteral("contentType"), QStringLiteral("media.contentType"), &type, false)
                // Plivo's own examples write sampleRate both as 8000 and as "8000".
                || !c.requireIntegerOrDigits(media, QStringLiteral("sampleRate"), QStringLiteral("media.sampleRate"), &rate)
                || !c.requireString(media, QStringLiteral("payload"), QStringLiteral("media.payload"), &b64))
                return r;
            m.format = formatFrom(type, rate);
            if (!m.format) {
                c.fail(ParseError::WrongAudioFormat,
                       QStringLiteral("media.contentType/sampleRate %1 is not a Plivo audio format "
                                      "(audio/x-mulaw at 8000 Hz, audio/x-l16 at 8000 or 16000 Hz)")
                           .arg(describe(type, rate)));
                return r;
            }
            if (*m.format != outboundFormat()) {
                c.fail(ParseError::WrongAudioFormat,
                       QStringLiteral("media.contentType/sampleRate %1 differs from the stream's audio/x-mulaw at 8000 Hz "
                                      "(<Stream contentType=\"audio/x-mulaw;rate=8000\">): Plivo would play it as the wrong format")
                           .arg(describe(type, rate)));
                return r;
            }
            if (!c.decodeBase64(b64, QStringLiteral("media.payload"), &m.audio)
                || !c.refuseRiff(&m.audio, QStringLiteral("media.payload"), QStringLiteral("Plivo wants raw audio/x-mulaw at 8000 Hz")))
                return r;
            if (m.audio.isEmpty())
                r.detail = QStringLiteral("note: media.payload is empty (plays nothing)");
            return r;
        }
        if (ev == QLatin1String("checkpoint")) {
            m.event = Event::Mark;
            c.onlyFields(o, QString(), {"event", "streamId", "name"})
                && c.requireString(o, kStreamId, kStreamId, &m.streamId, false)
                && c.requireString(o, QStringLiteral("name"), QStringLiteral("name"), &m.markName, false)
                && c.checkStreamId(m.streamId, expectedStreamId, kStreamId);
            return r;
        }
        if (ev == QLatin1String("clearAudio")) {
            m.event = Event::Clear;
            c.onlyFields(o, QString(), {"event", "streamId"})
                && c.requireString(o, kStreamId, kStreamId, &m.streamId, false)
                && c.checkStreamId(m.streamId, expectedStreamId, kStreamId);
            return r;
        }
        if (ev == QLatin1String("sendDTMF")) {
            // Plays digits into the call. **Assumption**: {event, dtmf: "digits"[, streamId]}.
            m.event = Event::Dtmf;
            c.onlyFields(o, QString(), {"event", "streamId", "dtmf"})
                && c.requireString(o, QStringLiteral("dtmf"), QStringLiteral("dtmf"), &m.digit, false)
                && (!o.contains(kStreamId)
                    || (c.requireString(o, kStreamId, kStreamId, &m.streamId, false) && c.checkStreamId(m.streamId, expectedStreamId, kStreamId)));
            return r;
        }
        static const QStringList fromPlivo{QStringLiteral("start"), QStringLiteral("media"), QStringLiteral("dtmf"),
                                           QStringLiteral("playedStream"), QStringLiteral("clearedAudio"), QStringLiteral("stop")};
        const QString hint = QStringLiteral("a bot may send playAudio, checkpoint, clearAudio or sendDTMF");
        if (ev == QLatin1String("media") || ev == QLatin1String("mark") || ev == QLatin1String("clear"))
            c.fail(ParseError::UnknownEvent,
                   QStringLiteral("event '%1' is Twilio's; Plivo's is '%2' (%3)")
                       .arg(ev,
                            ev == QLatin1String("media") ? QStringLiteral("playAudio")
                            : ev == QLatin1String("mark") ? QStringLiteral("checkpoint")
                                                          : QStringLiteral("clearAudio"),
                            hint));
        else
            c.fail(ParseError::UnknownEvent,
                   fromPlivo.contains(ev) ? QStringLiteral("event '%1' is sent by Plivo, not by a bot (%2)").arg(ev, hint)
                                          : QStringLiteral("unknown event '%1' (%2)").arg(json::quote(ev), hint));
        return r;
    }

    // ---- provider -> bot ----------------------------------------------------------------------
    QList<WireMessage> encodeHandshake(const StartParams &p, qint64 *sequence) const override
    {
        const QJsonObject start{{QStringLiteral("callId"), p.callId},
                                {kStreamId, p.streamId},
                                {QStringLiteral("accountId"), p.accountId},
                                {QStringLiteral("tracks"), QJsonArray::fromStringList(p.tracks)},
                                {QStringLiteral("mediaFormat"), QJsonObject{{QStringLiteral("encoding"), kMulaw},
                                                                            {QStringLiteral("sampleRate"), 8000}}}};
        return {{json::compact({{kEvent, QStringLiteral("start")},
                                {kSeq, ++*sequence},
                                {QStringLiteral("start"), start},
                                {kExtraHeaders, extraHeaders(p)}}),
                 false}};
    }
    WireMessage encodeInboundMedia(const StartParams &p, qint64 *sequence, qint64 chunk, qint64 timestampMs,
                                   const QByteArray &audio) const override
    {
        const QJsonObject media{{QStringLiteral("track"), QStringLiteral("inbound")},
                                {QStringLiteral("timestamp"), QString::number(timestampMs)},
                                {QStringLiteral("chunk"), chunk},
                                {QStringLiteral("payload"), json::base64(audio)}};
        return {json::compact({{kEvent, QStringLiteral("media")},
                               {kSeq, ++*sequence},
                               {kStreamId, p.streamId},
                               {QStringLiteral("media"), media},
                               {kExtraHeaders, extraHeaders(p)}}),
                false};
    }
    WireMessage encodeDtmf(const StartParams &p, qint64 *sequence, const QString &digit) const override
    {
        return {json::compact({{kEvent, QStringLiteral("dtmf")},
                               {kSeq, ++*sequence},
                               {kStreamId, p.streamId},
                               {QStringLiteral("dtmf"), QJsonObject{{QStringLiteral("track"), QStringLiteral("inbound")},
                                                                    {QStringLiteral("digit"), digit},
                                                                    {QStringLiteral("timestamp"),
                                                                     QString::number(QDateTime::currentMSecsSinceEpoch())}}},
                               {kExtraHeaders, extraHeaders(p)}}),
                false};
    }
    WireMessage encodeMarkEcho(const StartParams &p, qint64 *sequence, const QString &markName) const override
    {
        return {json::compact({{kEvent, QStringLiteral("playedStream")},
                               {kSeq, ++*sequence},
                               {kStreamId, p.streamId},
                               {QStringLiteral("name"), markName}}),
                false};
    }
    std::optional<WireMessage> encodeClearAck(const StartParams &p, qint64 *sequence) const override
    {
        return WireMessage{json::compact({{kEvent, QStringLiteral("clearedAudio")}, {kSeq, ++*sequence}, {kStreamId, p.streamId}}), false};
    }
    // The stream's end is reported to the statusCallbackUrl over HTTP, not on the socket: Plivo
    // just closes it.
    std::optional<WireMessage> encodeStop(const StartParams &, qint64 *) const override { return std::nullopt; }

    ParseResult parseFromProvider(const QByteArray &data, bool binary, const QString &expectedStreamId) const override
    {
        ParseResult r;
        if (binary) {
            Checker(r, *this, QString())
                .fail(ParseError::WrongFrameType,
                      QStringLiteral("binary WebSocket frame of %1 bytes: Plivo sends only JSON text frames").arg(data.size()));
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
        static const QStringList known{QStringLiteral("start"), QStringLiteral("media"), QStringLiteral("dtmf"),
                                       QStringLiteral("playedStream"), QStringLiteral("clearedAudio"), QStringLiteral("stop")};
        if (!known.contains(ev)) {
            c.fail(ParseError::UnknownEvent,
                   QStringLiteral("unknown event '%1' from Plivo (expected start, media, dtmf, playedStream or clearedAudio)")
                       .arg(json::quote(ev)));
            return r;
        }
        if (!c.optionalIntegerOrDigits(o, kSeq, kSeq, &m.sequenceNumber))
            return r;

        if (ev == QLatin1String("start")) {
            m.event = Event::Start;
            QJsonObject s, format;
            QString encoding;
            qint64 rate = 0;
            if (!c.requireObject(o, QStringLiteral("start"), QStringLiteral("start"), &s)
                || !c.requireString(s, kStreamId, QStringLiteral("start.streamId"), &m.streamId, false)
                || !c.checkStreamId(m.streamId, expectedStreamId, QStringLiteral("start.streamId"))
                || !c.requireString(s, QStringLiteral("callId"), QStringLiteral("start.callId"), &m.callId)
                || !c.optionalString(s, QStringLiteral("accountId"), QStringLiteral("start.accountId"), &m.accountId)
                || (s.contains(QStringLiteral("tracks")) && !c.requireStringArray(s, QStringLiteral("tracks"), QStringLiteral("start.tracks"), &m.tracks))
                || !c.requireObject(s, QStringLiteral("mediaFormat"), QStringLiteral("start.mediaFormat"), &format)
                || !c.requireString(format, QStringLiteral("encoding"), QStringLiteral("start.mediaFormat.encoding"), &encoding)
                || !c.requireIntegerOrDigits(format, QStringLiteral("sampleRate"), QStringLiteral("start.mediaFormat.sampleRate"), &rate))
                return r;
            m.format = formatFrom(encoding, rate);
            QString extra;
            if (!c.optionalString(o, kExtraHeaders, kExtraHeaders, &extra))
                return r;
            for (const QString &pair : extra.split(QRegularExpression(QStringLiteral("[;,]")), Qt::SkipEmptyParts)) {
                const qsizetype eq = pair.indexOf(QLatin1Char('='));
                if (eq > 0)
                    m.customParameters.insert(pair.left(eq).trimmed(), pair.mid(eq + 1).trimmed());
            }
            return r;
        }
        // Every other frame names the stream at the top level; playedStream and clearedAudio are
        // documented both with and without it, so it is optional there.
        const bool idRequired = ev == QLatin1String("media");
        if ((idRequired || o.contains(kStreamId))
            && (!c.requireString(o, kStreamId, kStreamId, &m.streamId, false) || !c.checkStreamId(m.streamId, expectedStreamId, kStreamId)))
            return r;

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
                && c.requireString(dtmf, QStringLiteral("digit"), QStringLiteral("dtmf.digit"), &m.digit, false)
                && c.optionalString(dtmf, QStringLiteral("track"), QStringLiteral("dtmf.track"), &m.track);
            return r;
        }
        if (ev == QLatin1String("playedStream")) {
            m.event = Event::Mark;
            c.requireString(o, QStringLiteral("name"), QStringLiteral("name"), &m.markName);
            return r;
        }
        if (ev == QLatin1String("clearedAudio")) {
            m.event = Event::Cleared;
            return r;
        }
        m.event = Event::Stop; // not in Plivo's protocol (it closes the socket), but sent by some mocks
        return r;
    }

    StartParams withIds(StartParams p) const override
    {
        // Lower-case UUIDs for streamId and callId; an auth id ("MA" + 18 upper-case letters and
        // digits) for accountId, as in Plivo's examples.
        if (p.streamId.isEmpty())
            p.streamId = json::uuid();
        if (p.callId.isEmpty())
            p.callId = json::uuid();
        if (p.accountId.isEmpty())
            p.accountId = QStringLiteral("MA") + json::randomChars(18, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
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
        static const QStringList own{QStringLiteral("playAudio"), QStringLiteral("checkpoint"), QStringLiteral("clearAudio"),
                                     QStringLiteral("playedStream"), QStringLiteral("clearedAudio"), QStringLiteral("sendDTMF")};
        if (own.contains(ev))
            return 95;
        const QJsonObject start = o.value(QStringLiteral("start")).toObject();
        if (ev == QLatin1String("start") && start.contains(kStreamId) && start.contains(QStringLiteral("callId")))
            return 95;
        if (o.contains(kStreamId))
            return 80;
        return 0;
    }
};

} // namespace

const Profile &plivoProfile()
{
    static const PlivoProfile p;
    return p;
}

} // namespace pacelab::provider
