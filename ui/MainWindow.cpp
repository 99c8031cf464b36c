#include "MainWindow.h"

#include "ChartsPanel.h"
#include "ChecklistPanel.h"
#include "ConnectionPanel.h"
#include "DoctorTab.h"
#include "LoadPage.h"
#include "LogPane.h"
#include "MonitorPanel.h"
#include "ReplayTab.h"
#include "SettingsDialog.h"
#include "SourcesPanel.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QFileDialog>
#include <QLabel>
#include <QMenuBar>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTimer>
#include <QToolBar>

// Resources live in the static pacelab_ui library: register them explicitly.
static void initPacelabResources()
{
    Q_INIT_RESOURCE(resources);
}

namespace pacelab::ui {

using Mode = SessionController::Mode;

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    initPacelabResources();
    setWindowTitle(QStringLiteral("PaceLab — outbound audio pacing lab"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/pacelab.svg")));
    m_session = new SessionController(this);
    buildUi();
    buildActions();
    loadSettings();

    connect(m_session, &SessionController::statusChanged, this, &MainWindow::onStatus);
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
        if (m_checklist->isRunning())
            return; // keep the log in view while a run goes on
        m_bottomTabs->setCurrentIndex(1);
    });
    m_checklist->setBotUrlProvider([this] {
        return m_connection->mode() == Mode::TestBot ? m_connection->botUrl() : QString();
    });
    connect(m_connection, &ConnectionPanel::connectRequested, this, &MainWindow::connectSession);
    connect(m_connection, &ConnectionPanel::disconnectRequested, this, &MainWindow::disconnectSession);
    connect(m_connection, &ConnectionPanel::modeChanged, this, &MainWindow::updateModeAvailability);

    const SenderConfig &cfg = m_session->engine()->config();
    m_charts->setQueueLimits(cfg.queueCapacity, cfg.highWater);
    updateModeAvailability(m_connection->mode());
    m_log->append(QStringLiteral("info"), tr("PaceLab %1 started").arg(QStringLiteral(PACELAB_VERSION)));
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
    // Producers push into the engine's queue: stop them before the session (and engine) go.
    delete m_sources;
    m_sources = nullptr;
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
    m_bottomTabs->addTab(m_log, tr("Log"));
    m_bottomTabs->addTab(m_checklist->detailsView(), tr("Scenario details"));

    m_bottomSplit = new QSplitter(Qt::Horizontal);
    m_bottomSplit->addWidget(m_checklist);
    m_bottomSplit->addWidget(m_bottomTabs);
    m_bottomSplit->setStretchFactor(0, 2);
    m_bottomSplit->setStretchFactor(1, 1);
    m_bottomSplit->setSizes({640, 300});

    m_rightSplit = new QSplitter(Qt::Vertical);
    m_rightSplit->addWidget(m_charts);
    m_rightSplit->addWidget(m_bottomSplit);
    m_rightSplit->setStretchFactor(0, 3);
    m_rightSplit->setStretchFactor(1, 2);
    m_rightSplit->setSizes({440, 280});

    m_mainSplit = new QSplitter(Qt::Horizontal);
    m_mainSplit->addWidget(m_leftTabs);
    m_mainSplit->addWidget(m_rightSplit);
    m_mainSplit->setStretchFactor(0, 0);
    m_mainSplit->setStretchFactor(1, 1);
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
    statusBar()->addWidget(m_statusLabel, 1);
    resize(1280, 800);
}

void MainWindow::buildActions()
{
    auto *tb = addToolBar(tr("Main"));
    tb->setObjectName(QStringLiteral("mainToolBar"));
    tb->setMovable(false);
    tb->setToolButtonStyle(Qt::ToolButtonTextOnly);

    m_connectAction = new QAction(tr("Connect"), this);
    m_connectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    m_connectAction->setToolTip(tr("Connect or disconnect (Ctrl+K)"));
    connect(m_connectAction, &QAction::triggered, this, &MainWindow::toggleConnection);

    auto *runAction = new QAction(tr("Run checklist"), this);
    runAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    runAction->setToolTip(tr("Run every scenario of the checklist (Ctrl+R)"));
    connect(runAction, &QAction::triggered, this, &MainWindow::runChecklist);

    m_pauseAction = new QAction(tr("Pause charts"), this);
    m_pauseAction->setCheckable(true);
    m_pauseAction->setShortcuts({QKeySequence(Qt::Key_Space), QKeySequence(Qt::CTRL | Qt::Key_P)});
    m_pauseAction->setToolTip(tr("Freeze the charts; data keeps being recorded (Space or Ctrl+P)"));
    connect(m_pauseAction, &QAction::toggled, m_charts, &ChartsPanel::setPaused);
    connect(m_charts, &ChartsPanel::pausedChanged, this, [this](bool p) {
        m_pauseAction->setChecked(p);
        m_pauseAction->setText(p ? tr("Resume charts") : tr("Pause charts"));
    });

    auto *pngAction = new QAction(tr("Export charts PNG…"), this);
    connect(pngAction, &QAction::triggered, this, &MainWindow::exportChartsPng);
    auto *csvAction = new QAction(tr("Export data CSV…"), this);
    connect(csvAction, &QAction::triggered, this, &MainWindow::exportChartsCsv);

    tb->addAction(m_connectAction);
    tb->addSeparator();
    tb->addAction(runAction);
    tb->addSeparator();
    tb->addAction(m_pauseAction);
    tb->addAction(pngAction);
    tb->addAction(csvAction);

    auto *file = menuBar()->addMenu(tr("&File"));
    file->addAction(pngAction);
    file->addAction(csvAction);
    file->addSeparator();
    auto *quit = file->addAction(tr("Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    auto *session = menuBar()->addMenu(tr("&Session"));
    session->addAction(m_connectAction);
    session->addAction(runAction);
    session->addAction(m_pauseAction);
    session->addSeparator();
    session->addAction(tr("Settings…"), this, [this] { SettingsDialog(this).exec(); })->setObjectName(QStringLiteral("settingsAction"));
}

void MainWindow::connectSession()
{
    if (m_session->isActive())
        m_session->stop();
    QString error;
    const auto p = m_connection->params();
    updateModeAvailability(p.mode);
    if (!m_session->start(p, &error)) {
        m_log->append(QStringLiteral("error"), error);
        m_connection->setActive(false);
        return;
    }
    m_connection->setActive(true);
    m_connectAction->setText(tr("Disconnect"));
}

void MainWindow::disconnectSession()
{
    m_session->stop();
    m_connection->setActive(false);
    m_connectAction->setText(tr("Connect"));
}

void MainWindow::toggleConnection()
{
    if (m_session->isActive())
        disconnectSession();
    else
        connectSession();
}

void MainWindow::onStatus(SessionController::Status status, const QString &text)
{
    m_connection->setStatus(status, text);
    m_statusLabel->setText(text);
    if (status == SessionController::Status::Failed && !m_session->isActive())
        m_connection->setActive(false);
}

void MainWindow::updateModeAvailability(Mode mode)
{
    const bool rx = mode == Mode::Emulator || mode == Mode::TestBot;
    const bool tx = mode != Mode::TestBot;
    m_charts->setReceiverAvailable(rx, tr("no emulator in this mode: Twilio's side is not visible"));
    m_charts->setSenderAvailable(tx, tr("the bot sends in this mode: PaceLab's sender is idle"));
    m_sources->setEnabled(tx);
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
