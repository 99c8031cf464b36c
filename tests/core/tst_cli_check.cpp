// `pacelab check` as CI runs it: exit codes, reports (JUnit parsed back), bad options.
#include "emulator/TwilioEmulator.h"

#include <QEventLoop>
#include <QFile>
#include <QTcpServer>
#include <QTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <functional>

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run runPacelab(const QStringList &args, int timeoutMs = 60000)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(PACELAB_BINARY), QStringList{QStringLiteral("check")} + args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// Same, but keeps this process's event loop running (an emulator in the test talks to it).
Run runPacelabAsync(const QStringList &args, int timeoutMs, const std::function<void()> &whileRunning = {})
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    QEventLoop loop;
    QObject::connect(&p, &QProcess::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    p.start(QStringLiteral(PACELAB_BINARY), QStringList{QStringLiteral("check")} + args);
    if (whileRunning)
        QTimer::singleShot(1500, &loop, whileRunning);
    loop.exec();
    Run r;
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

quint16 freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

struct JUnitSummary
{
    bool valid = false;
    QString error;
    int testcases = 0, failures = 0, errors = 0;
    QStringList failureMessages;
};

JUnitSummary readJUnit(const QString &path)
{
    JUnitSummary s;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        s.error = f.errorString();
        return s;
    }
    QXmlStreamReader xml(&f);
    bool sawRoot = false;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement())
            continue;
        if (xml.name() == QLatin1String("testsuites"))
            sawRoot = true;
        else if (xml.name() == QLatin1String("testcase"))
            ++s.testcases;
        else if (xml.name() == QLatin1String("failure")) {
            ++s.failures;
            s.failureMessages << xml.attributes().value(QLatin1String("message")).toString();
        } else if (xml.name() == QLatin1String("error"))
            ++s.errors;
    }
    s.valid = sawRoot && !xml.hasError();
    s.error = xml.errorString();
    return s;
}

QByteArray show(const Run &r)
{
    return QStringLiteral("exit %1\nstdout:\n%2\nstderr:\n%3").arg(r.exitCode).arg(r.out, r.err).toUtf8();
}

} // namespace

