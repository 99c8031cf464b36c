// LogPane ranks levels by name: the emulator's warnings must use the engine's spelling
// ("warning") to show as warnings and to pass the "Warnings and errors" filter.
#include "LogPane.h"

#include "emulator/TwilioEmulator.h"

#include <QComboBox>
#include <QHostAddress>
#include <QSignalSpy>
#include <QWebSocket>
#include <QtTest>

using namespace pacelab;
using pacelab::ui::LogPane;

class TestLogPane : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void levelsAreLabelled()
    {
        LogPane pane;
        pane.append(QStringLiteral("info"), QStringLiteral("an info line"));
        pane.append(QStringLiteral("warning"), QStringLiteral("a warning line"));
        pane.append(QStringLiteral("error"), QStringLiteral("an error line"));
        const QStringList lines = pane.plainText().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 3);
        // Coloured lines go through HTML, which folds the label's padding to one space.
        QVERIFY2(!lines[0].contains(QStringLiteral("WARN")) && !lines[0].contains(QStringLiteral("ERROR")), qPrintable(lines[0]));
        QVERIFY2(lines[1].endsWith(QStringLiteral(" WARN a warning line")), qPrintable(lines[1]));
        QVERIFY2(lines[2].endsWith(QStringLiteral(" ERROR an error line")), qPrintable(lines[2]));
    }

    void emulatorWarningShowsAsWarning()
    {
        LogPane pane;
        auto *filter = pane.findChild<QComboBox *>();
        QVERIFY(filter);
        filter->setCurrentIndex(filter->findData(1)); // warnings and errors only
        TwilioEmulator emu;
        QObject::connect(&emu, &TwilioEmulator::logMessage, &pane, &LogPane::append);
        QVERIFY2(emu.listen(QHostAddress::LocalHost, 0), qPrintable(emu.errorString()));
        // The emulator serves one stream: a second client is refused with a warning.
        QWebSocket first, second;
        QSignalSpy firstUp(&first, &QWebSocket::connected);
        first.open(emu.serverUrl());
        QVERIFY(firstUp.wait(30000));
        QSignalSpy secondDown(&second, &QWebSocket::disconnected);
        second.open(emu.serverUrl());
        QTRY_VERIFY_WITH_TIMEOUT(pane.plainText().contains(QStringLiteral("refused a second connection")), 30000);
        QVERIFY2(pane.plainText().contains(QStringLiteral(" WARN refused a second connection")), qPrintable(pane.plainText()));
        // Info lines ("client connected ...") were filtered out: only the warning is there.
        QCOMPARE(pane.lineCount(), 1);
        first.close();
        emu.stop();
    }
};

QTEST_MAIN(TestLogPane)
#include "tst_logpane.moc"
