// pacelab-wire-rx (the wire bench's receiver process) end to end: counts and states only, never
// timing. Found next to the other build outputs (build/bench/pacelab-wire-rx); part of the
// default build.
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

#include "twilio/TwilioMessages.h"

namespace {

QString rxPath()
{
    return QFileInfo(QStringLiteral(PACELAB_BINARY)).dir().absoluteFilePath(QStringLiteral("../bench/pacelab-wire-rx"));
}

struct Rx
{
    QProcess proc;
    quint16 port = 0;

    bool start(const QStringList &args)
    {
        proc.start(rxPath(), args);
        if (!proc.waitForStarted(10000))
            return false;
        QByteArray line;
        for (int i = 0; i < 200 && !proc.canReadLine(); ++i)
            proc.waitForReadyRead(100);
        line = proc.readLine().trimmed();
        if (!line.startsWith("LISTENING "))
            return false;
        port = line.mid(10).toUShort();
        return port != 0;
    }
    QJsonObject nextResult()
    {
        for (int i = 0; i < 300 && !proc.canReadLine(); ++i)
            proc.waitForReadyRead(100);
        return QJsonDocument::fromJson(proc.readLine()).object();
    }
    ~Rx()
    {
        if (proc.state() != QProcess::NotRunning) {
            proc.kill();
            proc.waitForFinished(5000);
        }
    }
};

} // namespace

class TestWireRx : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFileInfo::exists(rxPath()), qPrintable(rxPath() + QStringLiteral(" not built")));
    }

    void countsMediaFramesWithKernelStamps()
    {
        Rx rx;
        QVERIFY(rx.start({QStringLiteral("--skip"), QStringLiteral("5"), QStringLiteral("--rt"), QStringLiteral("0")}));
        QWebSocket ws;
        ws.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(rx.port)));
        QTRY_COMPARE_WITH_TIMEOUT(ws.state(), QAbstractSocket::ConnectedState, 10000);
        const QString sid = QStringLiteral("MZ00000000000000000000000000000001");
        ws.sendTextMessage(QStringLiteral("{\"event\":\"mark\",\"streamSid\":\"%1\",\"mark\":{\"name\":\"m\"}}").arg(sid));
        for (int i = 0; i < 40; ++i)
            ws.sendTextMessage(QString::fromUtf8(pacelab::twilio::encodeMedia(sid, QByteArray(160, char(0xFF)))));
        ws.ping("p"); // answered, not counted
        ws.close();
        // The close handshake runs in this event loop: the frames are out once it ends.
        QTRY_COMPARE_WITH_TIMEOUT(ws.state(), QAbstractSocket::UnconnectedState, 10000);
        const QJsonObject o = rx.nextResult();
        QVERIFY2(!o.isEmpty(), "no result line");
        QCOMPARE(o.value(QLatin1String("mediaFrames")).toInt(), 40);
        QCOMPARE(o.value(QLatin1String("textFrames")).toInt(), 41);
        QCOMPARE(o.value(QLatin1String("skipped")).toInt(), 5);
        QCOMPARE(o.value(QLatin1String("frames")).toInt(), 35);
        QVERIFY(o.value(QLatin1String("kernelTimestamps")).toBool());
        QVERIFY(!o.contains(QLatin1String("error")));
        QVERIFY(rx.proc.waitForFinished(10000)); // --connections 1: done
        QCOMPARE(rx.proc.exitCode(), 0);
    }

    void notAWebSocketIsAClearError()
    {
        Rx rx;
        QVERIFY(rx.start({QStringLiteral("--rt"), QStringLiteral("0")}));
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, rx.port);
        QVERIFY(s.waitForConnected(10000));
        s.write("HELLO there\r\n\r\n");
        s.flush();
        const QJsonObject o = rx.nextResult();
        QCOMPARE(o.value(QLatin1String("error")).toString(), QStringLiteral("not a WebSocket upgrade request"));
        QCOMPARE(o.value(QLatin1String("mediaFrames")).toInt(), 0);
        QVERIFY(rx.proc.waitForFinished(10000));
        QCOMPARE(rx.proc.exitCode(), 0);
    }

    void badOptionsExitTwo_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("port") << QStringList{QStringLiteral("--port"), QStringLiteral("70000")} << QStringLiteral("--port");
        QTest::newRow("rt") << QStringList{QStringLiteral("--rt"), QStringLiteral("x")} << QStringLiteral("--rt");
        QTest::newRow("missing value") << QStringList{QStringLiteral("--skip")} << QStringLiteral("--skip");
        QTest::newRow("unknown") << QStringList{QStringLiteral("--bogus")} << QStringLiteral("unknown option");
    }
    void badOptionsExitTwo()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        QProcess p;
        p.start(rxPath(), args);
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 2);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains(message), qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TestWireRx)
#include "tst_wire_rx.moc"
