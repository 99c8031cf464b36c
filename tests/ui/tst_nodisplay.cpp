// `pacelab` (README command 1) on a machine without a display: instead of Qt's abort ("could not
// connect to display"), one line saying so and the headless session on the built-in emulator.
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

class TestNoDisplay final : public QObject
{
    Q_OBJECT
private:
    struct Run
    {
        int exitCode = -1;
        QString out;
        QString err;
    };
    static const QString &line()
    {
        static const QString l = QStringLiteral(
            "no display: running the headless session on the built-in emulator; use --headless, or set DISPLAY\n");
        return l;
    }
    // The environment of an SSH session or a CI job: no X, no Wayland, no platform override.
    static QProcessEnvironment noDisplayEnv(const QString &runtimeDir)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char *name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE"})
            env.remove(QString::fromLatin1(name));
        env.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtimeDir); // no wayland-0 socket in there
        return env;
    }
    static Run run(const QStringList &args, const QProcessEnvironment &env)
    {
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(PACELAB_BINARY), args);
        Run r;
        if (!p.waitForStarted(30000) || !p.waitForFinished(120000)) {
            p.kill();
            p.waitForFinished();
            return r;
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

private Q_SLOTS:
    void noDisplayRunsHeadless_data()
    {
        QTest::addColumn<QString>("platform");
        QTest::newRow("nothing set") << QString();
        QTest::newRow("QT_QPA_PLATFORM=xcb") << QStringLiteral("xcb");
        QTest::newRow("QT_QPA_PLATFORM=wayland;xcb") << QStringLiteral("wayland;xcb");
    }
    void noDisplayRunsHeadless()
    {
        QFETCH(QString, platform);
        QTemporaryDir runtime;
        QVERIFY(runtime.isValid());
        QProcessEnvironment env = noDisplayEnv(runtime.path());
        if (!platform.isEmpty())
            env.insert(QStringLiteral("QT_QPA_PLATFORM"), platform);
        const Run r = run({QStringLiteral("--duration"), QStringLiteral("0.5")}, env);
        QVERIFY2(r.exitCode == 0, qPrintable(QStringLiteral("rc=%1\n%2%3").arg(r.exitCode).arg(r.out, r.err)));
        QVERIFY2(r.err.startsWith(line()), qPrintable(r.err));
        QCOMPARE(r.err.count(QStringLiteral("no display")), 1);
        QVERIFY(!r.err.contains(QStringLiteral("could not connect to display")));
        // The headless session ran: its header and summary, on the emulator.
        QVERIFY2(r.out.contains(QStringLiteral("-> built-in emulator at ws://127.0.0.1:")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("[TX] summary: frames=")), qPrintable(r.out));
    }

    void usageErrorsKeepTheirExitCode()
    {
        QTemporaryDir runtime;
        const Run r = run({QStringLiteral("--duration"), QStringLiteral("soon")}, noDisplayEnv(runtime.path()));
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--duration")), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }

    void explicitHeadlessSaysNothing()
    {
        // --headless asked for it: no notice, same session.
        QTemporaryDir runtime;
        const Run r = run({QStringLiteral("--headless"), QStringLiteral("--duration"), QStringLiteral("0.5")},
                          noDisplayEnv(runtime.path()));
        QCOMPARE(r.exitCode, 0);
        QVERIFY(!r.err.contains(QStringLiteral("no display")));
        QVERIFY(r.out.contains(QStringLiteral("[TX] summary: frames=")));
    }
};

QTEST_GUILESS_MAIN(TestNoDisplay)
#include "tst_nodisplay.moc"
