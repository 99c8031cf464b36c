#include "provider/PcmProfileUtil.h"
#include "provider/Profiles.h"

#include <QJsonDocument>

// Exotel AgentStream, Voicebot applet (bidirectional) (docs/providers.md, "Exotel"): snake_case
// JSON text messages, audio base64 raw/slin (16-bit PCM, 8 kHz, mono, little-endian) in chunks
// of 100 ms..100 KB that are multiples of 320 B; numbers travel as strings in Exotel's examples.
namespace pacelab::provider {

namespace {

using pcm::Checker;

constexpr int kRate = 8000;
constexpr int kChunkMs = 100;          // Exotel streams and recommends ~100 ms chunks
constexpr int kMultiple = 320;         // "must be a multiple of 320 bytes"
// "Minimum 3.2 KB (100ms of data)": the two halves disagree at 8 kHz (100 ms = 1600 B; 3200 B
// is 100 ms at 16 kHz). PaceLab enforces the 100 ms (Assumption, docs/providers.md).
constexpr int kMinBytes = kRate / 1000 * kChunkMs * 2;
constexpr int kMaxBytes = 100 * 1024;  // "Maximum 100 KB", read as KiB (a multiple of 320; Assumption)
constexpr int kDtmfDurationMs = 100;   // the duration in Exotel's dtmf example

QString num(qint64 n)
{
    return QString::number(n);
}

QString camelCaseHint(const QString &key)
{
    if (key == QLatin1String("streamSid"))
        return QStringLiteral("Exotel spells it stream_sid");
    if (key == QLatin1String("sequenceNumber"))
        return QStringLiteral("Exotel spells it sequence_number");
    return QString();
}

class ExotelProfile final : public Profile
{
public:
    Id id() const override { return Id::Exotel; }
    QString name() const override { return QStringLiteral("exotel"); }
    QString displayName() const override { return QStringLiteral("Exotel AgentStream"); }
    MediaFormat outboundFormat() const override { return MediaFormat::l16(kRate, kChunkMs); }
    MediaFormat inboundFormat() const override { return MediaFormat::l16(kRate, kChunkMs); }
    Limits limits() const override
    {
        Limits l;
        l.audioSizeMultiple = kMultiple;
        l.minAudioBytes = kMinBytes;
        l.maxAudioBytes = kMaxBytes;
        return l;
    }
    bool clearEchoesPendingMarks() const override { return true; } // Assumption (docs/providers.md)
    bool botMessagesCarryStreamId() const override { return true; }

    // ---- bot -> Exotel ------------------------------------------------------------------------
    WireMessage encodeMedia(const QString &streamId, const QByteArray &audio) const override
    {
        return {pcm::compact({{QStringLiteral("event"), QStringLiteral("media")},
                              {QStringLiteral("stream_sid"), streamId},
                              {QStringLiteral("media"), QJsonObject{{QStringLiteral("payload"), QString::fromLatin1(audio.toBase64())}}}}),
                false};
    }
    WireMessage encodeMark(const QString &streamId, const QString &markName) const override
    {
        return {pcm::compact({{QStringLiteral("event"), QStringLiteral("mark")},
                              {QStringLiteral("stream_sid"), streamId},
                              {QStringLiteral("mark"), QJsonObject{{QStringLiteral("name"), markName}}}}),
                false};
    }
    WireMessage encodeClear(const QString &streamId) const override
    {
        return {pcm::compact({{QStringLiteral("event"), QStringLiteral("clear")}, {QStringLiteral("stream_sid"), streamId}}), false};
    }

