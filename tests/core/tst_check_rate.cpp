// S1 (single transmit path) and S2 (exact rate): pass on the healthy engine, fail on their
// broken twins for the right reason.
#include "tst_check_common.h"

#include <QTest>

using namespace checktest;

class TestCheckRate final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void s1PassesOnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("S1"), healthyConfig());
        QVERIFY2(r.verdict == Verdict::Pass, describe(r));
        QVERIFY(criterion(r, QStringLiteral("media order at the peer")));
        QVERIFY(criterion(r, QStringLiteral("marks echoed in order")));
        QVERIFY(!r.tx.isEmpty());
        QVERIFY(!r.rx.isEmpty());
    }

    void s1FailsWithASecondWriter()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.secondTransmitPath = true;
        const ScenarioResult r = run(QStringLiteral("S1"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("connections at the peer")), describe(r));
        QVERIFY2(r.reason.contains(QLatin1String("connections at the peer: 2")), describe(r));
    }

    void s2PassesOnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("S2"), healthyConfig());
        QVERIFY2(r.verdict == Verdict::Pass, describe(r));
        QVERIFY(r.limits.contains(QLatin1String("fpsMin")));
        QVERIFY(r.figures.contains(QLatin1String("sender")));
        QVERIFY(r.figures.contains(QLatin1String("peer")));
    }

    void s2FailsWithFixedSleepPacer()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.fixedSleepPacer = true;
        cfg.broken.cpuLoad = true;
        const ScenarioResult r = run(QStringLiteral("S2"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("clock drift at the peer")), describe(r));
    }
};

QTEST_GUILESS_MAIN(TestCheckRate)
#include "tst_check_rate.moc"
