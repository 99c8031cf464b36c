#include "provider/Provider.h"
#include "twilio/TwilioMessages.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTest>

using namespace pacelab;
using namespace pacelab::provider;

Q_DECLARE_METATYPE(pacelab::provider::ParseError)

// The Plivo profile: playAudio/checkpoint/clearAudio from the bot, start/media/dtmf/playedStream/
// clearedAudio from Plivo, both round-trip; a playAudio in another format than the stream's is
// WrongAudioFormat; every malformed shape gets the right ParseError naming the field; recognize()
// and detect() tell Plivo from every other profile; garbage never crashes a parser.
class TestProviderPlivo : public QObject
{
    Q_OBJECT

    const Profile &p = profile(Id::Plivo);
    const QString sid = QStringLiteral("20170ada-f610-433b-8758-c02a2aab3662");

    static QByteArray play(const QByteArray &mediaFields, const QByteArray &extraTop = QByteArray())
    {
        return "{\"event\":\"playAudio\"" + extraTop + ",\"media\":{" + mediaFields + "}}";
    }
    static QByteArray frame64() { return QByteArray(160, char(0xFF)).toBase64(); }

private Q_SLOTS:
    void identityAndLimits()
    {
        QCOMPARE(p.id(), Id::Plivo);
        QCOMPARE(p.name(), QStringLiteral("plivo"));
        QCOMPARE(p.outboundFormat(), MediaFormat::mulaw8k()); // mu-law kept, though Plivo also plays L16
        QCOMPARE(p.inboundFormat(), MediaFormat::mulaw8k());
        QVERIFY(!p.outboundAudioIsBinary());
        QVERIFY(!p.clearEchoesPendingMarks()); // playedStream only for audio that played
        QVERIFY(p.botMessagesCarryStreamId());
        QCOMPARE(p.limits().maxBufferedMessages, qint64(-1));
        QCOMPARE(p.codeFor(Fault::InvalidMessage), kPaceLabCodeBase);
        QCOMPARE(p.codeFor(ParseError::WrongAudioFormat), p.codeFor(Fault::InvalidMessage));
    }

    void botMessagesRoundTrip()
    {
        const QByteArray audio(160, char(0x33));
        const WireMessage media = p.encodeMedia(sid, audio);
        QVERIFY(!media.binary);
        const QJsonObject o = QJsonDocument::fromJson(media.data).object();
        QCOMPARE(o.value(QStringLiteral("event")).toString(), QStringLiteral("playAudio"));
        QCOMPARE(o.value(QStringLiteral("media")).toObject().value(QStringLiteral("contentType")).toString(), QStringLiteral("audio/x-mulaw"));
        QCOMPARE(o.value(QStringLiteral("media")).toObject().value(QStringLiteral("sampleRate")).toInt(), 8000);
        ParseResult r = p.parseFromBot(media.data, false, sid);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.code, 0);
        QCOMPARE(r.message.event, Event::Media);
        QCOMPARE(r.message.name, QStringLiteral("playAudio"));
        QCOMPARE(r.message.audio, audio);
        QCOMPARE(*r.message.format, MediaFormat::mulaw8k());

