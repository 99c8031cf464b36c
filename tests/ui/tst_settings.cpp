// The GUI's remembered settings are outside data too: a settings file edited by hand, written by
// another version or cut short must never crash the window or put a control out of its range.
// Each case writes a hostile settings file, opens the main window, and checks every remembered
// control holds a value it could hold from the user's own hands.
#include "ConnectionPanel.h"
#include "MainWindow.h"
#include "SessionController.h"
#include "SourcesPanel.h"

#include <QApplication>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>

#include <cmath>

using namespace pacelab::ui;
using Mode = SessionController::Mode;

class TestSettings final : public QObject
{
    Q_OBJECT

    // Every spin box of the window keeps a finite value inside its own range.
    static void verifyControlsInRange(QWidget *root)
    {
        for (auto *spin : root->findChildren<QDoubleSpinBox *>()) {
            QVERIFY2(std::isfinite(spin->value()), qPrintable(spin->objectName()));
            QVERIFY2(spin->value() >= spin->minimum() && spin->value() <= spin->maximum(), qPrintable(spin->objectName()));
        }
        for (auto *spin : root->findChildren<QSpinBox *>())
            QVERIFY2(spin->value() >= spin->minimum() && spin->value() <= spin->maximum(), qPrintable(spin->objectName()));
    }

    // Opens the window on the current settings, lets it start its session, closes it (which
    // saves the settings again) and checks the controls.
    static void openAndClose()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTest::qWait(200);
        verifyControlsInRange(&w);
        const Mode m = w.connectionPanel()->mode();
        QVERIFY(m >= Mode::Emulator && m <= Mode::TestBot);
        w.close();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("PaceLabTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_settings"));
    }

    void init() { QSettings().clear(); }

    void wrongTypesAndAbsurdValues()
    {
        {
            QSettings s;
            s.setValue(QStringLiteral("window/geometry"), QByteArray("\x01\x02garbage", 9));
            s.setValue(QStringLiteral("window/state"), QStringLiteral("not a state"));
            s.setValue(QStringLiteral("window/mainSplit"), QByteArray(100000, '\xff'));
            s.setValue(QStringLiteral("window/leftTab"), 9999);
            s.setValue(QStringLiteral("connection/mode"), -7);
            s.setValue(QStringLiteral("connection/url"), QString(100000, QLatin1Char('x')));
            s.setValue(QStringLiteral("connection/listenPort"), 999999);
            s.setValue(QStringLiteral("connection/customParameters"), QStringLiteral("=;;==;"));
            s.setValue(QStringLiteral("sources/toneHz"), QStringLiteral("nan"));
            s.setValue(QStringLiteral("sources/toneDb"), QStringLiteral("inf"));
            s.setValue(QStringLiteral("sources/sweepFrom"), -1e300);
            s.setValue(QStringLiteral("sources/sweepTo"), 1e300);
            s.setValue(QStringLiteral("sources/sweepSec"), QStringLiteral("-inf"));
            s.setValue(QStringLiteral("sources/noiseDb"), QStringLiteral("loud"));
            s.setValue(QStringLiteral("sources/dtmf"), QStringLiteral("#*ZZ\x7f\x01"));
            s.setValue(QStringLiteral("sources/file"), QStringLiteral("/no/such/file.wav"));
            s.setValue(QStringLiteral("sources/ttsRate"), -123456);
            s.setValue(QStringLiteral("sources/ttsVoice"), QStringLiteral("no-such-voice"));
            s.setValue(QStringLiteral("monitor/volume"), 1e9);
            s.setValue(QStringLiteral("monitor/device"), QStringLiteral("no such device"));
        }
        openAndClose();
        // What the window saved back is sane, so the next start is clean too.
        QSettings s;
        const double hz = s.value(QStringLiteral("sources/toneHz")).toDouble();
        QVERIFY2(std::isfinite(hz), "a NaN tone frequency was saved back");
        openAndClose();
    }

    void modeOutOfRangeFallsBackToEmulator()
    {
        QSettings().setValue(QStringLiteral("connection/mode"), 42);
        MainWindow w;
        QCOMPARE(w.connectionPanel()->mode(), Mode::Emulator);
    }

    void truncatedSettingsFile()
    {
        // A settings file cut short by a crash mid-write: QSettings reads what it can.
        const QString file = QSettings().fileName();
        QSettings().sync();
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("[sources]\ntoneHz=44");
        static const char cut[] = "0\ntoneDb=-1\x00\x00\x00[conn";
        f.write(cut, sizeof cut - 1); // NULs included, the terminator not
        f.close();
        openAndClose();
    }

    void binaryGarbageSettingsFile()
    {
        const QString file = QSettings().fileName();
        QSettings().sync();
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QByteArray junk;
        for (int i = 0; i < 20000; ++i)
            junk.append(char((i * 131 + 7) & 0xff));
        f.write(junk);
        f.close();
        openAndClose();
    }
};

QTEST_MAIN(TestSettings)
#include "tst_settings.moc"