class TestCliCheck final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void badUsage_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown scenario") << QStringList{"--scenario", "S2,X9"} << "unknown scenario 'X9'";
        QTest::newRow("empty scenario list") << QStringList{"--scenario", ","} << "--scenario wants";
        QTest::newRow("scenario and all") << QStringList{"--scenario", "S2", "--all"} << "either --scenario or --all";
        QTest::newRow("http target") << QStringList{"--target", "http://example.invalid/"} << "must start with ws:// or wss://";
        QTest::newRow("malformed target") << QStringList{"--target", "ws://exa mple:80/"} << "malformed URL";
        QTest::newRow("target without host") << QStringList{"--target", "ws:///path"} << "has no host";
        QTest::newRow("malformed bot") << QStringList{"--bot", "not a url"} << "--bot";
        QTest::newRow("conflicting targets") << QStringList{"--target", "ws://127.0.0.1:1/", "--bot", "ws://127.0.0.1:2/"} << "conflicting targets";
        QTest::newRow("listen without port") << QStringList{"--listen", "127.0.0.1"} << "HOST:PORT";
        QTest::newRow("listen bad port") << QStringList{"--listen", "127.0.0.1:70000"} << "port must be 1..65535";
        QTest::newRow("listen bad host") << QStringList{"--listen", "nohost.example:8080"} << "not an IP address";
        QTest::newRow("sender scenario with bot") << QStringList{"--bot", "ws://127.0.0.1:9/", "--scenario", "S2"} << "only the test-your-bot set";
        QTest::newRow("bot scenario with target") << QStringList{"--target", "ws://127.0.0.1:9/", "--scenario", "B1"} << "use --bot";
        QTest::newRow("unwritable junit") << QStringList{"--scenario", "E1", "--junit", "/nonexistent-pacelab-dir/r.xml"} << "does not exist";
        QTest::newRow("html is a directory") << QStringList{"--scenario", "E1", "--html", "/tmp"} << "is a directory";
        QTest::newRow("bad scale") << QStringList{"--scale", "0"} << "--scale";
        QTest::newRow("bad break") << QStringList{"--break", "fixed-sleep,nonsense"} << "unknown broken twin 'nonsense'";
        QTest::newRow("unknown option") << QStringList{"--frobnicate"} << "frobnicate";
        QTest::newRow("positional") << QStringList{"S2"} << "unexpected argument 'S2'";
        QTest::newRow("unknown provider") << QStringList{"--provider", "skype"} << "unknown provider 'skype'";
    }

    void badUsage()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Run r = runPacelab(args, 20000);
        QVERIFY2(r.exitCode == 2, show(r));
        QVERIFY2(r.err.contains(message), show(r));
        QVERIFY2(r.out.isEmpty(), show(r)); // nothing ran
    }

    void helpAndList()
    {
        const Run help = runPacelab({QStringLiteral("--help")});
        QVERIFY2(help.exitCode == 0, show(help));
        QVERIFY(help.out.contains(QLatin1String("--junit")));
        QVERIFY(help.out.contains(QLatin1String("--provider")));
        QVERIFY(help.out.contains(QLatin1String("pacelab check")));
        const Run list = runPacelab({QStringLiteral("--list")});
        QVERIFY2(list.exitCode == 0, show(list));
        for (const char *id : {"S1", "S6", "E3", "B5"})
            QVERIFY2(list.out.contains(QLatin1String(id)), show(list));
    }

    void passingRunWritesReports()
    {
        QTemporaryDir dir;
        const QString junit = dir.filePath(QStringLiteral("r.xml"));
        const QString json = dir.filePath(QStringLiteral("r.json"));
        const QString html = dir.filePath(QStringLiteral("r.html"));
        // S5 passes on structure alone (frame sizes, sample counts), whatever the machine's load.
        const Run r = runPacelab({QStringLiteral("--scenario"), QStringLiteral("s5"), QStringLiteral("--scale"), QStringLiteral("0.5"),
                               QStringLiteral("--junit"), junit, QStringLiteral("--json"), json, QStringLiteral("--html"), html});
        QVERIFY2(r.exitCode == 0, show(r));
        // Not a terminal: plain lines, no carriage returns.
        QVERIFY2(!r.out.contains(QLatin1Char('\r')), show(r));
        QVERIFY2(r.out.contains(QLatin1String("S5 true 20 ms frames: running")), show(r));
        QVERIFY2(r.out.contains(QLatin1String("PASS: 1 passed")), show(r));
        const JUnitSummary s = readJUnit(junit);
        QVERIFY2(s.valid, qPrintable(s.error));
        QCOMPARE(s.testcases, 1);
        QCOMPARE(s.failures, 0);
        QFile jf(json);
        QVERIFY(jf.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(jf.readAll()).object();
        QCOMPARE(doc.value(QLatin1String("passed")).toBool(), true);
        QFile hf(html);
        QVERIFY(hf.open(QIODevice::ReadOnly));
        QVERIFY(hf.readAll().contains("<svg"));
    }

    // --target: PaceLab's sender streams to a peer it is given (here an emulator in this test).
    void targetMode()
    {
        pacelab::TwilioEmulator emu;
        QVERIFY(emu.listen(QHostAddress::LocalHost, 0));
        const Run r = runPacelabAsync({QStringLiteral("--target"), emu.serverUrl().toString(), QStringLiteral("--scenario"),
                                    QStringLiteral("S5"), QStringLiteral("--scale"), QStringLiteral("0.5")}, 60000);
        QVERIFY2(r.exitCode == 0, show(r));
        QVERIFY2(r.out.contains(QLatin1String("frames of 160 B sent")), show(r));
        QVERIFY(emu.stats().frames > 0);
        QCOMPARE(emu.stats().nonStandardFrames, 0);
    }

    // --listen: PaceLab's sender waits like a bot; "Twilio" (an emulator here) calls it.
    void listenMode()
    {
        const quint16 port = freePort();
        pacelab::TwilioEmulator emu;
        const Run r = runPacelabAsync({QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port),
                                    QStringLiteral("--scenario"), QStringLiteral("E1")},
                                   60000, [&] {
                                       pacelab::EmulatorOptions o;
                                       emu.connectToBot(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port)), o);
                                   });
        QVERIFY2(r.exitCode == 0, show(r));
        QVERIFY2(r.out.contains(QLatin1String("E1  silence")), show(r));
        QCOMPARE(emu.stats().frames, qint64(250));
    }

    void failingRunExitsOne()
    {
        QTemporaryDir dir;
        const QString junit = dir.filePath(QStringLiteral("r.xml"));
        const Run r = runPacelab({QStringLiteral("--scenario"), QStringLiteral("S4"), QStringLiteral("--break"),
                               QStringLiteral("unbounded-queue"), QStringLiteral("--scale"), QStringLiteral("0.5"),
                               QStringLiteral("--junit"), junit, QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 1, show(r));
        QVERIFY2(r.out.contains(QLatin1String("FAIL")), show(r));
        QVERIFY2(!r.out.contains(QLatin1String("JUnit report")), show(r)); // --quiet
        const JUnitSummary s = readJUnit(junit);
        QVERIFY2(s.valid, qPrintable(s.error));
        QCOMPARE(s.testcases, 1);
        QCOMPARE(s.failures, 1);
        QVERIFY2(s.failureMessages.first().contains(QLatin1String("unbounded")), qPrintable(s.failureMessages.first()));
    }
};

QTEST_GUILESS_MAIN(TestCliCheck)
#include "tst_cli_check.moc"
