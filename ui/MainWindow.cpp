// The main window: it builds and wires every panel, the actions and menus, the mode and provider
// changes and the demo. Over 500 lines because the wiring is in one place; each panel is its own
// file and holds no wiring of its neighbours.
#include "MainWindow.h"

#include "BadBotDemo.h"
#include "ChartsPanel.h"
#include "ChecklistPanel.h"
#include "ConnectionPanel.h"
#include "DoctorTab.h"
#include "LoadPage.h"
#include "LogPane.h"
#include "MonitorPanel.h"
#include "ProviderSelector.h"
#include "ReplayTab.h"
#include "SettingsDialog.h"
#include "SourcesPanel.h"
#include "VerdictBar.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDesktopServices>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QAbstractSpinBox>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>
#include <QCloseEvent>
#include <QDateTime>
#include <QFileDialog>
#include <QLabel>
#include <QMenuBar>
#include <QScrollArea>
#include <QScreen>
#include <QScrollBar>
#include <QSettings>
#include <QShortcut>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTimer>
#include <QToolBar>

#include <soxr.h>
#include <espeak-ng/speak_lib.h>

// Resources live in the static pacelab_ui library: register them explicitly.
static void initPacelabResources()
{
    Q_INIT_RESOURCE(resources);
}

namespace pacelab::ui {

using Mode = SessionController::Mode;

MainWindow::MainWindow(QWidget *parent, std::optional<provider::Id> provider)
    : QMainWindow(parent)
{
    initPacelabResources();
    setWindowTitle(QStringLiteral("PaceLab — outbound audio pacing lab"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/pacelab.svg")));
    m_session = new SessionController(this, provider);
    m_badBot = new BadBotDemo(this);
    buildUi();
    buildActions();
    loadSettings();

    connect(m_session, &SessionController::statusChanged, this, &MainWindow::onStatus);
    connect(m_session, &SessionController::txSecond, this, &MainWindow::onTxSecond);
    connect(m_session, &SessionController::rxSecond, m_verdict, &VerdictBar::addRx);
    connect(m_session, &SessionController::sessionReset, m_verdict, &VerdictBar::reset);
    connect(m_verdict, &VerdictBar::bargeInRequested, this, [this] {
        if (!m_session->startBargeIn(1500)) {
            m_log->append(QStringLiteral("error"), tr("Barge in: no emulator session to speak in"));
            return;
        }
        m_verdict->setBargeIn({true, false, -1});
        m_log->append(QStringLiteral("info"), tr("Barge in: the emulator speaks over the bot for 1.5 s"));
    });
    connect(m_session, &SessionController::bargeInFinished, this, [this](const BargeInResult &r) {
        m_verdict->setBargeIn({true, true, r.clearReceived ? r.clearLatencyMs : -1});
        m_log->append(r.clearReceived ? QStringLiteral("info") : QStringLiteral("warning"), tr("Barge in: %1").arg(r.verdict));
    });
    connect(m_sources, &SourcesPanel::runningChanged, this, &MainWindow::updateHint);
    connect(m_sources, &SourcesPanel::bypassDemoRequested, this, &MainWindow::startBypassDemo);
    connect(m_session, &SessionController::sessionReset, m_charts, &ChartsPanel::clear);
    connect(m_session, &SessionController::txSecond, m_charts, &ChartsPanel::addTx);
    connect(m_session, &SessionController::rxSecond, m_charts, &ChartsPanel::addRx);
    connect(m_session, &SessionController::logLine, m_log, &LogPane::append);
    connect(m_session, &SessionController::mediaReceived, m_monitor, &MonitorPanel::play);
    connect(m_monitor, &MonitorPanel::playingChanged, m_session, &SessionController::setForwardMedia);
    connect(m_monitor, &MonitorPanel::logLine, m_log, &LogPane::append);
    connect(m_sources, &SourcesPanel::logLine, m_log, &LogPane::append);
    connect(m_sources, &SourcesPanel::clearRequested, this, [this] {
        m_session->clearAudio();
        m_log->append(QStringLiteral("info"), tr("Clear (barge-in): queue emptied, clear sent"));
    });
    connect(m_checklist, &ChecklistPanel::logLine, m_log, &LogPane::append);
    connect(m_checklist, &ChecklistPanel::detailsShown, this, [this] {
        // Keep the log in view while a run goes on; in the compact layout the checklist itself
        // is a tab, and jumping away from it at each selection would hide it.
        if (m_checklist->isRunning() || m_compact)
            return;
        m_bottomTabs->setCurrentWidget(m_checklist->detailsView());
    });
    m_checklist->setBotUrlProvider([this] {
        return m_connection->mode() == Mode::TestBot ? m_connection->botUrl() : QString();
    });
    connect(m_connection, &ConnectionPanel::connectRequested, this, &MainWindow::connectSession);
    connect(m_connection, &ConnectionPanel::disconnectRequested, this, &MainWindow::disconnectSession);
    connect(m_connection, &ConnectionPanel::modeChanged, this, &MainWindow::onModeChanged);
    m_provider->setProvider(m_session->provider()); // before the connection: not a user's change
    showProvider(m_session->provider());
    connect(m_provider, &ProviderSelector::providerChanged, this, &MainWindow::onProviderChanged);
    connect(m_checklist, &ChecklistPanel::runningChanged, this, &MainWindow::updateProviderEnabled);
    connect(m_load, &LoadPage::runningChanged, this, &MainWindow::updateProviderEnabled);

    m_shownMode = m_connection->mode();
    updateModeAvailability(m_connection->mode());
    m_checklist->setCurrentSet(m_connection->mode() == Mode::TestBot ? QStringLiteral("bot") : QStringLiteral("checklist"));
    nameControls();
    // Return on a focused button presses it (Qt only does that in dialogs), for every button.
    qApp->installEventFilter(this);
    m_log->append(QStringLiteral("info"), tr("PaceLab %1 started").arg(QStringLiteral(PACELAB_VERSION)));
    if (!m_session->providerProblem().isEmpty())
        m_log->append(QStringLiteral("warning"), tr("Provider: %1").arg(m_session->providerProblem()));
    else if (provider)
        m_log->append(QStringLiteral("info"), tr("Provider from the command line (this run only): %1")
                                                  .arg(ProviderSelector::describe(*provider)));
    if (!m_session->settingsProblem().isEmpty())
        m_log->append(QStringLiteral("warning"), tr("Settings not used (defaults instead): %1").arg(m_session->settingsProblem()));
    if (!m_sources->micUnavailableReason().isEmpty())
        m_log->append(QStringLiteral("info"), tr("%1: microphone disabled").arg(m_sources->micUnavailableReason()));
    if (!m_monitor->isAvailable())
        m_log->append(QStringLiteral("info"), tr("%1: monitor disabled").arg(m_monitor->unavailableReason()));

    // The built-in emulator starts at launch so the app is useful at once; other modes reach
    // out to the network and wait for the user's Connect.
    if (m_connection->mode() == Mode::Emulator)
        QTimer::singleShot(0, this, &MainWindow::connectSession);
    if (qEnvironmentVariableIntValue("PACELAB_DEMO") == 1)
        QTimer::singleShot(0, this, &MainWindow::startDemo);
}

MainWindow::~MainWindow()
{
    qApp->removeEventFilter(this);
    // Producers push into the engine's queue: stop them before the session (and engine) go.
    delete m_sources;
    m_sources = nullptr;
    m_badBot->stop();
    m_session->stop();
}

void MainWindow::buildUi()
{
    m_connection = new ConnectionPanel;
    m_sources = new SourcesPanel(m_session->queue());
    m_monitor = new MonitorPanel;
    m_charts = new ChartsPanel;
    m_checklist = new ChecklistPanel;
    m_log = new LogPane;

    m_leftTabs = new QTabWidget;
    auto scrolled = [](QWidget *w) {
        auto *area = new QScrollArea;
        area->setWidget(w);
        area->setWidgetResizable(true);
        area->setFrameShape(QFrame::NoFrame);
        area->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
        // Never narrower than the panel needs: clipped controls would be unreachable.
        area->setMinimumWidth(w->minimumSizeHint().width() + area->verticalScrollBar()->sizeHint().width() + 4);
        return area;
    };
    m_leftTabs->addTab(scrolled(m_connection), tr("Connection"));
    m_leftTabs->addTab(scrolled(m_sources), tr("Sources"));
    m_leftTabs->addTab(scrolled(m_monitor), tr("Monitor"));
    

    m_bottomTabs = new QTabWidget;
    m_bottomTabs->setObjectName(QStringLiteral("bottomTabs"));
    m_bottomTabs->addTab(m_log, tr("Log"));
    m_bottomTabs->addTab(m_checklist->detailsView(), tr("Scenario details"));

    m_bottomSplit = new QSplitter(Qt::Horizontal);
    m_bottomSplit->addWidget(m_checklist);
    m_bottomSplit->addWidget(m_bottomTabs);
    m_bottomSplit->setStretchFactor(0, 2);
    m_bottomSplit->setStretchFactor(1, 1);
    m_bottomSplit->setSizes({640, 300});

    // First run: connected, every chart flat, and the first step hidden in the Sources tab.
    m_hint = new QFrame;
    m_hint->setObjectName(QStringLiteral("startHint"));
    m_hint->setFrameShape(QFrame::StyledPanel);
    m_hint->setStyleSheet(QStringLiteral("QFrame#startHint { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 4px; }"));
    auto *hintText = new QLabel(tr("Nothing is playing yet: the charts move once a source sends audio."), m_hint);
    hintText->setWordWrap(true);
    m_hintButton = new QPushButton(tr("Start a test tone"), m_hint);
    m_hintButton->setObjectName(QStringLiteral("startToneHint"));
    m_hintButton->setToolTip(tr("Starts the 440 Hz tone of the Sources tab (Ctrl+T starts and stops it)"));
    connect(m_hintButton, &QPushButton::clicked, this, [this] {
        m_sources->startSource(QStringLiteral("tone"));
        updateHint();
    });
    auto *hintLayout = new QHBoxLayout(m_hint);
    hintLayout->setContentsMargins(6, 2, 6, 2);
    hintLayout->addWidget(hintText, 1);
    hintLayout->addWidget(m_hintButton);
    m_hint->hide();
    auto *chartsBox = new QWidget;
    auto *chartsBoxLayout = new QVBoxLayout(chartsBox);
    chartsBoxLayout->setContentsMargins(0, 0, 0, 0);
    chartsBoxLayout->setSpacing(2);
    chartsBoxLayout->addWidget(m_hint);
    m_verdict = new VerdictBar;
    chartsBoxLayout->addWidget(m_verdict);
    chartsBoxLayout->addWidget(m_charts, 1);

    m_rightSplit = new QSplitter(Qt::Vertical);
    m_rightSplit->addWidget(chartsBox);
    m_rightSplit->addWidget(m_bottomSplit);
    m_rightSplit->setStretchFactor(0, 3);
    m_rightSplit->setStretchFactor(1, 2);
    m_rightSplit->setSizes({440, 280});

    m_mainSplit = new QSplitter(Qt::Horizontal);
    m_mainSplit->addWidget(m_leftTabs);
    m_mainSplit->addWidget(m_rightSplit);
    m_mainSplit->setStretchFactor(0, 0);
    m_mainSplit->setStretchFactor(1, 1);
    m_mainSplit->setCollapsible(0, true); // Ctrl+B hides the side panel on a small screen
    m_mainSplit->setCollapsible(1, false);
    m_rightSplit->setCollapsible(0, false);
    m_rightSplit->setCollapsible(1, false);
    m_mainSplit->setSizes({380, 900});
    m_mainSplit->setContentsMargins(4, 0, 4, 0);

    // Offline tools get whole pages: they need the width the live layout uses.
    m_doctor = new DoctorTab;
    m_pages = new QTabWidget;
    m_pages->setObjectName(QStringLiteral("pages"));
    m_pages->setDocumentMode(true);
    m_pages->addTab(m_mainSplit, tr("Live session"));
    m_pages->addTab(m_doctor, tr("Log doctor"));
    m_replay = new ReplayTab;
    m_pages->addTab(m_replay, tr("Replay"));
    auto *load = new LoadPage; // many concurrent calls against a bot (`pacelab load`)
    m_load = load;
    m_pages->addTab(load, tr("Load"));
    connect(load, &LoadPage::logLine, m_log, &LogPane::append);
    const QString page = qEnvironmentVariable("PACELAB_PAGE");
    if (page == QLatin1String("doctor"))
        m_pages->setCurrentWidget(m_doctor);
    else if (page == QLatin1String("replay"))
        m_pages->setCurrentWidget(m_replay);
    else if (page == QLatin1String("load"))
        m_pages->setCurrentWidget(load);
    setCentralWidget(m_pages);

    m_statusLabel = new QLabel;
    m_statusLabel->setObjectName(QStringLiteral("statusText"));
    statusBar()->addWidget(m_statusLabel, 1);
    // Which protocol is judged, always on screen (and in every screenshot of the window).
    m_providerStatus = new QLabel;
    m_providerStatus->setObjectName(QStringLiteral("providerStatus"));
    statusBar()->addPermanentWidget(m_providerStatus);
    // Sized to the screen it opens on (a remembered geometry wins, see loadSettings): the whole
    // available area up to 1280x800 screens, 85 % of a larger one, never more than 1600x1000
    // by default.
    const QRect avail = screen() ? screen()->availableGeometry() : QRect(0, 0, 1280, 800);
    QSize size = avail.size();
    if (size.width() > 1280 || size.height() > 800)
        size = QSize(std::clamp(int(size.width() * 0.85), 1280, 1600), std::clamp(int(size.height() * 0.85), 800, 1000))
                   .boundedTo(avail.size());
    setCompact(size.width() < 1400); // before the first layout: its minimum must allow this size
    resize(size);
    move(avail.topLeft() + QPoint((avail.width() - size.width()) / 2, (avail.height() - size.height()) / 2));
}

void MainWindow::resizeEvent(QResizeEvent *event)
{
    QMainWindow::resizeEvent(event);
    // Side by side, the checklist table (its PASS/FAIL column) and the log each need ~600 px.
    setCompact(width() < 1400);
    updateProviderStatus();
}

void MainWindow::setCompact(bool compact)
{
    if (compact == m_compact && m_checklist->parentWidget())
        return;
    m_compact = compact;
    const int current = m_bottomTabs->currentIndex();
    const bool checklistShown = m_bottomTabs->currentWidget() == m_checklist;
    if (compact) {
        m_bottomTabs->insertTab(0, m_checklist, tr("Checklist"));
        m_bottomTabs->setCurrentIndex(checklistShown || current < 0 ? 0 : current + 1);
    } else {
        m_bottomSplit->insertWidget(0, m_checklist); // QTabWidget drops the tab of a moved page
        m_checklist->show();
        m_bottomSplit->setStretchFactor(0, 2);
        m_bottomSplit->setStretchFactor(1, 1);
        m_bottomSplit->setSizes({width() * 6 / 10, width() * 4 / 10});
    }
}

QAction *MainWindow::action(const QString &objectName) const
{
    return findChild<QAction *>(objectName);
}

void MainWindow::buildActions()
{
    auto makeAction = [this](const QString &name, const QString &text, const QKeySequence &key, const QString &tip) {
        auto *a = new QAction(text, this);
        a->setObjectName(name);
        if (!key.isEmpty())
            a->setShortcut(key);
        a->setToolTip(key.isEmpty() ? tip : tr("%1 (%2)").arg(tip, key.toString(QKeySequence::NativeText)));
        addAction(a); // window-wide, menu or not
        return a;
    };
    auto *tb = addToolBar(tr("Main"));
    tb->setObjectName(QStringLiteral("mainToolBar"));
    tb->setMovable(false);
    tb->setToolButtonStyle(Qt::ToolButtonTextOnly);

    m_connectAction = makeAction(QStringLiteral("connectAction"), tr("Connect"), QKeySequence(Qt::CTRL | Qt::Key_K), tr("Connect or disconnect"));
    connect(m_connectAction, &QAction::triggered, this, &MainWindow::toggleConnection);

    auto *runAction = makeAction(QStringLiteral("runChecklist"), tr("Run checklist"), QKeySequence(Qt::CTRL | Qt::Key_R), tr("Run every scenario of the checklist set"));
    connect(runAction, &QAction::triggered, this, &MainWindow::runChecklist);
    // Esc cancels a run; it is a window shortcut only while a run goes on, so Esc still closes
    // popups and menus otherwise.
    auto *cancelAction = makeAction(QStringLiteral("cancelChecklist"), tr("Cancel checklist"), QKeySequence(Qt::Key_Escape), tr("Cancel the running checklist"));
    cancelAction->setEnabled(false);
    connect(cancelAction, &QAction::triggered, m_checklist, &ChecklistPanel::cancel);
    connect(m_checklist, &ChecklistPanel::runningChanged, cancelAction, &QAction::setEnabled);
    auto *exportAction = makeAction(QStringLiteral("exportReport"), tr("Export checklist report…"), QKeySequence(Qt::CTRL | Qt::Key_E), tr("Save the checklist results as an HTML report"));
    connect(exportAction, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export checklist report"), QStringLiteral("pacelab-checklist.html"), tr("HTML report (*.html)"));
        if (path.isEmpty())
            return;
        QString error;
        if (m_checklist->exportReport(path, QStringLiteral("html"), &error))
            m_log->append(QStringLiteral("info"), tr("Checklist report written to %1").arg(path));
        else
            m_log->append(QStringLiteral("error"), error);
    });

    // Not Space: a focused button must keep it.
    m_pauseAction = makeAction(QStringLiteral("pauseCharts"), tr("Pause charts"), QKeySequence(Qt::CTRL | Qt::Key_P), tr("Freeze the charts; data keeps being recorded"));
    m_pauseAction->setCheckable(true);
    connect(m_pauseAction, &QAction::toggled, m_charts, &ChartsPanel::setPaused);
    connect(m_charts, &ChartsPanel::pausedChanged, this, [this](bool p) {
        m_pauseAction->setChecked(p);
        m_pauseAction->setText(p ? tr("Resume charts") : tr("Pause charts"));
    });

    auto *toneAction = makeAction(QStringLiteral("toggleTone"), tr("Start/stop test tone"), QKeySequence(Qt::CTRL | Qt::Key_T), tr("Start or stop the tone source"));
    connect(toneAction, &QAction::triggered, this, [this] {
        if (m_sources->isRunning(QStringLiteral("tone")))
            m_sources->stopSource(QStringLiteral("tone"));
        else if (m_sources->isEnabled())
            m_sources->startSource(QStringLiteral("tone"));
        updateHint();
    });
    auto *stopAllAction = makeAction(QStringLiteral("stopSources"), tr("Stop all sources"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T), tr("Stop every running source"));
    connect(stopAllAction, &QAction::triggered, m_sources, &SourcesPanel::stopAll);
    auto *bargeAction = makeAction(QStringLiteral("bargeIn"), tr("Clear (barge-in)"), QKeySequence(Qt::CTRL | Qt::Key_B), tr("Empty the queue and send Twilio's clear"));
    connect(bargeAction, &QAction::triggered, m_sources, &SourcesPanel::clearRequested);

    m_panelAction = makeAction(QStringLiteral("sidePanel"), tr("Side panel"), QKeySequence(Qt::Key_F9), tr("Show or hide the Connection/Sources/Monitor panel"));
    m_panelAction->setCheckable(true);
    m_panelAction->setChecked(true);
    connect(m_panelAction, &QAction::toggled, m_leftTabs, &QWidget::setVisible);

    auto *pngAction = makeAction(QStringLiteral("exportPng"), tr("Export charts PNG…"), {}, tr("Save the charts as a PNG image"));
    connect(pngAction, &QAction::triggered, this, &MainWindow::exportChartsPng);
    auto *csvAction = makeAction(QStringLiteral("exportCsv"), tr("Export data CSV…"), {}, tr("Save the chart data as CSV"));
    connect(csvAction, &QAction::triggered, this, &MainWindow::exportChartsCsv);

    tb->addAction(m_connectAction);
    tb->addSeparator();
    tb->addAction(runAction);
    tb->addSeparator();
    tb->addAction(m_pauseAction);
    tb->addAction(pngAction);
    tb->addAction(csvAction);
    // The tab row of the pages has room to spare at every width (a toolbar would push the
    // selector into its overflow menu at 1024 px), and it is on screen whatever the page.
    m_provider = new ProviderSelector;
    m_pages->setCornerWidget(m_provider, Qt::TopRightCorner);

    auto *file = menuBar()->addMenu(tr("&File"));
    file->addAction(pngAction);
    file->addAction(csvAction);
    file->addAction(exportAction);
    file->addSeparator();
    auto *quit = file->addAction(tr("Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    auto *session = menuBar()->addMenu(tr("&Session"));
    session->addAction(m_connectAction);
    session->addSeparator();
    session->addAction(toneAction);
    session->addAction(stopAllAction);
    session->addAction(bargeAction);
    session->addSeparator();
    session->addAction(runAction);
    session->addAction(cancelAction);
    session->addSeparator();
    session->addAction(tr("Settings…"), this, [this] { SettingsDialog(this).exec(); })->setObjectName(QStringLiteral("settingsAction"));
    auto *view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_pauseAction);
    view->addAction(m_panelAction);

    auto *help = menuBar()->addMenu(tr("&Help"));
    auto *keys = help->addAction(tr("Keyboard shortcuts"), this, &MainWindow::showShortcuts);
    keys->setObjectName(QStringLiteral("helpShortcuts"));
    keys->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("Documentation"), this, [] {
        // Installed docs first, then the source tree's next to a build.
        const QString app = QCoreApplication::applicationDirPath();
        for (const QString &dir : {app + QStringLiteral("/../share/doc/pacelab"), app + QStringLiteral("/../../docs"),
                                   app + QStringLiteral("/../docs")})
            if (QFileInfo::exists(dir + QStringLiteral("/ui.md"))) {
                QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(dir + QStringLiteral("/ui.md")).canonicalFilePath()));
                return;
            }
        QDesktopServices::openUrl(QUrl(QStringLiteral("https://github.com/search?q=pacelab+docs%2Fui.md&type=code")));
    });
    help->addSeparator();
    help->addAction(tr("About PaceLab"), this, [this] { QMessageBox::about(this, tr("About PaceLab"), aboutText()); });
    help->addAction(tr("About Qt"), qApp, &QApplication::aboutQt);
}