    ParseResult parseFromBot(const QByteArray &data, bool binary, const QString &expectedStreamId) const override
    {
        ParseResult r;
        if (binary) {
            pcm::setError(r, *this, ParseError::WrongFrameType,
                          QStringLiteral("binary WebSocket frame of %1 bytes: Exotel accepts only JSON text frames "
                                         "(audio goes base64 in media.payload)")
                              .arg(data.size()));
            return r;
        }
        QJsonObject o;
        if (!pcm::parseObject(data, r, *this, &o)) {
            if (pcm::looksLikeBase64(data)) {
                r = ParseResult{};
                pcm::setError(r, *this, ParseError::WrongFrameType,
                              QStringLiteral("text frame of %1 characters that looks like bare base64 audio: Exotel wants "
                                             "{\"event\":\"media\",\"stream_sid\":...,\"media\":{\"payload\":...}}")
                                  .arg(data.size()));
            }
            return r;
        }
        Checker c(r, *this, QStringLiteral("the message"));
        QString event;
        if (!c.requireString(o, QStringLiteral("event"), QStringLiteral("event"), &event))
            return r;
        Message &m = r.message;
        m.name = event;
        if (event == QLatin1String("media"))
            m.event = Event::Media;
        else if (event == QLatin1String("mark"))
            m.event = Event::Mark;
        else if (event == QLatin1String("clear"))
            m.event = Event::Clear;
        else {
            c.fail(ParseError::UnknownEvent, unknownBotEvent(event));
            return r;
        }
        Checker ce(r, *this, event);
        // Integrations often number what they send; Exotel's examples do not. Tolerated when typed
        // right (Assumption, docs/providers.md).
        switch (m.event) {
        case Event::Media: ce.onlyFields(o, QString(), {"event", "stream_sid", "sequence_number", "media"}, camelCaseHint); break;
        case Event::Mark: ce.onlyFields(o, QString(), {"event", "stream_sid", "sequence_number", "mark"}, camelCaseHint); break;
        default: ce.onlyFields(o, QString(), {"event", "stream_sid", "sequence_number"}, camelCaseHint); break;
        }
        if (ce.failed()
            || !ce.requireString(o, QStringLiteral("stream_sid"), QStringLiteral("stream_sid"), &m.streamId, false)
            || !ce.optionalCount(o, QStringLiteral("sequence_number"), QStringLiteral("sequence_number"), &m.sequenceNumber))
            return r;

        if (m.event == Event::Media) {
            QJsonObject media;
            QString b64;
            if (!ce.requireObject(o, QStringLiteral("media"), QStringLiteral("media"), &media)
                || !ce.onlyFields(media, QStringLiteral("media."), {"payload", "chunk", "timestamp"})
                || !ce.optionalCount(media, QStringLiteral("chunk"), QStringLiteral("media.chunk"), &m.chunk)
                || !ce.optionalCount(media, QStringLiteral("timestamp"), QStringLiteral("media.timestamp"), &m.timestampMs)
                || !ce.requireString(media, QStringLiteral("payload"), QStringLiteral("media.payload"), &b64))
                return r;
            if (!checkStream(ce, m.streamId, expectedStreamId) || !ce.decodeBase64(b64, QStringLiteral("media.payload"), &m.audio))
                return r;
            if (pcm::isRiff(m.audio)) {
                ce.fail(ParseError::PayloadIsRiff,
                        QStringLiteral("media.payload starts with a %1 file header: Exotel wants raw 16-bit PCM at 8 kHz "
                                       "without a header")
                            .arg(pcm::riffKind(m.audio)));
                m.audio.clear();
                return r;
            }
            checkChunkSize(ce, m.audio.size());
            return r;
        }
        if (m.event == Event::Mark) {
            QJsonObject mark;
            if (!ce.requireObject(o, QStringLiteral("mark"), QStringLiteral("mark"), &mark)
                || !ce.onlyFields(mark, QStringLiteral("mark."), {"name"})
                || !ce.requireString(mark, QStringLiteral("name"), QStringLiteral("mark.name"), &m.markName, false))
                return r;
        }
        checkStream(ce, m.streamId, expectedStreamId);
        return r;
    }

