// Honest state and the keyboard: status from what is on the wire, a failed connect gives the
// panel back, mode changes ask first, sources off in test-a-bot mode, per-run checklist summary,
// cancel = cancelled, scenario logs in their details, Space/Return/shortcuts, accessible names.
#include "ChartsPanel.h"
#include "ChecklistPanel.h"
#include "BadBotDemo.h"

#include <algorithm>
#include "ConnectionPanel.h"
#include "LogPane.h"
#include "MainWindow.h"
#include "SessionController.h"
#include "SourcesPanel.h"
#include "TimeSeriesPlot.h"
#include "VerdictBar.h"

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAbstractSpinBox>
#include <QAction>
#include <QComboBox>
#include <QFrame>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTest>

using namespace pacelab;
using namespace pacelab::ui;
using Mode = SessionController::Mode;
using Status = SessionController::Status;

class TestWindowState final : public QObject
{
    Q_OBJECT
private:
    static QPushButton *button(QWidget *root, const QString &name)
    {
        return root->findChild<QPushButton *>(name);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("PaceLabTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_windowstate"));
        QSettings().clear();
    }

    void statusFromWhatIsSent()
    {
        MainWindow w;
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        // Connected, nothing playing: idle, and the first-run hint offers the first step.
        QTRY_VERIFY_WITH_TIMEOUT(w.statusBarText().contains(QStringLiteral("idle: no source is playing")), 30000);
        QVERIFY(!w.statusBarText().contains(QStringLiteral("sending")));
        QVERIFY(w.startHint()->isVisible());
        QTest::mouseClick(button(w.startHint(), QStringLiteral("startToneHint")), Qt::LeftButton);
        QVERIFY(w.sources()->isRunning(QStringLiteral("tone")));
        QVERIFY(!w.startHint()->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(w.statusBarText().contains(QStringLiteral("sending")), 30000);
        w.sources()->stopAll();
        QTRY_VERIFY_WITH_TIMEOUT(w.statusBarText().contains(QStringLiteral("idle")), 30000);
    }

    void failedConnectGivesThePanelBack()
    {
        MainWindow w;
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        w.setConfirmHandler([](const QString &) { return true; });
        w.connectionPanel()->setMode(Mode::ConnectUrl);
        QVERIFY(!w.session()->isActive());
        w.connectionPanel()->setUrl(QStringLiteral("ws://127.0.0.1:1/stream")); // nobody listens
        auto *connect = button(w.connectionPanel(), QStringLiteral("connect"));
        QTest::mouseClick(connect, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Failed, 30000);
        // The error stays, the button offers Connect again, the fields and the mode are editable.
        QVERIFY(!w.connectionPanel()->statusText().isEmpty());
        QCOMPARE(connect->text(), QStringLiteral("Connect"));
        QCOMPARE(w.action(QStringLiteral("connectAction"))->text(), QStringLiteral("Connect"));
        auto *url = w.connectionPanel()->findChild<QLineEdit *>(QStringLiteral("url"));
        QVERIFY(url->isEnabled());
        QVERIFY(w.connectionPanel()->findChild<QComboBox *>(QStringLiteral("mode"))->isEnabled());
        QVERIFY(w.logPane()->plainText().contains(w.connectionPanel()->statusText()));
        // Connect retries (not a Disconnect of the failed session).
        QSignalSpy status(w.session(), &SessionController::statusChanged);
        QTest::mouseClick(connect, Qt::LeftButton);
        bool retried = false;
        for (const auto &args : std::as_const(status))
            retried = retried || args.at(0).value<Status>() == Status::Busy;
        QVERIFY(retried);
    }

    void modeChangeAsksFirst()
    {
        MainWindow w;
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        QVERIFY(w.connectionPanel()->findChild<QComboBox *>(QStringLiteral("mode"))->isEnabled());
        QVERIFY(w.sources()->startSource(QStringLiteral("tone")));
        QStringList asked;
        w.setConfirmHandler([&asked](const QString &q) {
            asked << q;
            return false;
        });
        w.connectionPanel()->setMode(Mode::TestBot);
        QCOMPARE(asked.size(), 1);
        QVERIFY2(asked.first().contains(QStringLiteral("ends the current session")), qPrintable(asked.first()));
        // Declined: still connected, back in the emulator mode, the tone still running.
        QCOMPARE(w.connectionPanel()->mode(), Mode::Emulator);
        QVERIFY(w.session()->isActive());
        QVERIFY(w.sources()->isRunning(QStringLiteral("tone")));
        QCOMPARE(w.checklist()->currentSet(), QStringLiteral("checklist"));

        w.setConfirmHandler([&asked](const QString &q) {
            asked << q;
            return true;
        });
        w.connectionPanel()->setMode(Mode::TestBot);
        QCOMPARE(asked.size(), 2);
        QCOMPARE(w.connectionPanel()->mode(), Mode::TestBot);
        QVERIFY(!w.session()->isActive());
        // The Sources tab is honest: nothing runs in this mode, and it says why.
        QCOMPARE(w.sources()->runningCount(), 0);
        QVERIFY2(w.sources()->summaryText().contains(QStringLiteral("off in test-a-bot mode")), qPrintable(w.sources()->summaryText()));
        // The view follows the mode: the bot's audio at Twilio with the live verdict; PaceLab's
        // idle sender charts are gone.
        QVERIFY(w.verdictBar()->isVisible());
        QStringList shown;
        for (TimeSeriesPlot *p : w.charts()->plots())
            if (p->isVisibleTo(w.charts()))
                shown << p->title();
        QVERIFY2(!shown.contains(QStringLiteral("Tx queue depth")) && shown.contains(QStringLiteral("Buffered at Twilio")),
                 qPrintable(shown.join(QStringLiteral(", "))));
        // The checklist follows the mode.
        QCOMPARE(w.checklist()->currentSet(), QStringLiteral("bot"));
        QVERIFY(w.checklist()->scenarioIds().contains(QStringLiteral("B1")));
        // Not connected: no question.
        w.connectionPanel()->setMode(Mode::ConnectUrl);
        QCOMPARE(asked.size(), 2);
        QCOMPARE(w.checklist()->currentSet(), QStringLiteral("checklist"));
        QVERIFY(w.sources()->summaryText().contains(QStringLiteral("No source running")));
    }

    void checklistCancelAndPerRunSummary()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.activateWindow();
        QVERIFY(w.checklist()->runScenarios({QStringLiteral("S5")}));
        QTRY_COMPARE_WITH_TIMEOUT(w.checklist()->verdictText(QStringLiteral("S5")), QStringLiteral("RUNNING"), 30000);
        // Esc cancels the run: the scenario is "cancelled", not an ERROR of what was tested.
        QTest::keyClick(&w, Qt::Key_Escape);
        QTRY_VERIFY_WITH_TIMEOUT(!w.checklist()->isRunning(), 60000);
        QCOMPARE(w.checklist()->verdictText(QStringLiteral("S5")), QStringLiteral("CANCELLED"));
        QVERIFY2(w.checklist()->summaryText().contains(QStringLiteral("1 cancelled of 1 run")), qPrintable(w.checklist()->summaryText()));
        QVERIFY(!w.checklist()->summaryText().contains(QStringLiteral("error")));
        QVERIFY(w.checklist()->results().isEmpty()); // nothing to export from a cancelled run

        // A second run is summed up alone.
        QVERIFY(w.checklist()->runScenarios({QStringLiteral("S5")}));
        QTRY_VERIFY_WITH_TIMEOUT(!w.checklist()->isRunning(), 120000);
        const QString v = w.checklist()->verdictText(QStringLiteral("S5"));
        QVERIFY2(v == QStringLiteral("PASS") || v == QStringLiteral("FAIL"), qPrintable(v));
        const QString summary = w.checklist()->summaryText();
        QVERIFY2(summary == (v == QStringLiteral("PASS") ? QStringLiteral("1 passed, 0 failed of 1 run.")
                                                         : QStringLiteral("0 passed, 1 failed of 1 run.")),
                 qPrintable(summary));
        // What the scenario logged is in its details, not in the session's log.
        const QStringList log = w.checklist()->scenarioLog(QStringLiteral("S5"));
        QVERIFY(!log.isEmpty());
        w.checklist()->selectScenario(QStringLiteral("S5"));
        const QString details = w.checklist()->detailsView()->toPlainText();
        QVERIFY(details.contains(QStringLiteral("Scenario log")));
        const QString firstLine = log.first().section(QStringLiteral("] "), 1);
        QVERIFY(details.contains(firstLine));
        QVERIFY(!w.logPane()->plainText().contains(firstLine));
    }

    void liveVerdictAndBargeIn()
    {
        MainWindow w;
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        VerdictBar *bar = w.verdictBar();
        QVERIFY(bar->isVisible());
        // What the badges show is core's verdict on the seconds the emulator reports: a second
        // at 250 fps with 4 s buffered turns Pace and Buffer red at once, with the numbers.
        bar->reset();
        PerSecondRx burst;
        burst.second = 0;
        burst.fps = 250;
        burst.bufferedSec = 4.0;
        bar->addRx(burst);
        QVERIFY2(bar->badgeText(QStringLiteral("pace")).startsWith(QStringLiteral("Pace: FAIL, 250 fps at 0 s")),
                 qPrintable(bar->badgeText(QStringLiteral("pace"))));
        QVERIFY(bar->badgeText(QStringLiteral("buffer")).startsWith(QStringLiteral("Buffer: FAIL, max 4.00 s")));
        bar->reset();
        QVERIFY(bar->badgeText(QStringLiteral("pace")).startsWith(QStringLiteral("Pace: waiting")));

        // Barge in now: the emulator speaks; PaceLab's sender is not a bot and never clears,
        // so the badge ends red, "no clear" (whatever the machine's load).
        QVERIFY(w.sources()->startSource(QStringLiteral("tone")));
        QTRY_VERIFY_WITH_TIMEOUT(bar->badgeText(QStringLiteral("pace")).startsWith(QStringLiteral("Pace: OK"))
                                     || bar->badgeText(QStringLiteral("pace")).contains(QStringLiteral("judged from")), 30000);
        auto *barge = bar->findChild<QPushButton *>(QStringLiteral("bargeInNow"));
        QTest::mouseClick(barge, Qt::LeftButton);
        QVERIFY(bar->badgeText(QStringLiteral("bargein")).contains(QStringLiteral("caller speaking")));
        QTRY_VERIFY_WITH_TIMEOUT(bar->badgeText(QStringLiteral("bargein")).startsWith(QStringLiteral("Barge-in: FAIL, no clear")), 60000);
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("Barge in: ")));
    }

    void bypassTheClockDemo()
    {
        MainWindow w;
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        QStringList asked;
        w.setConfirmHandler([&asked](const QString &q) {
            asked << q;
            return true;
        });
        QSignalSpy rx(w.session(), &SessionController::rxSecond);
        QTest::mouseClick(button(w.sources(), QStringLiteral("bypassDemo")), Qt::LeftButton);
        QCOMPARE(asked.size(), 1); // the live emulator session ends only after asking
        QCOMPARE(w.connectionPanel()->mode(), Mode::TestBot);
        QVERIFY(w.badBotDemo()->isRunning());
        QCOMPARE(w.connectionPanel()->botUrl(), w.badBotDemo()->url().toString());
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("no 20 ms clock")));
        // The emulator calls the demo bot as Twilio would and its 8 s of audio arrive far faster
        // than real time: seconds of audio wait at "Twilio" (the harm the demo exists to show).
        // Holds on a starved machine too: 8 s arriving within 6 s still leaves > 2 s buffered.
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(([&] {
                                     double buffered = 0.0;
                                     for (const auto &args : std::as_const(rx))
                                         buffered = std::max(buffered, args.at(0).value<PerSecondRx>().bufferedSec);
                                     return buffered > 2.0;
                                 }()),
                                 30000);
        QTRY_VERIFY_WITH_TIMEOUT(w.verdictBar()->badgeText(QStringLiteral("buffer")).contains(QStringLiteral("FAIL")), 10000);
        QVERIFY(w.verdictBar()->isVisible());
        w.disconnectSession();
        QVERIFY(!w.badBotDemo()->isRunning());
    }

    void keyboard()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.activateWindow();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        auto *tone = w.sources()->findChild<QPushButton *>(QStringLiteral("start_tone"));
        QVERIFY(tone);
        w.leftTabs()->setCurrentIndex(1);
        tone->setFocus();
        QTRY_VERIFY(tone->hasFocus());
        // Space presses the focused button (it no longer pauses the charts).
        QTest::keyClick(tone, Qt::Key_Space);
        QTRY_VERIFY(w.sources()->isRunning(QStringLiteral("tone")));
        QVERIFY(!w.charts()->isPaused());
        // Return presses it too.
        QTest::keyClick(tone, Qt::Key_Return);
        QTRY_VERIFY(!w.sources()->isRunning(QStringLiteral("tone")));
        // Shortcuts: tone, barge-in, pause.
        QTest::keyClick(&w, Qt::Key_T, Qt::ControlModifier);
        QVERIFY(w.sources()->isRunning(QStringLiteral("tone")));
        QSignalSpy clear(w.sources(), &SourcesPanel::clearRequested);
        QTest::keyClick(&w, Qt::Key_B, Qt::ControlModifier);
        QCOMPARE(clear.size(), 1);
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("Clear (barge-in)")));
        QTest::keyClick(&w, Qt::Key_T, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(w.sources()->runningCount(), 0);
        QTest::keyClick(&w, Qt::Key_P, Qt::ControlModifier);
        QVERIFY(w.charts()->isPaused());

        // Help: every shortcut listed, versions in About.
        QStringList keys;
        for (const auto &k : w.shortcutList())
            keys << k.first;
        for (const char *k : {"Ctrl+K", "Ctrl+R", "Esc", "Ctrl+E", "Ctrl+T", "Ctrl+Shift+T", "Ctrl+B", "Ctrl+P", "F9"})
            QVERIFY2(keys.contains(QString::fromLatin1(k)), k);
        const QString about = MainWindow::aboutText();
        QVERIFY2(about.contains(QStringLiteral("Qt ") + QString::fromLatin1(qVersion())), qPrintable(about));
        QVERIFY(about.contains(QStringLiteral("libsoxr 0.")));
        QVERIFY(about.contains(QStringLiteral("espeak-ng 1.")));
    }

    void everyControlIsNamed()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QStringList unnamed;
        for (QWidget *c : w.findChildren<QWidget *>()) {
            const bool control = qobject_cast<QAbstractButton *>(c) || qobject_cast<QComboBox *>(c)
                                 || qobject_cast<QLineEdit *>(c) || qobject_cast<QAbstractSpinBox *>(c)
                                 || qobject_cast<QPlainTextEdit *>(c) || qobject_cast<QAbstractItemView *>(c);
            if (!control || qobject_cast<QComboBox *>(c->parentWidget()) || qobject_cast<QAbstractSpinBox *>(c->parentWidget())
                || qobject_cast<QLineEdit *>(c->parentWidget()) || c->inherits("QComboBoxListView") || c->inherits("QTabBar")
                || c->inherits("QScrollBar") || c->inherits("QHeaderView") || c->inherits("QTableCornerButton")
                || c->objectName().startsWith(QLatin1String("qt_"))) // Qt's own toolbar/menu extension buttons
                continue;
            if (c->accessibleName().trimmed().isEmpty() || c->accessibleName() == c->objectName())
                unnamed << QStringLiteral("%1 '%2' in %3").arg(QString::fromLatin1(c->metaObject()->className()), c->objectName(),
                                                                 QString::fromLatin1(c->parentWidget()->metaObject()->className()));
        }
        QVERIFY2(unnamed.isEmpty(), qPrintable(unnamed.join(QLatin1Char('\n'))));
    }
};

QTEST_MAIN(TestWindowState)
#include "tst_windowstate.moc"
