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

// The Telnyx profile: both directions round-trip, every malformed bot message gets the right
// ParseError and a message naming the field, provider messages are read tolerantly, recognize()
// and detect() tell Telnyx from every other profile, and garbage never crashes a parser.
class TestProviderTelnyx : public QObject
{
    Q_OBJECT

    const Profile &p = profile(Id::Telnyx);

    static QByteArray b64(const QByteArray &bytes) { return bytes.toBase64(); }
    static QByteArray mediaWith(const QByteArray &payloadJson)
    {
        return "{\"event\":\"media\",\"media\":{\"payload\":" + payloadJson + "}}";
    }

private Q_SLOTS:
    void identityAndLimits()
    {
        QCOMPARE(p.id(), Id::Telnyx);
        QCOMPARE(p.name(), QStringLiteral("telnyx"));
        QCOMPARE(p.outboundFormat(), MediaFormat::mulaw8k());
        QCOMPARE(p.inboundFormat(), MediaFormat::mulaw8k());
        QVERIFY(!p.outboundAudioIsBinary());
        QCOMPARE(p.limits().minAudioBytes, 160);     // 20 ms of PCMU
        QCOMPARE(p.limits().maxAudioBytes, 240000);  // 30 s of PCMU
        QVERIFY(p.clearEchoesPendingMarks());
        QVERIFY(!p.botMessagesCarryStreamId());
        // No numbered errors documented for the socket: PaceLab's codes.
        QCOMPARE(p.codeFor(Fault::InvalidMessage), kPaceLabCodeBase);
        QCOMPARE(p.codeFor(ParseError::WrongFrameType), p.codeFor(Fault::RawOrBinaryAudio));
        QCOMPARE(p.codeFor(ParseError::BadAudioSize), p.codeFor(Fault::BadAudioSize));
    }

    void botMessagesRoundTrip()
    {
        const QByteArray audio(160, char(0x7F));
        const WireMessage media = p.encodeMedia(QStringLiteral("ignored"), audio);
        QVERIFY(!media.binary);
        QCOMPARE(QJsonDocument::fromJson(media.data).object().keys(), (QStringList{QStringLiteral("event"), QStringLiteral("media")}));
        ParseResult r = p.parseFromBot(media.data, false, QStringLiteral("S1"));
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.code, 0);
        QCOMPARE(r.message.event, Event::Media);
        QCOMPARE(r.message.audio, audio);

