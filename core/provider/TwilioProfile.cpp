#include "provider/Profiles.h"

#include "twilio/TwilioMessages.h"

#include <QJsonDocument>
#include <QJsonObject>

// Twilio Media Streams, bidirectional (docs/protocol.md): the profile wraps twilio/TwilioMessages
// so Twilio's behaviour, strictness and error codes stay exactly what they were before profiles.
namespace pacelab::provider {

namespace {

ParseError fromTwilio(twilio::ParseError e)
{
    switch (e) {
    case twilio::ParseError::None: return ParseError::None;
    case twilio::ParseError::InvalidJson: return ParseError::InvalidJson;
    case twilio::ParseError::NotAnObject: return ParseError::NotAnObject;
    case twilio::ParseError::UnknownEvent: return ParseError::UnknownEvent;
    case twilio::ParseError::MissingField: return ParseError::MissingField;
    case twilio::ParseError::UnexpectedField: return ParseError::UnexpectedField;
    case twilio::ParseError::WrongType: return ParseError::WrongType;
    case twilio::ParseError::StreamSidMismatch: return ParseError::StreamIdMismatch;
    case twilio::ParseError::PayloadNotBase64: return ParseError::PayloadNotBase64;
    case twilio::ParseError::PayloadIsRiff: return ParseError::PayloadIsRiff;
    case twilio::ParseError::BinaryFrame: return ParseError::WrongFrameType;
    }
    return ParseError::InvalidJson;
}

Event fromTwilio(twilio::Event e)
{
    switch (e) {
    case twilio::Event::Connected: return Event::Connected;
    case twilio::Event::Start: return Event::Start;
    case twilio::Event::Media: return Event::Media;
    case twilio::Event::Dtmf: return Event::Dtmf;
    case twilio::Event::Mark: return Event::Mark;
    case twilio::Event::Stop: return Event::Stop;
    case twilio::Event::Clear: return Event::Clear;
    case twilio::Event::Unknown: break;
    }
    return Event::Unknown;
}

ParseResult convert(const twilio::ParseResult &t)
{
    ParseResult r;
    r.error = fromTwilio(t.error);
    r.code = t.ok() ? 0 : (t.twilioCode != twilio::NoError ? t.twilioCode : int(twilio::InvalidMessage));
    r.detail = t.detail;
    const twilio::Message &s = t.message;
    Message &m = r.message;
    m.event = fromTwilio(s.event);
    m.name = twilio::eventName(s.event);
    m.streamId = s.streamSid.isEmpty() ? s.start.streamSid : s.streamSid;
    m.sequenceNumber = s.sequenceNumber;
    m.track = s.track;
    m.chunk = s.chunk;
    m.timestampMs = s.timestampMs;
    m.audio = s.payload;
    m.digit = s.digit;
    m.markName = s.markName;
    if (s.event == twilio::Event::Start || s.event == twilio::Event::Stop) {
        m.callId = s.start.callSid;
        m.accountId = s.start.accountSid;
    }
    if (s.event == twilio::Event::Start) {
        m.tracks = s.start.tracks;
        m.customParameters = s.start.customParameters;
        if (s.start.encoding == QLatin1String("audio/x-mulaw"))
            m.format = MediaFormat::mulaw8k();
    }
    return r;
}

class TwilioProfile final : public Profile
{
public:
    Id id() const override { return Id::Twilio; }
    QString name() const override { return QStringLiteral("twilio"); }
    QString displayName() const override { return QStringLiteral("Twilio Media Streams"); }
    MediaFormat outboundFormat() const override { return MediaFormat::mulaw8k(); }
    MediaFormat inboundFormat() const override { return MediaFormat::mulaw8k(); }
    Limits limits() const override
    {
        Limits l;
        l.maxBufferedUs = 600LL * 1'000'000; // 10 minutes, then 31931 and media discarded
        return l;
    }
    bool clearEchoesPendingMarks() const override { return true; }
    bool botMessagesCarryStreamId() const override { return true; }