QString MainWindow::aboutText()
{
    const char *path = nullptr;
    const QString espeak = QString::fromLatin1(espeak_Info(&path));
    return tr("<h3>PaceLab %1</h3><p>Pacing diagnostics for the outbound audio of Twilio Media Streams bots.</p>"
              "<p>Qt %2 (built with %3)<br>libsoxr %4<br>espeak-ng %5</p>")
        .arg(QStringLiteral(PACELAB_VERSION), QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR),
             QString::fromLatin1(soxr_version()).remove(QStringLiteral("libsoxr-")), espeak);
}

QList<QPair<QString, QString>> MainWindow::shortcutList() const
{
    QList<QPair<QString, QString>> out;
    for (QAction *a : actions())
        if (!a->shortcut().isEmpty())
            out << qMakePair(a->shortcut().toString(QKeySequence::NativeText), a->text().remove(QLatin1Char('&')));
    out << qMakePair(tr("Space / Return"), tr("Press the focused button"));
    out << qMakePair(QKeySequence(QKeySequence::HelpContents).toString(QKeySequence::NativeText), tr("This list"));
    out << qMakePair(QKeySequence(QKeySequence::Quit).toString(QKeySequence::NativeText), tr("Quit"));
    return out;
}

void MainWindow::showShortcuts()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Keyboard shortcuts"));
    auto *table = new QTableWidget(&dialog);
    const auto list = shortcutList();
    table->setColumnCount(2);
    table->setRowCount(int(list.size()));
    table->setHorizontalHeaderLabels({tr("Keys"), tr("Does")});
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setAccessibleName(tr("Keyboard shortcuts"));
    for (int i = 0; i < list.size(); ++i) {
        table->setItem(i, 0, new QTableWidgetItem(list[i].first));
        table->setItem(i, 1, new QTableWidgetItem(list[i].second));
    }
    table->resizeColumnsToContents();
    table->horizontalHeader()->setStretchLastSection(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto *layout = new QVBoxLayout(&dialog);
    layout->addWidget(table);
    layout->addWidget(buttons);
    dialog.resize(460, 420);
    dialog.exec();
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        auto *button = qobject_cast<QAbstractButton *>(watched);
        if (button && (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) && key->modifiers() == Qt::NoModifier
            && button->window() == this && button->isEnabled() && !qobject_cast<QDialog *>(button->window())) {
            button->animateClick();
            return true;
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::nameControls()
{
    // Every control gets an accessible name: its own text, else the label in front of it, else
    // its tooltip or placeholder. Screen readers read it; the tests check none is left empty.
    for (QWidget *w : findChildren<QWidget *>()) {
        const bool control = qobject_cast<QAbstractButton *>(w) || qobject_cast<QComboBox *>(w)
                             || qobject_cast<QLineEdit *>(w) || qobject_cast<QAbstractSpinBox *>(w)
                             || qobject_cast<QPlainTextEdit *>(w) || qobject_cast<QTabWidget *>(w)
                             || qobject_cast<QAbstractItemView *>(w);
        if (!control || !w->accessibleName().isEmpty() || qobject_cast<QLineEdit *>(w->parentWidget())
            || qobject_cast<QComboBox *>(w->parentWidget()) || qobject_cast<QAbstractSpinBox *>(w->parentWidget()))
            continue;
        QString name;
        if (auto *b = qobject_cast<QAbstractButton *>(w))
            name = b->text().remove(QLatin1Char('&'));
        if (name.isEmpty() || name == QStringLiteral("…") || name == QStringLiteral("..."))
            name = w->toolTip();
        if (name.isEmpty())
            for (QLabel *l : w->parentWidget()->findChildren<QLabel *>())
                if (l->buddy() == w)
                    name = l->text().remove(QLatin1Char('&'));
        if (auto *e = qobject_cast<QLineEdit *>(w); e && name.isEmpty())
            name = e->placeholderText();
        if (auto *e = qobject_cast<QPlainTextEdit *>(w); e && name.isEmpty())
            name = e->placeholderText();
        if (name.isEmpty())
            name = w->objectName();
        w->setAccessibleName(name);
    }
}

void MainWindow::connectSession()
{
    if (m_session->isActive())
        m_session->stop();
    QString error;
    const auto p = m_connection->params();
    updateModeAvailability(p.mode);
    m_lastFramesSent = -1;
    if (!m_session->start(p, &error)) {
        m_log->append(QStringLiteral("error"), error);
        m_connection->setActive(false);
        m_connectAction->setText(tr("Connect"));
        return;
    }
    m_connection->setActive(true);
    m_connectAction->setText(tr("Disconnect"));
}

bool MainWindow::startBypassDemo()
{
    if (m_connection->mode() != Mode::TestBot) {
        m_connection->setMode(Mode::TestBot); // asks first when a session is live
        if (m_connection->mode() != Mode::TestBot)
            return false;
    }
    if (m_session->isActive())
        disconnectSession();
    QString error;
    if (!m_badBot->start(&error)) {
        m_log->append(QStringLiteral("error"), error);
        return false;
    }
    m_connection->setBotUrl(m_badBot->url().toString());
    m_log->append(QStringLiteral("info"),
                  tr("Bad-bot demo: a bot at %1 sends each frame as soon as it is queued, no 20 ms clock. "
                     "Watch Buffered at Twilio and the Pace and Buffer badges; then press Barge in now.")
                      .arg(m_badBot->url().toString()));
    connectSession();
    return true;
}

void MainWindow::disconnectSession()
{
    m_session->stop();
    m_badBot->stop();
    m_connection->setActive(false);
    m_connectAction->setText(tr("Connect"));
    m_lastFramesSent = -1;
    updateHint();
}

void MainWindow::toggleConnection()
{
    // A failed session is over for the user (the panel is editable again): Connect retries.
    if (m_session->isActive() && m_session->status() != SessionController::Status::Failed)
        disconnectSession();
    else
        connectSession();
}

void MainWindow::onStatus(SessionController::Status status, const QString &text)
{
    m_sessionStatus = status;
    m_sessionText = text;
    m_connection->setStatus(status, text);
    if (status == SessionController::Status::Failed) {
        // The error stays on screen; the fields and the mode are editable again and the button
        // offers Connect (a retry), whatever the session object still holds.
        m_connection->setActive(false);
        m_connectAction->setText(tr("Connect"));
        m_log->append(QStringLiteral("error"), text);
    }
    if (status != SessionController::Status::Live)
        m_lastFramesSent = -1;
    updateStatusBar();
    updateHint();
}

void MainWindow::onTxSecond(const TelemetrySnapshot &s)
{
    m_lastFramesSent = int(s.framesSent);
    updateStatusBar();
    updateHint();
}

QString MainWindow::statusBarText() const
{
    return m_statusLabel->text();
}

void MainWindow::updateStatusBar()
{
    QString text = m_sessionText;
    // What is on the wire, from the last telemetry second, not from the connection state.
    if (m_sessionStatus == SessionController::Status::Live && m_session->mode() != Mode::TestBot) {
        if (m_lastFramesSent > 0)
            text += tr(" — sending %1 frames/s").arg(m_lastFramesSent);
        else if (m_lastFramesSent == 0)
            text += tr(" — idle: no source is playing");
    }
    m_statusLabel->setText(text);
}

void MainWindow::updateHint()
{
    const bool show = m_sessionStatus == SessionController::Status::Live && m_session->mode() != Mode::TestBot
                      && m_sources->runningCount() == 0 && m_lastFramesSent <= 0;
    m_hint->setVisible(show);
}

void MainWindow::onModeChanged(Mode mode)
{
    if (mode == m_shownMode)
        return;
    const bool live = m_session->isActive() && m_session->status() != SessionController::Status::Failed
                      && m_session->status() != SessionController::Status::Idle;
    if (live) {
        const QString question = tr("Switching to \"%1\" ends the current session (%2). Disconnect and switch?")
                                     .arg(SessionController::modeName(mode), SessionController::modeName(m_shownMode));
        const bool yes = m_confirm ? m_confirm(question)
                                   : QMessageBox::question(this, tr("Change mode"), question,
                                                           QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes)
                                         == QMessageBox::Yes;
        if (!yes) {
            // Back to the session's mode; that change comes here again and stops at the top.
            m_connection->setMode(m_shownMode);
            return;
        }
        disconnectSession();
        m_log->append(QStringLiteral("info"), tr("Mode changed to %1: session disconnected").arg(SessionController::modeName(mode)));
    }
    m_shownMode = mode;
    if (mode != Mode::TestBot)
        m_badBot->stop();
    updateModeAvailability(mode);
    // The checklist set follows the mode: your bot's scenarios when testing a bot.
    m_checklist->setCurrentSet(mode == Mode::TestBot ? QStringLiteral("bot") : QStringLiteral("checklist"));
    // The emulator is local and harmless: it starts at once, as at launch.
    if (mode == Mode::Emulator && live)
        connectSession();
}

void MainWindow::onProviderChanged(provider::Id id)
{
    if (id == m_session->provider()) {
        showProvider(id);
        return;
    }
    const provider::Id old = m_session->provider();
    const bool live = m_session->isActive() && m_session->status() != SessionController::Status::Failed
                      && m_session->status() != SessionController::Status::Idle;
    const bool emulatorOnly = m_session->mode() == Mode::Emulator;
    if (live && !emulatorOnly) {
        const QString question = tr("Speaking %1 instead of %2 ends the current session (%3). Disconnect and switch?")
                                     .arg(ProviderSelector::shortName(id), ProviderSelector::shortName(old),
                                          SessionController::modeName(m_session->mode()));
        const bool yes = m_confirm ? m_confirm(question)
                                   : QMessageBox::question(this, tr("Change provider"), question,
                                                           QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes)
                                         == QMessageBox::Yes;
        if (!yes) {
            const QSignalBlocker block(m_provider);
            m_provider->setProvider(old);
            return;
        }
    }
    const bool playing = m_sources->runningCount() > 0;
    if (m_session->isActive())
        disconnectSession();
    // The engine's settings are fixed for its life: a new session, so a new queue. The sources
    // stop first (they push into the old queue, and framed the old provider's audio).
    m_sources->setQueue(nullptr);
    m_session->setProvider(id);
    m_sources->setQueue(m_session->queue());
    showProvider(id);
    QSettings s;
    ProviderSelector::save(s, id);
    QString what = tr("Provider: %1.").arg(ProviderSelector::describe(id));
    if (live && emulatorOnly)
        what += tr(" The emulator session restarted with it.");
    else if (live)
        what += tr(" The session was disconnected: Connect starts it with %1.").arg(ProviderSelector::shortName(id));
    else
        what += tr(" The next session uses it.");
    if (playing)
        what += tr(" Sources were stopped.");
    m_log->append(QStringLiteral("info"), what);
    if (live && emulatorOnly)
        connectSession();
}

void MainWindow::showProvider(provider::Id id)
{
    const QString peer = ProviderSelector::shortName(id);
    m_checklist->setProvider(id);
    m_load->setProvider(id);
    m_badBot->setProvider(id);
    m_monitor->setFormat(provider::profile(id).outboundFormat()); // the bot's audio the emulator hears
    m_sources->setFormat(provider::profile(id).outboundFormat());
    const SenderConfig &cfg = m_session->engine()->config();
    m_charts->setQueueLimits(cfg.queueCapacity, cfg.highWater);
    m_charts->setProvider(peer, provider::profile(id).outboundFormat().frameMs);
    m_verdict->setPeerName(peer);
    m_verdict->setFormat(provider::profile(id).outboundFormat());
    updateProviderStatus();
    m_providerStatus->setToolTip(tr("The protocol of the live session, the checklist and the Load page: %1 — %2")
                                     .arg(provider::profile(id).displayName(), ProviderSelector::wireText(id)));
}

void MainWindow::updateProviderStatus()
{
    if (!m_providerStatus || !m_session)
        return;
    // Narrow windows: the name only (the selector beside the page tabs shows the format), so the
    // session's own status keeps its room.
    const provider::Id id = m_session->provider();
    m_providerStatus->setText(tr("Provider: %1").arg(m_compact ? ProviderSelector::shortName(id) : ProviderSelector::compactText(id)));
}

QString MainWindow::providerStatusText() const
{
    return m_providerStatus->text();
}

void MainWindow::updateProviderEnabled()
{
    // A run keeps the protocol it started with; switching under it would misname its results.
    const bool busy = m_checklist->isRunning() || m_load->isRunning();
    // Only the choice is locked: the name and the format stay readable.
    m_provider->comboBox()->setEnabled(!busy);
    m_provider->setToolTip(busy ? tr("The provider is fixed while the checklist or a load run goes on") : QString());
}

void MainWindow::updateModeAvailability(Mode mode)
{
    const bool rx = mode == Mode::Emulator || mode == Mode::TestBot;
    const bool tx = mode != Mode::TestBot;
    m_charts->setReceiverAvailable(rx, tr("no emulator in this mode: Twilio's side is not visible"));
    m_charts->setSenderAvailable(tx, tr("the bot sends in this mode: PaceLab's sender is idle"));
    m_verdict->setVisible(rx); // judged from the emulator's side: nothing to show without it
    if (!tx)
        m_sources->stopAll(); // they would feed a sender nobody listens to
    m_sources->setEnabled(tx);
    m_sources->setModeNote(tx ? QString() : tr("Sources are off in test-a-bot mode: the bot sends the audio."));
    updateHint();
}

void MainWindow::exportChartsPng()
{
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export charts"),
        QStringLiteral("pacelab-charts-%1.png").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))),
        tr("PNG image (*.png)"));
    if (path.isEmpty())
        return;
    QString error;
    if (m_charts->exportPng(path, &error))
        m_log->append(QStringLiteral("info"), tr("Charts written to %1").arg(path));
    else
        m_log->append(QStringLiteral("error"), error);
}

