// Twilio Media Streams messages: round trips both ways, and every way a message can be wrong.
#include "twilio/TwilioMessages.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace pacelab::twilio;

Q_DECLARE_METATYPE(pacelab::twilio::ParseError)

namespace {

const QString kSid = QStringLiteral("MZ0123456789abcdef0123456789abcdef");

QByteArray randomBytes(qsizetype n, quint32 seed)
{
    QRandomGenerator gen(seed);
    QByteArray b(n, Qt::Uninitialized);
    for (qsizetype i = 0; i < n; ++i)
        b[i] = char(gen.bounded(256));
    return b;
}

QJsonObject obj(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

QSet<QString> keys(const QJsonObject &o)
{
    const QStringList k = o.keys();
    return QSet<QString>(k.begin(), k.end());
}

QByteArray wavHeader()
{
    QByteArray h("RIFF");
    h += QByteArray("\x24\x00\x00\x00", 4);
    h += "WAVEfmt ";
    return h;
}

} // namespace

class TestTwilioMessages final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // ---- bot -> Twilio -----------------------------------------------------------------------
    void outboundMediaRoundTrip_data();
    void outboundMediaRoundTrip();
    void outboundMediaHasOnlyDocumentedFields();
    void markAndClearRoundTrip();
    void emptyPayloadIsLegal();
    void megabytePayloads();

    // ---- Twilio -> bot -----------------------------------------------------------------------
    void connectedRoundTrip();
    void startRoundTrip();
    void inboundMediaRoundTrip();
    void numbersAreStringsOnTheWire();
    void dtmfMarkStopRoundTrip();
    void twilioMessagesAreNotBotMessages();

    // ---- errors ------------------------------------------------------------------------------
    void botErrors_data();
    void botErrors();
    void twilioErrors_data();
    void twilioErrors();
    void twilioToleratesExtraFields();
    void binaryFrame();
    void everyTruncationIsRejected();
    void randomMutationsNeverCrash();

    // ---- misc --------------------------------------------------------------------------------
    void names();
    void sids();
};

void TestTwilioMessages::outboundMediaRoundTrip_data()
{
    QTest::addColumn<int>("size");
    for (int n : {1, 2, 3, 4, 159, 160, 161, 320, 8000})
        QTest::addRow("%d bytes", n) << n;
}

void TestTwilioMessages::outboundMediaRoundTrip()
{
    QFETCH(int, size);
    QByteArray mulaw = randomBytes(size, quint32(size));
    if (mulaw.startsWith("RIFF"))
        mulaw[0] = 0; // keep the test about round trips
    const QByteArray json = encodeMedia(kSid, mulaw);
    QVERIFY(!json.contains('\n'));
    QVERIFY(!json.contains(' ')); // compact

    const ParseResult r = parseFromBot(json, kSid);
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.twilioCode, int(NoError));
    QCOMPARE(r.message.event, Event::Media);
    QCOMPARE(r.message.streamSid, kSid);
    QCOMPARE(r.message.payload, mulaw);
    QCOMPARE(obj(json).value("media").toObject().value("payload").toString(),
             QString::fromLatin1(mulaw.toBase64()));
}

void TestTwilioMessages::outboundMediaHasOnlyDocumentedFields()
{
    const QJsonObject o = obj(encodeMedia(kSid, QByteArray(160, char(0xff))));
    QCOMPARE(keys(o), (QSet<QString>{"event", "streamSid", "media"}));
    QCOMPARE(keys(o.value("media").toObject()), QSet<QString>{"payload"});
    QCOMPARE(o.value("event").toString(), QStringLiteral("media"));

    QCOMPARE(keys(obj(encodeMark(kSid, "m1"))), (QSet<QString>{"event", "streamSid", "mark"}));
    QCOMPARE(keys(obj(encodeMark(kSid, "m1")).value("mark").toObject()), QSet<QString>{"name"});
    QCOMPARE(keys(obj(encodeClear(kSid))), (QSet<QString>{"event", "streamSid"}));
}

void TestTwilioMessages::markAndClearRoundTrip()
{
    const QString name = QStringLiteral("utterance-7 \"quoted\" ünïcødé");
    ParseResult r = parseFromBot(encodeMark(kSid, name), kSid);
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.message.event, Event::Mark);
    QCOMPARE(r.message.markName, name);
    QCOMPARE(r.message.streamSid, kSid);

    r = parseFromBot(encodeClear(kSid), kSid);
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.message.event, Event::Clear);
    QCOMPARE(r.message.streamSid, kSid);

    // Without an expected stream, any non-empty sid is accepted.
    r = parseFromBot(encodeClear(QStringLiteral("MZother")));
    QVERIFY(r.ok());
    QCOMPARE(r.message.streamSid, QStringLiteral("MZother"));
}

