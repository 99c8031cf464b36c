#pragma once

#include "SessionController.h"

#include <QMainWindow>
#include <functional>
#include <optional>

class QAction;
class QFrame;
class QLabel;
class QPushButton;
class QSplitter;
class QTabWidget;

namespace pacelab::ui {

class BadBotDemo;
class ChartsPanel;
class ChecklistPanel;
class ConnectionPanel;
class DoctorTab;
class LoadPage;
class ProviderSelector;
class LogPane;
class MonitorPanel;
class ReplayTab;
class SourcesPanel;
class VerdictBar;

// The window an engineer keeps open while tuning a bot. It only wires: the session (engine +
// emulator), sources (producer threads), charts, checklist, monitor and log are their own parts.
// The built-in emulator session starts at launch so the charts move at once.
//
// Hidden demo mode for docs/screenshot.png (env): PACELAB_DEMO=1 starts a tone, a short burst
// and part of the checklist; PACELAB_DEMO_SHOT=file.png grabs the window after
// PACELAB_DEMO_SECONDS (default 26) and quits. PACELAB_PAGE=doctor|replay opens on that page.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // provider: the --provider of the command line (for this run; the selector remembers
    // only what the user picks); nullopt = the remembered one ("session/provider").
    explicit MainWindow(QWidget *parent = nullptr, std::optional<provider::Id> provider = std::nullopt);
    ~MainWindow() override;

    // For tests and the demo.
    SessionController *session() const { return m_session; }
    ChartsPanel *charts() const { return m_charts; }
    SourcesPanel *sources() const { return m_sources; }
    ConnectionPanel *connectionPanel() const { return m_connection; }
    ChecklistPanel *checklist() const { return m_checklist; }
    MonitorPanel *monitor() const { return m_monitor; }
    LogPane *logPane() const { return m_log; }
    QTabWidget *leftTabs() const { return m_leftTabs; }
    QTabWidget *pages() const { return m_pages; }
    DoctorTab *doctorTab() const { return m_doctor; }
    ReplayTab *replayTab() const { return m_replay; }
    LoadPage *loadPage() const { return m_load; }
    // The one provider selector (beside the page tabs): the live session, the checklist and the
    // Load page.
    ProviderSelector *providerSelector() const { return m_provider; }
    // The permanent status-bar text naming the protocol ("Provider: Vonage (16 kHz L16, 20 ms, binary)").
    QString providerStatusText() const;

    void connectSession();
    void disconnectSession();
    void toggleConnection();

    // Narrow windows put the checklist, its details and the log in one tab widget under the
    // charts instead of side by side (each gets the full width). For tests.
    bool isCompact() const { return m_compact; }
    QTabWidget *bottomTabs() const { return m_bottomTabs; }
    // The status bar text: the session state plus what is really on the wire (sending / idle).
    QString statusBarText() const;
    // The first-run hint above the charts ("Start a test tone"), shown while nothing plays.
    QFrame *startHint() const { return m_hint; }
    VerdictBar *verdictBar() const { return m_verdict; }
    // Asked before a mode change ends a live session; a dialog by default, replaced by tests.
    void setConfirmHandler(std::function<bool(const QString &question)> confirm) { m_confirm = std::move(confirm); }
    QAction *action(const QString &objectName) const;
    // "Bad-bot demo: bypass the clock": test-a-bot mode against BadBotDemo (asks first when a
    // session is live). False when declined or the demo bot cannot start.
    bool startBypassDemo();
    BadBotDemo *badBotDemo() const { return m_badBot; }
    // Every keyboard shortcut of the window, as shown by Help > Keyboard shortcuts.
    QList<QPair<QString, QString>> shortcutList() const;
    static QString aboutText();

protected:
    void closeEvent(QCloseEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void buildUi();
    void buildActions();
    void updateModeAvailability(SessionController::Mode mode);
    void onStatus(SessionController::Status status, const QString &text);
    void exportChartsPng();
    void exportChartsCsv();
    void runChecklist();
    void saveSettings();
    void loadSettings();
    void startDemo();
    void setCompact(bool compact);
    void onModeChanged(SessionController::Mode mode);
    // The user picked another provider: the session is rebuilt with it (SessionController::
    // setProvider), asking first when a live session reaches outside this machine; the
    // emulator session restarts by itself. Remembered in QSettings.
    void onProviderChanged(provider::Id id);
    // Tells every part that streams or names the peer which provider is in use.
    void showProvider(provider::Id id);
    void updateProviderEnabled();
    void updateProviderStatus();
    void onTxSecond(const pacelab::TelemetrySnapshot &s);
    void updateStatusBar();
    void updateHint();
    void showShortcuts();
    void nameControls();

    SessionController *m_session = nullptr;
    ConnectionPanel *m_connection = nullptr;
    SourcesPanel *m_sources = nullptr;
    MonitorPanel *m_monitor = nullptr;
    ChartsPanel *m_charts = nullptr;
    ChecklistPanel *m_checklist = nullptr;
    LogPane *m_log = nullptr;
    QTabWidget *m_leftTabs = nullptr;
    QTabWidget *m_pages = nullptr;
    DoctorTab *m_doctor = nullptr;
    ReplayTab *m_replay = nullptr;
    LoadPage *m_load = nullptr;
    ProviderSelector *m_provider = nullptr;
    QLabel *m_providerStatus = nullptr;
    QTabWidget *m_bottomTabs = nullptr;
    QSplitter *m_mainSplit = nullptr;
    QSplitter *m_rightSplit = nullptr;
    QSplitter *m_bottomSplit = nullptr;
    QAction *m_connectAction = nullptr;
    QAction *m_pauseAction = nullptr;
    QLabel *m_statusLabel = nullptr;
    QAction *m_panelAction = nullptr;
    bool m_compact = false;
    QFrame *m_hint = nullptr;
    VerdictBar *m_verdict = nullptr;
    BadBotDemo *m_badBot = nullptr;
    QPushButton *m_hintButton = nullptr;
    QString m_sessionText;
    SessionController::Status m_sessionStatus = SessionController::Status::Idle;
    int m_lastFramesSent = -1; // frames sent in the last telemetry second; -1 = none yet
    SessionController::Mode m_shownMode = SessionController::Mode::Emulator;
    std::function<bool(const QString &)> m_confirm;
};

} // namespace pacelab::ui
