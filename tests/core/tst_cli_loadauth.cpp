// `pacelab load --ca-file F --auth-token T`: a file that cannot be read or holds no PEM
// certificate, and an empty token, exit 2 naming the option before any call is placed; a valid
// CA file is taken; every call's upgrade request carries X-Twilio-Signature signed with the
// token (HMAC-SHA1 of the URL, base64), as TwilioEmulator signs one call. No timing asserted:
// the run's exit code may be 0 or 1 (the test's bot never speaks), never 2 or a crash.
#include <QCryptographicHash>
#include <QFile>
#include <QMessageAuthenticationCode>
#include <QProcess>
#include <QSignalSpy>
#ifndef QT_NO_SSL
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#endif
#include <QTemporaryDir>
#include <QWebSocket>
#include <QWebSocketServer>
#include <QtTest>

class TstCliLoadAuth final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    struct Result
    {
        int exitCode = -1;
        bool crashed = false;
        QString out, err;
    };

    // Runs pacelab while this thread's event loop turns (the test's server accepts).
    Result run(const QStringList &args)
    {
        QProcess p;
        p.start(QStringLiteral(PACELAB_BINARY), args);
        QSignalSpy done(&p, &QProcess::finished);
        if (!done.wait(60000)) {
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

    static QString caFile() { return QStringLiteral(PACELAB_TEST_DATA_DIR "/load/ca.pem"); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFile::exists(caFile()), qPrintable(caFile()));
        QFile f(m_dir.filePath(QStringLiteral("notpem.pem")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not a certificate\n");
    }

    void badOptions_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("message");
        QTest::newRow("ca-file missing") << QStringList{QStringLiteral("--ca-file"), m_dir.filePath(QStringLiteral("none.pem"))}
                                         << QStringLiteral("--ca-file: cannot read");
        QTest::newRow("ca-file a directory") << QStringList{QStringLiteral("--ca-file"), m_dir.path()}
                                             << QStringLiteral("--ca-file");
        QTest::newRow("ca-file not PEM") << QStringList{QStringLiteral("--ca-file"), m_dir.filePath(QStringLiteral("notpem.pem"))}
                                         << QStringLiteral("holds no PEM certificate");
        QTest::newRow("auth-token empty") << QStringList{QStringLiteral("--auth-token"), QStringLiteral(" ")}
                                          << QStringLiteral("--auth-token is empty");
    }
    void badOptions()
    {
        QFETCH(QStringList, extra);
        QFETCH(QString, message);
        const Result r = run(QStringList{QStringLiteral("load"), QStringLiteral("--bot"), QStringLiteral("wss://127.0.0.1:9/"),
                                         QStringLiteral("--calls"), QStringLiteral("2")}
                             + extra);
        QVERIFY(!r.crashed);
        QVERIFY2(r.exitCode == 2, qPrintable(QStringLiteral("exit %1, stderr: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY2(!r.out.contains(QStringLiteral("[LOAD]")), "a run started");
    }

    void everyCallSigned()
    {
        QWebSocketServer server(QStringLiteral("signature check"), QWebSocketServer::NonSecureMode);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        QList<QByteArray> signatures;
        QList<QWebSocket *> sockets;
        connect(&server, &QWebSocketServer::newConnection, this, [&] {
            while (QWebSocket *s = server.nextPendingConnection()) {
                signatures.append(s->request().rawHeader("X-Twilio-Signature"));
                sockets.append(s);
            }
        });
        const QString url = QStringLiteral("ws://127.0.0.1:%1/media?bot=1").arg(server.serverPort());
        const Result r = run({QStringLiteral("load"), QStringLiteral("--bot"), url, QStringLiteral("--calls"), QStringLiteral("2"),
                              QStringLiteral("--ramp"), QStringLiteral("0"), QStringLiteral("--duration"), QStringLiteral("3"),
                              QStringLiteral("--auth-token"), QStringLiteral("secret-token"), QStringLiteral("--ca-file"), caFile()});
        QVERIFY(!r.crashed);
        QVERIFY2(r.exitCode == 0 || r.exitCode == 1, qPrintable(QStringLiteral("exit %1, stderr: %2").arg(r.exitCode).arg(r.err)));
        QCOMPARE(signatures.size(), 2);
        const QByteArray expected =
            QMessageAuthenticationCode::hash(QUrl(url).toString(QUrl::FullyEncoded).toUtf8(), "secret-token", QCryptographicHash::Sha1)
                .toBase64();
        for (const QByteArray &sig : signatures)
            QCOMPARE(sig, expected);
        qDeleteAll(sockets);
    }

    void caFileTrustedForWss()
    {
        // A wss:// bot whose certificate only the CA file vouches for (self-signed for
        // 127.0.0.1, tests/data/load): without --ca-file every call fails its TLS handshake,
        // with it every call connects.
#ifdef QT_NO_SSL
        QSKIP("Qt built without SSL");
#else
        QFile certFile(caFile()), keyFile(QStringLiteral(PACELAB_TEST_DATA_DIR "/load/server.key"));
        QVERIFY(certFile.open(QIODevice::ReadOnly) && keyFile.open(QIODevice::ReadOnly));
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.setLocalCertificate(QSslCertificate(&certFile, QSsl::Pem));
        ssl.setPrivateKey(QSslKey(&keyFile, QSsl::Rsa, QSsl::Pem));
        ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
        QWebSocketServer server(QStringLiteral("wss bot"), QWebSocketServer::SecureMode);
        server.setSslConfiguration(ssl);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        QList<QWebSocket *> sockets;
        connect(&server, &QWebSocketServer::newConnection, this, [&] {
            while (QWebSocket *s = server.nextPendingConnection())
                sockets.append(s);
        });
        const QString url = QStringLiteral("wss://127.0.0.1:%1/").arg(server.serverPort());
        const QStringList base{QStringLiteral("load"), QStringLiteral("--bot"), url, QStringLiteral("--calls"), QStringLiteral("2"),
                               QStringLiteral("--ramp"), QStringLiteral("0"), QStringLiteral("--duration"), QStringLiteral("3")};
        Result r = run(base);
        QVERIFY(!r.crashed);
        QVERIFY2(r.exitCode == 1, qPrintable(QStringLiteral("exit %1, stderr: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.out.contains(QStringLiteral("cannot connect")), qPrintable(r.out));
        QCOMPARE(sockets.size(), 0);

        r = run(base + QStringList{QStringLiteral("--ca-file"), caFile()});
        QVERIFY(!r.crashed);
        QVERIFY2(r.exitCode == 0 || r.exitCode == 1, qPrintable(QStringLiteral("exit %1, stderr: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(!r.out.contains(QStringLiteral("cannot connect")), qPrintable(r.out));
        QCOMPARE(sockets.size(), 2);
        qDeleteAll(sockets);
#endif
    }
};

QTEST_GUILESS_MAIN(TstCliLoadAuth)
#include "tst_cli_loadauth.moc"