void TestTwilioMessages::emptyPayloadIsLegal()
{
    const ParseResult r = parseFromBot(encodeMedia(kSid, QByteArray()), kSid);
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QVERIFY(r.message.payload.isEmpty());
    QVERIFY2(r.detail.contains("empty") && r.detail.contains("legal"), qPrintable(r.detail));
}

void TestTwilioMessages::megabytePayloads()
{
    const QByteArray big = randomBytes(1 << 20, 42);
    // Valid 1 MB outbound payload: Twilio takes any size.
    ParseResult r = parseFromBot(encodeMedia(kSid, big), kSid);
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.message.payload.size(), big.size());
    QCOMPARE(r.message.payload, big);

    // The same the other way.
    r = parseFromTwilio(encodeInboundMedia(kSid, 3, 1, 0, big));
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.message.payload, big);

    // One bad character at the end of 1.4 MB of base64.
    QByteArray b64 = big.toBase64();
    b64.chop(4);
    b64 += "AA!=";
    r = parseFromBot("{\"event\":\"media\",\"streamSid\":\"" + kSid.toLatin1() + "\",\"media\":{\"payload\":\"" + b64
                     + "\"}}");
    QCOMPARE(r.error, ParseError::PayloadNotBase64);
    QCOMPARE(r.twilioCode, int(InvalidMessage));
    QVERIFY(r.detail.contains("media.payload"));
    QVERIFY(r.detail.size() < 200); // the detail never echoes the payload

    // A 1 MB WAV file sent as a payload.
    r = parseFromBot(encodeMedia(kSid, wavHeader() + big), kSid);
    QCOMPARE(r.error, ParseError::PayloadIsRiff);
    QCOMPARE(r.twilioCode, 31950);
    QVERIFY(r.detail.size() < 200);

    // 1 MB of garbage that is not JSON at all.
    r = parseFromBot(big);
    QCOMPARE(r.error, ParseError::InvalidJson);
    QVERIFY(r.detail.size() < 200);
}

void TestTwilioMessages::connectedRoundTrip()
{
    const QByteArray json = encodeConnected();
    QCOMPARE(obj(json), QJsonDocument::fromJson(R"({"event":"connected","protocol":"Call","version":"1.0.0"})").object());
    const ParseResult r = parseFromTwilio(json);
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.message.event, Event::Connected);
    QCOMPARE(r.message.protocol, QStringLiteral("Call"));
    QCOMPARE(r.message.version, QStringLiteral("1.0.0"));
}

void TestTwilioMessages::startRoundTrip()
{
    StartInfo info;
    info.streamSid = kSid;
    info.accountSid = makeSid("AC");
    info.callSid = makeSid("CA");
    info.tracks = {QStringLiteral("inbound"), QStringLiteral("outbound")};
    info.customParameters = {{"lang", "he"}, {"caller", "+15550100"}};
    const QByteArray json = encodeStart(info, 1);

    const QJsonObject o = obj(json);
    QCOMPARE(o.value("sequenceNumber").toString(), QStringLiteral("1"));
    QCOMPARE(o.value("start").toObject().value("mediaFormat").toObject().value("sampleRate").toInt(), 8000);

    const ParseResult r = parseFromTwilio(json, kSid);
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.message.event, Event::Start);
    QCOMPARE(r.message.sequenceNumber, 1);
    QCOMPARE(r.message.streamSid, kSid);
    const StartInfo &s = r.message.start;
    QCOMPARE(s.streamSid, kSid);
    QCOMPARE(s.accountSid, info.accountSid);
    QCOMPARE(s.callSid, info.callSid);
    QCOMPARE(s.tracks, info.tracks);
    QCOMPARE(s.customParameters, info.customParameters);
    QCOMPARE(s.encoding, QStringLiteral("audio/x-mulaw"));
    QCOMPARE(s.sampleRate, 8000);
    QCOMPARE(s.channels, 1);

    // The reference document's own example parses.
    const QByteArray doc = R"({"event":"start","sequenceNumber":"1","streamSid":"MZx",
        "start":{"streamSid":"MZx","accountSid":"ACy","callSid":"CAz","tracks":["inbound"],
        "customParameters":{"k":"v"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}})";
    QVERIFY(parseFromTwilio(doc).ok());
}

