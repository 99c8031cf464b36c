#include "provider/PcmProfileUtil.h"
#include "provider/Profiles.h"

#include <QJsonDocument>
#include <QRegularExpression>

// Vonage Voice API WebSockets (docs/providers.md, "Vonage"): audio travels as binary frames of
// 16-bit linear PCM, 640 B per 20 ms at 16 kHz; control travels as JSON text, bot -> Vonage
// {"action":"clear"|"notify"}, Vonage -> bot {"event":"websocket:..."}. No stream id travels in
// band: the socket is the stream.
namespace pacelab::provider {

namespace {

using pcm::Checker;

constexpr int kRate = 16000;
constexpr int kFrameBytes = 640; // 20 ms at 16 kHz, 16-bit mono: "each message is 320 or 640 bytes"
// Vonage's docs give one duration in their DTMF example; PaceLab's emulator sends the same.
constexpr int kDtmfDurationMs = 260;

const QString kContentType = QStringLiteral("audio/l16;rate=16000");

// PaceLab's convention for notify payloads: a mark named N travels as {"name": N}. A payload of
// any other shape is kept whole as its compact JSON text (so the echo can return it verbatim).
QString markNameFromPayload(const QJsonObject &payload)
{
    if (payload.size() == 1 && payload.value(QLatin1String("name")).isString())
        return payload.value(QLatin1String("name")).toString();
    return QString::fromUtf8(pcm::compact(payload));
}

QJsonObject payloadForMark(const QString &name)
{
    if (name.startsWith(u'{')) {
        const QJsonDocument doc = QJsonDocument::fromJson(name.toUtf8());
        if (doc.isObject())
            return doc.object();
    }
    return QJsonObject{{QStringLiteral("name"), name}};
}

// "audio/l16;rate=16000" -> 16000; 0 when it is not L16 with a usable rate.
int rateFromContentType(const QString &contentType)
{
    static const QRegularExpression re(QStringLiteral("^\\s*audio/l16\\s*;\\s*rate\\s*=\\s*(\\d{4,5})\\s*$"),
                                       QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = re.match(contentType);
    if (!m.hasMatch())
        return 0;
    const int rate = m.captured(1).toInt();
    return rate >= 8000 && rate <= 48000 ? rate : 0;
}

QString notAControlHint(const QString &key)
{
    if (key == QLatin1String("media") || key == QLatin1String("payload") || key == QLatin1String("audio"))
        return QStringLiteral("audio goes to Vonage as binary frames, not in JSON");
    return QString();
}

class VonageProfile final : public Profile
{
public:
    Id id() const override { return Id::Vonage; }
    QString name() const override { return QStringLiteral("vonage"); }
    QString displayName() const override { return QStringLiteral("Vonage Voice API WebSockets"); }
    MediaFormat outboundFormat() const override { return MediaFormat::l16(kRate); }
    MediaFormat inboundFormat() const override { return MediaFormat::l16(kRate); }
    bool outboundAudioIsBinary() const override { return true; }
    bool inboundAudioIsBinary() const override { return true; }
    Limits limits() const override
    {
        Limits l;
        l.maxBufferedMessages = 3072; // "Vonage will only buffer 3072 messages" (~60 s of 20 ms frames)
        l.audioSizeMultiple = kFrameBytes;
        l.minAudioBytes = kFrameBytes;
        l.maxAudioBytes = kFrameBytes;
        return l;
    }
    bool clearEchoesPendingMarks() const override { return false; } // Assumption (docs/providers.md)
    bool botMessagesCarryStreamId() const override { return false; }

    // ---- bot -> Vonage ------------------------------------------------------------------------
    WireMessage encodeMedia(const QString &, const QByteArray &audio) const override { return {audio, true}; }
    WireMessage encodeMark(const QString &, const QString &markName) const override
    {
        return {pcm::compact({{QStringLiteral("action"), QStringLiteral("notify")},
                              {QStringLiteral("payload"), payloadForMark(markName)}}),
                false};
    }
    WireMessage encodeClear(const QString &) const override
    {
        return {pcm::compact({{QStringLiteral("action"), QStringLiteral("clear")}}), false};
    }

    ParseResult parseFromBot(const QByteArray &data, bool binary, const QString &) const override
    {
        ParseResult r;
        if (binary)
            return binaryFromBot(data);
        Checker c(r, *this, QStringLiteral("the message"));
        QJsonObject o;
        if (!pcm::parseObject(data, r, *this, &o)) {
            // Raw audio pushed as text (base64 or bytes) is the frame-type mistake, not bad JSON.
            if (pcm::looksLikeBase64(data)) {
                r = ParseResult{};
                setError(r, ParseError::WrongFrameType,
                         QStringLiteral("text frame of %1 characters that looks like base64 audio: Vonage takes audio "
                                        "only as binary frames of raw 16-bit PCM (640 B per 20 ms)")
                             .arg(data.size()));
            }
            return r;
        }
        if (!o.contains(QLatin1String("action")))
            return noAction(o);
        QString action;
        if (!c.requireString(o, QStringLiteral("action"), QStringLiteral("action"), &action))
            return r;
        r.message.name = action;
        if (action == QLatin1String("clear")) {
            r.message.event = Event::Clear;
            Checker cc(r, *this, QStringLiteral("the clear action"));
            cc.onlyFields(o, QString(), {"action"}, notAControlHint);
            return r;
        }
        if (action == QLatin1String("notify")) {
            r.message.event = Event::Mark;
            Checker cn(r, *this, QStringLiteral("the notify action"));
            QJsonObject payload;
            if (!cn.onlyFields(o, QString(), {"action", "payload"}, notAControlHint)
                || !cn.requireObject(o, QStringLiteral("payload"), QStringLiteral("payload"), &payload))
                return r;
            r.message.markName = markNameFromPayload(payload);
            return r;
        }
        c.fail(ParseError::UnknownEvent,
               QStringLiteral("unknown action '%1' (a bot may send action clear or notify; audio goes in binary frames)")
                   .arg(action.left(60)));
        return r;
    }

    // ---- Vonage -> bot ------------------------------------------------------------------------
    QList<WireMessage> encodeHandshake(const StartParams &p, qint64 *) const override
    {
        // The NCCO connect headers arrive flattened at the top level of websocket:connected.
        // PaceLab's convention: the call UUID travels as header "uuid" (what apps usually put
        // there; Vonage itself only echoes the headers the NCCO sets).
        QJsonObject o = QJsonObject::fromVariantMap(p.customParameters);
        if (!p.callId.isEmpty() && !o.contains(QLatin1String("uuid")))
            o.insert(QStringLiteral("uuid"), p.callId);
        o.insert(QStringLiteral("event"), QStringLiteral("websocket:connected"));
        o.insert(QStringLiteral("content-type"), kContentType);
        return {{pcm::compact(o), false}};
    }
    WireMessage encodeInboundMedia(const StartParams &, qint64 *, qint64, qint64, const QByteArray &audio) const override
    {
        return {audio, true};
    }
    WireMessage encodeDtmf(const StartParams &, qint64 *, const QString &digit) const override
    {
        return {pcm::compact({{QStringLiteral("event"), QStringLiteral("websocket:dtmf")},
                              {QStringLiteral("digit"), digit},
                              {QStringLiteral("duration"), kDtmfDurationMs}}),
                false};
    }
    WireMessage encodeMarkEcho(const StartParams &, qint64 *, const QString &markName) const override
    {
        return {pcm::compact({{QStringLiteral("event"), QStringLiteral("websocket:notify")},
                              {QStringLiteral("payload"), payloadForMark(markName)}}),
                false};
    }
    std::optional<WireMessage> encodeClearAck(const StartParams &, qint64 *) const override
    {
        return WireMessage{pcm::compact({{QStringLiteral("event"), QStringLiteral("websocket:cleared")}}), false};
    }
    // Vonage ends the stream by closing the socket (and reports it on the event webhook).
    std::optional<WireMessage> encodeStop(const StartParams &, qint64 *) const override { return std::nullopt; }

    ParseResult parseFromProvider(const QByteArray &data, bool binary, const QString &) const override
    {
        ParseResult r;
        if (binary) {
            if (data.isEmpty() || data.size() % 2 != 0) {
                setError(r, ParseError::BadAudioSize,
                         QStringLiteral("binary frame of %1 bytes from Vonage is not whole 16-bit samples").arg(data.size()));
                return r;
            }
            r.message.event = Event::Media;
            r.message.name = QStringLiteral("binary");
            r.message.audio = data;
            return r;
        }
        QJsonObject o;
        if (!pcm::parseObject(data, r, *this, &o))
            return r;
        Checker c(r, *this, QStringLiteral("the message"));
        if (!o.contains(QLatin1String("event")) && o.value(QLatin1String("action")).isString()) {
            c.fail(ParseError::UnknownEvent, QStringLiteral("action '%1' is sent by a bot, not by Vonage")
                                                 .arg(o.value(QLatin1String("action")).toString().left(60)));
            return r;
        }
        QString event;
        if (!c.requireString(o, QStringLiteral("event"), QStringLiteral("event"), &event))
            return r;
        Message &m = r.message;
        m.name = event;
        Checker ce(r, *this, event.left(60));
        if (event == QLatin1String("websocket:connected")) {
            m.event = Event::Connected;
            QString contentType;
            if (!ce.requireString(o, QStringLiteral("content-type"), QStringLiteral("content-type"), &contentType))
                return r;
            const int rate = rateFromContentType(contentType);
            if (rate == 0) {
                ce.fail(ParseError::WrongAudioFormat,
                        QStringLiteral("content-type '%1' is not audio/l16;rate=8000 or audio/l16;rate=16000").arg(contentType.left(60)));
                return r;
            }
            m.format = MediaFormat::l16(rate);
            if (!ce.optionalString(o, QStringLiteral("uuid"), QStringLiteral("uuid"), &m.callId))
                return r;
            for (auto it = o.begin(); it != o.end(); ++it) {
                if (it.key() != QLatin1String("event") && it.key() != QLatin1String("content-type")
                    && it.key() != QLatin1String("uuid"))
                    m.customParameters.insert(it.key(), it->toVariant());
            }
        } else if (event == QLatin1String("websocket:dtmf")) {
            m.event = Event::Dtmf;
            // The documented shape has the digit at the top level; accept {"dtmf":{"digit"}} too.
            QJsonObject holder = o;
            QString where = QString();
            if (!o.contains(QLatin1String("digit")) && o.value(QLatin1String("dtmf")).isObject()) {
                holder = o.value(QLatin1String("dtmf")).toObject();
                where = QStringLiteral("dtmf.");
            }
            qint64 duration = -1;
            if (!ce.requireString(holder, QStringLiteral("digit"), where + QStringLiteral("digit"), &m.digit, false)
                || !ce.optionalCount(holder, QStringLiteral("duration"), where + QStringLiteral("duration"), &duration))
                return r;
        } else if (event == QLatin1String("websocket:notify")) {
            m.event = Event::Mark;
            QJsonObject payload;
            if (!ce.requireObject(o, QStringLiteral("payload"), QStringLiteral("payload"), &payload))
                return r;
            m.markName = markNameFromPayload(payload);
        } else if (event == QLatin1String("websocket:cleared")) {
            m.event = Event::Cleared;
        } else {
            ce.fail(ParseError::UnknownEvent,
                    QStringLiteral("unknown event '%1' from Vonage (expected websocket:connected, websocket:dtmf, "
                                   "websocket:notify or websocket:cleared)")
                        .arg(event.left(60)));
        }
        return r;
    }

    StartParams withIds(StartParams p) const override
    {
        if (p.callId.isEmpty())
            p.callId = pcm::uuid4();
        // No stream id travels on a Vonage socket; PaceLab names the stream by its call.
        if (p.streamId.isEmpty())
            p.streamId = p.callId;
        return p;
    }

    int recognize(const QByteArray &data, bool binary) const override
    {
        if (binary) {
            // A bare PCM frame names no provider; a Vonage-sized one leans Vonage, weakly.
            if (data.size() == kFrameBytes)
                return 20;
            if (data.size() == 320)
                return 15;
            return !data.isEmpty() && data.size() % 2 == 0 && data.size() <= 64 * 1024 ? 5 : 0;
        }
        const QJsonObject o = QJsonDocument::fromJson(data).object();
        if (o.isEmpty())
            return 0;
        if (o.value(QLatin1String("event")).toString().startsWith(QLatin1String("websocket:")))
            return 95;
        const QString action = o.value(QLatin1String("action")).toString();
        if (!o.contains(QLatin1String("event")) && (action == QLatin1String("clear") || action == QLatin1String("notify")))
            return 80;
        return 0;
    }

private:
    void setError(ParseResult &r, ParseError e, const QString &detail) const { pcm::setError(r, *this, e, detail); }

    ParseResult binaryFromBot(const QByteArray &data) const
    {
        ParseResult r;
        if (pcm::isRiff(data)) {
            setError(r, ParseError::PayloadIsRiff,
                     QStringLiteral("binary frame starts with a %1 file header: Vonage wants raw 16-bit PCM "
                                    "(640 B per 20 ms) without a header")
                         .arg(pcm::riffKind(data)));
            return r;
        }
        if (data.size() != kFrameBytes) {
            QString why;
            if (data.isEmpty())
                why = QStringLiteral(" (an empty frame)");
            else if (data.size() % 2 != 0)
                why = QStringLiteral(" (not even whole 16-bit samples)");
            else if (data.size() == 320)
                why = QStringLiteral(" (320 B is a 20 ms frame at 8 kHz; this stream is 16 kHz)");
            else if (data.size() % kFrameBytes == 0)
                why = QStringLiteral(" (%1 frames in one message: send one 20 ms frame per message)").arg(data.size() / kFrameBytes);
            else
                why = QStringLiteral(" (%1 ms of audio)").arg(MediaFormat::l16(kRate).bytesToMs(data.size()), 0, 'f', 1);
            setError(r, ParseError::BadAudioSize,
                     QStringLiteral("binary frame of %1 bytes: Vonage wants exactly 640 B per message "
                                    "(20 ms of 16-bit PCM at 16 kHz)%2")
                         .arg(data.size())
                         .arg(why));
            return r;
        }
        r.message.event = Event::Media;
        r.message.name = QStringLiteral("binary");
        r.message.audio = data;
        return r;
    }

    // A text message without "action": audio in JSON, another provider's control message, or
    // nothing Vonage knows.
    ParseResult noAction(const QJsonObject &o) const
    {
        ParseResult r;
        const QString event = o.value(QLatin1String("event")).toString();
        if (event == QLatin1String("media") || event == QLatin1String("playAudio") || o.contains(QLatin1String("media"))
            || o.contains(QLatin1String("payload")) || o.contains(QLatin1String("audio"))) {
            setError(r, ParseError::WrongFrameType,
                     QStringLiteral("audio in a JSON text message: Vonage takes audio only as binary frames of raw "
                                    "16-bit PCM (640 B per 20 ms)"));
            return r;
        }
        if (event == QLatin1String("clear") || event == QLatin1String("clearAudio")) {
            setError(r, ParseError::UnknownEvent,
                     QStringLiteral("event '%1' is not a Vonage control message: send {\"action\":\"clear\"}").arg(event));
            return r;
        }
        if (event == QLatin1String("mark") || event == QLatin1String("checkpoint")) {
            setError(r, ParseError::UnknownEvent,
                     QStringLiteral("event '%1' is not a Vonage control message: send {\"action\":\"notify\",\"payload\":{...}}")
                         .arg(event));
            return r;
        }
        if (o.contains(QLatin1String("event"))) {
            setError(r, ParseError::UnknownEvent,
                     QStringLiteral("a bot's control messages to Vonage carry 'action' (clear or notify), not 'event'; "
                                    "got event '%1'")
                         .arg(o.value(QLatin1String("event")).isString() ? event.left(60)
                                                                         : pcm::typeName(o.value(QLatin1String("event")))));
            return r;
        }
        setError(r, ParseError::MissingField,
                 QStringLiteral("missing field 'action' in the message (Vonage control messages are "
                                "{\"action\":\"clear\"} or {\"action\":\"notify\",\"payload\":{...}})"));
        return r;
    }
};

} // namespace

const Profile &vonageProfile()
{
    static const VonageProfile p;
    return p;
}

} // namespace pacelab::provider