        r = p.parseFromBot(p.encodeMark(sid, QStringLiteral("customer greeting audio")).data, false, sid);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Mark);
        QCOMPARE(r.message.name, QStringLiteral("checkpoint"));
        QCOMPARE(r.message.markName, QStringLiteral("customer greeting audio"));
        QCOMPARE(r.message.streamId, sid);

        r = p.parseFromBot(p.encodeClear(sid).data, false, sid);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Clear);

        // Shapes Plivo's documentation also shows: sampleRate as a string, a streamId in playAudio,
        // contentType with the rate parameter.
        QVERIFY(p.parseFromBot(play("\"contentType\":\"audio/x-mulaw\",\"sampleRate\":\"8000\",\"payload\":\"" + frame64() + "\""), false, sid).ok());
        QVERIFY(p.parseFromBot(play("\"contentType\":\"audio/x-mulaw\",\"sampleRate\":8000,\"payload\":\"" + frame64() + "\"",
                                    ",\"streamId\":\"" + sid.toLatin1() + "\""),
                               false, sid)
                    .ok());
        QVERIFY(p.parseFromBot(play("\"contentType\":\"audio/x-mulaw;rate=8000\",\"sampleRate\":8000,\"payload\":\"" + frame64() + "\""), false).ok());
        r = p.parseFromBot("{\"event\":\"sendDTMF\",\"dtmf\":\"123#\"}", false, sid);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Dtmf);
        QCOMPARE(r.message.digit, QStringLiteral("123#"));
    }

    void providerMessagesRoundTrip()
    {
        StartParams sp;
        sp.customParameters.insert(QStringLiteral("userId"), QStringLiteral("12345"));
        sp = p.withIds(sp);
        const QRegularExpression lowerUuid(QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
        QVERIFY2(lowerUuid.match(sp.streamId).hasMatch(), qPrintable(sp.streamId));
        QVERIFY2(lowerUuid.match(sp.callId).hasMatch(), qPrintable(sp.callId));
        QVERIFY2(QRegularExpression(QStringLiteral("^MA[A-Z0-9]{18}$")).match(sp.accountId).hasMatch(), qPrintable(sp.accountId));

        qint64 seq = 0;
        const QList<WireMessage> hs = p.encodeHandshake(sp, &seq);
        QCOMPARE(hs.size(), 1); // Plivo opens with start, no connected
        QCOMPARE(seq, qint64(1));
        ParseResult r = p.parseFromProvider(hs.at(0).data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Start);
        QCOMPARE(r.message.streamId, sp.streamId);
        QCOMPARE(r.message.callId, sp.callId);
        QCOMPARE(r.message.accountId, sp.accountId);
        QCOMPARE(r.message.tracks, QStringList{QStringLiteral("inbound")});
        QCOMPARE(r.message.sequenceNumber, qint64(1));
        QCOMPARE(*r.message.format, MediaFormat::mulaw8k());
        QCOMPARE(r.message.customParameters.value(QStringLiteral("userId")).toString(), QStringLiteral("12345"));
        // Plivo's sequenceNumber is a JSON number.
        QVERIFY(QJsonDocument::fromJson(hs.at(0).data).object().value(QStringLiteral("sequenceNumber")).isDouble());

        const QByteArray audio(160, char(0x44));
        r = p.parseFromProvider(p.encodeInboundMedia(sp, &seq, 41, 820, audio).data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Media);
        QCOMPARE(r.message.chunk, qint64(41));
        QCOMPARE(r.message.timestampMs, qint64(820));
        QCOMPARE(r.message.audio, audio);

        r = p.parseFromProvider(p.encodeDtmf(sp, &seq, QStringLiteral("5")).data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Dtmf);
        QCOMPARE(r.message.digit, QStringLiteral("5"));

        r = p.parseFromProvider(p.encodeMarkEcho(sp, &seq, QStringLiteral("cp-1")).data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Mark);
        QCOMPARE(r.message.name, QStringLiteral("playedStream"));
        QCOMPARE(r.message.markName, QStringLiteral("cp-1"));

        const auto ack = p.encodeClearAck(sp, &seq);
        QVERIFY(ack.has_value());
        r = p.parseFromProvider(ack->data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Cleared);
        QCOMPARE(r.message.name, QStringLiteral("clearedAudio"));
        QCOMPARE(seq, qint64(5));

        QVERIFY(!p.encodeStop(sp, &seq).has_value()); // Plivo closes the socket; the end goes to the status callback
        QCOMPARE(seq, qint64(5));
    }

    // What PaceLab writes as Plivo satisfies the schema of Plivo's own stream SDK
    // (plivo-stream-sdk-node, src/types.ts), which requires every field below with its type: a
    // bot built on that SDK must accept the emulator's messages.
    void emulatedMessagesMatchPlivoSdkSchema()
    {
        const StartParams sp = p.withIds({});
        qint64 seq = 0;
        const QRegularExpression uuid(QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
        auto check = [&](const QByteArray &data, const QList<QPair<QString, QJsonValue::Type>> &fields) {
            const QJsonObject o = QJsonDocument::fromJson(data).object();
            for (const auto &[path, type] : fields) {
                QJsonValue v = o;
                for (const QString &part : path.split(QLatin1Char('.')))
                    v = v.toObject().value(part);
                QVERIFY2(v.type() == type, qPrintable(path + QStringLiteral(" in ") + QString::fromUtf8(data)));
                if (path.endsWith(QLatin1String("streamId")) || path.endsWith(QLatin1String("callId")))
                    QVERIFY2(uuid.match(v.toString()).hasMatch(), qPrintable(path));
            }
        };
        using T = QJsonValue::Type;
        check(p.encodeHandshake(sp, &seq).at(0).data,
              {{"event", T::String}, {"sequenceNumber", T::Double}, {"start.callId", T::String}, {"start.streamId", T::String},
               {"start.accountId", T::String}, {"start.tracks", T::Array}, {"start.mediaFormat.encoding", T::String},
               {"start.mediaFormat.sampleRate", T::Double}, {"extra_headers", T::String}});
        check(p.encodeInboundMedia(sp, &seq, 1, 20, QByteArray(160, '\xFF')).data,
              {{"sequenceNumber", T::Double}, {"streamId", T::String}, {"event", T::String}, {"media.track", T::String},
               {"media.timestamp", T::String}, {"media.chunk", T::Double}, {"media.payload", T::String}, {"extra_headers", T::String}});
        check(p.encodeDtmf(sp, &seq, QStringLiteral("1")).data,
              {{"event", T::String}, {"sequenceNumber", T::Double}, {"streamId", T::String}, {"dtmf.track", T::String},
               {"dtmf.digit", T::String}, {"dtmf.timestamp", T::String}, {"extra_headers", T::String}});
        check(p.encodeMarkEcho(sp, &seq, QStringLiteral("m")).data,
              {{"event", T::String}, {"sequenceNumber", T::Double}, {"streamId", T::String}, {"name", T::String}});
        check(p.encodeClearAck(sp, &seq)->data, {{"event", T::String}, {"sequenceNumber", T::Double}, {"streamId", T::String}});
        // And the bot's side as the SDK writes it: playAudio without streamId, sampleRate a number.
        check(p.encodeMedia(sp.streamId, QByteArray(160, '\xFF')).data,
              {{"event", T::String}, {"media.contentType", T::String}, {"media.sampleRate", T::Double}, {"media.payload", T::String}});
        QVERIFY(!QJsonDocument::fromJson(p.encodeMedia(sp.streamId, QByteArray(4, 'a')).data).object().contains(QStringLiteral("streamId")));
        check(p.encodeMark(sp.streamId, QStringLiteral("m")).data, {{"event", T::String}, {"streamId", T::String}, {"name", T::String}});
        check(p.encodeClear(sp.streamId).data, {{"event", T::String}, {"streamId", T::String}});
    }

    void providerReaderIsTolerant()
    {
        // Documented variants: playedStream without streamId or sequenceNumber, clearedAudio with
        // sequenceNumber 0, media with extra_headers, unknown extra fields.
        ParseResult r = p.parseFromProvider("{\"event\":\"playedStream\",\"name\":\"response-3\"}", false, sid);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.markName, QStringLiteral("response-3"));
        r = p.parseFromProvider("{\"sequenceNumber\":0,\"event\":\"clearedAudio\",\"streamId\":\"" + sid.toLatin1() + "\"}", false, sid);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Cleared);
        r = p.parseFromProvider("{\"event\":\"media\",\"sequenceNumber\":42,\"streamId\":\"S\",\"media\":{\"track\":\"inbound\","
                                "\"timestamp\":\"1705312200000\",\"chunk\":41,\"payload\":\"//uQ\"},\"extra_headers\":\"a=1\",\"x\":[]}",
                                false, QStringLiteral("S"));
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.timestampMs, qint64(1705312200000));
        r = p.parseFromProvider("{\"event\":\"start\",\"sequenceNumber\":1,\"start\":{\"callId\":\"c\",\"streamId\":\"S\",\"accountId\":\"MA1\","
                                "\"tracks\":[\"inbound\"],\"mediaFormat\":{\"encoding\":\"audio/x-l16\",\"sampleRate\":16000}},"
                                "\"extra_headers\":\"userId=12345;sessionId=abc-xyz\"}",
                                false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(*r.message.format, MediaFormat::l16(16000));
        QCOMPARE(r.message.customParameters.value(QStringLiteral("sessionId")).toString(), QStringLiteral("abc-xyz"));
        r = p.parseFromProvider("{\"event\":\"stop\"}", false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Stop);
    }

    void providerErrors_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<bool>("binary");
        QTest::addColumn<ParseError>("error");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("binary") << QByteArray(160, 'x') << true << ParseError::WrongFrameType << "binary";
        QTest::newRow("unknown event") << QByteArray("{\"event\":\"connected\"}") << false << ParseError::UnknownEvent << "connected";
        QTest::newRow("media without streamId") << QByteArray("{\"event\":\"media\",\"media\":{\"payload\":\"AAAA\"}}") << false
                                                << ParseError::MissingField << "streamId";
        QTest::newRow("other stream") << QByteArray("{\"event\":\"playedStream\",\"streamId\":\"B\",\"name\":\"x\"}") << false
                                      << ParseError::StreamIdMismatch << "streamId 'B'";
        QTest::newRow("start other stream")
            << QByteArray("{\"event\":\"start\",\"start\":{\"streamId\":\"B\",\"callId\":\"c\",\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\",\"sampleRate\":8000}}}")
            << false << ParseError::StreamIdMismatch << "start.streamId";
        QTest::newRow("start without mediaFormat") << QByteArray("{\"event\":\"start\",\"start\":{\"streamId\":\"A\",\"callId\":\"c\"}}") << false
                                                   << ParseError::MissingField << "start.mediaFormat";
        QTest::newRow("tracks not strings")
            << QByteArray("{\"event\":\"start\",\"start\":{\"streamId\":\"A\",\"callId\":\"c\",\"tracks\":[1],\"mediaFormat\":{}}}") << false
            << ParseError::WrongType << "start.tracks[0]";
        QTest::newRow("bad base64") << QByteArray("{\"event\":\"media\",\"streamId\":\"A\",\"media\":{\"payload\":\"A=AA\"}}") << false
                                    << ParseError::PayloadNotBase64 << "media.payload";
        QTest::newRow("playedStream without name") << QByteArray("{\"event\":\"playedStream\"}") << false << ParseError::MissingField << "name";
    }
    void providerErrors()
    {
        QFETCH(QByteArray, data);
        QFETCH(bool, binary);
        QFETCH(ParseError, error);
        QFETCH(QString, mentions);
        const ParseResult r = p.parseFromProvider(data, binary, QStringLiteral("A"));
        QCOMPARE(r.error, error);
        QVERIFY2(r.detail.contains(mentions), qPrintable(r.detail));
        QVERIFY(r.code != 0);
    }

    void botErrors_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<bool>("binary");
        QTest::addColumn<ParseError>("error");
        QTest::addColumn<QString>("mentions");
        const QByteArray mu = "\"contentType\":\"audio/x-mulaw\",\"sampleRate\":8000,";
        const QByteArray ok = mu + "\"payload\":\"" + frame64() + "\"";
        const QByteArray S = "20170ada-f610-433b-8758-c02a2aab3662";
        QTest::newRow("binary frame") << QByteArray(160, char(0xFF)) << true << ParseError::WrongFrameType << "binary WebSocket frame of 160 bytes";
        QTest::newRow("empty") << QByteArray() << false << ParseError::InvalidJson << "empty";
        QTest::newRow("broken json") << QByteArray("{\"event\":\"playAudio\",") << false << ParseError::InvalidJson << "offset";
        QTest::newRow("string") << QByteArray("\"playAudio\"") << false << ParseError::NotAnObject << "string";
        QTest::newRow("no event") << QByteArray("{\"media\":{}}") << false << ParseError::MissingField << "'event'";
        QTest::newRow("event null") << QByteArray("{\"event\":null}") << false << ParseError::WrongType << "event must be a string, got null";
        QTest::newRow("twilio media") << QByteArray("{\"event\":\"media\",\"media\":{\"payload\":\"AAAA\"}}") << false << ParseError::UnknownEvent
                                      << "Plivo's is 'playAudio'";
        QTest::newRow("twilio mark") << QByteArray("{\"event\":\"mark\"}") << false << ParseError::UnknownEvent << "'checkpoint'";
        QTest::newRow("twilio clear") << QByteArray("{\"event\":\"clear\"}") << false << ParseError::UnknownEvent << "'clearAudio'";
        QTest::newRow("provider event") << QByteArray("{\"event\":\"playedStream\",\"name\":\"x\"}") << false << ParseError::UnknownEvent
                                        << "sent by Plivo";
        QTest::newRow("unknown event") << QByteArray("{\"event\":\"hangup\"}") << false << ParseError::UnknownEvent << "unknown event 'hangup'";
        QTest::newRow("media missing") << QByteArray("{\"event\":\"playAudio\"}") << false << ParseError::MissingField << "'media'";
        QTest::newRow("contentType missing") << play("\"sampleRate\":8000,\"payload\":\"AAAA\"") << false << ParseError::MissingField
                                             << "media.contentType";
        QTest::newRow("sampleRate missing") << play("\"contentType\":\"audio/x-mulaw\",\"payload\":\"AAAA\"") << false
                                            << ParseError::MissingField << "media.sampleRate";
        QTest::newRow("payload missing") << play(mu.chopped(1)) << false << ParseError::MissingField << "media.payload";
        QTest::newRow("sampleRate text") << play("\"contentType\":\"audio/x-mulaw\",\"sampleRate\":\"8k\",\"payload\":\"AAAA\"") << false
                                         << ParseError::WrongType << "media.sampleRate '8k'";
        QTest::newRow("sampleRate fraction") << play("\"contentType\":\"audio/x-mulaw\",\"sampleRate\":8000.5,\"payload\":\"AAAA\"") << false
                                             << ParseError::WrongType << "media.sampleRate";
        QTest::newRow("sampleRate bool") << play("\"contentType\":\"audio/x-mulaw\",\"sampleRate\":true,\"payload\":\"AAAA\"") << false
                                         << ParseError::WrongType << "got boolean";
        QTest::newRow("l16 on a mu-law stream") << play("\"contentType\":\"audio/x-l16\",\"sampleRate\":8000,\"payload\":\"AAAA\"") << false
                                                << ParseError::WrongAudioFormat << "differs from the stream's audio/x-mulaw at 8000 Hz";
        QTest::newRow("l16 16k on a mu-law stream") << play("\"contentType\":\"audio/x-l16\",\"sampleRate\":16000,\"payload\":\"AAAA\"") << false
                                                    << ParseError::WrongAudioFormat << "'audio/x-l16' at 16000 Hz";
        QTest::newRow("mu-law at 16 kHz") << play("\"contentType\":\"audio/x-mulaw\",\"sampleRate\":16000,\"payload\":\"AAAA\"") << false
                                          << ParseError::WrongAudioFormat << "not a Plivo audio format";
        QTest::newRow("wav content type") << play("\"contentType\":\"audio/wav\",\"sampleRate\":8000,\"payload\":\"AAAA\"") << false
                                          << ParseError::WrongAudioFormat << "'audio/wav'";
        QTest::newRow("payload unpadded") << play(mu + "\"payload\":\"AA\"") << false << ParseError::PayloadNotBase64 << "multiple of 4";
        QTest::newRow("payload alphabet") << play(mu + "\"payload\":\"A*AA\"") << false << ParseError::PayloadNotBase64 << "media.payload";
        QByteArray wav("RIFF\x24\x00\x00\x00WAVEfmt ", 16);
        wav += QByteArray(200, '\0');
        QTest::newRow("wav header") << play(mu + "\"payload\":\"" + wav.toBase64() + "\"") << false << ParseError::PayloadIsRiff << "RIFF/WAVE";
        QTest::newRow("extra media field") << play(ok + ",\"track\":\"outbound\"") << false << ParseError::UnexpectedField << "'media.track'";
        QTest::newRow("extra top field") << play(ok, ",\"streamSid\":\"MZ1\"") << false << ParseError::UnexpectedField << "'streamSid'";
        QTest::newRow("playAudio other stream") << play(ok, ",\"streamId\":\"other\"") << false << ParseError::StreamIdMismatch
                                                << "streamId 'other'";
        QTest::newRow("checkpoint without streamId") << QByteArray("{\"event\":\"checkpoint\",\"name\":\"a\"}") << false
                                                     << ParseError::MissingField << "'streamId' in checkpoint";
        QTest::newRow("checkpoint without name") << QByteArray("{\"event\":\"checkpoint\",\"streamId\":\"" + S + "\"}") << false
                                                 << ParseError::MissingField << "'name' in checkpoint";
        QTest::newRow("checkpoint empty name") << QByteArray("{\"event\":\"checkpoint\",\"streamId\":\"" + S + "\",\"name\":\"\"}") << false
                                               << ParseError::MissingField << "name is empty";
        QTest::newRow("checkpoint twilio shape") << QByteArray("{\"event\":\"checkpoint\",\"streamId\":\"" + S + "\",\"mark\":{\"name\":\"a\"}}")
                                                 << false << ParseError::UnexpectedField << "'mark'";
        QTest::newRow("checkpoint other stream") << QByteArray("{\"event\":\"checkpoint\",\"streamId\":\"x\",\"name\":\"a\"}") << false
                                                 << ParseError::StreamIdMismatch << "streamId 'x'";
        QTest::newRow("clearAudio without streamId") << QByteArray("{\"event\":\"clearAudio\"}") << false << ParseError::MissingField
                                                     << "'streamId' in clearAudio";
        QTest::newRow("clearAudio streamId number") << QByteArray("{\"event\":\"clearAudio\",\"streamId\":7}") << false << ParseError::WrongType
                                                    << "streamId must be a string";
        QTest::newRow("clearAudio extra") << QByteArray("{\"event\":\"clearAudio\",\"streamId\":\"" + S + "\",\"all\":true}") << false
                                          << ParseError::UnexpectedField << "'all'";
    }
    void botErrors()
    {
        QFETCH(QByteArray, data);
        QFETCH(bool, binary);
        QFETCH(ParseError, error);
        QFETCH(QString, mentions);
        const ParseResult r = p.parseFromBot(data, binary, sid);
        QCOMPARE(r.error, error);
        QVERIFY2(r.detail.contains(mentions), qPrintable(r.detail));
        QCOMPARE(r.code, p.codeFor(error));
        QVERIFY(r.message.audio.isEmpty());
    }

    void recognizeTellsProvidersApart()
    {
        const StartParams sp = p.withIds({});
        qint64 seq = 0;
        QVERIFY(p.recognize(p.encodeHandshake(sp, &seq).at(0).data, false) >= 90);
        for (const WireMessage &m : {p.encodeMedia(sp.streamId, QByteArray(160, '\xFF')), p.encodeMark(sp.streamId, QStringLiteral("m")),
                                     p.encodeClear(sp.streamId), p.encodeMarkEcho(sp, &seq, QStringLiteral("m")), *p.encodeClearAck(sp, &seq),
                                     p.encodeInboundMedia(sp, &seq, 1, 0, QByteArray(160, '\xFF'))})
            QVERIFY2(p.recognize(m.data, m.binary) >= 80, m.data.constData());
        // Twilio's and Telnyx's messages are not Plivo's.
        twilio::StartInfo info;
        info.streamSid = QStringLiteral("MZ00");
        for (const QByteArray &t : {twilio::encodeConnected(), twilio::encodeStart(info, 1), twilio::encodeMedia(QStringLiteral("MZ00"), QByteArray(4, 'a')),
                                    twilio::encodeMark(QStringLiteral("MZ00"), QStringLiteral("m")), twilio::encodeClear(QStringLiteral("MZ00")),
                                    twilio::encodeMarkEcho(QStringLiteral("MZ00"), 3, QStringLiteral("m"))})
            QCOMPARE(p.recognize(t, false), 0);
        const Profile &telnyx = profile(Id::Telnyx);
        const StartParams tp = telnyx.withIds({});
        for (const WireMessage &m : telnyx.encodeHandshake(tp, &seq))
            QCOMPARE(p.recognize(m.data, m.binary), 0);
        QCOMPARE(p.recognize(telnyx.encodeMedia(tp.streamId, QByteArray(160, '\xFF')).data, false), 0);
        QCOMPARE(p.recognize(telnyx.encodeInboundMedia(tp, &seq, 1, 0, QByteArray(160, '\xFF')).data, false), 0);
        QCOMPARE(p.recognize(QByteArray(320, '\0'), true), 0);
    }

    void detectPicksEveryProfile()
    {
        int built = 0;
        for (Id id : allIds()) {
            const Profile &q = profile(id);
            const StartParams sp = q.withIds({});
            qint64 seq = 0;
            QList<WireMessage> msgs = q.encodeHandshake(sp, &seq);
            if (msgs.isEmpty())
                continue; // a placeholder profile (not built on this branch)
            ++built;
            msgs << q.encodeInboundMedia(sp, &seq, 1, 0, q.inboundFormat().silenceFrame())
                 << q.encodeMedia(sp.streamId, q.outboundFormat().silenceFrame()) << q.encodeClear(sp.streamId);
            QCOMPARE(detect(msgs), std::optional<Id>(id));
        }
        QVERIFY(built >= 3);
        // The bot's side alone names Plivo too.
        QCOMPARE(detect({p.encodeMedia(sid, QByteArray(160, '\xFF')), p.encodeMark(sid, QStringLiteral("a"))}), std::optional<Id>(Id::Plivo));
    }

    void garbageNeverCrashes()
    {
        QRandomGenerator rng(4); // fixed seed: the same inputs on every machine
        for (int i = 0; i < 3000; ++i) {
            QByteArray junk(int(rng.bounded(300)), '\0');
            for (char &c : junk)
                c = char(rng.bounded(256));
            for (bool binary : {false, true}) {
                const ParseResult a = p.parseFromBot(junk, binary, sid);
                const ParseResult b = p.parseFromProvider(junk, binary, sid);
                QVERIFY(a.ok() || !a.detail.isEmpty());
                QVERIFY(b.ok() || !b.detail.isEmpty());
                const int score = p.recognize(junk, binary);
                QVERIFY(score >= 0 && score <= 100);
            }
        }
        for (const QByteArray &deep : {QByteArray(100000, '['), QByteArray(100000, '{'),
                                       QByteArray("{\"event\":\"playAudio\",\"media\":") + QByteArray(5000, '{') + QByteArray(5000, '}') + "}"}) {
            QVERIFY(!p.parseFromBot(deep, false).ok());
            QVERIFY(!p.parseFromProvider(deep, false).ok());
            QCOMPARE(p.recognize(deep, false), 0);
        }
        const QByteArray valid = p.encodeMedia(sid, QByteArray(160, '\x55')).data;
        for (int n = 0; n < valid.size(); ++n) {
            const ParseResult r = p.parseFromBot(valid.left(n), false);
            QVERIFY2(!r.ok(), valid.left(n).constData());
            QVERIFY(!r.detail.isEmpty());
        }
        for (int i = 0; i < 2000; ++i) {
            QByteArray m = valid;
            m[int(rng.bounded(m.size()))] = char(rng.bounded(256));
            const ParseResult r = p.parseFromBot(m, false, sid);
            QVERIFY(r.ok() || !r.detail.isEmpty());
        }
    }
};

QTEST_GUILESS_MAIN(TestProviderPlivo)
#include "tst_provider_plivo.moc"