void TestTwilioMessages::inboundMediaRoundTrip()
{
    const QByteArray mulaw = randomBytes(160, 7);
    const ParseResult r = parseFromTwilio(encodeInboundMedia(kSid, 3, 1, 5, mulaw), kSid);
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.message.event, Event::Media);
    QCOMPARE(r.message.sequenceNumber, 3);
    QCOMPARE(r.message.chunk, 1);
    QCOMPARE(r.message.timestampMs, 5);
    QCOMPARE(r.message.track, QStringLiteral("inbound"));
    QCOMPARE(r.message.payload, mulaw);

    const qint64 big = 9'000'000'000'000LL; // beyond 32 bits, still exact
    const ParseResult r2 = parseFromTwilio(encodeInboundMedia(kSid, big, big + 1, big + 2, mulaw, "outbound"));
    QVERIFY2(r2.ok(), qPrintable(r2.detail));
    QCOMPARE(r2.message.sequenceNumber, big);
    QCOMPARE(r2.message.chunk, big + 1);
    QCOMPARE(r2.message.timestampMs, big + 2);
    QCOMPARE(r2.message.track, QStringLiteral("outbound"));
}

void TestTwilioMessages::numbersAreStringsOnTheWire()
{
    const QJsonObject m = obj(encodeInboundMedia(kSid, 12, 34, 56, "x"));
    QVERIFY(m.value("sequenceNumber").isString());
    QCOMPARE(m.value("sequenceNumber").toString(), QStringLiteral("12"));
    const QJsonObject media = m.value("media").toObject();
    QVERIFY(media.value("chunk").isString());
    QVERIFY(media.value("timestamp").isString());
    QCOMPARE(media.value("chunk").toString(), QStringLiteral("34"));
    QCOMPARE(media.value("timestamp").toString(), QStringLiteral("56"));
    for (const QByteArray &json : {encodeDtmf(kSid, 5, "1"), encodeMarkEcho(kSid, 6, "m"), encodeStop(kSid, 9, "AC", "CA")})
        QVERIFY(obj(json).value("sequenceNumber").isString());
}

void TestTwilioMessages::dtmfMarkStopRoundTrip()
{
    ParseResult r = parseFromTwilio(encodeDtmf(kSid, 5, "#"), kSid);
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.message.event, Event::Dtmf);
    QCOMPARE(r.message.sequenceNumber, 5);
    QCOMPARE(r.message.digit, QStringLiteral("#"));
    QCOMPARE(r.message.track, QStringLiteral("inbound_track"));

    r = parseFromTwilio(encodeMarkEcho(kSid, 4, "m1"), kSid);
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.message.event, Event::Mark);
    QCOMPARE(r.message.sequenceNumber, 4);
    QCOMPARE(r.message.markName, QStringLiteral("m1"));

    r = parseFromTwilio(encodeStop(kSid, 9, "ACa", "CAb"), kSid);
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.message.event, Event::Stop);
    QCOMPARE(r.message.sequenceNumber, 9);
    QCOMPARE(r.message.start.accountSid, QStringLiteral("ACa"));
    QCOMPARE(r.message.start.callSid, QStringLiteral("CAb"));
}

void TestTwilioMessages::twilioMessagesAreNotBotMessages()
{
    // Inbound media echoed back by a lazy bot: sequenceNumber is unexpected for Twilio.
    ParseResult r = parseFromBot(encodeInboundMedia(kSid, 3, 1, 5, "abc"), kSid);
    QCOMPARE(r.error, ParseError::UnexpectedField);
    QCOMPARE(r.twilioCode, 31951);
    QVERIFY2(r.detail.contains("'sequenceNumber'"), qPrintable(r.detail));

    r = parseFromBot(encodeStart(StartInfo{}, 1));
    QCOMPARE(r.error, ParseError::UnknownEvent);
    QVERIFY2(r.detail.contains("'start'"), qPrintable(r.detail));

    r = parseFromBot(encodeConnected());
    QCOMPARE(r.error, ParseError::UnknownEvent);

    // A bot's clear is not something Twilio sends.
    r = parseFromTwilio(encodeClear(kSid));
    QCOMPARE(r.error, ParseError::UnknownEvent);
    QVERIFY(r.detail.contains("'clear'"));
}

