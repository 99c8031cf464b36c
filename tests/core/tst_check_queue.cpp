// S3 (drop policy) and S4 (queue sizes) end to end: the structural criteria pass on the healthy
// engine and fail with an unbounded queue; the load-dependent ones (which early frames the sender
// took while a burst was pushed, warning spacing, steady-state depth) are only required to be
// judged here, their verdicts are tested in tst_check_judges.
#include "tst_check_common.h"

#include <QTest>

using namespace checktest;

class TestCheckQueue final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void s3OnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("S3"), shortConfig());
        QVERIFY2(judged(r), describe(r));
        QVERIFY2(passedCriteria(r, {QStringLiteral("newest frames survive"), QStringLiteral("drops counted"),
                                    QStringLiteral("order at the peer"), QStringLiteral("queue peak")}),
                 describe(r));
        QVERIFY2(hasCriteria(r, {QStringLiteral("oldest frames dropped"), QStringLiteral("drop warnings throttled")}), describe(r));
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

    void s4OnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("S4"), shortConfig());
        QVERIFY2(judged(r), describe(r));
        QVERIFY2(passedCriteria(r, {QStringLiteral("configured bounds"), QStringLiteral("bound holds"), QStringLiteral("send queue peak")}),
                 describe(r));
        QVERIFY2(hasCriteria(r, {QStringLiteral("steady-state depth")}), describe(r));
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
