// E2 (long TTS through the back-pressured queue) and E3 (an emulated call with barge-in), with
// real espeak-ng speech, end to end: the structural criteria pass on the healthy engine and fail
// on the broken twins; fps, drift, buffering and clear→silence timing are only required to be
// judged here, their verdicts are tested in tst_check_judges.
#include "tst_check_common.h"

#include <QTest>

using namespace checktest;

class TestCheckSpeech final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void e2OnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("E2"), shortConfig());
        QVERIFY2(judged(r), describe(r));
        QVERIFY2(passedCriteria(r, {QStringLiteral("speech synthesized"), QStringLiteral("tx queue peak"), QStringLiteral("drops")}),
                 describe(r));
        QVERIFY2(hasCriteria(r, {QStringLiteral("fps sent"), QStringLiteral("fps at the peer"), QStringLiteral("audio buffered at the peer"),
                                 QStringLiteral("clock drift at the peer"), QStringLiteral("underruns while speech lasts")}),
                 describe(r));
        QVERIFY(r.figures.value(QLatin1String("speechSec")).toDouble() >= 4.0);
    }

    void e2FailsWhenTheProducerIgnoresBackPressure()
    {
        CheckConfig cfg = shortConfig();
        cfg.broken.ignoreBackPressure = true;
        const ScenarioResult r = run(QStringLiteral("E2"), cfg);
        QVERIFY2(failedOn(r, QStringLiteral("drops")), describe(r));
    }

    void e3OnHealthyEngine()
    {
        const ScenarioResult r = run(QStringLiteral("E3"), shortConfig());
        QVERIFY2(judged(r), describe(r));
        QVERIFY2(passedCriteria(r, {QStringLiteral("drops")}), describe(r));
        const Criterion *clear = criterion(r, QStringLiteral("caller speech to clear"));
        QVERIFY2(clear && clear->measured != QLatin1String("no clear"), describe(r)); // the bot cleared
        QVERIFY2(hasCriteria(r, {QStringLiteral("fps sent while speaking"), QStringLiteral("queue depth"),
                                 QStringLiteral("clock drift at the peer"), QStringLiteral("silence after clear")}),
                 describe(r));
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
