// `pacelab emulate` end to end: usage errors exit 2 with a clear message; --bot against a paced
// test bot prints [RX] lines and a summary, writes JSON and a recording, and exits 0.
#include "EmulatorTestBots.h"
#include "audio/WavFile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QWebSocket>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using testbots::FakeBot;

class TestEmulatorCli final : public QObject
{
    Q_OBJECT
private:
    static QString binary() { return QStringLiteral(PACELAB_BINARY); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(binary()), qPrintable(QStringLiteral("build the pacelab executable first: ") + binary()));
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("neither") << QStringList{} << "exactly one of --listen";
        QTest::newRow("both") << QStringList{"--listen", "127.0.0.1:0", "--bot", "ws://127.0.0.1:1/"} << "exactly one of";
        QTest::newRow("http url") << QStringList{"--bot", "http://127.0.0.1/"} << "ws:// or wss://";
        QTest::newRow("bad listen") << QStringList{"--listen", "nohost"} << "HOST:PORT";
        QTest::newRow("bad port") << QStringList{"--listen", "127.0.0.1:70000"} << "0..65535";
        QTest::newRow("missing wav") << QStringList{"--bot", "ws://127.0.0.1:1/", "--caller", "/no/such.wav"} << "/no/such.wav";
        QTest::newRow("bad duration") << QStringList{"--bot", "ws://127.0.0.1:1/", "--duration", "abc"} << "--duration";
        QTest::newRow("bad param") << QStringList{"--bot", "ws://127.0.0.1:1/", "--param", "=x"} << "--param";
        QTest::newRow("json dir") << QStringList{"--bot", "ws://127.0.0.1:1/", "--json", "/no/dir/s.json"} << "does not exist";
        QTest::newRow("record fmt") << QStringList{"--bot", "ws://127.0.0.1:1/", "--record-format", "mp3"} << "mulaw or pcm16";
        QTest::newRow("barge alone") << QStringList{"--bot", "ws://127.0.0.1:1/", "--barge-in-ms", "300"} << "--barge-in-at";
        QTest::newRow("unknown opt") << QStringList{"--bot", "ws://127.0.0.1:1/", "--frobnicate"} << "frobnicate";
        QTest::newRow("malformed url") << QStringList{"--bot", "ws://127.0.0.1:1/ x"} << "malformed URL";
        QTest::newRow("bad tone") << QStringList{"--bot", "ws://127.0.0.1:1/", "--tone", "abc"} << "--tone wants a frequency";
        QTest::newRow("bad header") << QStringList{"--bot", "ws://127.0.0.1:1/", "--header", "bad"} << "'Name: value'";
        QTest::newRow("ca unreadable") << QStringList{"--bot", "wss://127.0.0.1:1/", "--ca-file", "/no/ca.pem"} << "cannot be read";
        QTest::newRow("bad barge time") << QStringList{"--bot", "ws://127.0.0.1:1/", "--barge-in-at", "abc"} << "--barge-in-at wants seconds";
        QTest::newRow("barge file") << QStringList{"--bot", "ws://127.0.0.1:1/", "--barge-in-at", "1", "--barge-in-file", "/no.wav"} << "file not found";
        QTest::newRow("jitter buffer") << QStringList{"--bot", "ws://127.0.0.1:1/", "--jitter-buffer-ms", "-5"} << "0..2000";
        QTest::newRow("capture dir") << QStringList{"--bot", "ws://127.0.0.1:1/", "--capture", "/no/dir/c.jsonl"} << "cannot create capture";
        QTest::newRow("record dir") << QStringList{"--bot", "ws://127.0.0.1:1/", "--record", "/no/dir/r.wav"} << "does not exist";
        QTest::newRow("max-streams 0") << QStringList{"--listen", "127.0.0.1:0", "--max-streams", "0"} << "--max-streams wants a stream count from 1 to 100000";
        QTest::newRow("max-streams absurd") << QStringList{"--listen", "127.0.0.1:0", "--max-streams", "1e12"} << "--max-streams wants a stream count";
        QTest::newRow("max-streams text") << QStringList{"--listen", "127.0.0.1:0", "--max-streams", "many"} << "--max-streams";
        QTest::newRow("max-streams fraction") << QStringList{"--listen", "127.0.0.1:0", "--max-streams", "2.5"} << "whole number";
        QTest::newRow("max-streams bot") << QStringList{"--bot", "ws://127.0.0.1:1/", "--max-streams", "3"} << "--max-streams applies to --listen only";
        QTest::newRow("max-streams record") << QStringList{"--listen", "127.0.0.1:0", "--max-streams", "3", "--record", "/tmp/r.wav"} << "--record applies to one stream only";
        QTest::newRow("max-streams sid") << QStringList{"--listen", "127.0.0.1:0", "--max-streams", "3", "--stream-sid", "MZ1"} << "--stream-sid applies to one stream only";
        QTest::newRow("rt out of range") << QStringList{"--listen", "127.0.0.1:0", "--max-streams", "3", "--rt", "200"} << "--rt wants a SCHED_FIFO priority";
        QTest::newRow("rt one stream") << QStringList{"--listen", "127.0.0.1:0", "--rt", "20"} << "--rt applies with --max-streams > 1";
        QTest::newRow("junit one stream") << QStringList{"--listen", "127.0.0.1:0", "--junit", "/tmp/j.xml"} << "--junit applies with --max-streams > 1";
    }
    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        QProcess p;
        p.start(binary(), QStringList{"emulate"} + args);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 2);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains(message), qPrintable(err));
    }

    void unreachableBotExits1()
    {
        QTcpServer s;
        QVERIFY(s.listen(QHostAddress::LocalHost, 0));
        const quint16 port = s.serverPort();
        s.close();
        QProcess p;
        p.start(binary(), {"emulate", "--bot", QStringLiteral("ws://127.0.0.1:%1/").arg(port)});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 1);
        QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains(QStringLiteral("cannot connect")));
    }

    void botRunWithJsonAndRecording()
    {
        QTemporaryDir dir;
        FakeBot bot;
        QVERIFY(bot.listen());
        // 2 s of audio and 2 marks, all echoed by ~2.1 s; --duration 5 leaves 3 s for a loaded
        // machine before the CLI sends stop.
        bot.onStart = [](FakeBot &b) { b.startPacing(100, 20000, 160, 50); };
        const QString json = dir.filePath(QStringLiteral("s.json"));
        const QString wavPath = dir.filePath(QStringLiteral("r.wav"));
        QProcess p;
        QSignalSpy finished(&p, &QProcess::finished);
        p.start(binary(), {"emulate", "--bot", bot.url().toString(), "--duration", "5", "--param", "who=test",
                           "--json", json, "--record", wavPath, "--record-format", "pcm16", "--tone", "300"});
        // the bot lives in this process: keep its event loop running while the CLI works
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        QCOMPARE(p.exitCode(), 0);
        QVERIFY2(out.contains(QStringLiteral("[RX] fps=")), qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("Violations: 0")), qPrintable(out));
        QCOMPARE(bot.start.customParameters.value(QStringLiteral("who")).toString(), QStringLiteral("test"));
        QVERIFY(bot.stopSeen);
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o.value("arrival").toObject().value("frames").toInt(), 100);
        QCOMPARE(o.value("violations").toObject().value("total").toInt(), 0);
        QCOMPARE(o.value("marks").toObject().value("echoed").toInt(), 2);
        const pacelab::wav::ReadResult r = pacelab::wav::readFile(wavPath);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.info.encoding, pacelab::wav::Encoding::Pcm16);
        QCOMPARE(r.pcm.frames(), 100 * 160);
    }

    void listenManyStreams()
    {
        // --max-streams 2 --once: two clients are judged each on its own stream, a third is
        // refused with the reason, and the run ends when both have closed (counts only).
        quint16 port = 0;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            port = probe.serverPort();
        }
        QTemporaryDir dir;
        const QString json = dir.filePath(QStringLiteral("many.json"));
        QProcess p;
        QSignalSpy finished(&p, &QProcess::finished);
        p.start(binary(), {"emulate", "--listen", QStringLiteral("127.0.0.1:%1").arg(port), "--max-streams", "2", "--once",
                           "--duration", "60", "--json", json});
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("listening"), 60000);
        const QUrl url(QStringLiteral("ws://127.0.0.1:%1/").arg(port));
        QWebSocket a, b, c;
        QStringList sids(2);
        QWebSocket *clients[2] = {&a, &b};
        for (int i = 0; i < 2; ++i) {
            QObject::connect(clients[i], &QWebSocket::textMessageReceived, clients[i], [&sids, i](const QString &t) {
                const QJsonObject m = QJsonDocument::fromJson(t.toUtf8()).object();
                if (m.value("event").toString() == QLatin1String("start"))
                    sids[i] = m.value("streamSid").toString();
            });
            clients[i]->open(url);
        }
        QTRY_VERIFY_WITH_TIMEOUT(!sids[0].isEmpty() && !sids[1].isEmpty(), 60000);
        QVERIFY(sids[0] != sids[1]);
        QSignalSpy refused(&c, &QWebSocket::disconnected);
        c.open(url);
        QTRY_COMPARE_WITH_TIMEOUT(refused.size(), 1, 60000);
        QCOMPARE(int(c.closeCode()), int(QWebSocketProtocol::CloseCodePolicyViolated));
        QVERIFY2(c.closeReason().contains(QLatin1String("--max-streams 2")), qPrintable(c.closeReason()));
        const QByteArray silence(160, char(0xFF));
        for (int i = 0; i < 2; ++i) {
            for (int n = 0; n < 5 * (i + 1); ++n) // 5 frames on one stream, 10 on the other
                clients[i]->sendTextMessage(QString::fromUtf8(pacelab::twilio::encodeMedia(sids[i], silence)));
            clients[i]->flush();
        }
        QTest::qWait(300); // let the frames arrive before the close (a count, not a timing claim)
        a.close();
        b.close();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
        out += p.readAllStandardOutput();
        QVERIFY2(out.contains("1 connection(s) refused"), out.constData());
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonArray calls = o.value("steps").toArray().at(0).toObject().value("calls").toArray();
        QCOMPARE(calls.size(), 2);
        QMap<QString, qint64> frames;
        for (const QJsonValue &v : calls)
            frames.insert(v.toObject().value("streamSid").toString(), v.toObject().value("frames").toInteger());
        QCOMPARE(frames.value(sids[0]), 5);
        QCOMPARE(frames.value(sids[1]), 10);
    }
};

QTEST_GUILESS_MAIN(TestEmulatorCli)
#include "tst_emulator_cli.moc"