    // ---- Exotel -> bot ------------------------------------------------------------------------
    QList<WireMessage> encodeHandshake(const StartParams &p, qint64 *sequence) const override
    {
        QVariantMap custom = p.customParameters;
        // Exotel's start names the caller and the called number; PaceLab carries them as the
        // custom parameters "from" and "to" (placeholders when absent).
        const QString from = custom.take(QStringLiteral("from")).toString();
        const QString to = custom.take(QStringLiteral("to")).toString();
        const QJsonObject format{{QStringLiteral("encoding"), QStringLiteral("audio/x-raw")},
                                 {QStringLiteral("sample_rate"), num(kRate)},
                                 {QStringLiteral("bit_rate"), QStringLiteral("16")}};
        const QJsonObject start{{QStringLiteral("stream_sid"), p.streamId},
                                {QStringLiteral("call_sid"), p.callId},
                                {QStringLiteral("account_sid"), p.accountId},
                                {QStringLiteral("from"), from.isEmpty() ? QStringLiteral("+910000000001") : from},
                                {QStringLiteral("to"), to.isEmpty() ? QStringLiteral("+910000000002") : to},
                                {QStringLiteral("custom_parameters"), QJsonObject::fromVariantMap(custom)},
                                {QStringLiteral("media_format"), format}};
        return {{pcm::compact({{QStringLiteral("event"), QStringLiteral("connected")}}), false},
                {pcm::compact({{QStringLiteral("event"), QStringLiteral("start")},
                               {QStringLiteral("sequence_number"), num(++*sequence)},
                               {QStringLiteral("stream_sid"), p.streamId},
                               {QStringLiteral("start"), start}}),
                 false}};
    }
    WireMessage encodeInboundMedia(const StartParams &p, qint64 *sequence, qint64 chunk, qint64 timestampMs,
                                   const QByteArray &audio) const override
    {
        const QJsonObject media{{QStringLiteral("chunk"), num(chunk)},
                                {QStringLiteral("timestamp"), num(timestampMs)},
                                {QStringLiteral("payload"), QString::fromLatin1(audio.toBase64())}};
        return envelope(QStringLiteral("media"), p, sequence, QStringLiteral("media"), media);
    }
    WireMessage encodeDtmf(const StartParams &p, qint64 *sequence, const QString &digit) const override
    {
        return envelope(QStringLiteral("dtmf"), p, sequence, QStringLiteral("dtmf"),
                        {{QStringLiteral("digit"), digit}, {QStringLiteral("duration"), num(kDtmfDurationMs)}});
    }
    WireMessage encodeMarkEcho(const StartParams &p, qint64 *sequence, const QString &markName) const override
    {
        return envelope(QStringLiteral("mark"), p, sequence, QStringLiteral("mark"), {{QStringLiteral("name"), markName}});
    }
    std::optional<WireMessage> encodeClearAck(const StartParams &, qint64 *) const override { return std::nullopt; }
    std::optional<WireMessage> encodeStop(const StartParams &p, qint64 *sequence) const override
    {
        return envelope(QStringLiteral("stop"), p, sequence, QStringLiteral("stop"),
                        {{QStringLiteral("call_sid"), p.callId},
                         {QStringLiteral("account_sid"), p.accountId},
                         {QStringLiteral("reason"), QStringLiteral("callended")}});
    }

