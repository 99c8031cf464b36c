// E2 (long TTS through the back-pressured queue) and E3 (an emulated call with barge-in), with
// real espeak-ng speech: pass on the healthy engine, fail on their broken twins.
#include "tst_check_common.h"

#include <QTest>

using namespace checktest;

class TestCheckSpeech final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void e2PassesOnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("E2"), healthyConfig());
        QVERIFY2(r.verdict == Verdict::Pass, describe(r));
        QVERIFY(r.figures.value(QLatin1String("speechSec")).toDouble() >= 8.0);
    }

    void e2FailsWhenTheProducerIgnoresBackPressure()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.ignoreBackPressure = true;
        const ScenarioResult r = run(QStringLiteral("E2"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("drops")), describe(r));
    }

    void e3PassesOnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("E3"), healthyConfig());
        QVERIFY2(r.verdict == Verdict::Pass, describe(r));
        QVERIFY(criterion(r, QStringLiteral("silence after clear"))->pass);
    }

    void e3FailsWhenTheBotNeverClears()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.botNeverClears = true;
        const ScenarioResult r = run(QStringLiteral("E3"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("silence after clear")), describe(r));
        QVERIFY2(r.reason.contains(QLatin1String("no clear")), describe(r));
    }
};

QTEST_GUILESS_MAIN(TestCheckSpeech)
#include "tst_check_speech.moc"
