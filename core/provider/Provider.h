#pragma once

// A telephony provider's media-stream protocol as a profile: how outbound audio is framed, the
// message envelope in both directions, stop/clear and mark/checkpoint, the start handshake and
// ids, limits and error semantics. The engine, the emulator, the checklist, load and replay talk
// to a bot through a Profile and never spell a provider's JSON themselves. Facts and sources per
// provider: docs/providers.md.

#include "audio/MediaFormat.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <optional>

namespace pacelab::provider {

enum class Id { Twilio, Telnyx, Vonage, Plivo, Exotel };

// What a message means, whatever the provider calls it.
enum class Event {
    Connected, // provider -> bot: the socket is up (Twilio `connected`, Vonage `websocket:connected`)
    Start,     // provider -> bot: stream metadata and ids
    Media,     // audio, either direction
    Dtmf,      // provider -> bot
    Mark,      // bot -> provider: a mark/checkpoint/notify request; provider -> bot: its echo once played
    Stop,      // provider -> bot: the stream ends
    Clear,     // bot -> provider: drop buffered audio (Twilio `clear`, Plivo `clearAudio`, Vonage action `clear`)
    Cleared,   // provider -> bot: acknowledgement of a clear (Plivo `clearedAudio`, Vonage `websocket:cleared`)
    Error,     // provider -> bot: the provider reports an error
    Unknown,
};
QString eventName(Event e); // "media", "mark", ...: PaceLab's names, not a provider's

enum class ParseError {
    None,
    InvalidJson,
    NotAnObject,
    UnknownEvent,
    MissingField,
    UnexpectedField,
    WrongType,
    StreamIdMismatch,
    PayloadNotBase64,
    PayloadIsRiff,    // a WAV header inside the payload: providers want raw audio
    WrongFrameType,   // binary frame where text is wanted, or text where binary audio is wanted
    BadAudioSize,     // audio whose size the provider refuses (Exotel: not a multiple of 320 B)
    WrongAudioFormat, // audio announced in another encoding/rate than the stream's (Plivo contentType)
};
QString parseErrorName(ParseError e);

// Faults the emulator reports as numbered violations. Twilio has documented error codes (31951,
// 31950, 31924, 31931); a provider without numbered errors uses PaceLab's (see codeFor()).
enum class Fault { InvalidMessage, RawOrBinaryAudio, ProtocolError, MediaDiscarded, BadAudioSize };
// PaceLab's own codes, for providers that document no numbers: 9001..9005 in Fault order.
constexpr int kPaceLabCodeBase = 9001;

// One message as it travels: a text (JSON) or a binary WebSocket frame.
struct WireMessage
{
    QByteArray data;
    bool binary = false;
};

// The ids and metadata a stream starts with (provider -> bot `start`, or Vonage's connect
// message). Empty ids are generated in the provider's shapes by the profile.
struct StartParams
{
    QString streamId;
    QString callId;
    QString accountId;
    QStringList tracks{QStringLiteral("inbound")};
    QVariantMap customParameters;
};

// One parsed message, either direction. Fields an event does not use stay empty.
struct Message
{
    Event event = Event::Unknown;
    QString name;       // the provider's own event/action name: "playAudio", "websocket:cleared"
    QString streamId;   // Twilio streamSid, Telnyx stream_id, Plivo streamId, Exotel stream_sid
    QString callId;     // start/stop: Twilio callSid, Telnyx call_control_id, Plivo callId, ...
    QString accountId;
    qint64 sequenceNumber = -1;
    QString track;
    qint64 chunk = -1;
    qint64 timestampMs = -1;
    QByteArray audio;   // media: wire-format audio bytes (base64-decoded, or the binary frame)
    QString digit;      // dtmf
    QString markName;   // mark / checkpoint / notify
    std::optional<MediaFormat> format; // start / media: the format the message announces, if any
    QStringList tracks;
    QVariantMap customParameters;
    QString text;       // error: the provider's text
};

struct ParseResult
{
    ParseError error = ParseError::None;
    int code = 0;   // the provider's error code for this fault (Profile::codeFor), 0 when ok
    QString detail; // names the field: "media.payload is not valid base64"
    Message message;
    bool ok() const { return error == ParseError::None; }
};

// What the provider does with audio a bot sends faster than real time, and other limits. -1 = no
// documented limit.
struct Limits
{
    qint64 maxBufferedUs = -1;       // Twilio: ~10 min, then media is discarded (31931)
    qint64 maxBufferedMessages = -1; // Vonage: 3072 messages
    qint64 maxMessageBytes = -1;
    int audioSizeMultiple = 0;       // Exotel: outbound audio in multiples of 320 B; 0 = any
    int minAudioBytes = 0;           // smallest accepted media payload; 0 = any
    int maxAudioBytes = 0;           // largest accepted media payload; 0 = any
};

class Profile
{
public:
    virtual ~Profile() = default;