    ParseResult parseFromProvider(const QByteArray &data, bool binary, const QString &expectedStreamId) const override
    {
        ParseResult r;
        if (binary) {
            pcm::setError(r, *this, ParseError::WrongFrameType,
                          QStringLiteral("binary WebSocket frame of %1 bytes: Exotel sends only JSON text frames").arg(data.size()));
            return r;
        }
        QJsonObject o;
        if (!pcm::parseObject(data, r, *this, &o))
            return r;
        Checker c(r, *this, QStringLiteral("the message"));
        QString event;
        if (!c.requireString(o, QStringLiteral("event"), QStringLiteral("event"), &event))
            return r;
        Message &m = r.message;
        m.name = event;
        static const char *const known[] = {"connected", "start", "media", "dtmf", "mark", "stop"};
        static const Event events[] = {Event::Connected, Event::Start, Event::Media, Event::Dtmf, Event::Mark, Event::Stop};
        for (int i = 0; i < 6; ++i)
            if (event == QLatin1String(known[i]))
                m.event = events[i];
        if (m.event == Event::Unknown) {
            c.fail(ParseError::UnknownEvent,
                   event == QLatin1String("clear")
                       ? QStringLiteral("event 'clear' is sent by a bot, not by Exotel")
                       : QStringLiteral("unknown event '%1' from Exotel (expected connected, start, media, dtmf, mark or stop)")
                             .arg(event.left(60)));
            return r;
        }
        if (m.event == Event::Connected)
            return r;

        Checker ce(r, *this, event);
        if (!ce.requireCount(o, QStringLiteral("sequence_number"), QStringLiteral("sequence_number"), &m.sequenceNumber)
            || !ce.requireString(o, QStringLiteral("stream_sid"), QStringLiteral("stream_sid"), &m.streamId, false)
            || !checkStream(ce, m.streamId, expectedStreamId))
            return r;

        switch (m.event) {
        case Event::Start: parseStart(ce, o, m); break;
        case Event::Media: {
            QJsonObject media;
            QString b64;
            if (ce.requireObject(o, QStringLiteral("media"), QStringLiteral("media"), &media)
                && ce.requireCount(media, QStringLiteral("chunk"), QStringLiteral("media.chunk"), &m.chunk)
                && ce.requireCount(media, QStringLiteral("timestamp"), QStringLiteral("media.timestamp"), &m.timestampMs)
                && ce.optionalString(media, QStringLiteral("track"), QStringLiteral("media.track"), &m.track)
                && ce.requireString(media, QStringLiteral("payload"), QStringLiteral("media.payload"), &b64))
                ce.decodeBase64(b64, QStringLiteral("media.payload"), &m.audio);
            break;
        }
        case Event::Dtmf: {
            QJsonObject dtmf;
            qint64 duration = -1;
            ce.requireObject(o, QStringLiteral("dtmf"), QStringLiteral("dtmf"), &dtmf)
                && ce.requireString(dtmf, QStringLiteral("digit"), QStringLiteral("dtmf.digit"), &m.digit, false)
                && ce.optionalCount(dtmf, QStringLiteral("duration"), QStringLiteral("dtmf.duration"), &duration);
            break;
        }
        case Event::Mark: {
            QJsonObject mark;
            ce.requireObject(o, QStringLiteral("mark"), QStringLiteral("mark"), &mark)
                && ce.requireString(mark, QStringLiteral("name"), QStringLiteral("mark.name"), &m.markName);
            break;
        }
        case Event::Stop: {
            QJsonObject stop;
            ce.requireObject(o, QStringLiteral("stop"), QStringLiteral("stop"), &stop)
                && ce.optionalString(stop, QStringLiteral("call_sid"), QStringLiteral("stop.call_sid"), &m.callId)
                && ce.optionalString(stop, QStringLiteral("account_sid"), QStringLiteral("stop.account_sid"), &m.accountId)
                && ce.optionalString(stop, QStringLiteral("reason"), QStringLiteral("stop.reason"), &m.text);
            break;
        }
        default: break;
        }
        return r;
    }

    StartParams withIds(StartParams p) const override
    {
        // Shaped as Exotel's examples show them ("MZxxxx", "CAxxxx", "ACxxxx").
        if (p.streamId.isEmpty())
            p.streamId = pcm::hexId(QStringLiteral("MZ"));
        if (p.callId.isEmpty())
            p.callId = pcm::hexId(QStringLiteral("CA"));
        if (p.accountId.isEmpty())
            p.accountId = pcm::hexId(QStringLiteral("AC"));
        return p;
    }

    int recognize(const QByteArray &data, bool binary) const override
    {
        if (binary)
            return 0;
        const QJsonObject o = QJsonDocument::fromJson(data).object();
        if (o.isEmpty())
            return 0;
        if (o.contains(QLatin1String("stream_sid")))
            return 90;
        if (o.value(QLatin1String("start")).toObject().contains(QLatin1String("stream_sid")))
            return 90;
        // Exotel's connected carries nothing else (Twilio's and Telnyx's carry a version).
        if (o.size() == 1 && o.value(QLatin1String("event")).toString() == QLatin1String("connected"))
            return 30;
        return 0;
    }

private:
    static QString unknownBotEvent(const QString &event)
    {
        if (event == QLatin1String("connected") || event == QLatin1String("start") || event == QLatin1String("dtmf")
            || event == QLatin1String("stop"))
            return QStringLiteral("event '%1' is sent by Exotel, not by a bot (a bot may send media, mark or clear)").arg(event);
        if (event == QLatin1String("playAudio") || event == QLatin1String("clearAudio") || event == QLatin1String("checkpoint"))
            return QStringLiteral("event '%1' is Plivo's; Exotel's bot events are media, mark and clear").arg(event);
        return QStringLiteral("unknown event '%1' (a bot may send media, mark or clear)").arg(event.left(60));
    }

    static bool checkStream(Checker &c, const QString &sid, const QString &expected)
    {
        if (expected.isEmpty() || sid == expected)
            return true;
        return c.fail(ParseError::StreamIdMismatch,
                      QStringLiteral("stream_sid '%1' does not match the stream '%2'").arg(sid.left(80), expected));
    }

