// S5 (true 20 ms frames), S6 (keep-alive) and E1 (silence): pass on the healthy engine, fail on
// their broken twins (320-byte frames, pings off, a producer ignoring back-pressure).
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
        const ScenarioResult r = run(QStringLiteral("S5"), healthyConfig());
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

    void s6PassesOnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("S6"), healthyConfig());
        QVERIFY2(r.verdict == Verdict::Pass, describe(r));
        QVERIFY(r.figures.value(QLatin1String("pingTimesMs")).toArray().size() >= 3);
        QVERIFY(r.details.contains(QLatin1String("700 ms ping interval")));
    }

    void s6FailsWithPingsOff()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.pingsOff = true;
        const ScenarioResult r = run(QStringLiteral("S6"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("pings on the wire")), describe(r));
        QVERIFY2(failedOn(r, QStringLiteral("configured keep-alive interval")), describe(r));
    }

    void e1PassesOnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("E1"), healthyConfig());
        QVERIFY2(r.verdict == Verdict::Pass, describe(r));
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
