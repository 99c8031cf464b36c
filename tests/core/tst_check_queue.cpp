// S3 (drop policy) and S4 (queue sizes): pass on the healthy engine, fail with an unbounded
// queue for the right reason.
#include "tst_check_common.h"

#include <QTest>

using namespace checktest;

class TestCheckQueue final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void s3PassesOnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("S3"), healthyConfig());
        QVERIFY2(r.verdict == Verdict::Pass, describe(r));
        QVERIFY(criterion(r, QStringLiteral("newest frames survive"))->pass);
        QVERIFY(criterion(r, QStringLiteral("drops counted"))->pass);
        QVERIFY(criterion(r, QStringLiteral("drop warnings throttled"))->pass);
        QVERIFY(r.figures.value(QLatin1String("dropWarnings")).toInt() >= 1);
    }

    void s3FailsWithUnboundedQueue()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.unboundedQueue = true;
        const ScenarioResult r = run(QStringLiteral("S3"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("oldest frames dropped")), describe(r));
        QVERIFY2(failedOn(r, QStringLiteral("queue peak")), describe(r));
    }

    void s4PassesOnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("S4"), healthyConfig());
        QVERIFY2(r.verdict == Verdict::Pass, describe(r));
        QCOMPARE(criterion(r, QStringLiteral("configured bounds"))->measured, QStringLiteral("120 / 120"));
    }

    void s4FailsWithUnboundedQueue()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.unboundedQueue = true;
        const ScenarioResult r = run(QStringLiteral("S4"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("configured bounds")), describe(r));
        QVERIFY2(failedOn(r, QStringLiteral("bound holds")), describe(r));
    }
};

QTEST_GUILESS_MAIN(TestCheckQueue)
#include "tst_check_queue.moc"