    static bool checkChunkSize(Checker &c, qsizetype size)
    {
        const double ms = MediaFormat::l16(kRate).bytesToMs(size);
        if (size % kMultiple != 0)
            return c.fail(ParseError::BadAudioSize,
                          QStringLiteral("media.payload is %1 bytes (%2 ms): Exotel wants a multiple of 320 B "
                                         "(20 ms of 16-bit PCM at 8 kHz); other sizes leave gaps in playback")
                              .arg(size)
                              .arg(ms, 0, 'f', 1));
        if (size < kMinBytes)
            return c.fail(ParseError::BadAudioSize,
                          QStringLiteral("media.payload is %1 bytes (%2 ms): Exotel wants at least 100 ms (1600 B at 8 kHz) "
                                         "per media message; smaller chunks risk distorted audio")
                              .arg(size)
                              .arg(ms, 0, 'f', 0));
        if (size > kMaxBytes)
            return c.fail(ParseError::BadAudioSize,
                          QStringLiteral("media.payload is %1 bytes (%2 s): Exotel accepts at most 100 KB (102400 B) per "
                                         "media message; larger chunks time out")
                              .arg(size)
                              .arg(ms / 1000.0, 0, 'f', 1));
        return true;
    }

    static void parseStart(Checker &c, const QJsonObject &o, Message &m)
    {
        QJsonObject s, format;
        QString encoding;
        qint64 rate = -1, bits = -1;
        if (!c.requireObject(o, QStringLiteral("start"), QStringLiteral("start"), &s)
            || !c.requireString(s, QStringLiteral("call_sid"), QStringLiteral("start.call_sid"), &m.callId)
            || !c.requireString(s, QStringLiteral("account_sid"), QStringLiteral("start.account_sid"), &m.accountId)
            || !c.requireObject(s, QStringLiteral("media_format"), QStringLiteral("start.media_format"), &format)
            || !c.requireString(format, QStringLiteral("encoding"), QStringLiteral("start.media_format.encoding"), &encoding)
            || !c.requireCount(format, QStringLiteral("sample_rate"), QStringLiteral("start.media_format.sample_rate"), &rate)
            || !c.optionalCount(format, QStringLiteral("bit_rate"), QStringLiteral("start.media_format.bit_rate"), &bits))
            return;
        if (s.contains(QLatin1String("stream_sid"))) {
            QString inner;
            if (!c.requireString(s, QStringLiteral("stream_sid"), QStringLiteral("start.stream_sid"), &inner))
                return;
            if (inner != m.streamId) {
                c.fail(ParseError::StreamIdMismatch,
                       QStringLiteral("start.stream_sid '%1' does not match stream_sid '%2'").arg(inner.left(80), m.streamId));
                return;
            }
        }
        if (s.contains(QLatin1String("custom_parameters"))) {
            QJsonObject params;
            if (!c.requireObject(s, QStringLiteral("custom_parameters"), QStringLiteral("start.custom_parameters"), &params))
                return;
            m.customParameters = params.toVariantMap();
        }
        for (const char *key : {"from", "to"}) {
            QString v;
            if (!c.optionalString(s, QLatin1String(key), QStringLiteral("start.") + QLatin1String(key), &v))
                return;
            if (s.contains(QLatin1String(key)))
                m.customParameters.insert(QLatin1String(key), v);
        }
        const QString enc = encoding.toLower();
        if (rate >= 8000 && rate <= 48000) {
            if ((enc == QLatin1String("audio/x-raw") || enc.startsWith(QLatin1String("audio/l16"))) && (bits == -1 || bits == 16))
                m.format = MediaFormat::l16(int(rate), kChunkMs);
            else if (enc.startsWith(QLatin1String("audio/x-mulaw")) && rate == 8000)
                m.format = MediaFormat::mulaw8k(kChunkMs);
        }
    }

    WireMessage envelope(const QString &event, const StartParams &p, qint64 *sequence, const QString &key,
                         const QJsonObject &body) const
    {
        return {pcm::compact({{QStringLiteral("event"), event},
                              {QStringLiteral("sequence_number"), num(++*sequence)},
                              {QStringLiteral("stream_sid"), p.streamId},
                              {key, body}}),
                false};
    }
};

} // namespace

const Profile &exotelProfile()
{
    static const ExotelProfile p;
    return p;
}

} // namespace pacelab::provider