    virtual Id id() const = 0;
    virtual QString name() const = 0;        // "twilio": the --provider value
    virtual QString displayName() const = 0; // "Twilio Media Streams"

    // The audio a bot sends (what PaceLab paces and judges) and what the provider sends the bot.
    virtual MediaFormat outboundFormat() const = 0;
    virtual MediaFormat inboundFormat() const = 0;
    virtual bool outboundAudioIsBinary() const { return false; } // Vonage: binary frames
    virtual bool inboundAudioIsBinary() const { return false; }
    virtual Limits limits() const = 0;
    // A clear makes the provider echo every mark still queued (Twilio does).
    virtual bool clearEchoesPendingMarks() const = 0;
    // Does the bot have to name the stream in what it sends (and may the emulator check it)?
    virtual bool botMessagesCarryStreamId() const = 0;

    // ---- bot -> provider ----------------------------------------------------------------------
    virtual WireMessage encodeMedia(const QString &streamId, const QByteArray &audio) const = 0;
    virtual WireMessage encodeMark(const QString &streamId, const QString &name) const = 0;
    virtual WireMessage encodeClear(const QString &streamId) const = 0;
    // Strict, as the provider judges what a bot sent. expectedStreamId empty = do not check.
    virtual ParseResult parseFromBot(const QByteArray &data, bool binary, const QString &expectedStreamId = QString()) const = 0;

    // ---- provider -> bot ----------------------------------------------------------------------
    // Everything sent before the first media (Twilio: connected + start). `*sequence` is the
    // stream's message counter: each message that carries a sequence number increments it first.
    virtual QList<WireMessage> encodeHandshake(const StartParams &p, qint64 *sequence) const = 0;
    virtual WireMessage encodeInboundMedia(const StartParams &p, qint64 *sequence, qint64 chunk, qint64 timestampMs,
                                           const QByteArray &audio) const = 0;
    virtual WireMessage encodeDtmf(const StartParams &p, qint64 *sequence, const QString &digit) const = 0;
    virtual WireMessage encodeMarkEcho(const StartParams &p, qint64 *sequence, const QString &name) const = 0;
    // Sent after a clear, when the provider acknowledges one (Plivo, Vonage); nullopt = none.
    virtual std::optional<WireMessage> encodeClearAck(const StartParams &p, qint64 *sequence) const = 0;
    // nullopt when the provider ends a stream only by closing the socket.
    virtual std::optional<WireMessage> encodeStop(const StartParams &p, qint64 *sequence) const = 0;
    // Tolerant of extra fields, strict about types and required fields, as a bot reads it.
    virtual ParseResult parseFromProvider(const QByteArray &data, bool binary, const QString &expectedStreamId = QString()) const = 0;

    // Fills empty ids of `p` in the provider's shapes ("MZ" + 32 hex for a Twilio stream).
    virtual StartParams withIds(StartParams p) const = 0;

    // The provider's error code for a fault (Twilio 31951, ...), or PaceLab's (kPaceLabCodeBase+).
    virtual int codeFor(Fault f) const;
    int codeFor(ParseError e) const; // RawOrBinaryAudio for PayloadIsRiff/WrongFrameType, BadAudioSize, else InvalidMessage

    // 0..100: how sure the profile is that this message (either direction) is its protocol.
    // Replay uses it to read a dump whose provider it was not told.
    virtual int recognize(const QByteArray &data, bool binary) const = 0;
};

const Profile &profile(Id id);
const QList<Id> &allIds();
QString name(Id id);
// nullopt for an unknown name (case-insensitive).
std::optional<Id> idFromName(const QString &name);
QString namesJoined(const QString &sep = QStringLiteral("|")); // "twilio|telnyx|vonage|plivo|exotel"
// The provider whose profile recognizes the messages best; nullopt when none does (score 0).
std::optional<Id> detect(const QList<WireMessage> &messages);

} // namespace pacelab::provider