void TestTwilioMessages::botErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expectedSid");
    QTest::addColumn<ParseError>("error");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("detail"); // must appear in the detail

    const QString a = QStringLiteral("MZa");
    const QByteArray riff = wavHeader().toBase64();
    auto row = [](const char *name, const QByteArray &json, const QString &sid, ParseError e, int code,
                  const char *detail) {
        QTest::newRow(name) << json << sid << e << code << QString::fromUtf8(detail);
    };

    // JSON itself
    row("empty", "", a, ParseError::InvalidJson, 31951, "empty");
    row("whitespace", "  \n", a, ParseError::InvalidJson, 31951, "empty");
    row("truncated", R"({"event":"media","streamSid":"MZa","media":{"payload":"AAAA"})", a, ParseError::InvalidJson,
        31951, "invalid JSON");
    row("trailing comma", R"({"event":"clear","streamSid":"MZa",})", a, ParseError::InvalidJson, 31951, "offset");
    row("single quotes", R"({'event':'clear'})", a, ParseError::InvalidJson, 31951, "invalid JSON");
    row("raw mulaw bytes", QByteArray(160, char(0xff)), a, ParseError::InvalidJson, 31951, "invalid JSON");
    row("invalid utf8", QByteArray("{\"event\":\"mark\",\"streamSid\":\"MZa\",\"mark\":{\"name\":\"\xff\xfe\"}}"), a,
        ParseError::InvalidJson, 31951, "invalid JSON");
    row("nesting bomb", "{\"event\":\"clear\",\"streamSid\":\"MZa\",\"x\":" + QByteArray(100000, '[') , a,
        ParseError::InvalidJson, 31951, "invalid JSON");
    row("deep unexpected", "{\"event\":\"clear\",\"streamSid\":\"MZa\",\"x\":" + QByteArray(500, '[')
                               + QByteArray(500, ']') + "}", a, ParseError::UnexpectedField, 31951, "'x' in clear");
    row("array", R"([{"event":"clear","streamSid":"MZa"}])", a, ParseError::NotAnObject, 31951, "array");
    row("number", "42", a, ParseError::NotAnObject, 31951, "JSON number, not an object");
    row("string", R"("media")", a, ParseError::NotAnObject, 31951, "JSON string, not an object");
    row("null", "null", a, ParseError::NotAnObject, 31951, "JSON null, not an object");
    row("two objects", R"({"event":"clear","streamSid":"MZa"}{"event":"clear","streamSid":"MZa"})", a,
        ParseError::InvalidJson, 31951, "invalid JSON");

    // event
    row("no event", R"({"streamSid":"MZa"})", a, ParseError::MissingField, 31951, "'event'");
    row("event number", R"({"event":3,"streamSid":"MZa"})", a, ParseError::WrongType, 31951, "event must be a string, got number");
    row("event null", R"({"event":null,"streamSid":"MZa"})", a, ParseError::WrongType, 31951, "got null");
    row("unknown event", R"({"event":"play","streamSid":"MZa"})", a, ParseError::UnknownEvent, 31951, "unknown event 'play'");
    row("event wrong case", R"({"event":"Media","streamSid":"MZa","media":{"payload":""}})", a,
        ParseError::UnknownEvent, 31951, "'Media'");
    row("twilio event", R"({"event":"stop","streamSid":"MZa"})", a, ParseError::UnknownEvent, 31951, "sent by Twilio");

    // unexpected fields, at every level
    row("media.track", R"({"event":"media","streamSid":"MZa","media":{"track":"outbound","payload":"AAAA"}})", a,
        ParseError::UnexpectedField, 31951, "unexpected field 'media.track' in media");
    row("media.chunk", R"({"event":"media","streamSid":"MZa","media":{"payload":"AAAA","chunk":"1"}})", a,
        ParseError::UnexpectedField, 31951, "'media.chunk'");
    row("media.timestamp", R"({"event":"media","streamSid":"MZa","media":{"payload":"AAAA","timestamp":"0"}})", a,
        ParseError::UnexpectedField, 31951, "'media.timestamp'");
    row("top sequenceNumber", R"({"event":"media","sequenceNumber":"1","streamSid":"MZa","media":{"payload":"AAAA"}})",
        a, ParseError::UnexpectedField, 31951, "unexpected field 'sequenceNumber' in media");
    row("media in mark", R"({"event":"mark","streamSid":"MZa","mark":{"name":"m"},"media":{"payload":""}})", a,
        ParseError::UnexpectedField, 31951, "'media' in mark");
    row("mark.extra", R"({"event":"mark","streamSid":"MZa","mark":{"name":"m","when":1}})", a,
        ParseError::UnexpectedField, 31951, "'mark.when' in mark");
    row("clear with mark", R"({"event":"clear","streamSid":"MZa","mark":{"name":"m"}})", a,
        ParseError::UnexpectedField, 31951, "'mark' in clear");
    row("clear with media", R"({"event":"clear","streamSid":"MZa","media":{}})", a, ParseError::UnexpectedField,
        31951, "'media' in clear");
    row("nested unexpected", R"({"event":"media","streamSid":"MZa","media":{"payload":"AAAA","x":{"y":{"z":1}}}})", a,
        ParseError::UnexpectedField, 31951, "'media.x'");

    // missing fields
    row("no streamSid", R"({"event":"clear"})", a, ParseError::MissingField, 31951, "'streamSid'");
    row("empty streamSid", R"({"event":"clear","streamSid":""})", a, ParseError::MissingField, 31951, "streamSid is empty");
    row("no media", R"({"event":"media","streamSid":"MZa"})", a, ParseError::MissingField, 31951, "'media'");
    row("no payload", R"({"event":"media","streamSid":"MZa","media":{}})", a, ParseError::MissingField, 31951,
        "'media.payload'");
    row("no mark", R"({"event":"mark","streamSid":"MZa"})", a, ParseError::MissingField, 31951, "'mark'");
    row("no mark.name", R"({"event":"mark","streamSid":"MZa","mark":{}})", a, ParseError::MissingField, 31951,
        "'mark.name'");
    row("empty mark.name", R"({"event":"mark","streamSid":"MZa","mark":{"name":""}})", a, ParseError::MissingField,
        31951, "mark.name is empty");

    // wrong types
    row("streamSid number", R"({"event":"clear","streamSid":12})", a, ParseError::WrongType, 31951,
        "streamSid must be a string, got number");
    row("media string", R"({"event":"media","streamSid":"MZa","media":"AAAA"})", a, ParseError::WrongType, 31951,
        "media must be a object, got string");
    row("media array", R"({"event":"media","streamSid":"MZa","media":["AAAA"]})", a, ParseError::WrongType, 31951,
        "got array");
    row("payload number", R"({"event":"media","streamSid":"MZa","media":{"payload":0}})", a, ParseError::WrongType,
        31951, "media.payload must be a string, got number");
    row("payload null", R"({"event":"media","streamSid":"MZa","media":{"payload":null}})", a, ParseError::WrongType,
        31951, "media.payload must be a string, got null");
    row("mark.name bool", R"({"event":"mark","streamSid":"MZa","mark":{"name":true}})", a, ParseError::WrongType,
        31951, "mark.name must be a string, got boolean");

    // stream id
    row("sid mismatch media", R"({"event":"media","streamSid":"MZb","media":{"payload":"AAAA"}})", a,
        ParseError::StreamSidMismatch, 31951, "streamSid 'MZb' does not match the stream 'MZa'");
    row("sid mismatch mark", R"({"event":"mark","streamSid":"MZb","mark":{"name":"m"}})", a,
        ParseError::StreamSidMismatch, 31951, "'MZb'");
    row("sid mismatch clear", R"({"event":"clear","streamSid":"MZb"})", a, ParseError::StreamSidMismatch, 31951,
        "does not match the stream 'MZa'");

    // payload
    row("payload bad char", R"({"event":"media","streamSid":"MZa","media":{"payload":"AA*A"}})", a,
        ParseError::PayloadNotBase64, 31951, "media.payload is not valid base64");
    row("payload bad length", R"({"event":"media","streamSid":"MZa","media":{"payload":"AAAAA"}})", a,
        ParseError::PayloadNotBase64, 31951, "media.payload is not valid base64 (length 5");
    row("payload unpadded", R"({"event":"media","streamSid":"MZa","media":{"payload":"/w"}})", a,
        ParseError::PayloadNotBase64, 31951, "padding");
    row("payload url-safe", R"({"event":"media","streamSid":"MZa","media":{"payload":"__-_"}})", a,
        ParseError::PayloadNotBase64, 31951, "media.payload is not valid base64");
    row("payload inner padding", R"({"event":"media","streamSid":"MZa","media":{"payload":"AA==AAAA"}})", a,
        ParseError::PayloadNotBase64, 31951, "media.payload is not valid base64");
    row("payload non-ascii", R"({"event":"media","streamSid":"MZa","media":{"payload":"AAÄA"}})", a,
        ParseError::PayloadNotBase64, 31951, "non-ASCII");
    row("payload hex", R"({"event":"media","streamSid":"MZa","media":{"payload":"ff ff ff"}})", a,
        ParseError::PayloadNotBase64, 31951, "media.payload");
    row("payload wav", "{\"event\":\"media\",\"streamSid\":\"MZa\",\"media\":{\"payload\":\"" + riff + "\"}}", a,
        ParseError::PayloadIsRiff, 31950, "RIFF/WAVE");
    row("payload riff only", "{\"event\":\"media\",\"streamSid\":\"MZa\",\"media\":{\"payload\":\"UklGRg==\"}}", a,
        ParseError::PayloadIsRiff, 31950, "media.payload starts with a RIFF");
}

