// S5 (true 20 ms frames), S6 (keep-alive) and E1 (silence) end to end: the structural criteria
// pass on the healthy engine and fail on the broken twins (320-byte frames, pings off, a producer
// ignoring back-pressure); the timing ones (ping regularity, arrival span, drift, underruns) are
// only required to be judged here, their verdicts are tested in tst_check_judges.
#include "tst_check_common.h"

#include <QJsonArray>
#include <QTest>

using namespace checktest;

class TestCheckFrames final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void s5PassesOnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("S5"), shortConfig());
        QVERIFY2(r.verdict == Verdict::Pass, describe(r));
        QCOMPARE(criterion(r, QStringLiteral("sample count conserved"))->measured, QStringLiteral("6 of 6 input formats"));
    }

    void s5FailsWith320ByteFrames()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.frameBytes = 320;
        const ScenarioResult r = run(QStringLiteral("S5"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("frames of 160 B at the peer")), describe(r));
        QVERIFY2(criterion(r, QStringLiteral("frames of 160 B at the peer"))->measured.contains(QLatin1String("320 B")), describe(r));
    }

    void s6PingsOnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("S6"), shortConfig());
        QVERIFY2(judged(r), describe(r));
        QVERIFY2(passedCriteria(r, {QStringLiteral("configured keep-alive interval"), QStringLiteral("pongs"),
                                    QStringLiteral("RTT reported"), QStringLiteral("missed pongs")}),
                 describe(r));
        QVERIFY2(hasCriteria(r, {QStringLiteral("pings on the wire")}), describe(r));
        QVERIFY2(r.figures.value(QLatin1String("pingTimesMs")).toArray().size() >= 2, describe(r));
        QVERIFY(r.details.contains(QLatin1String("600 ms ping interval")));
    }

    void s6FailsWithPingsOff()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.pingsOff = true;
        const ScenarioResult r = run(QStringLiteral("S6"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("pings on the wire")), describe(r));
        QVERIFY2(failedOn(r, QStringLiteral("configured keep-alive interval")), describe(r));
    }

    void e1OnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("E1"), shortConfig());
        QVERIFY2(judged(r), describe(r));
        QVERIFY2(passedCriteria(r, {QStringLiteral("frames at the peer, in order"), QStringLiteral("warnings"), QStringLiteral("drops")}),
                 describe(r));
        QVERIFY2(hasCriteria(r, {QStringLiteral("arrival span"), QStringLiteral("clock drift at the peer"),
                                 QStringLiteral("underruns at the peer")}),
                 describe(r));
        QCOMPARE(criterion(r, QStringLiteral("frames at the peer"))->measured, QStringLiteral("250 of 250 frames, all in order"));
    }

    void e1FailsWhenBackPressureIsIgnored()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.ignoreBackPressure = true;
        const ScenarioResult r = run(QStringLiteral("E1"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("drops")), describe(r));
        QVERIFY2(failedOn(r, QStringLiteral("warnings")), describe(r));
    }
};

QTEST_GUILESS_MAIN(TestCheckFrames)
#include "tst_check_frames.moc"