void MainWindow::exportChartsCsv()
{
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export chart data"),
        QStringLiteral("pacelab-data-%1.csv").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))),
        tr("CSV (*.csv)"));
    if (path.isEmpty())
        return;
    QString error;
    if (m_charts->exportCsv(path, &error))
        m_log->append(QStringLiteral("info"), tr("Chart data written to %1").arg(path));
    else
        m_log->append(QStringLiteral("error"), error);
}

void MainWindow::runChecklist()
{
    if (m_checklist->isRunning()) {
        m_log->append(QStringLiteral("info"), tr("The checklist is already running"));
        return;
    }
    m_checklist->runAll();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    m_checklist->cancel();
    QMainWindow::closeEvent(event);
}

void MainWindow::saveSettings()
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("window/mainSplit"), m_mainSplit->saveState());
    s.setValue(QStringLiteral("window/rightSplit"), m_rightSplit->saveState());
    s.setValue(QStringLiteral("window/bottomSplit"), m_bottomSplit->saveState());
    s.setValue(QStringLiteral("window/leftTab"), m_leftTabs->currentIndex());
    m_connection->saveSettings(s);
    m_sources->saveSettings(s);
    m_monitor->saveSettings(s);
}

void MainWindow::loadSettings()
{
    if (qEnvironmentVariableIntValue("PACELAB_DEMO") == 1)
        return; // the demo/screenshot shows the defaults, whatever this machine remembers
    QSettings s;
    if (s.contains(QStringLiteral("window/geometry")))
        restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    m_mainSplit->restoreState(s.value(QStringLiteral("window/mainSplit")).toByteArray());
    m_rightSplit->restoreState(s.value(QStringLiteral("window/rightSplit")).toByteArray());
    m_bottomSplit->restoreState(s.value(QStringLiteral("window/bottomSplit")).toByteArray());
    m_leftTabs->setCurrentIndex(s.value(QStringLiteral("window/leftTab"), 0).toInt());
    m_connection->loadSettings(s);
    m_sources->loadSettings(s);
    m_monitor->loadSettings(s);
}