void TestTwilioMessages::botErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expectedSid);
    QFETCH(ParseError, error);
    QFETCH(int, code);
    QFETCH(QString, detail);

    const ParseResult r = parseFromBot(json, expectedSid);
    QVERIFY2(!r.ok(), "the message was accepted");
    QVERIFY2(r.error == error, qPrintable(QStringLiteral("got %1 (%2), want %3")
                                              .arg(parseErrorName(r.error), r.detail, parseErrorName(error))));
    QCOMPARE(r.twilioCode, code);
    QCOMPARE(twilioCodeFor(r.error), code);
    QVERIFY2(r.detail.contains(detail), qPrintable(QStringLiteral("detail '%1' lacks '%2'").arg(r.detail, detail)));
}

void TestTwilioMessages::twilioErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ParseError>("error");
    QTest::addColumn<QString>("detail");

    auto row = [](const char *name, const QByteArray &json, ParseError e, const char *detail) {
        QTest::newRow(name) << json << e << QString::fromUtf8(detail);
    };
    row("truncated", R"({"event":"connected","protocol":"Call")", ParseError::InvalidJson, "invalid JSON");
    row("array", "[]", ParseError::NotAnObject, "array");
    row("unknown", R"({"event":"hello"})", ParseError::UnknownEvent, "'hello'");
    row("connected no version", R"({"event":"connected","protocol":"Call"})", ParseError::MissingField, "'version'");
    row("connected protocol number", R"({"event":"connected","protocol":1,"version":"1.0.0"})", ParseError::WrongType,
        "protocol must be a string");
    row("seq number", R"({"event":"mark","sequenceNumber":4,"streamSid":"MZa","mark":{"name":"m"}})",
        ParseError::WrongType, "sequenceNumber must be a string");
    row("seq not digits", R"({"event":"mark","sequenceNumber":"4a","streamSid":"MZa","mark":{"name":"m"}})",
        ParseError::WrongType, "sequenceNumber '4a'");
    row("seq negative", R"({"event":"mark","sequenceNumber":"-4","streamSid":"MZa","mark":{"name":"m"}})",
        ParseError::WrongType, "sequenceNumber '-4'");
    row("seq huge", R"({"event":"mark","sequenceNumber":"99999999999999999999999","streamSid":"MZa","mark":{"name":"m"}})",
        ParseError::WrongType, "sequenceNumber");
    row("no seq", R"({"event":"stop","streamSid":"MZa","stop":{"accountSid":"AC","callSid":"CA"}})",
        ParseError::MissingField, "'sequenceNumber'");
    row("no streamSid", R"({"event":"stop","sequenceNumber":"9","stop":{"accountSid":"AC","callSid":"CA"}})",
        ParseError::MissingField, "'streamSid'");
    row("start no mediaFormat", R"({"event":"start","sequenceNumber":"1","streamSid":"MZa",
        "start":{"accountSid":"AC","callSid":"CA","tracks":["inbound"]}})", ParseError::MissingField,
        "'start.mediaFormat'");
    row("start rate string", R"({"event":"start","sequenceNumber":"1","streamSid":"MZa",
        "start":{"accountSid":"AC","callSid":"CA","tracks":["inbound"],
        "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":"8000","channels":1}}})", ParseError::WrongType,
        "start.mediaFormat.sampleRate must be a number, got string");
    row("start rate fraction", R"({"event":"start","sequenceNumber":"1","streamSid":"MZa",
        "start":{"accountSid":"AC","callSid":"CA","tracks":["inbound"],
        "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000.5,"channels":1}}})", ParseError::WrongType,
        "start.mediaFormat.sampleRate must be a non-negative integer");
    row("start tracks string", R"({"event":"start","sequenceNumber":"1","streamSid":"MZa",
        "start":{"accountSid":"AC","callSid":"CA","tracks":"inbound",
        "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}})", ParseError::WrongType,
        "start.tracks must be a array");
    row("start tracks number item", R"({"event":"start","sequenceNumber":"1","streamSid":"MZa",
        "start":{"accountSid":"AC","callSid":"CA","tracks":["inbound",2],
        "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}})", ParseError::WrongType,
        "start.tracks[1] must be a string");
    row("start inner sid", R"({"event":"start","sequenceNumber":"1","streamSid":"MZa",
        "start":{"streamSid":"MZb","accountSid":"AC","callSid":"CA","tracks":["inbound"],
        "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}})", ParseError::StreamSidMismatch,
        "start.streamSid 'MZb'");
    row("start params array", R"({"event":"start","sequenceNumber":"1","streamSid":"MZa",
        "start":{"accountSid":"AC","callSid":"CA","tracks":["inbound"],"customParameters":[],
        "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}})", ParseError::WrongType,
        "start.customParameters must be a object, got array");
    row("media no chunk", R"({"event":"media","sequenceNumber":"3","streamSid":"MZa",
        "media":{"track":"inbound","timestamp":"5","payload":""}})", ParseError::MissingField, "'media.chunk'");
    row("media timestamp number", R"({"event":"media","sequenceNumber":"3","streamSid":"MZa",
        "media":{"track":"inbound","chunk":"1","timestamp":5,"payload":""}})", ParseError::WrongType,
        "media.timestamp must be a string");
    row("media bad payload", R"({"event":"media","sequenceNumber":"3","streamSid":"MZa",
        "media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"%%%%"}})", ParseError::PayloadNotBase64,
        "media.payload is not valid base64");
    row("dtmf no digit", R"({"event":"dtmf","sequenceNumber":"5","streamSid":"MZa","dtmf":{"track":"inbound_track"}})",
        ParseError::MissingField, "'dtmf.digit'");
    row("mark name number", R"({"event":"mark","sequenceNumber":"4","streamSid":"MZa","mark":{"name":1}})",
        ParseError::WrongType, "mark.name must be a string");
    row("stop no callSid", R"({"event":"stop","sequenceNumber":"9","streamSid":"MZa","stop":{"accountSid":"AC"}})",
        ParseError::MissingField, "'stop.callSid'");
    row("sid mismatch", R"({"event":"mark","sequenceNumber":"4","streamSid":"MZb","mark":{"name":"m"}})",
        ParseError::StreamSidMismatch, "streamSid 'MZb' does not match the stream 'MZa'");
}

void TestTwilioMessages::twilioErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(ParseError, error);
    QFETCH(QString, detail);
    const ParseResult r = parseFromTwilio(json, QStringLiteral("MZa"));
    QVERIFY2(!r.ok(), "the message was accepted");
    QVERIFY2(r.error == error, qPrintable(QStringLiteral("got %1 (%2), want %3")
                                              .arg(parseErrorName(r.error), r.detail, parseErrorName(error))));
    QCOMPARE(r.twilioCode, twilioCodeFor(error));
    QVERIFY2(r.detail.contains(detail), qPrintable(QStringLiteral("detail '%1' lacks '%2'").arg(r.detail, detail)));
}