    WireMessage encodeMedia(const QString &streamId, const QByteArray &audio) const override
    {
        return {twilio::encodeMedia(streamId, audio), false};
    }
    WireMessage encodeMark(const QString &streamId, const QString &markName) const override
    {
        return {twilio::encodeMark(streamId, markName), false};
    }
    WireMessage encodeClear(const QString &streamId) const override { return {twilio::encodeClear(streamId), false}; }
    ParseResult parseFromBot(const QByteArray &data, bool binary, const QString &expectedStreamId) const override
    {
        return convert(binary ? twilio::binaryFrameFromBot(data.size()) : twilio::parseFromBot(data, expectedStreamId));
    }

    QList<WireMessage> encodeHandshake(const StartParams &p, qint64 *sequence) const override
    {
        twilio::StartInfo info;
        info.streamSid = p.streamId;
        info.accountSid = p.accountId;
        info.callSid = p.callId;
        info.tracks = p.tracks;
        info.customParameters = p.customParameters;
        return {{twilio::encodeConnected(), false}, {twilio::encodeStart(info, ++*sequence), false}};
    }
    WireMessage encodeInboundMedia(const StartParams &p, qint64 *sequence, qint64 chunk, qint64 timestampMs,
                                   const QByteArray &audio) const override
    {
        return {twilio::encodeInboundMedia(p.streamId, ++*sequence, chunk, timestampMs, audio), false};
    }
    WireMessage encodeDtmf(const StartParams &p, qint64 *sequence, const QString &digit) const override
    {
        return {twilio::encodeDtmf(p.streamId, ++*sequence, digit), false};
    }
    WireMessage encodeMarkEcho(const StartParams &p, qint64 *sequence, const QString &markName) const override
    {
        return {twilio::encodeMarkEcho(p.streamId, ++*sequence, markName), false};
    }
    std::optional<WireMessage> encodeClearAck(const StartParams &, qint64 *) const override { return std::nullopt; }
    std::optional<WireMessage> encodeStop(const StartParams &p, qint64 *sequence) const override
    {
        return WireMessage{twilio::encodeStop(p.streamId, ++*sequence, p.accountId, p.callId), false};
    }
    ParseResult parseFromProvider(const QByteArray &data, bool binary, const QString &expectedStreamId) const override
    {
        if (binary) {
            ParseResult r;
            r.error = ParseError::WrongFrameType;
            r.code = twilio::BinaryOrRawAudio;
            r.detail = QStringLiteral("binary WebSocket frame of %1 bytes: Twilio sends only JSON text frames").arg(data.size());
            return r;
        }
        return convert(twilio::parseFromTwilio(data, expectedStreamId));
    }

    StartParams withIds(StartParams p) const override
    {
        if (p.streamId.isEmpty())
            p.streamId = twilio::makeSid(QStringLiteral("MZ"));
        if (p.accountId.isEmpty())
            p.accountId = twilio::makeSid(QStringLiteral("AC"));
        if (p.callId.isEmpty())
            p.callId = twilio::makeSid(QStringLiteral("CA"));
        return p;
    }

    int codeFor(Fault f) const override
    {
        switch (f) {
        case Fault::InvalidMessage: return twilio::InvalidMessage;
        case Fault::RawOrBinaryAudio: return twilio::BinaryOrRawAudio;
        case Fault::ProtocolError: return twilio::ProtocolError;
        case Fault::MediaDiscarded: return twilio::MediaDiscarded;
        case Fault::BadAudioSize: return twilio::InvalidMessage;
        }
        return twilio::InvalidMessage;
    }

    int recognize(const QByteArray &data, bool binary) const override
    {
        if (binary)
            return 0;
        const QJsonObject o = QJsonDocument::fromJson(data).object();
        if (o.isEmpty())
            return 0;
        if (o.contains(QLatin1String("streamSid")))
            return 90;
        if (o.value(QLatin1String("event")).toString() == QLatin1String("connected")
            && o.value(QLatin1String("protocol")).toString() == QLatin1String("Call"))
            return 90;
        return 0;
    }
};

} // namespace

const Profile &twilioProfile()
{
    static const TwilioProfile p;
    return p;
}

} // namespace pacelab::provider
