#pragma once
// Shared helpers of the tst_check_* executables: run a scenario in a local event loop with
// shortened durations, find a criterion, describe a result for failure messages.
#include "check/ScenarioRunner.h"
#include "check/SpeechSynth.h"
#include "tts/EspeakTts.h"

#include <QEventLoop>
#include <QTimer>

namespace checktest {

using namespace pacelab::check;

inline SpeechSynthFactory espeakFactory()
{
    return [] { return std::make_unique<SpeechSynthAdapter<pacelab::tts::EspeakTts>>(); };
}

// Short runs. The real-time tests prove each scenario runs end to end and judges the right
// criteria; timing verdicts (fps, drift, lateness, underruns) depend on the machine's load and are
// tested on synthesized observations in tst_check_judges.
inline CheckConfig shortConfig()
{
    CheckConfig c;
    Durations &d = c.durations;
    d.s1Sec = 2.0;
    d.s2Sec = 2.5;
    d.s3Sec = 3.0; // two bursts either way
    d.s4Sec = 2.5;
    d.s5SecPerRate = 0.2;
    d.s6Sec = 2.5;
    d.s6PingIntervalMs = 600;
    d.e2MinSpeechSec = 4.0;
    d.e3Sec = 8.0;
    d.botSec = 2.5; // B4 needs longer: bargeInConfig()
    return c;
}

// B4 barges in at a third of the session: leave the reference bot time to start talking.
inline CheckConfig bargeInConfig()
{
    CheckConfig c = shortConfig();
    c.durations.botSec = 3.5;
    return c;
}

inline ScenarioResult run(const QString &id, const CheckConfig &cfg, double timeoutSec = 90)
{
    ScenarioRunner runner;
    runner.setSpeechSynthFactory(espeakFactory());
    QList<ScenarioResult> results;
    QEventLoop loop;
    QObject::connect(&runner, &ScenarioRunner::allFinished, &loop, [&](const QList<ScenarioResult> &r) {
        results = r;
        loop.quit();
    });
    QTimer::singleShot(int(timeoutSec * 1000), &loop, [&] {
        runner.cancel();
    });
    runner.run({id}, cfg);
    loop.exec();
    if (results.isEmpty()) {
        ScenarioResult r;
        r.id = id;
        r.verdict = Verdict::Error;
        r.reason = QStringLiteral("no result");
        return r;
    }
    return results.first();
}

inline const Criterion *criterion(const ScenarioResult &r, const QString &nameStart)
{
    for (const Criterion &c : r.criteria)
        if (c.name.startsWith(nameStart))
            return &c;
    return nullptr;
}

inline bool failedOn(const ScenarioResult &r, const QString &nameStart)
{
    const Criterion *c = criterion(r, nameStart);
    return r.verdict == Verdict::Fail && c && !c->pass && !c->informational;
}

// The scenario ran to a judged verdict (PASS or FAIL), not an ERROR or SKIPPED from the harness.
inline bool judged(const ScenarioResult &r)
{
    return r.verdict == Verdict::Pass || r.verdict == Verdict::Fail;
}

// Every named criterion is present (judged or not).
inline bool hasCriteria(const ScenarioResult &r, const QStringList &names)
{
    for (const QString &n : names)
        if (!criterion(r, n))
            return false;
    return true;
}

// Every named criterion is present and passed: structural ones that hold at any load.
inline bool passedCriteria(const ScenarioResult &r, const QStringList &names)
{
    for (const QString &n : names) {
        const Criterion *c = criterion(r, n);
        if (!c || !c->pass)
            return false;
    }
    return true;
}

inline QByteArray describe(const ScenarioResult &r)
{
    QString s = QStringLiteral("%1 %2: %3\n").arg(r.id, verdictName(r.verdict), r.reason);
    for (const Criterion &c : r.criteria)
        s += QStringLiteral("  %1 %2: %3 (limit %4)\n").arg(c.pass ? QStringLiteral("ok  ") : QStringLiteral("FAIL"), c.name, c.measured, c.limit);
    s += r.details;
    return s.toUtf8();
}

} // namespace checktest
