// The test-your-bot set against external bots (the emulator's FakeBot, a plain WebSocket
// server): a well-paced bot passes, a bot sending bad messages fails B1, a bot sending twice
// as fast as real time fails B2.
#include "tst_check_common.h"

#include "EmulatorTestBots.h"

#include <QTest>

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
    void pacedBotPasses_data()
    {
        QTest::addColumn<QString>("id");
        for (const char *id : {"B1", "B2", "B3", "B5"})
            QTest::newRow(id) << QString::fromLatin1(id);
    }

    void pacedBotPasses()
    {
        QFETCH(QString, id);
        testbots::FakeBot bot;
        QVERIFY(bot.listen());
        // 20 ms frames on absolute deadlines, a mark every 25 frames.
        bot.onStart = [](testbots::FakeBot &b) { b.startPacing(400, 20000, 160, 25); };
        const ScenarioResult r = run(id, botConfig(bot.url(), healthyConfig()));
        QVERIFY2(r.verdict == Verdict::Pass, describe(r));
        QVERIFY(r.details.contains(bot.url().toString()));
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
        QVERIFY2(r.verdict == Verdict::Fail, describe(r));
        QVERIFY2(failedOn(r, QStringLiteral("fps at the peer")), describe(r));
        QVERIFY2(failedOn(r, QStringLiteral("audio buffered at the peer")), describe(r));
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
