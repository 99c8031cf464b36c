// The test-your-bot set (B1-B5) against PaceLab's reference bot, and its broken twins
// (external bots: tst_check_botext).
#include "tst_check_common.h"

#include <QTest>

using namespace checktest;

class TestCheckBot final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void healthyBotPasses_data()
    {
        QTest::addColumn<QString>("id");
        for (const char *id : {"B1", "B2", "B3", "B4", "B5"})
            QTest::newRow(id) << QString::fromLatin1(id);
    }

    void healthyBotPasses()
    {
        QFETCH(QString, id);
        const ScenarioResult r = run(id, healthyConfig());
        QVERIFY2(r.verdict == Verdict::Pass, describe(r));
    }

    void botThatNeverClearsFailsBargeIn()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.botNeverClears = true;
        const ScenarioResult r = run(QStringLiteral("B4"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("clear after caller speech")), describe(r));
    }

    void botWith320ByteFramesFailsFrames()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.frameBytes = 320;
        const ScenarioResult r = run(QStringLiteral("B3"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("frames of 160 B")), describe(r));
    }

    void unreachableBotIsAnError()
    {
        CheckConfig cfg = shortConfig();
        cfg.mode = TargetMode::Bot;
        cfg.durations.connectTimeoutSec = 3;
        cfg.botUrl = QUrl(QStringLiteral("ws://127.0.0.1:9/"));
        const ScenarioResult r = run(QStringLiteral("B1"), cfg);
        QCOMPARE(r.verdict, Verdict::Error);
        QVERIFY2(r.reason.contains(QLatin1String("ws://127.0.0.1:9")), describe(r));
    }
};

QTEST_GUILESS_MAIN(TestCheckBot)
#include "tst_check_bot.moc"
