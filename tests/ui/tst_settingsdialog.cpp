// The Settings dialog (Session > Settings…): a bad value is refused with SessionConfig's own
// message and nothing is saved; a valid one is saved to QSettings, shown again by the next
// dialog, and reaches the engine of the next SessionController.
#include "SessionController.h"
#include "SettingsDialog.h"

#include <QCheckBox>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>

using namespace pacelab;
using namespace pacelab::ui;

class TestSettingsDialog final : public QObject
{
    Q_OBJECT

    static QSpinBox *spin(SettingsDialog &d, const char *key)
    {
        return qobject_cast<QSpinBox *>(d.field(QString::fromLatin1(key)));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("PaceLabTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_settingsdialog"));
    }

    void init() { QSettings().clear(); }

    void oneFieldPerSetting()
    {
        SettingsDialog d;
        for (const SessionSetting &s : sessionSettings()) {
            QWidget *w = d.field(s.key);
            QVERIFY2(w, qPrintable(s.key));
            QVERIFY(s.kind == SessionSetting::Kind::Bool ? bool(qobject_cast<QCheckBox *>(w)) : bool(qobject_cast<QSpinBox *>(w)));
        }
        QCOMPARE(spin(d, "high-water")->value(), SenderConfig().highWater);
        QCOMPARE(spin(d, "jitter-buffer-ms")->value(), 40);
    }

    void invalidValueIsRefused()
    {
        SettingsDialog d;
        d.show();
        QVERIFY(QTest::qWaitForWindowExposed(&d));
        spin(d, "high-water")->setValue(500);
        spin(d, "ping-interval-ms")->setValue(5000); // valid, but nothing is saved while one is bad
        QSettings settings;
        QVERIFY(!d.apply(settings));
        QCOMPARE(d.errorText(), QStringLiteral("High-water mark: high-water mark must be between 0 and the queue capacity (120), got 500"));
        QWidget *bad = d.field(QStringLiteral("high-water"));
        QVERIFY(d.focusWidget() == bad || bad->isAncestorOf(d.focusWidget()));
        QVERIFY(!settings.contains(QStringLiteral("session/high-water")));
        QVERIFY(!settings.contains(QStringLiteral("session/ping-interval-ms")));
        // OK does not close the dialog either.
        d.accept();
        QVERIFY(d.isVisible());
        QCOMPARE(d.result(), int(QDialog::Rejected));

        spin(d, "high-water")->setValue(10);
        spin(d, "jitter-buffer-ms")->setValue(-1);
        QVERIFY(!d.apply(settings));
        QCOMPARE(d.errorText(), QStringLiteral("Jitter buffer: jitter buffer must be 0..2000 ms, got -1"));
    }

    void validValuePersists()
    {
        {
            SettingsDialog d;
            spin(d, "high-water")->setValue(20);
            spin(d, "ping-interval-ms")->setValue(5000);
            spin(d, "jitter-buffer-ms")->setValue(80);
            qobject_cast<QCheckBox *>(d.field(QStringLiteral("reconnect")))->setChecked(true);
            d.accept();
            QCOMPARE(d.result(), int(QDialog::Accepted));
            QVERIFY(d.errorText().isEmpty());
        }
        QSettings settings;
        QCOMPARE(settings.value(QStringLiteral("session/high-water")).toInt(), 20);
        SettingsDialog again;
        QCOMPARE(spin(again, "high-water")->value(), 20);
        QCOMPARE(spin(again, "ping-interval-ms")->value(), 5000);
        QCOMPARE(spin(again, "jitter-buffer-ms")->value(), 80);
        QVERIFY(qobject_cast<QCheckBox *>(again.field(QStringLiteral("reconnect")))->isChecked());

        // The live session's engine and emulator settings come from there.
        SessionController controller;
        QVERIFY(controller.settingsProblem().isEmpty());
        QCOMPARE(controller.engine()->config().highWater, 20);
        QCOMPARE(controller.engine()->config().pingIntervalMs, 5000);
        QVERIFY(controller.engine()->config().reconnect);
        QCOMPARE(controller.session()->config().emulator.playout.jitterBufferUs, qint64(80000));
        QCOMPARE(controller.engine()->config().stopMode, SenderConfig::StopMode::Discard);
    }

    // A hand-edited bad value: the defaults are used, and said so.
    void handEditedBadValue()
    {
        QSettings().setValue(QStringLiteral("session/spin-us"), 99999);
        SessionController controller;
        QCOMPARE(controller.settingsProblem(), QStringLiteral("spin time must be 0..wake lead (2000) us, got 99999"));
        QCOMPARE(controller.engine()->config().spinUs, SenderConfig().spinUs);
        SettingsDialog d;
        QVERIFY(d.errorText().contains(QStringLiteral("defaults are shown")));
        QCOMPARE(spin(d, "spin-us")->value(), SenderConfig().spinUs);
    }
};

QTEST_MAIN(TestSettingsDialog)
#include "tst_settingsdialog.moc"