void TestTwilioMessages::twilioToleratesExtraFields()
{
    // Twilio may add fields; a bot must not choke on them.
    const QByteArray json = R"({"event":"media","sequenceNumber":"3","streamSid":"MZa","extra":{"a":[1,2]},
        "media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"/w==","future":true}})";
    const ParseResult r = parseFromTwilio(json, QStringLiteral("MZa"));
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.message.payload, QByteArray(1, char(0xff)));
    // ... while the same extras from a bot are refused.
    QCOMPARE(parseFromBot(R"({"event":"clear","streamSid":"MZa","extra":1})").error, ParseError::UnexpectedField);
}

void TestTwilioMessages::binaryFrame()
{
    const ParseResult r = binaryFrameFromBot(160);
    QCOMPARE(r.error, ParseError::BinaryFrame);
    QCOMPARE(r.twilioCode, 31950);
    QVERIFY(r.detail.contains("160 bytes"));
    QVERIFY(!r.ok());
}

void TestTwilioMessages::everyTruncationIsRejected()
{
    const QList<QByteArray> valid = {encodeMedia(kSid, randomBytes(48, 1)), encodeMark(kSid, "m1"), encodeClear(kSid)};
    for (const QByteArray &json : valid) {
        QVERIFY(parseFromBot(json, kSid).ok());
        for (qsizetype n = 0; n < json.size(); ++n) {
            const ParseResult r = parseFromBot(json.left(n), kSid);
            QVERIFY2(!r.ok(), json.left(n).constData());
            QCOMPARE(r.twilioCode, 31951);
            QVERIFY(!r.detail.isEmpty());
        }
    }
    const QList<QByteArray> inbound = {encodeConnected(), encodeInboundMedia(kSid, 2, 1, 0, "abc"),
                                       encodeStop(kSid, 9, "AC", "CA")};
    for (const QByteArray &json : inbound)
        for (qsizetype n = 0; n < json.size(); ++n)
            QVERIFY(!parseFromTwilio(json.left(n)).ok());
}

