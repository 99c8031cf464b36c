#pragma once

#include "CheckTypes.h"
#include "SpeechSynth.h"

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QStringList>

class QTimer;

namespace pacelab::check {

class Scenario;

// Runs checklist scenarios one after another in the caller's event loop (the engine's own
// threads run inside each scenario). Used by `pacelab check` and the GUI's checklist page.
class ScenarioRunner final : public QObject
{
    Q_OBJECT
public:
    explicit ScenarioRunner(QObject *parent = nullptr);
    ~ScenarioRunner() override;

    static QList<ScenarioInfo> available();
    static QList<ScenarioInfo> available(const Durations &durations);
    static QStringList defaultIds(); // the checklist: S1..S6, E1..E3
    static QStringList botIds();     // test-your-bot: B1..B5
    static bool isKnown(const QString &id);
    // Empty when every id can run in cfg's target mode, else why not (one line).
    static QString checkApplicable(const QStringList &ids, const CheckConfig &cfg);

    // Text-to-speech for E2, E3 and the reference bot (see SpeechSynth.h).
    void setSpeechSynthFactory(SpeechSynthFactory factory);

    // Asynchronous; unknown or inapplicable ids end as Error/Skipped results. Ignored (with a
    // logMessage) while a run is going on.
    void run(const QStringList &ids, const CheckConfig &cfg);
    // The running scenario ends as Error "cancelled", the rest as Skipped; allFinished follows.
    void cancel();
    bool isRunning() const { return m_running; }
    QList<ScenarioResult> results() const { return m_results; }

Q_SIGNALS:
    void scenarioStarted(const QString &id);
    void progress(const QString &id, double elapsedSec, double expectedSec);
    void scenarioFinished(const pacelab::check::ScenarioResult &result);
    void allFinished(const QList<pacelab::check::ScenarioResult> &results);
    void logMessage(const QString &level, const QString &text);

private:
    void startNext();
    void onScenarioFinished(const ScenarioResult &result);
    void finishAll();

    SpeechSynthFactory m_speech;
    CheckConfig m_cfg;
    QStringList m_queue;
    QList<ScenarioResult> m_results;
    QPointer<Scenario> m_current;
    ScenarioInfo m_currentInfo;
    QTimer *m_progress = nullptr;
    bool m_running = false;
    bool m_cancelled = false;
};

} // namespace pacelab::check

Q_DECLARE_METATYPE(QList<pacelab::check::ScenarioResult>)
