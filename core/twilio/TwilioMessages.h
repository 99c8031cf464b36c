#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVariantMap>

// Twilio Media Streams messages, both directions (facts and sources: docs/protocol.md).
// Encoding uses QJsonDocument and QByteArray::toBase64; parsing is strict and says exactly what
// is wrong, mapped to Twilio's error codes where they apply.
namespace pacelab::twilio {

enum class Event { Connected, Start, Media, Dtmf, Mark, Stop, Clear, Unknown };
QString eventName(Event e);
Event eventFromName(const QString &name); // "media" -> Event::Media; anything else -> Unknown

// Twilio error codes PaceLab emulates.
enum ErrorCode {
    NoError = 0,
    BinaryOrRawAudio = 31950, // binary frame, raw audio without JSON
    InvalidMessage = 31951,   // invalid JSON, unknown event, missing/unexpected field, wrong streamSid
    ProtocolError = 31924,
    MediaDiscarded = 31931,   // more than 10 minutes buffered
};

enum class ParseError {
    None,
    InvalidJson,
    NotAnObject,
    UnknownEvent,
    MissingField,
    UnexpectedField,
    WrongType,
    StreamSidMismatch,
    PayloadNotBase64,
    PayloadIsRiff,     // a WAV file header inside the payload: Twilio wants raw mu-law
    BinaryFrame,
};
QString parseErrorName(ParseError e);
// The Twilio code a bot would get for this error (31950 for RIFF payloads and binary frames,
// 31951 for the rest, 0 for None).
int twilioCodeFor(ParseError e);

struct StartInfo
{
    QString streamSid;
    QString accountSid;
    QString callSid;
    QStringList tracks{QStringLiteral("inbound")};
    QVariantMap customParameters;
    QString encoding = QStringLiteral("audio/x-mulaw");
    int sampleRate = 8000;
    int channels = 1;
};

// One parsed message, either direction. Fields unused by an event stay empty.
struct Message
{
    Event event = Event::Unknown;
    QString streamSid;
    qint64 sequenceNumber = -1; // Twilio→bot only (sent as a string)
    // connected
    QString protocol;
    QString version;
    // start
    StartInfo start;
    // media
    QString track;
    qint64 chunk = -1;
    qint64 timestampMs = -1;
    QByteArray payload; // decoded mu-law bytes
    // dtmf
    QString digit;
    // mark
    QString markName;
    // stop: the ids are stored in start.accountSid / start.callSid
};

struct ParseResult
{
    ParseError error = ParseError::None;
    int twilioCode = NoError;
    // Human text naming the field: "media.payload is not valid base64", "unexpected field
    // 'media.track' in media". On success it may hold a note (e.g. an empty payload is legal).
    QString detail;
    Message message;
    bool ok() const { return error == ParseError::None; }
};

// ---- bot → Twilio ---------------------------------------------------------------------------
// Outbound media carries only event, streamSid and media.payload.
QByteArray encodeMedia(const QString &streamSid, const QByteArray &mulaw);
QByteArray encodeMark(const QString &streamSid, const QString &name);
QByteArray encodeClear(const QString &streamSid);

// Strict parse of what a bot sent, as Twilio judges it. expectedStreamSid empty = do not check.
// Only media {event, streamSid, media{payload}}, mark {event, streamSid, mark{name}} and clear
// {event, streamSid} are accepted; any other field at any level is UnexpectedField (31951).
ParseResult parseFromBot(const QByteArray &json, const QString &expectedStreamSid = QString());
// A binary WebSocket frame from a bot is always a 31950 violation.
ParseResult binaryFrameFromBot(qsizetype size);

// ---- Twilio → bot ---------------------------------------------------------------------------
QByteArray encodeConnected();
QByteArray encodeStart(const StartInfo &info, qint64 sequenceNumber);
QByteArray encodeInboundMedia(const QString &streamSid, qint64 sequenceNumber, qint64 chunk,
                              qint64 timestampMs, const QByteArray &mulaw,
                              const QString &track = QStringLiteral("inbound"));
QByteArray encodeDtmf(const QString &streamSid, qint64 sequenceNumber, const QString &digit);
QByteArray encodeMarkEcho(const QString &streamSid, qint64 sequenceNumber, const QString &name);
QByteArray encodeStop(const QString &streamSid, qint64 sequenceNumber, const QString &accountSid,
                      const QString &callSid);

// Parse what Twilio (or the emulator) sent, as a bot reads it. Tolerates extra fields (Twilio
// may add some), strict about types and required fields. expectedStreamSid empty = do not check.
ParseResult parseFromTwilio(const QByteArray &json, const QString &expectedStreamSid = QString());

// Random-looking ids of Twilio's shapes: prefix + 32 lowercase hex ("MZ…", "CA…", "AC…").
QString makeSid(const QString &prefix);

} // namespace pacelab::twilio
