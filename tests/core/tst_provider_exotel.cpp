#include "audio/MediaFormat.h"
#include "provider/Provider.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using namespace pacelab;
using namespace pacelab::provider;

Q_DECLARE_METATYPE(pacelab::provider::ParseError)

namespace {

const Profile &exotel()
{
    return profile(Id::Exotel);
}

QByteArray pcm(int bytes, int seed = 1)
{
    QByteArray b(bytes, '\0');
    for (int i = 0; i < bytes; ++i)
        b[i] = char((i * 31 + seed) & 0xFF);
    return b;
}

// A bot's media message carrying `audio` on stream MZ1.
QByteArray media(const QByteArray &audio)
{
    return exotel().encodeMedia(QStringLiteral("MZ1"), audio).data;
}

QByteArray withPayload(const QString &b64)
{
    return QStringLiteral(R"({"event":"media","stream_sid":"MZ1","media":{"payload":"%1"}})").arg(b64).toUtf8();
}

} // namespace

// The Exotel profile (AgentStream, Voicebot applet): snake_case JSON both ways, base64 16-bit
// PCM at 8 kHz in chunks of 1600..102400 B that are multiples of 320 B, stream_sid on every
// message, numbers as strings; strict parsing of what a bot sends, tolerant of what Exotel sends.
class TestProviderExotel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void shape()
    {
        const Profile &p = exotel();
        QCOMPARE(p.name(), QStringLiteral("exotel"));
        QCOMPARE(p.outboundFormat(), MediaFormat::l16(8000, 100));
        QCOMPARE(p.outboundFormat().frameBytes(), 1600); // 100 ms at 8 kHz, 16-bit
        QVERIFY(!p.outboundAudioIsBinary());
        QVERIFY(p.botMessagesCarryStreamId());
        QCOMPARE(p.limits().audioSizeMultiple, 320);
        QCOMPARE(p.limits().minAudioBytes, 1600);
        QCOMPARE(p.limits().maxAudioBytes, 102400);
        QCOMPARE(p.outboundFormat().frameBytes() % p.limits().audioSizeMultiple, 0);
        QCOMPARE(p.codeFor(ParseError::BadAudioSize), kPaceLabCodeBase + int(Fault::BadAudioSize));
        QCOMPARE(p.codeFor(ParseError::StreamIdMismatch), kPaceLabCodeBase + int(Fault::InvalidMessage));
    }

    void pacedFramesPassTheProfilesOwnChecks()
    {
        // What PaceLab's sender paces (one outboundFormat() frame per message) is what the
        // profile's limits and strict parser accept: the sender never trips its own emulator.
        const Profile &p = exotel();
        const int frame = p.outboundFormat().frameBytes();
        const Limits l = p.limits();
        QVERIFY(frame >= l.minAudioBytes);
        QVERIFY(l.maxAudioBytes == 0 || frame <= l.maxAudioBytes);
        QVERIFY(l.audioSizeMultiple == 0 || frame % l.audioSizeMultiple == 0);
        const WireMessage m = p.encodeMedia(QStringLiteral("MZ1"), p.outboundFormat().silenceFrame());
        QCOMPARE(m.binary, p.outboundAudioIsBinary());
        const ParseResult r = p.parseFromBot(m.data, m.binary, QStringLiteral("MZ1"));
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.audio.size(), frame);
    }

    void botRoundTrip()
    {
        const Profile &p = exotel();
        const QByteArray audio = pcm(3200);
        const WireMessage m = p.encodeMedia(QStringLiteral("MZ1"), audio);
        QVERIFY(!m.binary);
        QCOMPARE(QJsonDocument::fromJson(m.data).object().value(QLatin1String("stream_sid")).toString(), QStringLiteral("MZ1"));
        ParseResult r = p.parseFromBot(m.data, false, QStringLiteral("MZ1"));
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Media);
        QCOMPARE(r.message.streamId, QStringLiteral("MZ1"));
        QCOMPARE(r.message.audio, audio);

        r = p.parseFromBot(p.encodeMark(QStringLiteral("MZ1"), QStringLiteral("greeting-done")).data, false, QStringLiteral("MZ1"));
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Mark);
        QCOMPARE(r.message.markName, QStringLiteral("greeting-done"));

        r = p.parseFromBot(p.encodeClear(QStringLiteral("MZ1")).data, false, QStringLiteral("MZ1"));
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Clear);

        // Largest and other legal sizes; numbering the messages is tolerated when typed right.
        QVERIFY(p.parseFromBot(media(pcm(102400)), false).ok());
        QVERIFY(p.parseFromBot(media(pcm(3520)), false).ok());
        QVERIFY(p.parseFromBot(media(pcm(1600)), false).ok()); // one paced 100 ms chunk
        const QByteArray numbered = QByteArray("{\"event\":\"media\",\"sequence_number\":\"5\",\"stream_sid\":\"MZ1\",")
                                    + "\"media\":{\"chunk\":\"4\",\"timestamp\":\"400\",\"payload\":\"" + pcm(3200).toBase64() + "\"}}";
        r = p.parseFromBot(numbered, false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.sequenceNumber, qint64(5));
        QCOMPARE(r.message.chunk, qint64(4));
        QCOMPARE(r.message.timestampMs, qint64(400));

        // The largest count reads the same as a JSON number and as the digit string Exotel's
        // encoder writes (fuzz_provider found 16-digit strings refused).
        for (const char *chunk : {"9000000000000000", "\"9000000000000000\""}) {
            const QByteArray big = QByteArray("{\"event\":\"media\",\"stream_sid\":\"MZ1\",\"media\":{\"chunk\":") + chunk
                                   + ",\"payload\":\"" + pcm(1600).toBase64() + "\"}}";
            r = p.parseFromBot(big, false);
            QVERIFY2(r.ok(), qPrintable(QString::fromLatin1(chunk) + QLatin1String(": ") + r.detail));
            QCOMPARE(r.message.chunk, qint64(9000000000000000LL));
        }
    }

    void providerRoundTrip()
    {
        const Profile &p = exotel();
        StartParams sp;
        sp.customParameters.insert(QStringLiteral("key1"), QStringLiteral("value1"));
        sp.customParameters.insert(QStringLiteral("from"), QStringLiteral("+919876543210"));
        sp.customParameters.insert(QStringLiteral("to"), QStringLiteral("+918047491899"));
        sp = p.withIds(sp);
        QVERIFY(sp.streamId.startsWith(QLatin1String("MZ")) && sp.streamId.size() == 34);
        QVERIFY(sp.callId.startsWith(QLatin1String("CA")));
        QVERIFY(sp.accountId.startsWith(QLatin1String("AC")));

        qint64 seq = 0;
        const QList<WireMessage> hs = p.encodeHandshake(sp, &seq);
        QCOMPARE(hs.size(), 2);
        QCOMPARE(seq, qint64(1));
        QCOMPARE(hs.at(0).data, QByteArray(R"({"event":"connected"})"));
        ParseResult r = p.parseFromProvider(hs.at(0).data, false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Connected);

        const QJsonObject start = QJsonDocument::fromJson(hs.at(1).data).object();
        QCOMPARE(start.value(QLatin1String("sequence_number")).toString(), QStringLiteral("1")); // numbers as strings
        QCOMPARE(start.value(QLatin1String("start")).toObject().value(QLatin1String("from")).toString(), QStringLiteral("+919876543210"));
        QCOMPARE(start.value(QLatin1String("start")).toObject().value(QLatin1String("media_format")).toObject().value(QLatin1String("sample_rate")).toString(),
                 QStringLiteral("8000"));
        r = p.parseFromProvider(hs.at(1).data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Start);
        QCOMPARE(r.message.sequenceNumber, qint64(1));
        QCOMPARE(r.message.streamId, sp.streamId);
        QCOMPARE(r.message.callId, sp.callId);
        QCOMPARE(r.message.accountId, sp.accountId);
        QCOMPARE(r.message.customParameters, sp.customParameters);
        QVERIFY(r.message.format.has_value());
        QCOMPARE(*r.message.format, MediaFormat::l16(8000, 100));

        const QByteArray audio = pcm(3200, 5);
        r = p.parseFromProvider(p.encodeInboundMedia(sp, &seq, 2, 200, audio).data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Media);
        QCOMPARE(r.message.sequenceNumber, qint64(2));
        QCOMPARE(r.message.chunk, qint64(2));
        QCOMPARE(r.message.timestampMs, qint64(200));
        QCOMPARE(r.message.audio, audio);

        r = p.parseFromProvider(p.encodeDtmf(sp, &seq, QStringLiteral("5")).data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Dtmf);
        QCOMPARE(r.message.digit, QStringLiteral("5"));

        r = p.parseFromProvider(p.encodeMarkEcho(sp, &seq, QStringLiteral("m1")).data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Mark);
        QCOMPARE(r.message.markName, QStringLiteral("m1"));

        QVERIFY(!p.encodeClearAck(sp, &seq).has_value()); // Exotel documents no acknowledgement
        const std::optional<WireMessage> stop = p.encodeStop(sp, &seq);
        QVERIFY(stop.has_value());
        r = p.parseFromProvider(stop->data, false, sp.streamId);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Stop);
        QCOMPARE(r.message.callId, sp.callId);
        QCOMPARE(r.message.accountId, sp.accountId);
        QCOMPARE(r.message.text, QStringLiteral("callended"));
        QCOMPARE(r.message.sequenceNumber, qint64(5));
        QCOMPARE(seq, qint64(5));

        // Placeholders when the caller's numbers are not given.
        qint64 s2 = 0;
        const QJsonObject bare = QJsonDocument::fromJson(p.encodeHandshake(p.withIds({}), &s2).at(1).data).object();
        QVERIFY(bare.value(QLatin1String("start")).toObject().value(QLatin1String("from")).toString().startsWith(u'+'));
    }

    void providerIsTolerant()
    {
        // Numbers as JSON numbers, extra fields, a track field: all read.
        const QByteArray m = R"({"event":"media","sequence_number":3,"stream_sid":"MZ1","extra":true,)"
                             R"("media":{"chunk":2,"timestamp":200,"track":"inbound","payload":"AAAA","x":1}})";
        const ParseResult r = exotel().parseFromProvider(m, false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.sequenceNumber, qint64(3));
        QCOMPARE(r.message.track, QStringLiteral("inbound"));
        QCOMPARE(r.message.audio, QByteArray(3, '\0'));
        // The documented start example, verbatim in shape.
        const QByteArray start = R"({"event":"start","sequence_number":"1","stream_sid":"MZ9","start":{"stream_sid":"MZ9",)"
                                 R"("call_sid":"CA9","account_sid":"AC9","from":"+919876543210","to":"+918047491899",)"
                                 R"("custom_parameters":{"key1":"value1"},"media_format":{"encoding":"audio/x-raw",)"
                                 R"("sample_rate":"16000","bit_rate":"16"}}})";
        const ParseResult s = exotel().parseFromProvider(start, false);
        QVERIFY2(s.ok(), qPrintable(s.detail));
        QCOMPARE(*s.message.format, MediaFormat::l16(16000, 100));
        QCOMPARE(s.message.customParameters.value(QStringLiteral("key1")).toString(), QStringLiteral("value1"));
    }

    void botErrors_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<bool>("binary");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<ParseError>("error");
        QTest::addColumn<QString>("says");

        const QString sid = QStringLiteral("MZ1");
        QTest::newRow("binary frame") << pcm(3200) << true << sid << ParseError::WrongFrameType << "JSON text frames";
        QTest::newRow("bare base64 text") << pcm(3200).toBase64() << false << sid << ParseError::WrongFrameType << "base64";
        QTest::newRow("camelCase streamSid")
            << QByteArray(R"({"event":"media","streamSid":"MZ1","media":{"payload":"AAAA"}})") << false << sid
            << ParseError::UnexpectedField << "Exotel spells it stream_sid";
        QTest::newRow("no stream_sid") << QByteArray(R"({"event":"clear"})") << false << sid << ParseError::MissingField
                                       << "'stream_sid'";
        QTest::newRow("empty stream_sid") << QByteArray(R"({"event":"clear","stream_sid":""})") << false << sid
                                          << ParseError::MissingField << "stream_sid is empty";
        QTest::newRow("stream_sid number") << QByteArray(R"({"event":"clear","stream_sid":7})") << false << sid
                                           << ParseError::WrongType << "stream_sid must be a string";
        QTest::newRow("other stream") << exotel().encodeClear(QStringLiteral("MZ2")).data << false << sid
                                      << ParseError::StreamIdMismatch << "'MZ2' does not match the stream 'MZ1'";
        QTest::newRow("media of other stream") << exotel().encodeMedia(QStringLiteral("MZ2"), pcm(3200)).data << false << sid
                                               << ParseError::StreamIdMismatch << "stream_sid 'MZ2'";
        QTest::newRow("no media object") << QByteArray(R"({"event":"media","stream_sid":"MZ1"})") << false << sid
                                         << ParseError::MissingField << "'media'";
        QTest::newRow("no payload") << QByteArray(R"({"event":"media","stream_sid":"MZ1","media":{}})") << false << sid
                                    << ParseError::MissingField << "'media.payload'";
        QTest::newRow("payload number") << QByteArray(R"({"event":"media","stream_sid":"MZ1","media":{"payload":5}})") << false
                                        << sid << ParseError::WrongType << "media.payload must be a string";
        QTest::newRow("media.track") << QByteArray(R"({"event":"media","stream_sid":"MZ1","media":{"payload":"","track":"outbound"}})")
                                     << false << sid << ParseError::UnexpectedField << "'media.track'";
        QTest::newRow("unpadded base64") << withPayload(QStringLiteral("AAA")) << false << sid << ParseError::PayloadNotBase64
                                         << "multiple of 4";
        QTest::newRow("bad base64") << withPayload(QStringLiteral("A*A=")) << false << sid << ParseError::PayloadNotBase64
                                    << "media.payload is not valid base64";
        QByteArray wav = pcm(3200);
        wav.replace(0, 12, QByteArray("RIFF\x24\x00\x00\x00WAVE", 12));
        QTest::newRow("WAV header") << media(wav) << false << sid << ParseError::PayloadIsRiff << "RIFF/WAVE";
        QTest::newRow("3210 B") << media(pcm(3210)) << false << sid << ParseError::BadAudioSize << "multiple of 320";
        QTest::newRow("Twilio-sized 160 B") << media(pcm(160)) << false << sid << ParseError::BadAudioSize << "multiple of 320";
        QTest::newRow("20 ms 320 B") << media(pcm(320)) << false << sid << ParseError::BadAudioSize << "at least 100 ms (1600 B";
        QTest::newRow("empty payload") << media(QByteArray()) << false << sid << ParseError::BadAudioSize << "at least 100 ms (1600 B";
        QTest::newRow("102720 B") << media(pcm(102720)) << false << sid << ParseError::BadAudioSize << "at most 100 KB";
        QTest::newRow("sequence_number text") << QByteArray(R"({"event":"clear","stream_sid":"MZ1","sequence_number":"x"})") << false
                                              << sid << ParseError::WrongType << "sequence_number";
        QTest::newRow("chunk negative") << QByteArray(R"({"event":"media","stream_sid":"MZ1","media":{"payload":"","chunk":-1}})")
                                        << false << sid << ParseError::WrongType << "media.chunk";
        QTest::newRow("unknown event") << QByteArray(R"({"event":"speak","stream_sid":"MZ1"})") << false << sid
                                       << ParseError::UnknownEvent << "'speak'";
        QTest::newRow("Exotel's event") << QByteArray(R"({"event":"start","stream_sid":"MZ1"})") << false << sid
                                        << ParseError::UnknownEvent << "sent by Exotel";
        QTest::newRow("Plivo's event") << QByteArray(R"({"event":"playAudio","stream_sid":"MZ1"})") << false << sid
                                       << ParseError::UnknownEvent << "Plivo";
        QTest::newRow("mark without name") << QByteArray(R"({"event":"mark","stream_sid":"MZ1","mark":{}})") << false << sid
                                           << ParseError::MissingField << "'mark.name'";
        QTest::newRow("mark empty name") << QByteArray(R"({"event":"mark","stream_sid":"MZ1","mark":{"name":""}})") << false
                                         << sid << ParseError::MissingField << "mark.name is empty";
        QTest::newRow("mark extra") << QByteArray(R"({"event":"mark","stream_sid":"MZ1","mark":{"name":"a","at":1}})") << false
                                    << sid << ParseError::UnexpectedField << "'mark.at'";
        QTest::newRow("clear with media") << QByteArray(R"({"event":"clear","stream_sid":"MZ1","media":{}})") << false << sid
                                          << ParseError::UnexpectedField << "'media' in clear";
        QTest::newRow("no event") << QByteArray(R"({"stream_sid":"MZ1"})") << false << sid << ParseError::MissingField
                                  << "'event'";
        QTest::newRow("event number") << QByteArray(R"({"event":1})") << false << sid << ParseError::WrongType
                                      << "event must be a string";
        QTest::newRow("invalid JSON") << QByteArray(R"({"event":)") << false << sid << ParseError::InvalidJson << "invalid JSON";
        QTest::newRow("array") << QByteArray("[]") << false << sid << ParseError::NotAnObject << "array";
    }

    void botErrors()
    {
        QFETCH(QByteArray, data);
        QFETCH(bool, binary);
        QFETCH(QString, expected);
        QFETCH(ParseError, error);
        QFETCH(QString, says);
        const ParseResult r = exotel().parseFromBot(data, binary, expected);
        QVERIFY2(r.error == error, qPrintable(parseErrorName(r.error) + QStringLiteral(": ") + r.detail));
        QVERIFY2(r.detail.contains(says), qPrintable(r.detail));
        QCOMPARE(r.code, exotel().codeFor(error));
    }

    void providerErrors_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<ParseError>("error");
        QTest::addColumn<QString>("says");

        QTest::newRow("start without media_format")
            << QByteArray(R"({"event":"start","sequence_number":"1","stream_sid":"MZ1","start":{"call_sid":"CA1","account_sid":"AC1"}})")
            << QString() << ParseError::MissingField << "'start.media_format'";
        QTest::newRow("start inner stream_sid")
            << QByteArray(R"({"event":"start","sequence_number":"1","stream_sid":"MZ1","start":{"stream_sid":"MZ2","call_sid":"CA1",)"
                          R"("account_sid":"AC1","media_format":{"encoding":"audio/x-raw","sample_rate":"8000"}}})")
            << QString() << ParseError::StreamIdMismatch << "start.stream_sid 'MZ2'";
        QTest::newRow("sample_rate text")
            << QByteArray(R"({"event":"start","sequence_number":"1","stream_sid":"MZ1","start":{"call_sid":"CA1",)"
                          R"("account_sid":"AC1","media_format":{"encoding":"audio/x-raw","sample_rate":"8k"}}})")
            << QString() << ParseError::WrongType << "start.media_format.sample_rate";
        QTest::newRow("no sequence_number") << QByteArray(R"({"event":"mark","stream_sid":"MZ1","mark":{"name":"a"}})") << QString()
                                            << ParseError::MissingField << "'sequence_number'";
        QTest::newRow("media without chunk")
            << QByteArray(R"({"event":"media","sequence_number":"2","stream_sid":"MZ1","media":{"timestamp":"0","payload":""}})")
            << QString() << ParseError::MissingField << "'media.chunk'";
        QTest::newRow("other stream") << QByteArray(R"({"event":"mark","sequence_number":"2","stream_sid":"MZ2","mark":{"name":"a"}})")
                                      << QStringLiteral("MZ1") << ParseError::StreamIdMismatch << "'MZ2'";
        QTest::newRow("dtmf without digit") << QByteArray(R"({"event":"dtmf","sequence_number":"2","stream_sid":"MZ1","dtmf":{}})")
                                            << QString() << ParseError::MissingField << "'dtmf.digit'";
        QTest::newRow("stop reason number")
            << QByteArray(R"({"event":"stop","sequence_number":"2","stream_sid":"MZ1","stop":{"reason":3}})") << QString()
            << ParseError::WrongType << "stop.reason must be a string";
        QTest::newRow("a bot's clear") << QByteArray(R"({"event":"clear","stream_sid":"MZ1"})") << QString()
                                       << ParseError::UnknownEvent << "sent by a bot";
        QTest::newRow("unknown event") << QByteArray(R"({"event":"hello"})") << QString() << ParseError::UnknownEvent << "'hello'";
        QTest::newRow("bad base64")
            << QByteArray(R"({"event":"media","sequence_number":"2","stream_sid":"MZ1","media":{"chunk":"1","timestamp":"0","payload":"@@@@"}})")
            << QString() << ParseError::PayloadNotBase64 << "media.payload";
    }

    void providerErrors()
    {
        QFETCH(QByteArray, data);
        QFETCH(QString, expected);
        QFETCH(ParseError, error);
        QFETCH(QString, says);
        const ParseResult r = exotel().parseFromProvider(data, false, expected);
        QVERIFY2(r.error == error, qPrintable(parseErrorName(r.error) + QStringLiteral(": ") + r.detail));
        QVERIFY2(r.detail.contains(says), qPrintable(r.detail));
        QCOMPARE(r.code, exotel().codeFor(error));
        const ParseResult b = exotel().parseFromProvider(data, true, expected);
        QCOMPARE(b.error, ParseError::WrongFrameType);
    }

    void recognizeAndDetect()
    {
        const Profile &p = exotel();
        const StartParams sp = p.withIds({});
        qint64 seq = 0;
        QList<WireMessage> fromExotel = p.encodeHandshake(sp, &seq);
        for (int i = 0; i < 3; ++i)
            fromExotel << p.encodeInboundMedia(sp, &seq, i + 1, i * 100, pcm(3200, i));
        QCOMPARE(detect(fromExotel), std::optional<Id>(Id::Exotel));
        QCOMPARE(detect({p.encodeMedia(sp.streamId, pcm(3200)), p.encodeMark(sp.streamId, QStringLiteral("m"))}),
                 std::optional<Id>(Id::Exotel));
        QCOMPARE(p.recognize(fromExotel.at(1).data, false), 90);
        QCOMPARE(p.recognize(fromExotel.at(0).data, false), 30); // {"event":"connected"} alone: a weak hint

        // Twilio's and Vonage's messages are not Exotel's, and Exotel's are not theirs.
        const Profile &twilio = profile(Id::Twilio);
        const StartParams tp = twilio.withIds({});
        qint64 tseq = 0;
        const QList<WireMessage> fromTwilio = twilio.encodeHandshake(tp, &tseq);
        for (const WireMessage &m : fromTwilio)
            QCOMPARE(p.recognize(m.data, m.binary), 0);
        QCOMPARE(detect(fromTwilio), std::optional<Id>(Id::Twilio));
        QCOMPARE(p.recognize(profile(Id::Vonage).encodeClear({}).data, false), 0);
        QCOMPARE(p.recognize(pcm(640), true), 0);
        for (const WireMessage &m : fromExotel) {
            QCOMPARE(twilio.recognize(m.data, m.binary), 0);
            QCOMPARE(profile(Id::Vonage).recognize(m.data, m.binary), 0);
        }
    }

    void otherProvidersAreNotMistakenForThisOne()
    {
        // Every other profile's messages, both directions: this profile scores its text 0 and
        // detect() never picks it for another provider's handshake + media (placeholder
        // profiles produce no messages, so this grows as the real ones land).
        const Profile &self = profile(Id::Exotel);
        for (Id id : allIds()) {
            if (id == Id::Exotel)
                continue;
            const Profile &other = profile(id);
            const StartParams sp = other.withIds({});
            qint64 seq = 0;
            QList<WireMessage> msgs = other.encodeHandshake(sp, &seq);
            const QByteArray audio = other.outboundFormat().silenceFrame();
            msgs << other.encodeInboundMedia(sp, &seq, 1, 0, audio) << other.encodeMarkEcho(sp, &seq, QStringLiteral("m"))
                 << other.encodeDtmf(sp, &seq, QStringLiteral("1"));
            if (const auto stop = other.encodeStop(sp, &seq))
                msgs << *stop;
            const QList<WireMessage> fromBot{other.encodeMedia(sp.streamId, audio), other.encodeMark(sp.streamId, QStringLiteral("m")),
                                             other.encodeClear(sp.streamId)};
            for (const WireMessage &m : msgs + fromBot) {
                if (m.data.isEmpty() || m.binary)
                    continue;
                QVERIFY2(self.recognize(m.data, m.binary) == 0, qPrintable(other.name() + QStringLiteral(": ") + QString::fromUtf8(m.data.left(200))));
            }
            if (!msgs.isEmpty() && !msgs.first().data.isEmpty())
                QVERIFY2(detect(msgs) != std::optional<Id>(Id::Exotel), qPrintable(other.name()));
        }
    }

    void garbageNeverCrashes()
    {
        const Profile &p = exotel();
        const StartParams sp = p.withIds({});
        qint64 seq = 0;
        QList<QByteArray> seeds{p.encodeMedia(sp.streamId, pcm(3200)).data, p.encodeMark(sp.streamId, QStringLiteral("m")).data,
                                p.encodeClear(sp.streamId).data};
        for (const WireMessage &m : p.encodeHandshake(sp, &seq))
            seeds << m.data;
        seeds << p.encodeDtmf(sp, &seq, QStringLiteral("1")).data << p.encodeStop(sp, &seq)->data;
        QRandomGenerator rng(7);
        int checked = 0;
        auto check = [&](const QByteArray &d) {
            for (const ParseResult &r : {p.parseFromBot(d, false, sp.streamId), p.parseFromProvider(d, false, sp.streamId)}) {
                if (!r.ok()) {
                    QVERIFY(!r.detail.isEmpty());
                    QVERIFY(r.code >= kPaceLabCodeBase);
                }
            }
            p.recognize(d, false);
            ++checked;
        };
        for (const QByteArray &s : seeds) {
            const int step = s.size() > 1000 ? 37 : 1;
            for (int n = 0; n <= s.size(); n += step)
                check(s.left(n));
            for (int i = 0; i < 200; ++i) {
                QByteArray m = s;
                m[int(rng.bounded(m.size()))] = char(rng.bounded(256));
                check(m);
            }
        }
        for (int i = 0; i < 300; ++i) {
            QByteArray junk(int(rng.bounded(2000)), '\0');
            for (char &c : junk)
                c = char(rng.bounded(256));
            check(junk);
        }
        QVERIFY(checked > 1000);
    }
};

QTEST_GUILESS_MAIN(TestProviderExotel)
#include "tst_provider_exotel.moc"