void MainWindow::startDemo()
{
    m_leftTabs->setCurrentIndex(1);
    m_log->append(QStringLiteral("info"), tr("Demo: tone at 440 Hz, a 3 s burst at 12 s, part of the checklist"));
    QTimer::singleShot(1000, this, [this] {
        m_sources->setTone(440, -12);
        m_sources->startSource(QStringLiteral("tone"));
    });
    QTimer::singleShot(12000, this, [this] { m_sources->setBurst(true); });
    QTimer::singleShot(15000, this, [this] { m_sources->setBurst(false); });
    if (qEnvironmentVariable("PACELAB_DEMO_CHECKLIST") != QLatin1String("0"))
        QTimer::singleShot(3000, this, [this] {
        m_checklist->runScenarios({QStringLiteral("E1"), QStringLiteral("S5"),
                                   QStringLiteral("S2"), QStringLiteral("S4")});
    });
    const QString shot = qEnvironmentVariable("PACELAB_DEMO_SHOT");
    if (!shot.isEmpty()) {
        const int secs = qEnvironmentVariableIsSet("PACELAB_DEMO_SECONDS")
                             ? qEnvironmentVariableIntValue("PACELAB_DEMO_SECONDS") : 26;
        QTimer::singleShot(secs * 1000, this, [this, shot] {
            const QPixmap pix = grab();
            if (!pix.save(shot, "PNG"))
                qWarning("pacelab demo: could not write %s", qPrintable(shot));
            else
                qInfo("pacelab demo: screenshot written to %s", qPrintable(shot));
            close();
            QApplication::quit();
        });
    }
}

} // namespace pacelab::ui
