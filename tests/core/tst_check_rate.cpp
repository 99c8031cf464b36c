// S1 (single transmit path) and S2 (exact rate) end to end. S1's criteria are structural and
// must pass at any load; S2's are timing (fps, lateness, drift): here only that they are judged,
// their verdicts are tested on synthesized observations in tst_check_judges.
#include "tst_check_common.h"

#include <QTest>

using namespace checktest;

class TestCheckRate final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void s1PassesOnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("S1"), shortConfig());
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

    void s2JudgesRateOnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("S2"), shortConfig());
        QVERIFY2(judged(r), describe(r));
        QVERIFY2(hasCriteria(r, {QStringLiteral("fps sent"), QStringLiteral("fps at the peer"), QStringLiteral("send lateness p99"),
                                 QStringLiteral("send lateness max"), QStringLiteral("late resets"),
                                 QStringLiteral("clock drift at the peer")}),
                 describe(r));
        QCOMPARE(criterion(r, QStringLiteral("pacing"))->measured, QStringLiteral("absolute deadlines"));
        QVERIFY(r.limits.contains(QLatin1String("fpsMin")));
        QVERIFY(r.figures.contains(QLatin1String("sender")));
        QVERIFY(r.figures.contains(QLatin1String("peer")));
    }
};

QTEST_GUILESS_MAIN(TestCheckRate)
#include "tst_check_rate.moc"
