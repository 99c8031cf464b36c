#pragma once

#include "check/CheckTypes.h"

#include <QMap>
#include <QPointer>
#include <QTextBrowser>
#include <QWidget>
#include <functional>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace pacelab::check {
class ScenarioRunner;
}

namespace pacelab::ui {

// The pre-deploy checklist: every scenario in a table (name, what it checks, progress, verdict
// icon, key numbers), run one or all, details of the selected one, reports in HTML/JSON/JUnit.
// Scenarios run through core/check's ScenarioRunner in this thread's event loop; each brings its
// own engine and emulator, independent of the live session.
class ChecklistPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ChecklistPanel(QWidget *parent = nullptr);
    ~ChecklistPanel() override;

    // Where bot scenarios (B*) connect: the URL from the connection panel ("" = built-in bot).
    void setBotUrlProvider(std::function<QString()> provider) { m_botUrl = std::move(provider); }
    // The protocol every scenario of the next run speaks (CheckConfig::provider); a run keeps
    // the one it started with (the window's status bar names it).
    void setProvider(provider::Id id) { m_provider = id; }
    provider::Id provider() const { return m_provider; }
    // What a run of these scenarios hands to core's ScenarioRunner.
    check::CheckConfig config(const QStringList &ids) const;
    // The details pane is shown by the window (next to the log).
    QTextBrowser *detailsView() const { return m_details; }

    QStringList scenarioIds() const;
    bool runScenarios(const QStringList &ids);
    void runAll();
    void runSelected();
    void cancel();
    bool isRunning() const;
    // "PASS", "FAIL", "ERROR", "SKIPPED", "CANCELLED", "RUNNING", "" (not run).
    QString verdictText(const QString &id) const;
    QList<check::ScenarioResult> results() const;
    void selectScenario(const QString &id);
    // The summary line of the last run ("2 passed, 1 failed of 3 run.").
    QString summaryText() const;
    // "checklist" (S/E) or "bot" (B1-B5): the set shown; the window follows the connection mode.
    QString currentSet() const;
    void setCurrentSet(const QString &set);
    // What a scenario logged while it ran (shown in the details pane, not the session's log).
    QStringList scenarioLog(const QString &id) const { return m_logs.value(id); }
    QTableWidget *table() const { return m_table; }

    bool exportReport(const QString &path, const QString &format, QString *error) const;

Q_SIGNALS:
    void logLine(const QString &level, const QString &text);
    void runningChanged(bool running);
    void detailsShown();

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    int rowOf(const QString &id) const;
    void setResultCell(int row, const QString &state);
    void onStarted(const QString &id);
    void onProgress(const QString &id, double elapsed, double expected);
    void onFinished(const check::ScenarioResult &r);
    void onAllFinished();
    void showDetails(int row);
    void exportDialog(const QString &format);
    void updateButtons();

    check::ScenarioRunner *m_runner;
    QList<check::ScenarioInfo> m_infos;
    QMap<QString, check::ScenarioResult> m_results;
    QMap<QString, QString> m_state; // id -> RUNNING/PASS/...
    QTableWidget *m_table;
    QPointer<QTextBrowser> m_details;
    QComboBox *m_set;
    QPushButton *m_runAll;
    QPushButton *m_runOne;
    QPushButton *m_cancel;
    QPushButton *m_export;
    QLabel *m_summary;
    std::function<QString()> m_botUrl;
    check::CheckConfig m_lastConfig;
    provider::Id m_provider = provider::Id::Twilio;
    QMap<QString, QStringList> m_logs; // id -> lines the scenario logged
    QStringList m_runIds;              // the scenarios of the current/last run
    QString m_currentId;
    bool m_cancelRequested = false;
};

} // namespace pacelab::ui
