#include "audio/MediaFormat.h"
#include "provider/Provider.h"
#include "twilio/TwilioMessages.h"

#include <QTest>

using namespace pacelab;
using namespace pacelab::provider;

// The registry, MediaFormat's byte/time arithmetic and the Twilio profile's equivalence with
// twilio/TwilioMessages (Twilio's behaviour must not change behind the profile).
class TestProvider : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void namesRoundTrip()
    {
        for (Id id : allIds()) {
            QCOMPARE(profile(id).id(), id);
            QCOMPARE(idFromName(name(id)), std::optional<Id>(id));
            QCOMPARE(idFromName(name(id).toUpper()), std::optional<Id>(id));
            QVERIFY(profile(id).outboundFormat().isValid());
        }
        QCOMPARE(namesJoined(), QStringLiteral("twilio|telnyx|vonage|plivo|exotel"));
        QVERIFY(!idFromName(QStringLiteral("twillio")).has_value());
        QVERIFY(!idFromName(QString()).has_value());
    }

    void mediaFormatArithmetic()
    {
        const MediaFormat mu = MediaFormat::mulaw8k();
        QCOMPARE(mu.frameBytes(), 160);
        QCOMPARE(mu.bytesToUs(160), qint64(20000));
        QCOMPARE(mu.usToBytes(20000), qint64(160));
        const MediaFormat l16 = MediaFormat::l16(16000);
        QCOMPARE(l16.frameBytes(), 640);
        QCOMPARE(l16.bytesToUs(640), qint64(20000));
        QCOMPARE(MediaFormat::l16(8000, 100).frameBytes(), 1600);
        QCOMPARE(mu.silenceFrame(), QByteArray(160, char(0xFF)));
        QCOMPARE(l16.silence(4), QByteArray(4, '\0'));
        QVector<qint16> pcm{0, 1000, -1000, 32767, -32768};
        QCOMPARE(l16.decode(l16.encode(pcm)), pcm);
        QCOMPARE(l16.encode(pcm).mid(2, 2), QByteArray("\xE8\x03", 2)); // little-endian 1000
        QCOMPARE(mu.decode(mu.encode(pcm)).size(), pcm.size());
        QCOMPARE(mu.describe(), QStringLiteral("8 kHz mu-law, 20 ms frames (160 B)"));
    }

    void twilioProfileMatchesTwilioMessages()
    {
        const Profile &p = profile(Id::Twilio);
        const QByteArray audio(160, char(0x7F));
        QCOMPARE(p.encodeMedia(QStringLiteral("MZ1"), audio).data, twilio::encodeMedia(QStringLiteral("MZ1"), audio));
        QVERIFY(!p.encodeMedia(QStringLiteral("MZ1"), audio).binary);
        const ParseResult r = p.parseFromBot(twilio::encodeMark(QStringLiteral("MZ1"), QStringLiteral("m")), false, QStringLiteral("MZ1"));
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(r.message.event, Event::Mark);
        QCOMPARE(r.message.markName, QStringLiteral("m"));
        const ParseResult bad = p.parseFromBot(QByteArray("{\"event\":\"media\"}"), false);
        QCOMPARE(bad.code, 31951);
        QCOMPARE(p.parseFromBot(QByteArray(10, 'x'), true).code, 31950);
        QCOMPARE(p.parseFromBot(twilio::encodeClear(QStringLiteral("MZ2")), false, QStringLiteral("MZ1")).error, ParseError::StreamIdMismatch);

        const StartParams sp = p.withIds({});
        QVERIFY(sp.streamId.startsWith(QLatin1String("MZ")));
        qint64 seq = 0;
        const QList<WireMessage> hs = p.encodeHandshake(sp, &seq);
        QCOMPARE(hs.size(), 2);
        QCOMPARE(seq, qint64(1));
        const ParseResult start = p.parseFromProvider(hs.at(1).data, false);
        QVERIFY2(start.ok(), qPrintable(start.detail));
        QCOMPARE(start.message.event, Event::Start);
        QCOMPARE(start.message.streamId, sp.streamId);
        QCOMPARE(start.message.callId, sp.callId);
        QVERIFY(start.message.format.has_value());
        QCOMPARE(*start.message.format, MediaFormat::mulaw8k());
        const ParseResult media = p.parseFromProvider(p.encodeInboundMedia(sp, &seq, 1, 20, audio).data, false, sp.streamId);
        QVERIFY(media.ok());
        QCOMPARE(media.message.audio, audio);
        QCOMPARE(p.codeFor(Fault::MediaDiscarded), 31931);
        QCOMPARE(p.codeFor(ParseError::PayloadIsRiff), 31950);
        QCOMPARE(detect({hs.at(0), hs.at(1)}), std::optional<Id>(Id::Twilio));
        QVERIFY(!detect({WireMessage{QByteArray("hello"), false}}).has_value());
    }
};

QTEST_GUILESS_MAIN(TestProvider)
#include "tst_provider.moc"