        r = p.parseFromBot(p.encodeMark(QStringLiteral("S1"), QStringLiteral("greeting end")).data, false, QStringLiteral("S1"));
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Mark);
        QCOMPARE(r.message.markName, QStringLiteral("greeting end"));

        r = p.parseFromBot(p.encodeClear(QStringLiteral("S1")).data, false, QStringLiteral("S1"));
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Clear);

        // A stream_id a bot adds is accepted when it names the stream.
        r = p.parseFromBot("{\"event\":\"clear\",\"stream_id\":\"S1\"}", false, QStringLiteral("S1"));
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.streamId, QStringLiteral("S1"));
        // The largest chunk Telnyx plays (30 s) passes.
        QVERIFY(p.parseFromBot(p.encodeMedia(QString(), QByteArray(240000, char(0xFF))).data, false).ok());
    }

    void providerMessagesRoundTrip()
    {
        StartParams sp;
        sp.customParameters.insert(QStringLiteral("customer_id"), QStringLiteral("c123"));
        sp = p.withIds(sp);
        const QRegularExpression upperUuid(QStringLiteral("^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$"));
        QVERIFY2(upperUuid.match(sp.streamId).hasMatch(), qPrintable(sp.streamId));
        QVERIFY2(upperUuid.match(sp.accountId).hasMatch(), qPrintable(sp.accountId));
        QVERIFY2(QRegularExpression(QStringLiteral("^v3:[A-Za-z0-9_-]{54}$")).match(sp.callId).hasMatch(), qPrintable(sp.callId));
        QVERIFY(p.withIds({}).streamId != sp.streamId);

        qint64 seq = 0;
        const QList<WireMessage> hs = p.encodeHandshake(sp, &seq);
        QCOMPARE(hs.size(), 2);
        QCOMPARE(seq, qint64(1));
        ParseResult r = p.parseFromProvider(hs.at(0).data, false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Connected);
        QCOMPARE(p.parseFromProvider("{\"event\":\"connected\",\"version\":1}", false).error, ParseError::WrongType);
        r = p.parseFromProvider(hs.at(1).data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Start);
        QCOMPARE(r.message.streamId, sp.streamId);
        QCOMPARE(r.message.callId, sp.callId);
        QCOMPARE(r.message.accountId, sp.accountId);
        QCOMPARE(r.message.sequenceNumber, qint64(1));
        QVERIFY(r.message.format.has_value());
        QCOMPARE(*r.message.format, MediaFormat::mulaw8k());
        QCOMPARE(r.message.customParameters.value(QStringLiteral("customer_id")).toString(), QStringLiteral("c123"));
        // Telnyx spells numbers as strings (sequence_number "1").
        QCOMPARE(QJsonDocument::fromJson(hs.at(1).data).object().value(QStringLiteral("sequence_number")).toString(), QStringLiteral("1"));

        const QByteArray audio(160, char(0x12));
        r = p.parseFromProvider(p.encodeInboundMedia(sp, &seq, 7, 140, audio).data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Media);
        QCOMPARE(r.message.sequenceNumber, qint64(2));
        QCOMPARE(r.message.chunk, qint64(7));
        QCOMPARE(r.message.timestampMs, qint64(140));
        QCOMPARE(r.message.track, QStringLiteral("inbound"));
        QCOMPARE(r.message.audio, audio);

        r = p.parseFromProvider(p.encodeDtmf(sp, &seq, QStringLiteral("#")).data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Dtmf);
        QCOMPARE(r.message.digit, QStringLiteral("#"));

        r = p.parseFromProvider(p.encodeMarkEcho(sp, &seq, QStringLiteral("m1")).data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Mark);
        QCOMPARE(r.message.markName, QStringLiteral("m1"));

        QVERIFY(!p.encodeClearAck(sp, &seq).has_value()); // Telnyx echoes the marks, no ack
        const auto stop = p.encodeStop(sp, &seq);
        QVERIFY(stop.has_value());
        r = p.parseFromProvider(stop->data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Stop);
        QCOMPARE(r.message.callId, sp.callId);
        QCOMPARE(r.message.sequenceNumber, qint64(5));
        QCOMPARE(seq, qint64(5));

        r = p.parseFromProvider("{\"event\":\"error\",\"stream_id\":\"" + sp.streamId.toLatin1()
                                    + "\",\"payload\":{\"code\":100002,\"title\":\"unknown_error\",\"detail\":\"An unknown error\"}}",
                                false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Error);
        QCOMPARE(r.message.text, QStringLiteral("100002: unknown_error: An unknown error"));
    }

    void providerReaderIsTolerant()
    {
        // Extra fields (Telnyx adds call_session_id, from, to, tags, client_state ...) and numbers
        // written as numbers are accepted.
        const QByteArray start = "{\"event\":\"start\",\"sequence_number\":\"1\",\"stream_id\":\"S\",\"start\":{\"user_id\":\"U\","
                                 "\"call_control_id\":\"v2:abc\",\"call_session_id\":\"x\",\"from\":\"+1\",\"to\":\"+2\",\"tags\":[\"T\"],"
                                 "\"client_state\":\"aGk=\",\"media_format\":{\"encoding\":\"PCMA\",\"sample_rate\":8000,\"channels\":1}},\"new\":true}";
        ParseResult r = p.parseFromProvider(start, false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.format->encoding, MediaFormat::Encoding::Alaw);
        r = p.parseFromProvider("{\"event\":\"start\",\"stream_id\":\"S\",\"start\":{\"call_control_id\":\"c\",\"media_format\":"
                                "{\"encoding\":\"OPUS\",\"sample_rate\":16000}}}",
                                false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QVERIFY(!r.message.format.has_value()); // a codec PaceLab does not decode
        r = p.parseFromProvider("{\"event\":\"start\",\"stream_id\":\"S\",\"start\":{\"call_control_id\":\"c\",\"media_format\":"
                                "{\"encoding\":\"L16\",\"sample_rate\":\"16000\"}}}",
                                false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QVERIFY(!r.message.format.has_value()); // big-endian RTP L16 is not MediaFormat's L16
        r = p.parseFromProvider("{\"event\":\"media\",\"sequence_number\":4,\"stream_id\":\"S\",\"media\":{\"track\":\"inbound\",\"chunk\":2,"
                                "\"timestamp\":5,\"payload\":\"AAAA\",\"x\":1}}",
                                false, QStringLiteral("S"));
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.chunk, qint64(2));
        QCOMPARE(r.message.audio, QByteArray(3, '\0'));
    }

    void providerErrors_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<bool>("binary");
        QTest::addColumn<ParseError>("error");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("binary") << QByteArray(160, 'x') << true << ParseError::WrongFrameType << "binary";
        QTest::newRow("not json") << QByteArray("nope") << false << ParseError::InvalidJson << "invalid JSON";
        QTest::newRow("unknown event") << QByteArray("{\"event\":\"playAudio\"}") << false << ParseError::UnknownEvent << "playAudio";
        QTest::newRow("no stream_id") << QByteArray("{\"event\":\"media\",\"media\":{\"payload\":\"AAAA\"}}") << false
                                      << ParseError::MissingField << "stream_id";
        QTest::newRow("other stream") << QByteArray("{\"event\":\"mark\",\"stream_id\":\"B\",\"mark\":{\"name\":\"m\"}}") << false
                                      << ParseError::StreamIdMismatch << "stream_id 'B'";
        QTest::newRow("bad base64") << QByteArray("{\"event\":\"media\",\"stream_id\":\"A\",\"media\":{\"payload\":\"A\"}}") << false
                                    << ParseError::PayloadNotBase64 << "media.payload";
        QTest::newRow("start without media_format")
            << QByteArray("{\"event\":\"start\",\"stream_id\":\"A\",\"start\":{\"call_control_id\":\"c\"}}") << false
            << ParseError::MissingField << "start.media_format";
        QTest::newRow("sequence_number garbage")
            << QByteArray("{\"event\":\"stop\",\"stream_id\":\"A\",\"sequence_number\":\"x1\"}") << false << ParseError::WrongType
            << "sequence_number";
        QTest::newRow("dtmf without digit") << QByteArray("{\"event\":\"dtmf\",\"stream_id\":\"A\",\"dtmf\":{}}") << false
                                            << ParseError::MissingField << "dtmf.digit";
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
        const QByteArray frame = b64(QByteArray(160, char(0xFF)));
        QTest::newRow("binary frame") << QByteArray(160, char(0xFF)) << true << ParseError::WrongFrameType << "binary WebSocket frame of 160 bytes";
        QTest::newRow("empty") << QByteArray() << false << ParseError::InvalidJson << "empty";
        QTest::newRow("broken json") << QByteArray("{oops") << false << ParseError::InvalidJson << "offset";
        QTest::newRow("array") << QByteArray("[1,2]") << false << ParseError::NotAnObject << "array";
        QTest::newRow("bare number") << QByteArray("42") << false << ParseError::NotAnObject << "number";
        QTest::newRow("no event") << QByteArray("{\"media\":{}}") << false << ParseError::MissingField << "'event'";
        QTest::newRow("event not a string") << QByteArray("{\"event\":5}") << false << ParseError::WrongType << "event must be a string";
        QTest::newRow("unknown event") << QByteArray("{\"event\":\"playAudio\"}") << false << ParseError::UnknownEvent << "'playAudio'";
        QTest::newRow("provider event") << QByteArray("{\"event\":\"start\"}") << false << ParseError::UnknownEvent << "sent by Telnyx";
        QTest::newRow("media missing") << QByteArray("{\"event\":\"media\"}") << false << ParseError::MissingField << "'media'";
        QTest::newRow("media not object") << QByteArray("{\"event\":\"media\",\"media\":\"x\"}") << false << ParseError::WrongType
                                          << "media must be";
        QTest::newRow("payload missing") << QByteArray("{\"event\":\"media\",\"media\":{}}") << false << ParseError::MissingField
                                         << "media.payload";
        QTest::newRow("payload number") << mediaWith("5") << false << ParseError::WrongType << "media.payload must be a string";
        QTest::newRow("payload unpadded") << mediaWith("\"AAA\"") << false << ParseError::PayloadNotBase64 << "multiple of 4";
        QTest::newRow("payload alphabet") << mediaWith("\"!!!!\"") << false << ParseError::PayloadNotBase64 << "media.payload";
        QTest::newRow("payload non-ascii") << mediaWith("\"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\"") << false << ParseError::PayloadNotBase64
                                           << "non-ASCII";
        QByteArray wav("RIFF\x24\x00\x00\x00WAVEfmt ", 16);
        wav += QByteArray(200, '\0');
        QTest::newRow("wav header") << mediaWith('"' + b64(wav) + '"') << false << ParseError::PayloadIsRiff << "RIFF/WAVE";
        QTest::newRow("chunk under 20 ms") << mediaWith('"' + b64(QByteArray(80, char(0xFF))) + '"') << false << ParseError::BadAudioSize
                                           << "80 bytes (10.0 ms)";
        QTest::newRow("empty payload") << mediaWith("\"\"") << false << ParseError::BadAudioSize << "0 bytes";
        QTest::newRow("chunk over 30 s") << mediaWith('"' + b64(QByteArray(240008, char(0xFF))) + '"') << false << ParseError::BadAudioSize
                                         << "240008 bytes";
        QTest::newRow("twilio streamSid") << QByteArray("{\"event\":\"media\",\"streamSid\":\"MZ1\",\"media\":{\"payload\":\"" + frame + "\"}}")
                                          << false << ParseError::UnexpectedField << "'streamSid'";
        QTest::newRow("extra media field") << QByteArray("{\"event\":\"media\",\"media\":{\"payload\":\"" + frame + "\",\"track\":\"outbound\"}}")
                                           << false << ParseError::UnexpectedField << "'media.track'";
        QTest::newRow("other stream_id") << QByteArray("{\"event\":\"media\",\"stream_id\":\"OTHER\",\"media\":{\"payload\":\"" + frame + "\"}}")
                                         << false << ParseError::StreamIdMismatch << "stream_id 'OTHER'";
        QTest::newRow("stream_id number") << QByteArray("{\"event\":\"clear\",\"stream_id\":5}") << false << ParseError::WrongType
                                          << "stream_id must be a string";
        QTest::newRow("mark without name") << QByteArray("{\"event\":\"mark\",\"mark\":{}}") << false << ParseError::MissingField << "mark.name";
        QTest::newRow("mark empty name") << QByteArray("{\"event\":\"mark\",\"mark\":{\"name\":\"\"}}") << false << ParseError::MissingField
                                         << "mark.name is empty";
        QTest::newRow("mark name number") << QByteArray("{\"event\":\"mark\",\"mark\":{\"name\":1}}") << false << ParseError::WrongType
                                          << "mark.name";
        QTest::newRow("mark extra") << QByteArray("{\"event\":\"mark\",\"mark\":{\"name\":\"a\",\"at\":1}}") << false
                                    << ParseError::UnexpectedField << "'mark.at'";
        QTest::newRow("clear extra") << QByteArray("{\"event\":\"clear\",\"foo\":1}") << false << ParseError::UnexpectedField << "'foo'";
    }
    void botErrors()
    {
        QFETCH(QByteArray, data);
        QFETCH(bool, binary);
        QFETCH(ParseError, error);
        QFETCH(QString, mentions);
        const ParseResult r = p.parseFromBot(data, binary, QStringLiteral("S1"));
        QCOMPARE(r.error, error);
        QVERIFY2(r.detail.contains(mentions), qPrintable(r.detail));
        QCOMPARE(r.code, p.codeFor(error));
        QVERIFY(r.message.audio.isEmpty() || error == ParseError::BadAudioSize);
    }

    void recognizeTellsProvidersApart()
    {
        const StartParams sp = p.withIds({});
        qint64 seq = 0;
        for (const WireMessage &m : p.encodeHandshake(sp, &seq))
            QVERIFY(p.recognize(m.data, m.binary) > 0);
        QCOMPARE(p.recognize(p.encodeHandshake(sp, &seq).at(1).data, false), 100);
        QVERIFY(p.recognize(p.encodeMedia(QString(), QByteArray(160, '\xFF')).data, false) > 0);
        // Twilio's messages, in both directions, are not Telnyx's.
        twilio::StartInfo info;
        info.streamSid = QStringLiteral("MZ00");
        QCOMPARE(p.recognize(twilio::encodeConnected(), false), 0);
        QCOMPARE(p.recognize(twilio::encodeStart(info, 1), false), 0);
        QCOMPARE(p.recognize(twilio::encodeMedia(QStringLiteral("MZ00"), QByteArray(160, '\xFF')), false), 0);
        QCOMPARE(p.recognize(twilio::encodeMark(QStringLiteral("MZ00"), QStringLiteral("m")), false), 0);
        QCOMPARE(p.recognize(twilio::encodeClear(QStringLiteral("MZ00")), false), 0);
        QCOMPARE(p.recognize(QByteArray(160, '\xFF'), true), 0);
        QCOMPARE(p.recognize("garbage", false), 0);
        // Plivo's.
        const Profile &plivo = profile(Id::Plivo);
        const StartParams pp = plivo.withIds({});
        for (const WireMessage &m : plivo.encodeHandshake(pp, &seq))
            QCOMPARE(p.recognize(m.data, m.binary), 0);
        QCOMPARE(p.recognize(plivo.encodeMedia(pp.streamId, QByteArray(160, '\xFF')).data, false), 0);
        QCOMPARE(p.recognize(plivo.encodeMark(pp.streamId, QStringLiteral("m")).data, false), 0);
    }

    // Every profile that is built: its handshake + media (both directions) is detected as itself,
    // and Telnyx's bot-only traffic (no stream id at all) is still Telnyx.
    void detectPicksEveryProfile()
    {
        int built = 0;
        for (Id id : allIds()) {
            const Profile &q = profile(id);
            const StartParams sp = q.withIds({});
            qint64 seq = 0;
            QList<WireMessage> seqMsgs = q.encodeHandshake(sp, &seq);
            if (seqMsgs.isEmpty())
                continue; // a placeholder profile (not built on this branch)
            ++built;
            const QByteArray frame = q.outboundFormat().silenceFrame();
            seqMsgs << q.encodeInboundMedia(sp, &seq, 1, 0, q.inboundFormat().silenceFrame())
                    << q.encodeMedia(sp.streamId, frame) << q.encodeMark(sp.streamId, QStringLiteral("m"));
            QCOMPARE(detect(seqMsgs), std::optional<Id>(id));
            // Handshake alone, and the bot's side alone with the first start message.
            QCOMPARE(detect(q.encodeHandshake(sp, &seq)), std::optional<Id>(id));
        }
        QVERIFY(built >= 3); // Twilio, Telnyx, Plivo at least
        const QList<WireMessage> botOnly{p.encodeMedia(QString(), QByteArray(160, '\xFF')), p.encodeMark(QString(), QStringLiteral("m")),
                                         p.encodeClear(QString())};
        QCOMPARE(detect(botOnly), std::optional<Id>(Id::Telnyx));
    }

    void garbageNeverCrashes()
    {
        QRandomGenerator rng(15); // fixed seed: the same inputs on every machine
        for (int i = 0; i < 3000; ++i) {
            QByteArray junk(int(rng.bounded(300)), '\0');
            for (char &c : junk)
                c = char(rng.bounded(256));
            for (bool binary : {false, true}) {
                const ParseResult a = p.parseFromBot(junk, binary, QStringLiteral("S"));
                const ParseResult b = p.parseFromProvider(junk, binary, QStringLiteral("S"));
                QVERIFY(!a.ok() || a.message.event != Event::Unknown);
                QVERIFY(!b.ok() || b.message.event != Event::Unknown);
                QVERIFY(a.ok() || !a.detail.isEmpty());
                QVERIFY(b.ok() || !b.detail.isEmpty());
                const int score = p.recognize(junk, binary);
                QVERIFY(score >= 0 && score <= 100);
            }
        }
        // Deep nesting: refused as JSON, never a stack overflow.
        for (const QByteArray &deep : {QByteArray(100000, '['), QByteArray(100000, '{'),
                                       QByteArray("{\"event\":\"media\",\"media\":") + QByteArray(5000, '[') + QByteArray(5000, ']') + "}"}) {
            QVERIFY(!p.parseFromBot(deep, false).ok());
            QVERIFY(!p.parseFromProvider(deep, false).ok());
            QCOMPARE(p.recognize(deep, false), 0);
        }
        // Every strict prefix of a valid message is rejected with a message.
        const QByteArray valid = p.encodeMedia(QString(), QByteArray(160, '\x55')).data;
        for (int n = 0; n < valid.size(); ++n) {
            const ParseResult r = p.parseFromBot(valid.left(n), false);
            QVERIFY2(!r.ok(), valid.left(n).constData());
            QVERIFY(!r.detail.isEmpty());
        }
        // Random single-byte mutations: no crash; what still parses carries whole audio.
        for (int i = 0; i < 2000; ++i) {
            QByteArray m = valid;
            m[int(rng.bounded(m.size()))] = char(rng.bounded(256));
            const ParseResult r = p.parseFromBot(m, false);
            QVERIFY(!r.ok() || r.message.audio.size() >= 160);
        }
    }
};

QTEST_GUILESS_MAIN(TestProviderTelnyx)
#include "tst_provider_telnyx.moc"