void TestTwilioMessages::randomMutationsNeverCrash()
{
    // Flip bytes of valid messages: every result is either a success or a coded, described error.
    QRandomGenerator gen(1234);
    StartInfo info;
    info.streamSid = kSid;
    info.accountSid = QStringLiteral("AC");
    info.callSid = QStringLiteral("CA");
    const QList<QByteArray> seeds = {encodeMedia(kSid, randomBytes(160, 2)), encodeMark(kSid, "m"), encodeClear(kSid),
                                     encodeInboundMedia(kSid, 3, 1, 5, randomBytes(160, 3)), encodeDtmf(kSid, 5, "1"),
                                     encodeStart(info, 1)};
    int rejected = 0;
    for (int i = 0; i < 20000; ++i) {
        QByteArray m = seeds.at(i % seeds.size());
        const int flips = 1 + gen.bounded(3);
        for (int f = 0; f < flips; ++f)
            m[gen.bounded(int(m.size()))] = char(gen.bounded(256));
        for (const ParseResult &r : {parseFromBot(m, kSid), parseFromTwilio(m, kSid)}) {
            if (r.ok())
                continue;
            ++rejected;
            QVERIFY(r.twilioCode == 31950 || r.twilioCode == 31951);
            QVERIFY(!r.detail.isEmpty());
        }
    }
    QVERIFY(rejected > 10000);
}

