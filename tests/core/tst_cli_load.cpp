// `pacelab load` from the command line: every bad option exits 2 with a message naming it and
// starts nothing (tst_cli_badinput's rules), the file-descriptor limit is checked before the
// run, and a short run against an in-process bot prints live lines and writes its JSON. The live
// run asserts no timing: its exit code may be 0 or 1 (a saturated machine may fail calls),
// never 2 or a crash.
#include "load/LoadReferenceBot.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

using namespace pacelab;

class TestCliLoad final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    struct Result
    {
        int exitCode = -1;
        bool crashed = false;
        QString out, err;
    };

    // Runs pacelab while this thread's event loop keeps turning (an in-process bot accepts).
    Result run(const QStringList &args, const QString &shellPrefix = QString(), int timeoutMs = 60000)
    {
        QProcess p;
        if (shellPrefix.isEmpty()) {
            p.start(QStringLiteral(PACELAB_BINARY), args);
        } else {
            QStringList quoted;
            for (const QString &a : args)
                quoted << QLatin1Char('\'') + a + QLatin1Char('\'');
            p.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), shellPrefix + QStringLiteral(" exec '%1' ").arg(QStringLiteral(PACELAB_BINARY)) + quoted.join(QLatin1Char(' '))});
        }
        QSignalSpy done(&p, &QProcess::finished);
        if (!done.wait(timeoutMs)) {
            p.kill();
            p.waitForFinished();
        }
        Result r;
        r.exitCode = p.exitCode();
        r.crashed = p.exitStatus() != QProcess::NormalExit;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

    QString freePort()
    {
        QTcpServer s;
        s.listen(QHostAddress::LocalHost);
        return QString::number(s.serverPort()); // closed again: nothing listens there
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFile::exists(QStringLiteral(PACELAB_BINARY)), PACELAB_BINARY);
        QFile f(m_dir.filePath(QStringLiteral("notadir")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("a file\n");
        QFile b(m_dir.filePath(QStringLiteral("binary.wav")));
        QVERIFY(b.open(QIODevice::WriteOnly));
        b.write(QByteArray(4096, char(0x5a)));
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString l = QStringLiteral("load");
        const QString bot = QStringLiteral("ws://127.0.0.1:9/");
        const QString unwritable = m_dir.filePath(QStringLiteral("notadir/out"));
        auto row = [](const char *name, QStringList args, const QString &message) { QTest::newRow(name) << args << message; };
        row("no bot", {l, "--calls", "5"}, "--bot");
        row("bot scheme", {l, "--bot", "http://x/", "--calls", "5"}, "--bot");
        row("bot no host", {l, "--bot", "ws://", "--calls", "5"}, "--bot");
        row("bot garbage", {l, "--bot", "::::", "--calls", "5"}, "--bot");
        row("no calls", {l, "--bot", bot}, "--calls");
        row("calls zero", {l, "--bot", bot, "--calls", "0"}, "--calls");
        row("calls negative", {l, "--bot", bot, "--calls", "-3"}, "--calls");
        row("calls absurd", {l, "--bot", bot, "--calls", "1e9"}, "--calls");
        row("calls fraction", {l, "--bot", bot, "--calls", "2.5"}, "--calls");
        row("calls text", {l, "--bot", bot, "--calls", "many"}, "--calls");
        row("ramp negative", {l, "--bot", bot, "--calls", "5", "--ramp", "-1"}, "--ramp");
        row("ramp nan", {l, "--bot", bot, "--calls", "5", "--ramp", "nan"}, "--ramp");
        row("duration zero", {l, "--bot", bot, "--calls", "5", "--duration", "0"}, "--duration");
        row("duration inf", {l, "--bot", bot, "--calls", "5", "--duration", "inf"}, "--duration");
        row("duration shorter than ramp", {l, "--bot", bot, "--calls", "100", "--ramp", "1", "--duration", "5"}, "--duration");
        row("hold negative", {l, "--bot", bot, "--calls", "5", "--hold", "-1"}, "--hold");
        row("barge-in-every tiny", {l, "--bot", bot, "--calls", "5", "--barge-in-every", "0.01"}, "--barge-in-every");
        row("steps descending", {l, "--bot", bot, "--steps", "50,10"}, "--steps");
        row("steps text", {l, "--bot", bot, "--steps", "a,b"}, "--steps");
        row("steps zero", {l, "--bot", bot, "--steps", "0,10"}, "--steps");
        row("steps and calls disagree", {l, "--bot", bot, "--steps", "10,20", "--calls", "30"}, "--calls");
        row("shard out of range", {l, "--bot", bot, "--calls", "5", "--shard", "5/2"}, "--shard");
        row("shard garbage", {l, "--bot", bot, "--calls", "5", "--shard", "x"}, "--shard");
        row("workers zero", {l, "--bot", bot, "--calls", "5", "--workers", "0"}, "--workers");
        row("caller missing", {l, "--bot", bot, "--calls", "5", "--caller", m_dir.filePath("none.wav")}, "none.wav");
        row("caller binary", {l, "--bot", bot, "--calls", "5", "--caller", m_dir.filePath("binary.wav")}, "binary.wav");
        row("json unwritable", {l, "--bot", bot, "--calls", "5", "--json", unwritable}, "notadir");
        row("junit unwritable", {l, "--bot", bot, "--calls", "5", "--junit", unwritable}, "notadir");
        row("html unwritable", {l, "--bot", bot, "--calls", "5", "--html", unwritable}, "notadir");
        row("positional", {l, "--bot", bot, "--calls", "5", "extra"}, "extra");
        row("unknown option", {l, "--frobnicate"}, "frobnicate");
    }
    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Result r = run(args);
        QVERIFY(!r.crashed);
        QVERIFY2(r.exitCode == 2, qPrintable(QStringLiteral("exit %1, stderr: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY2(!r.out.contains(QStringLiteral("[LOAD]")), "a run started");
    }

    void fdLimitCheckedBeforeTheRun()
    {
        // A hard limit of 64 open files cannot carry 1000 calls: refused up front, naming the
        // `ulimit -n` needed, before any call is placed.
        const Result r = run({QStringLiteral("load"), QStringLiteral("--bot"), QStringLiteral("ws://127.0.0.1:9/"),
                              QStringLiteral("--calls"), QStringLiteral("1000")},
                             QStringLiteral("ulimit -n 64 || exit 99;"));
        QVERIFY(!r.crashed);
        QVERIFY2(r.exitCode == 2, qPrintable(QStringLiteral("exit %1, stderr: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.err.contains(QStringLiteral("ulimit -n 1128")), qPrintable(r.err));
        QVERIFY(!r.out.contains(QStringLiteral("[LOAD]")));
    }

    void shortRunAgainstAnInProcessBot()
    {
        LoadReferenceBot bot;
        QString error;
        QVERIFY2(bot.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        const QString json = m_dir.filePath(QStringLiteral("load.json"));
        const Result r = run({QStringLiteral("load"), QStringLiteral("--bot"), bot.url().toString(), QStringLiteral("--calls"),
                              QStringLiteral("5"), QStringLiteral("--ramp"), QStringLiteral("0"), QStringLiteral("--duration"),
                              QStringLiteral("2.5"), QStringLiteral("--json"), json});
        QVERIFY(!r.crashed);
        QVERIFY2(r.exitCode == 0 || r.exitCode == 1, qPrintable(QStringLiteral("exit %1, stderr: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.out.contains(QStringLiteral("[LOAD] calls=")), qPrintable(r.out));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject run = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonArray steps = run.value(QStringLiteral("steps")).toArray();
        QCOMPARE(steps.size(), 1);
        const QJsonArray calls = steps[0].toObject().value(QStringLiteral("calls")).toArray();
        QCOMPARE(calls.size(), 5);
        for (const QJsonValue &c : calls)
            QVERIFY(c.toObject().value(QStringLiteral("connected")).toBool());
        QCOMPARE(bot.started(), 5);
    }

    void refusedCallsCountedAndTheRunEnds()
    {
        const Result r = run({QStringLiteral("load"), QStringLiteral("--bot"), QStringLiteral("ws://127.0.0.1:%1/").arg(freePort()),
                              QStringLiteral("--calls"), QStringLiteral("3"), QStringLiteral("--ramp"), QStringLiteral("0"),
                              QStringLiteral("--duration"), QStringLiteral("1")});
        QVERIFY(!r.crashed);
        QVERIFY2(r.exitCode == 1, qPrintable(QStringLiteral("exit %1, stderr: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.out.contains(QStringLiteral("cannot connect")), qPrintable(r.out));
    }
};

QTEST_GUILESS_MAIN(TestCliLoad)
#include "tst_cli_load.moc"
