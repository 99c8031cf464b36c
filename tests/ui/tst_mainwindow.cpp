#include "ChartsPanel.h"
#include "ChecklistPanel.h"
#include "ConnectionPanel.h"
#include "LogPane.h"
#include "MainWindow.h"
#include "MonitorPanel.h"
#include "SessionController.h"
#include "SourcesPanel.h"
#include "TimeSeriesPlot.h"
#include "audio/WavFile.h"
#include "audioio/AudioDevices.h"
#include "check/CheckTypes.h"

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace pacelab;
using namespace pacelab::ui;
using Mode = SessionController::Mode;
using Status = SessionController::Status;

class TestMainWindow final : public QObject
{
    Q_OBJECT
private:
    static void setMode(MainWindow &w, Mode m)
    {
        auto *combo = w.connectionPanel()->findChild<QComboBox *>(QStringLiteral("mode"));
        QVERIFY(combo);
        combo->setCurrentIndex(combo->findData(int(m)));
        QCOMPARE(w.connectionPanel()->mode(), m);
    }
    static QPushButton *connectButton(MainWindow &w)
    {
        return w.connectionPanel()->findChild<QPushButton *>(QStringLiteral("connect"));
    }

private Q_SLOTS:
    void initTestCase()
    {
        // Settings go to a test location, never the user's.
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("PaceLabTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
        QSettings().clear();
    }

    void launchStartsEmbeddedEmulator()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.connectionPanel()->mode(), Mode::Emulator);
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        QVERIFY(w.session()->hasEmulator());
        QVERIFY(w.connectionPanel()->statusText().contains(QStringLiteral("built-in emulator")));
        // Telemetry arrives once per second from both sides and lands in the charts.
        QTRY_VERIFY_WITH_TIMEOUT(w.charts()->pointCount() > 10, 30000);
        QVERIFY(w.charts()->statusLine().startsWith(QStringLiteral("[TX] fps=")));
        const QString csv = w.charts()->csv();
        QVERIFY(csv.startsWith(QStringLiteral("chart,series,time_s,value\n")));
        QVERIFY(csv.contains(QStringLiteral("\"Frames per second\",\"sent\",")));
    }

    void noAudioDeviceDisablesMicAndMonitor()
    {
        MainWindow w;
        if (!audioio::inputDevices().isEmpty())
            QSKIP("this machine has an audio input device");
        QVERIFY(!w.sources()->micControlsEnabled());
        QCOMPARE(w.sources()->micUnavailableReason(), QStringLiteral("No audio input device found"));
        if (audioio::outputDevices().isEmpty()) {
            QVERIFY(!w.monitor()->isAvailable());
            QCOMPARE(w.monitor()->unavailableReason(), QStringLiteral("No audio output device found"));
        }
    }

    void sourcesReachTheEmulator()
    {
        MainWindow w;
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        QSignalSpy rx(w.session(), &SessionController::rxSecond);
        w.sources()->setTone(1000, -10);
        QVERIFY(w.sources()->startSource(QStringLiteral("tone")));
        QVERIFY(w.sources()->startSource(QStringLiteral("noise"))); // several sources, one queue
        QVERIFY(w.sources()->isRunning(QStringLiteral("tone")));
        QCOMPARE(w.sources()->runningCount(), 2);
        // Audio from both reaches the emulator, valid: count the frames it reports per second
        // until a full second's worth has arrived (how fast that happens depends on the load).
        int arrived = 0;
        int violations = 0;
        QTRY_VERIFY_WITH_TIMEOUT(([&] {
                                     for (const auto &args : std::as_const(rx))
                                         violations = std::max(violations, args.at(0).value<PerSecondRx>().violationsTotal);
                                     arrived = 0;
                                     for (const auto &args : std::as_const(rx))
                                         arrived += args.at(0).value<PerSecondRx>().fps;
                                     return arrived >= 50;
                                 }()),
                                 60000);
        QCOMPARE(violations, 0);
        w.sources()->stopAll();
        QCOMPARE(w.sources()->runningCount(), 0);
    }

    void ttsAndFileSources()
    {
        MainWindow w;
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        // TTS: synthesized on the producer thread, then paced out through the queue.
        w.sources()->setTtsText(QStringLiteral("Hello from PaceLab."));
        QVERIFY(w.sources()->startSource(QStringLiteral("tts")));
        QTRY_VERIFY_WITH_TIMEOUT(!w.sources()->isRunning(QStringLiteral("tts")), 30000);
        QVERIFY2(w.logPane()->plainText().contains(QStringLiteral("Source TTS finished")),
                 qPrintable(w.logPane()->plainText()));

        // A WAV file at 16 kHz stereo.
        QTemporaryDir dir;
        PcmBuffer pcm;
        pcm.sampleRate = 16000;
        pcm.channels = 2;
        pcm.samples.fill(1000, 16000 * 2 / 2); // 0.5 s
        QString error;
        const QString path = dir.filePath(QStringLiteral("half.wav"));
        QVERIFY(wav::writeFile(path, pcm, wav::Encoding::Pcm16, &error));
        w.sources()->setFilePath(path, false);
        QVERIFY(w.sources()->startSource(QStringLiteral("file")));
        QTRY_VERIFY_WITH_TIMEOUT(!w.sources()->isRunning(QStringLiteral("file")), 30000);
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("Source half.wav finished: 25 frames queued")));

        // Errors: a missing file is refused up front; a broken one fails with the reader's reason.
        w.sources()->setFilePath(dir.filePath(QStringLiteral("missing.wav")), false);
        QVERIFY(!w.sources()->startSource(QStringLiteral("file")));
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("does not exist")));
        const QString junk = dir.filePath(QStringLiteral("junk.wav"));
        QFile f(junk);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("RIFF????WAVEjunk");
        f.close();
        w.sources()->setFilePath(junk, false);
        QVERIFY(w.sources()->startSource(QStringLiteral("file")));
        QTRY_VERIFY_WITH_TIMEOUT(!w.sources()->isRunning(QStringLiteral("file")), 30000);
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("Source junk.wav failed: junk.wav: ")));
    }

    void badInputShowsPlainErrors()
    {
        MainWindow w;
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        // Disconnect by clicking, then switch mode.
        QTest::mouseClick(connectButton(w), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Idle, 30000);
        QVERIFY(!w.session()->isActive());
        setMode(w, Mode::ConnectUrl);

        auto *url = w.connectionPanel()->findChild<QLineEdit *>(QStringLiteral("url"));
        QVERIFY(url);
        url->setText(QStringLiteral("http://example.com/stream"));
        QTest::mouseClick(connectButton(w), Qt::LeftButton);
        QCOMPARE(w.session()->status(), Status::Failed);
        QVERIFY(!w.session()->isActive());
        QVERIFY2(w.connectionPanel()->statusText().contains(QStringLiteral("ws:// or wss://")),
                 qPrintable(w.connectionPanel()->statusText()));
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("ws:// or wss://")));

        url->setText(QString());
        QTest::mouseClick(connectButton(w), Qt::LeftButton);
        QVERIFY(w.connectionPanel()->statusText().contains(QStringLiteral("Enter a WebSocket URL")));

        url->setText(QStringLiteral("ws://"));
        QTest::mouseClick(connectButton(w), Qt::LeftButton);
        QCOMPARE(w.session()->status(), Status::Failed);

        // A well-formed URL nobody listens on: the engine's failure arrives in plain words.
        url->setText(QStringLiteral("ws://127.0.0.1:1/stream"));
        QTest::mouseClick(connectButton(w), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Failed, 30000);
        QVERIFY(!w.connectionPanel()->statusText().isEmpty());

        // Bad custom parameters in test-a-bot mode.
        QTest::mouseClick(connectButton(w), Qt::LeftButton); // disconnect if still active
        if (w.session()->isActive())
            QTest::mouseClick(connectButton(w), Qt::LeftButton);
        QString error;
        SessionController::Params p;
        p.mode = Mode::TestBot;
        p.botUrl = QStringLiteral("ws://127.0.0.1:5050/");
        p.customParameters = QStringLiteral("novalue");
        QVERIFY(SessionController::validate(p).contains(QStringLiteral("name=value")));
        p.mode = Mode::ListenTwilio;
        p.listenHost = QStringLiteral("not-an-ip");
        QVERIFY(SessionController::validate(p).contains(QStringLiteral("not an IP address")));

        // Test a bot that is not there: the emulator's failure reaches the status in words.
        setMode(w, Mode::TestBot);
        w.connectionPanel()->setBotUrl(QStringLiteral("ws://127.0.0.1:1/media"));
        w.connectSession();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Failed, 30000);
        QVERIFY(!w.connectionPanel()->statusText().isEmpty());
        if (qEnvironmentVariableIsSet("PACELAB_TEST_SHOTS"))
            w.grab().save(qEnvironmentVariable("PACELAB_TEST_SHOTS") + QStringLiteral("/testbot.png"));
        w.disconnectSession();
        setMode(w, Mode::ListenTwilio);
        if (qEnvironmentVariableIsSet("PACELAB_TEST_SHOTS"))
            w.grab().save(qEnvironmentVariable("PACELAB_TEST_SHOTS") + QStringLiteral("/listen.png"));
    }

    void switchModes()
    {
        MainWindow w;
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        w.disconnectSession();
        for (Mode m : {Mode::ConnectUrl, Mode::ListenTwilio, Mode::TestBot, Mode::Emulator}) {
            setMode(w, m);
            QVERIFY(!w.session()->isActive());
        }
        // Listen mode: the TwiML snippet is ready to copy, and listening works on loopback.
        setMode(w, Mode::ListenTwilio);
        QVERIFY(w.connectionPanel()->twiml().contains(QStringLiteral("<Connect>")));
        QVERIFY(w.connectionPanel()->twiml().contains(QStringLiteral("<Stream url=\"wss://")));
        w.connectSession();
        QTRY_VERIFY_WITH_TIMEOUT(w.connectionPanel()->statusText().contains(QStringLiteral("waiting for Twilio"))
                                     || w.session()->status() == Status::Failed,
                                 30000);
        w.disconnectSession();
        // Back to the emulator: it starts again and streams.
        setMode(w, Mode::Emulator);
        w.connectSession();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        // The mode is remembered.
        w.close();
        QCOMPARE(QSettings().value(QStringLiteral("connection/mode")).toInt(), int(Mode::Emulator));
    }

    void pauseShortcutAndExport()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.activateWindow();
        QVERIFY(!w.charts()->isPaused());
        QTest::keyClick(&w, Qt::Key_P, Qt::ControlModifier);
        QVERIFY(w.charts()->isPaused());
        QTest::keyClick(&w, Qt::Key_P, Qt::ControlModifier);
        QVERIFY(!w.charts()->isPaused());
        // Ctrl+K toggles the connection (the emulator session started at launch).
        QTRY_VERIFY_WITH_TIMEOUT(w.session()->isActive(), 30000);
        QTest::keyClick(&w, Qt::Key_K, Qt::ControlModifier);
        QVERIFY(!w.session()->isActive());
        QTest::keyClick(&w, Qt::Key_K, Qt::ControlModifier);
        QVERIFY(w.session()->isActive());

        QTemporaryDir dir;
        QString error;
        QVERIFY(w.charts()->exportPng(dir.filePath(QStringLiteral("c.png")), &error));
        QVERIFY(QFileInfo(dir.filePath(QStringLiteral("c.png"))).size() > 1000);
        QVERIFY(!w.charts()->exportCsv(QStringLiteral("/nonexistent-dir/x.csv"), &error));
        QVERIFY(error.contains(QStringLiteral("/nonexistent-dir/x.csv")));
    }

    void busyUiDoesNotDisturbPacing()
    {
        // The sender owns its thread: a UI thread frozen for 2 s (a heavy resize, a modal
        // dialog) must not stop what goes on the wire. Asserted is what holds on a loaded
        // machine: the sender kept sending while the UI thread was stuck (its telemetry seconds
        // queued up meanwhile), nothing was dropped, and the session survived. How steady the
        // pacing stays (fps 50, lateness) is a figure, printed here and measured by
        // `pacelab-bench pacing`; a sender tied to the UI thread would send nothing meanwhile.
        MainWindow w;
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->status(), Status::Live, 30000);
        QSignalSpy txBefore(w.session(), &SessionController::txSecond);
        QVERIFY(w.sources()->startSource(QStringLiteral("tone")));
        QTRY_VERIFY_WITH_TIMEOUT(!txBefore.isEmpty(), 30000); // the sender is running
        QSignalSpy tx(w.session(), &SessionController::txSecond);
        QElapsedTimer busy;
        busy.start();
        int resizes = 0;
        while (busy.elapsed() < 2000) { // resize storm without returning to the event loop
            w.resize(1000 + (resizes % 2) * 280, 700 + (resizes % 2) * 100);
            w.grab(); // forces layout + paint of every chart at the new size
            ++resizes;
        }
        QVERIFY(resizes > 1);
        // The seconds the sender reported while the UI was stuck were queued; they arrive now.
        QTRY_VERIFY_WITH_TIMEOUT(tx.size() >= 1, 30000);
        QStringList lines;
        qint64 sent = 0;
        qint64 drops = 0;
        for (const auto &args : std::as_const(tx)) {
            const auto s = args.at(0).value<TelemetrySnapshot>();
            lines << s.toLine();
            sent += s.framesSent;
            drops += s.drops;
        }
        qInfo("UI thread busy %d resizes in 2 s; sender seconds meanwhile:\n%s", resizes,
              qPrintable(lines.join(QLatin1Char('\n'))));
        QVERIFY2(sent > 0, qPrintable(lines.join(QLatin1Char('\n'))));
        QCOMPARE(drops, qint64(0)); // the tone source is back-pressured
        QCOMPARE(w.session()->status(), Status::Live);
    }

    void checklistRunsE1ByClicking()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto *table = w.checklist()->findChild<QTableWidget *>();
        QVERIFY(table);
        w.checklist()->selectScenario(QStringLiteral("E1"));
        QCOMPARE(table->item(table->currentRow(), 0)->data(Qt::UserRole).toString(), QStringLiteral("E1"));
        auto *run = w.checklist()->findChild<QPushButton *>(QStringLiteral("runSelected"));
        QVERIFY(run);
        QTest::mouseClick(run, Qt::LeftButton);
        QVERIFY(w.checklist()->isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(!w.checklist()->isRunning(), 120000);
        // The run reached a verdict and the table shows it. E1 also judges the arrival span in
        // real time (a rate: tested on simulated time in the check units), so on a loaded
        // machine the verdict may be FAIL; its structural criteria must pass regardless.
        const QString verdict = w.checklist()->verdictText(QStringLiteral("E1"));
        QVERIFY2(verdict == QStringLiteral("PASS") || verdict == QStringLiteral("FAIL"), qPrintable(verdict));
        QCOMPARE(w.checklist()->results().size(), 1);
        const check::ScenarioResult result = w.checklist()->results().first();
        QCOMPARE(result.verdict == check::Verdict::Pass ? QStringLiteral("PASS") : QStringLiteral("FAIL"), verdict);
        QStringList structural;
        for (const check::Criterion &c : result.criteria) {
            // Rates and gaps measured in real time (tested on simulated time in the check
            // units) may fail on a loaded machine; the structural criteria may not.
            if (c.name == QLatin1String("arrival span") || c.name.startsWith(QLatin1String("clock drift"))
                || c.name.startsWith(QLatin1String("underruns")))
                continue;
            QVERIFY2(c.pass, qPrintable(c.name));
            structural << c.name;
        }
        QVERIFY2(structural.contains(QStringLiteral("frames at the peer, in order")), qPrintable(structural.join(", ")));
        QTemporaryDir dir;
        QString error;
        QVERIFY2(w.checklist()->exportReport(dir.filePath(QStringLiteral("r.xml")), QStringLiteral("junit"), &error),
                 qPrintable(error));
        QVERIFY(!w.checklist()->exportReport(dir.filePath(QStringLiteral("r.pdf")), QStringLiteral("pdf"), &error));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
