#include "audio/MediaFormat.h"
#include "provider/Provider.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTest>

using namespace pacelab;
using namespace pacelab::provider;

Q_DECLARE_METATYPE(pacelab::provider::ParseError)

namespace {

const Profile &vonage()
{
    return profile(Id::Vonage);
}

QByteArray pcmFrame(int bytes, int seed = 1)
{
    QByteArray b(bytes, '\0');
    for (int i = 0; i < bytes; ++i)
        b[i] = char((i * 37 + seed) & 0xFF);
    return b;
}

QByteArray wavFrame()
{
    QByteArray b = pcmFrame(640);
    b.replace(0, 12, QByteArray("RIFF\x24\x00\x00\x00WAVE", 12));
    return b;
}

} // namespace

// The Vonage profile: binary L16 frames (640 B / 20 ms at 16 kHz), JSON text control
// ({"action":"clear"|"notify"} from the bot, {"event":"websocket:..."} from Vonage), strict
// parsing of what a bot sends, tolerant parsing of what Vonage sends, and recognition.
class TestProviderVonage : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void shape()
    {
        const Profile &p = vonage();
        QCOMPARE(p.name(), QStringLiteral("vonage"));
        QCOMPARE(p.outboundFormat(), MediaFormat::l16(16000));
        QCOMPARE(p.outboundFormat().frameBytes(), 640);
        QVERIFY(p.outboundAudioIsBinary());
        QVERIFY(p.inboundAudioIsBinary());
        QVERIFY(!p.botMessagesCarryStreamId());
        QCOMPARE(p.limits().maxBufferedMessages, qint64(3072));
        QCOMPARE(p.limits().minAudioBytes, 640);
        QCOMPARE(p.limits().maxAudioBytes, 640);
        // No numbered errors documented: PaceLab's codes.
        QCOMPARE(p.codeFor(ParseError::BadAudioSize), kPaceLabCodeBase + int(Fault::BadAudioSize));
        QCOMPARE(p.codeFor(ParseError::WrongFrameType), kPaceLabCodeBase + int(Fault::RawOrBinaryAudio));
        QCOMPARE(p.codeFor(ParseError::UnknownEvent), kPaceLabCodeBase + int(Fault::InvalidMessage));
    }

    void pacedFramesPassTheProfilesOwnChecks()
    {
        // What PaceLab's sender paces (one outboundFormat() frame per message) is what the
        // profile's limits and strict parser accept: the sender never trips its own emulator.
        const Profile &p = vonage();
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
        const Profile &p = vonage();
        const QByteArray audio = pcmFrame(640);
        const WireMessage media = p.encodeMedia(QStringLiteral("ignored"), audio);
        QVERIFY(media.binary);
        QCOMPARE(media.data, audio);
        ParseResult r = p.parseFromBot(media.data, media.binary);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Media);
        QCOMPARE(r.message.audio, audio);

        const WireMessage mark = p.encodeMark(QString(), QStringLiteral("m1"));
        QVERIFY(!mark.binary);
        QCOMPARE(QJsonDocument::fromJson(mark.data).object(),
                 QJsonDocument::fromJson(R"({"action":"notify","payload":{"name":"m1"}})").object());
        r = p.parseFromBot(mark.data, false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Mark);
        QCOMPARE(r.message.name, QStringLiteral("notify"));
        QCOMPARE(r.message.markName, QStringLiteral("m1"));

        const WireMessage clear = p.encodeClear(QString());
        QCOMPARE(clear.data, QByteArray(R"({"action":"clear"})"));
        r = p.parseFromBot(clear.data, false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Clear);

        // A payload of another shape is kept whole and echoed back verbatim.
        r = p.parseFromBot(R"({"action":"notify","payload":{"reply_id":"r7","n":2}})", false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.markName, QStringLiteral(R"({"n":2,"reply_id":"r7"})"));
        qint64 seq = 0;
        const WireMessage echo = p.encodeMarkEcho({}, &seq, r.message.markName);
        QCOMPARE(QJsonDocument::fromJson(echo.data).object(),
                 QJsonDocument::fromJson(R"({"event":"websocket:notify","payload":{"reply_id":"r7","n":2}})").object());
        const ParseResult back = p.parseFromProvider(echo.data, false);
        QVERIFY2(back.ok(), qPrintable(back.detail));
        QCOMPARE(back.message.markName, r.message.markName);
        // The bot's stream id plays no part: nothing carries one.
        QVERIFY(p.parseFromBot(clear.data, false, QStringLiteral("anything")).ok());
    }

    void providerRoundTrip()
    {
        const Profile &p = vonage();
        StartParams sp;
        sp.customParameters.insert(QStringLiteral("language"), QStringLiteral("en-GB"));
        sp.customParameters.insert(QStringLiteral("callerID"), QStringLiteral("447700900123"));
        sp = p.withIds(sp);
        static const QRegularExpression uuid(QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
        QVERIFY2(uuid.match(sp.callId).hasMatch(), qPrintable(sp.callId));
        QCOMPARE(sp.streamId, sp.callId);
        QVERIFY(p.withIds({}).callId != sp.callId);

        qint64 seq = 0;
        const QList<WireMessage> hs = p.encodeHandshake(sp, &seq);
        QCOMPARE(hs.size(), 1);
        QCOMPARE(seq, qint64(0)); // Vonage messages carry no sequence number
        const QJsonObject connected = QJsonDocument::fromJson(hs.at(0).data).object();
        QCOMPARE(connected.value(QLatin1String("event")).toString(), QStringLiteral("websocket:connected"));
        QCOMPARE(connected.value(QLatin1String("content-type")).toString(), QStringLiteral("audio/l16;rate=16000"));
        QCOMPARE(connected.value(QLatin1String("language")).toString(), QStringLiteral("en-GB")); // headers flattened
        ParseResult r = p.parseFromProvider(hs.at(0).data, false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Connected);
        QCOMPARE(r.message.callId, sp.callId);
        QCOMPARE(r.message.customParameters, sp.customParameters);
        QVERIFY(r.message.format.has_value());
        QCOMPARE(*r.message.format, MediaFormat::l16(16000));

        const QByteArray audio = pcmFrame(640, 9);
        const WireMessage in = p.encodeInboundMedia(sp, &seq, 1, 20, audio);
        QVERIFY(in.binary);
        r = p.parseFromProvider(in.data, in.binary);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Media);
        QCOMPARE(r.message.audio, audio);

        r = p.parseFromProvider(p.encodeDtmf(sp, &seq, QStringLiteral("#")).data, false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Dtmf);
        QCOMPARE(r.message.digit, QStringLiteral("#"));

        r = p.parseFromProvider(p.encodeMarkEcho(sp, &seq, QStringLiteral("end-of-reply")).data, false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Mark);
        QCOMPARE(r.message.markName, QStringLiteral("end-of-reply"));

        const std::optional<WireMessage> ack = p.encodeClearAck(sp, &seq);
        QVERIFY(ack.has_value());
        QCOMPARE(ack->data, QByteArray(R"({"event":"websocket:cleared"})"));
        r = p.parseFromProvider(ack->data, false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Cleared);
        QVERIFY(!p.encodeStop(sp, &seq).has_value()); // the socket closes
        QCOMPARE(seq, qint64(0));

        // Documented shapes, as Vonage's guide prints them.
        r = p.parseFromProvider(R"({"event":"websocket:dtmf","digit":"5","duration":260})", false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.digit, QStringLiteral("5"));
        r = p.parseFromProvider(R"({"event":"websocket:dtmf","dtmf":{"digit":"7","duration":100}})", false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.digit, QStringLiteral("7"));
        r = p.parseFromProvider(R"({"event":"websocket:connected","content-type":"audio/l16;rate=8000","prop1":"value1"})", false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(*r.message.format, MediaFormat::l16(8000)); // the 8 kHz option is read, not paced
        QCOMPARE(r.message.customParameters.value(QStringLiteral("prop1")).toString(), QStringLiteral("value1"));
        QVERIFY(r.message.callId.isEmpty());
    }

    void botErrors_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<bool>("binary");
        QTest::addColumn<ParseError>("error");
        QTest::addColumn<QString>("says");

        QTest::newRow("binary 320 B") << pcmFrame(320) << true << ParseError::BadAudioSize << "8 kHz";
        QTest::newRow("binary 1280 B") << pcmFrame(1280) << true << ParseError::BadAudioSize << "2 frames in one message";
        QTest::newRow("binary 641 B") << pcmFrame(641) << true << ParseError::BadAudioSize << "whole 16-bit samples";
        QTest::newRow("binary 100 B") << pcmFrame(100) << true << ParseError::BadAudioSize << "exactly 640 B";
        QTest::newRow("binary empty") << QByteArray() << true << ParseError::BadAudioSize << "empty frame";
        QTest::newRow("binary WAV header") << wavFrame() << true << ParseError::PayloadIsRiff << "RIFF/WAVE";
        QTest::newRow("base64 text") << pcmFrame(640).toBase64() << false << ParseError::WrongFrameType << "binary frames";
        QTest::newRow("Twilio-style media")
            << QByteArray(R"({"event":"media","streamSid":"MZ1","media":{"payload":"AAAA"}})") << false
            << ParseError::WrongFrameType << "binary frames";
        QTest::newRow("audio field") << QByteArray(R"({"audio":"AAAA"})") << false << ParseError::WrongFrameType << "JSON";
        QTest::newRow("audio beside an action") << QByteArray(R"({"action":"clear","payload":"AAAA"})") << false
                                                << ParseError::UnexpectedField << "'payload'";
        QTest::newRow("Plivo clearAudio") << QByteArray(R"({"event":"clearAudio"})") << false << ParseError::UnknownEvent
                                          << R"({"action":"clear"})";
        QTest::newRow("Twilio mark") << QByteArray(R"({"event":"mark","mark":{"name":"a"}})") << false
                                     << ParseError::UnknownEvent << "\"notify\"";
        QTest::newRow("other event") << QByteArray(R"({"event":"websocket:connected"})") << false << ParseError::UnknownEvent
                                     << "'action'";
        QTest::newRow("unknown action") << QByteArray(R"({"action":"play"})") << false << ParseError::UnknownEvent << "'play'";
        QTest::newRow("action not a string") << QByteArray(R"({"action":5})") << false << ParseError::WrongType
                                             << "action must be a string";
        QTest::newRow("no action") << QByteArray(R"({"foo":1})") << false << ParseError::MissingField << "'action'";
        QTest::newRow("clear with extra") << QByteArray(R"({"action":"clear","force":true})") << false
                                          << ParseError::UnexpectedField << "'force' in the clear action";
        QTest::newRow("notify without payload") << QByteArray(R"({"action":"notify"})") << false << ParseError::MissingField
                                                << "'payload'";
        QTest::newRow("notify payload string") << QByteArray(R"({"action":"notify","payload":"m1"})") << false
                                               << ParseError::WrongType << "payload must be";
        QTest::newRow("notify extra") << QByteArray(R"({"action":"notify","payload":{},"name":"m"})") << false
                                      << ParseError::UnexpectedField << "'name'";
        QTest::newRow("invalid JSON") << QByteArray("{oops") << false << ParseError::InvalidJson << "offset";
        QTest::newRow("empty text") << QByteArray() << false << ParseError::InvalidJson << "empty";
        QTest::newRow("array") << QByteArray("[1,2]") << false << ParseError::NotAnObject << "array";
        QTest::newRow("bare number") << QByteArray("42") << false << ParseError::NotAnObject << "number";
    }

    void botErrors()
    {
        QFETCH(QByteArray, data);
        QFETCH(bool, binary);
        QFETCH(ParseError, error);
        QFETCH(QString, says);
        const ParseResult r = vonage().parseFromBot(data, binary);
        QVERIFY2(r.error == error, qPrintable(parseErrorName(r.error) + QStringLiteral(": ") + r.detail));
        QVERIFY2(r.detail.contains(says), qPrintable(r.detail));
        QCOMPARE(r.code, vonage().codeFor(error));
    }

    void providerErrors_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<bool>("binary");
        QTest::addColumn<ParseError>("error");
        QTest::addColumn<QString>("says");

        QTest::newRow("odd binary") << pcmFrame(639) << true << ParseError::BadAudioSize << "whole 16-bit samples";
        QTest::newRow("empty binary") << QByteArray() << true << ParseError::BadAudioSize << "0 bytes";
        QTest::newRow("connected without content-type") << QByteArray(R"({"event":"websocket:connected"})") << false
                                                        << ParseError::MissingField << "'content-type'";
        QTest::newRow("content-type not L16") << QByteArray(R"({"event":"websocket:connected","content-type":"audio/pcmu"})")
                                              << false << ParseError::WrongAudioFormat << "audio/pcmu";
        QTest::newRow("content-type number") << QByteArray(R"({"event":"websocket:connected","content-type":16000})") << false
                                             << ParseError::WrongType << "content-type must be a string";
        QTest::newRow("uuid number") << QByteArray(R"({"event":"websocket:connected","content-type":"audio/l16;rate=16000","uuid":7})")
                                     << false << ParseError::WrongType << "uuid must be a string";
        QTest::newRow("dtmf without digit") << QByteArray(R"({"event":"websocket:dtmf","duration":260})") << false
                                            << ParseError::MissingField << "'digit'";
        QTest::newRow("dtmf digit number") << QByteArray(R"({"event":"websocket:dtmf","digit":5})") << false
                                           << ParseError::WrongType << "digit must be a string";
        QTest::newRow("dtmf duration text") << QByteArray(R"({"event":"websocket:dtmf","digit":"5","duration":"long"})") << false
                                            << ParseError::WrongType << "duration";
        QTest::newRow("notify without payload") << QByteArray(R"({"event":"websocket:notify"})") << false
                                                << ParseError::MissingField << "'payload'";
        QTest::newRow("unknown websocket event") << QByteArray(R"({"event":"websocket:media"})") << false
                                                 << ParseError::UnknownEvent << "websocket:media";
        QTest::newRow("a bot's action") << QByteArray(R"({"action":"clear"})") << false << ParseError::UnknownEvent
                                        << "sent by a bot";
        QTest::newRow("no event") << QByteArray(R"({"x":1})") << false << ParseError::MissingField << "'event'";
        QTest::newRow("garbage") << QByteArray("\x01\x02 not json") << false << ParseError::InvalidJson << "invalid JSON";
    }

    void providerErrors()
    {
        QFETCH(QByteArray, data);
        QFETCH(bool, binary);
        QFETCH(ParseError, error);
        QFETCH(QString, says);
        const ParseResult r = vonage().parseFromProvider(data, binary);
        QVERIFY2(r.error == error, qPrintable(parseErrorName(r.error) + QStringLiteral(": ") + r.detail));
        QVERIFY2(r.detail.contains(says), qPrintable(r.detail));
        QCOMPARE(r.code, vonage().codeFor(error));
    }

    void providerIsTolerantOfExtraFields()
    {
        const ParseResult r = vonage().parseFromProvider(R"({"event":"websocket:cleared","at":"2026-01-01","n":{"x":1}})", false);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Cleared);
    }

    void recognizeAndDetect()
    {
        const Profile &p = vonage();
        const StartParams sp = p.withIds({});
        qint64 seq = 0;
        QList<WireMessage> fromVonage = p.encodeHandshake(sp, &seq);
        for (int i = 0; i < 5; ++i)
            fromVonage << p.encodeInboundMedia(sp, &seq, i, i * 20, pcmFrame(640, i));
        QCOMPARE(detect(fromVonage), std::optional<Id>(Id::Vonage));

        const QList<WireMessage> fromBot{p.encodeMedia({}, pcmFrame(640)), p.encodeMark({}, QStringLiteral("m")),
                                         p.encodeClear({}), p.encodeMedia({}, pcmFrame(640, 3))};
        QCOMPARE(detect(fromBot), std::optional<Id>(Id::Vonage));

        QCOMPARE(p.recognize(fromVonage.at(0).data, false), 95);
        QVERIFY(p.recognize(pcmFrame(640), true) > 0);
        QVERIFY(p.recognize(pcmFrame(640), true) < p.recognize(fromVonage.at(0).data, false));
        QCOMPARE(p.recognize(pcmFrame(641), true), 0);
        // Other providers' messages are not Vonage's, and Vonage's are not theirs.
        const Profile &twilio = profile(Id::Twilio);
        const StartParams tp = twilio.withIds({});
        qint64 tseq = 0;
        for (const WireMessage &m : twilio.encodeHandshake(tp, &tseq))
            QCOMPARE(p.recognize(m.data, m.binary), 0);
        QCOMPARE(p.recognize(twilio.encodeMedia(tp.streamId, QByteArray(160, 'x')).data, false), 0);
        QCOMPARE(p.recognize(R"({"event":"media","stream_sid":"MZ1","media":{"payload":"AAAA"}})", false), 0);
        QCOMPARE(twilio.recognize(fromVonage.at(0).data, false), 0);
        QCOMPARE(profile(Id::Exotel).recognize(fromVonage.at(0).data, false), 0);
        QCOMPARE(p.recognize("not json", false), 0);
    }

    void otherProvidersAreNotMistakenForThisOne()
    {
        // Every other profile's messages, both directions: this profile scores its text 0 and
        // detect() never picks it for another provider's handshake + media (placeholder
        // profiles produce no messages, so this grows as the real ones land).
        const Profile &self = profile(Id::Vonage);
        for (Id id : allIds()) {
            if (id == Id::Vonage)
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
                QVERIFY2(detect(msgs) != std::optional<Id>(Id::Vonage), qPrintable(other.name()));
        }
    }

    void garbageNeverCrashes()
    {
        // Truncations of valid messages and random bytes, both frame types, both directions:
        // every result is either a message or an error with a message and a code.
        const Profile &p = vonage();
        qint64 seq = 0;
        const StartParams sp = p.withIds({});
        QList<QByteArray> seeds{p.encodeMark({}, QStringLiteral("m1")).data, p.encodeClear({}).data,
                                p.encodeHandshake(sp, &seq).at(0).data, p.encodeDtmf(sp, &seq, QStringLiteral("1")).data,
                                p.encodeMarkEcho(sp, &seq, QStringLiteral("x")).data};
        QRandomGenerator rng(42);
        int checked = 0;
        auto check = [&](const QByteArray &d, bool binary) {
            for (const ParseResult &r : {p.parseFromBot(d, binary), p.parseFromProvider(d, binary)}) {
                if (!r.ok()) {
                    QVERIFY(!r.detail.isEmpty());
                    QVERIFY(r.code >= kPaceLabCodeBase);
                }
            }
            p.recognize(d, binary);
            ++checked;
        };
        for (const QByteArray &s : seeds) {
            for (int n = 0; n <= s.size(); ++n) {
                check(s.left(n), false);
                check(s.left(n), true);
            }
            for (int i = 0; i < 200; ++i) {
                QByteArray m = s;
                m[int(rng.bounded(m.size()))] = char(rng.bounded(256));
                check(m, false);
            }
        }
        for (int i = 0; i < 300; ++i) {
            QByteArray junk(int(rng.bounded(2000)), '\0');
            for (char &c : junk)
                c = char(rng.bounded(256));
            check(junk, i % 2 == 0);
        }
        QVERIFY(checked > 1000);
    }
};

QTEST_GUILESS_MAIN(TestProviderVonage)
#include "tst_provider_vonage.moc"