void TestTwilioMessages::names()
{
    QSet<QString> seen;
    for (Event e : {Event::Connected, Event::Start, Event::Media, Event::Dtmf, Event::Mark, Event::Stop, Event::Clear}) {
        QCOMPARE(eventFromName(eventName(e)), e);
        seen.insert(eventName(e));
    }
    QCOMPARE(seen.size(), 7);
    QCOMPARE(eventFromName("nonsense"), Event::Unknown);

    QSet<QString> errors;
    for (int i = int(ParseError::None); i <= int(ParseError::BinaryFrame); ++i)
        errors.insert(parseErrorName(ParseError(i)));
    QCOMPARE(errors.size(), int(ParseError::BinaryFrame) + 1);
    QCOMPARE(twilioCodeFor(ParseError::None), 0);
    QCOMPARE(twilioCodeFor(ParseError::UnexpectedField), 31951);
    QCOMPARE(twilioCodeFor(ParseError::PayloadIsRiff), 31950);
}

void TestTwilioMessages::sids()
{
    static const QRegularExpression shape(QStringLiteral("^MZ[0-9a-f]{32}$"));
    QSet<QString> seen;
    for (int i = 0; i < 1000; ++i) {
        const QString sid = makeSid(QStringLiteral("MZ"));
        QVERIFY2(shape.match(sid).hasMatch(), qPrintable(sid));
        seen.insert(sid);
    }
    QCOMPARE(seen.size(), 1000);
    QVERIFY(makeSid(QStringLiteral("CA")).startsWith(QStringLiteral("CA")));
    QCOMPARE(makeSid(QStringLiteral("AC")).size(), 34);
}

QTEST_APPLESS_MAIN(TestTwilioMessages)
#include "tst_twilio_messages.moc"
