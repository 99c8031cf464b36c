// The test-your-bot set (B1-B5) against PaceLab's reference bot, and its broken twins
// (external bots: tst_check_botext). Real time: only what holds on a saturated machine is
// asserted (a judged verdict, the structural criteria); B2's timing verdicts are judged on
// synthesized timelines in tst_check_judges.
#include "tst_check_common.h"

#include <QTest>

using namespace checktest;

class TestCheckBot final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void healthyBotStructure_data()
    {
        QTest::addColumn<QString>("id");
        QTest::addColumn<QStringList>("passing"); // structural: hold at any load
        QTest::addColumn<QStringList>("present"); // timing: judged, verdict not asserted
        QTest::newRow("B1") << QStringLiteral("B1") << QStringList{QStringLiteral("schema violations")} << QStringList{};
        QTest::newRow("B2") << QStringLiteral("B2") << QStringList{}
                            << QStringList{QStringLiteral("fps at the peer"), QStringLiteral("clock drift at the peer"),
                                           QStringLiteral("underruns at the peer"), QStringLiteral("bursts"),
                                           QStringLiteral("audio buffered at the peer")};
        QTest::newRow("B3") << QStringLiteral("B3") << QStringList{QStringLiteral("frames of 160 B")} << QStringList{};
        QTest::newRow("B5") << QStringLiteral("B5") << QStringList{QStringLiteral("marks echoed"), QStringLiteral("echo order")}
                            << QStringList{};
    }

    void healthyBotStructure()
    {
        QFETCH(QString, id);
        QFETCH(QStringList, passing);
        QFETCH(QStringList, present);
        const ScenarioResult r = run(id, shortConfig());
        QVERIFY2(judged(r), describe(r));
        QVERIFY2(passedCriteria(r, passing), describe(r));
        QVERIFY2(hasCriteria(r, present), describe(r));
        QVERIFY2(!criterion(r, QStringLiteral("media accepted")), describe(r)); // nothing rejected
    }

    void healthyBotClears()
    {
        const ScenarioResult r = run(QStringLiteral("B4"), bargeInConfig());
        QVERIFY2(judged(r), describe(r));
        const Criterion *c = criterion(r, QStringLiteral("clear after caller speech"));
        QVERIFY2(c && !c->measured.startsWith(QLatin1String("no clear")), describe(r));
        QVERIFY2(hasCriteria(r, {QStringLiteral("silence after clear")}), describe(r));
    }

    void botThatNeverClearsFailsBargeIn()
    {
        CheckConfig cfg = bargeInConfig();
        cfg.broken.botNeverClears = true;
        const ScenarioResult r = run(QStringLiteral("B4"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("clear after caller speech")), describe(r));
        QVERIFY2(r.reason.contains(QLatin1String("no clear")), describe(r));
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
