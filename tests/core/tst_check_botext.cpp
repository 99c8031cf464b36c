// The test-your-bot set against external bots (the emulator's FakeBot, a plain WebSocket
// server): a well-paced bot passes the structural criteria, a bot sending bad messages fails B1,
// a bot whose every media message is rejected fails B2 saying so, a bot sending twice as fast
// as real time fails B2. Timing verdicts are judged in tst_check_judges.
#include "tst_check_common.h"

#include "EmulatorTestBots.h"

#include <QTest>
#include <QTimer>

using namespace checktest;

namespace {

CheckConfig botConfig(const QUrl &url, CheckConfig base)
{
    base.mode = TargetMode::Bot;
    base.botUrl = url;
    return base;
}

} // namespace

class TestCheckBotExternal final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pacedBotStructure_data()
    {
        QTest::addColumn<QString>("id");
        QTest::addColumn<QStringList>("passing");
        QTest::addColumn<QStringList>("present");
        QTest::newRow("B1") << QStringLiteral("B1") << QStringList{QStringLiteral("schema violations")} << QStringList{};
        QTest::newRow("B2") << QStringLiteral("B2") << QStringList{}
                            << QStringList{QStringLiteral("fps at the peer"), QStringLiteral("clock drift at the peer"),
                                           QStringLiteral("underruns at the peer")};
        QTest::newRow("B3") << QStringLiteral("B3") << QStringList{QStringLiteral("frames of 160 B")} << QStringList{};
        QTest::newRow("B5") << QStringLiteral("B5") << QStringList{QStringLiteral("marks echoed")} << QStringList{};
    }

    void pacedBotStructure()
    {
        QFETCH(QString, id);
        QFETCH(QStringList, passing);
        QFETCH(QStringList, present);
        testbots::FakeBot bot;
        QVERIFY(bot.listen());
        // 20 ms frames on absolute deadlines, a mark every 25 frames.
        bot.onStart = [](testbots::FakeBot &b) { b.startPacing(400, 20000, 160, 25); };
        const ScenarioResult r = run(id, botConfig(bot.url(), shortConfig()));
        QVERIFY2(judged(r), describe(r));
        QVERIFY2(passedCriteria(r, passing), describe(r));
        QVERIFY2(hasCriteria(r, present), describe(r));
        QVERIFY(r.details.contains(bot.url().toString()));
    }

    void everyMediaRejectedIsSaid()
    {
        testbots::FakeBot bot;
        QVERIFY(bot.listen());
        QTimer pacer;
        int sent = 0;
        bot.onStart = [&](testbots::FakeBot &b) {
            // Paced media with an extra field: Twilio rejects every one (31951).
            QObject::connect(&pacer, &QTimer::timeout, &b.ctx, [&] {
                if (++sent > 100)
                    return pacer.stop();
                b.sendText(QByteArrayLiteral("{\"event\":\"media\",\"streamSid\":\"") + b.streamSid.toUtf8()
                           + QByteArrayLiteral("\",\"media\":{\"payload\":\"VVVV\",\"track\":\"outbound\"}}"));
            });
            pacer.start(20);
        };
        const ScenarioResult r = run(QStringLiteral("B2"), botConfig(bot.url(), shortConfig()));
        QVERIFY2(failedOn(r, QStringLiteral("media accepted")), describe(r));
        QVERIFY2(r.reason.contains(QLatin1String("media messages rejected: 31951")), describe(r));
        QVERIFY2(r.reason.contains(QLatin1String("all ")), describe(r));
        QVERIFY2(r.reason.contains(QLatin1String("track")), describe(r));
        QVERIFY2(!r.reason.contains(QLatin1String("no audio")), describe(r));
    }

    void badMessagesFailSchema()
    {
        testbots::FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](testbots::FakeBot &b) {
            b.startPacing(200, 20000);
            b.sendBinary(QByteArray(160, char(0x55))); // raw audio: 31950
            b.sendText(QByteArrayLiteral("{\"event\":\"media\",\"streamSid\":\"") + b.streamSid.toUtf8()
                       + QByteArrayLiteral("\",\"media\":{\"payload\":\"VVVV\",\"track\":\"outbound\"}}")); // extra field: 31951
        };
        const ScenarioResult r = run(QStringLiteral("B1"), botConfig(bot.url(), shortConfig()));
        QVERIFY2(failedOn(r, QStringLiteral("schema violations")), describe(r));
        QVERIFY2(r.reason.contains(QLatin1String("31950")) && r.reason.contains(QLatin1String("31951")), describe(r));
    }

    void twiceRealTimeFailsPacing()
    {
        testbots::FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](testbots::FakeBot &b) { b.startPacing(500, 10000); };
        const ScenarioResult r = run(QStringLiteral("B2"), botConfig(bot.url(), shortConfig()));
        // 1.25 s of audio ahead after 2.5 s: far past 0.5 s at any load.
        QVERIFY2(failedOn(r, QStringLiteral("audio buffered at the peer")), describe(r));
    }

    void botClosingMidRunIsJudgedOnWhatItSent()
    {
        testbots::FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](testbots::FakeBot &b) {
            b.startPacing(40, 20000);
            QTimer::singleShot(1000, &b.ctx, [&b] {
                if (b.sock)
                    b.sock->close();
            });
        };
        const ScenarioResult r = run(QStringLiteral("B3"), botConfig(bot.url(), shortConfig()));
        QVERIFY2(r.verdict == Verdict::Pass, describe(r));
        QVERIFY2(r.details.contains(QLatin1String("the bot closed the stream after")), describe(r));
        QVERIFY2(criterion(r, QStringLiteral("frames of 160 B"))->measured == QLatin1String("40 of 40"), describe(r));
    }

    void silentBotIsAnErrorForPacing()
    {
        testbots::FakeBot bot;
        QVERIFY(bot.listen());
        const ScenarioResult r = run(QStringLiteral("B2"), botConfig(bot.url(), shortConfig()));
        QCOMPARE(r.verdict, Verdict::Error);
        QVERIFY2(r.reason.contains(QLatin1String("sent no audio")), describe(r));
    }
};

QTEST_GUILESS_MAIN(TestCheckBotExternal)
#include "tst_check_botext.moc"
