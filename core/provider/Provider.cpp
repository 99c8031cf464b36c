#include "provider/Provider.h"

#include "provider/Profiles.h"

namespace pacelab::provider {

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
    case Event::Cleared: return QStringLiteral("cleared");
    case Event::Error: return QStringLiteral("error");
    case Event::Unknown: break;
    }
    return QStringLiteral("unknown");
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
    case ParseError::StreamIdMismatch: return QStringLiteral("stream id mismatch");
    case ParseError::PayloadNotBase64: return QStringLiteral("payload not base64");
    case ParseError::PayloadIsRiff: return QStringLiteral("payload is a WAV file");
    case ParseError::WrongFrameType: return QStringLiteral("wrong frame type");
    case ParseError::BadAudioSize: return QStringLiteral("bad audio size");
    case ParseError::WrongAudioFormat: return QStringLiteral("wrong audio format");
    }
    return QStringLiteral("unknown error");
}

int Profile::codeFor(Fault f) const
{
    return kPaceLabCodeBase + int(f);
}

int Profile::codeFor(ParseError e) const
{
    switch (e) {
    case ParseError::None: return 0;
    case ParseError::PayloadIsRiff:
    case ParseError::WrongFrameType: return codeFor(Fault::RawOrBinaryAudio);
    case ParseError::BadAudioSize: return codeFor(Fault::BadAudioSize);
    default: break;
    }
    return codeFor(Fault::InvalidMessage);
}

const QList<Id> &allIds()
{
    static const QList<Id> ids{Id::Twilio, Id::Telnyx, Id::Vonage, Id::Plivo, Id::Exotel};
    return ids;
}

const Profile &profile(Id id)
{
    switch (id) {
    case Id::Twilio: break;
    case Id::Telnyx: return telnyxProfile();
    case Id::Vonage: return vonageProfile();
    case Id::Plivo: return plivoProfile();
    case Id::Exotel: return exotelProfile();
    }
    return twilioProfile();
}

QString name(Id id)
{
    return profile(id).name();
}

std::optional<Id> idFromName(const QString &n)
{
    const QString wanted = n.trimmed().toLower();
    for (Id id : allIds()) {
        if (profile(id).name() == wanted)
            return id;
    }
    return std::nullopt;
}

QString namesJoined(const QString &sep)
{
    QStringList names;
    for (Id id : allIds())
        names << profile(id).name();
    return names.join(sep);
}

std::optional<Id> detect(const QList<WireMessage> &messages)
{
    // Sum of scores over the messages: one ambiguous message (a bare binary frame) does not
    // outvote a handshake that names its provider.
    std::optional<Id> best;
    qint64 bestScore = 0;
    for (Id id : allIds()) {
        qint64 score = 0;
        for (const WireMessage &m : messages)
            score += profile(id).recognize(m.data, m.binary);
        if (score > bestScore) {
            bestScore = score;
            best = id;
        }
    }
    return best;
}

} // namespace pacelab::provider
