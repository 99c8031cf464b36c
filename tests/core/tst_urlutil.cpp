// pacelab::parseWebSocketUrl: the one set of rules for a WebSocket URL (CLI options and the
// window's URL fields).
#include "util/UrlUtil.h"

#include <QtTest>

using pacelab::WsUrlError;

Q_DECLARE_METATYPE(WsUrlError)

class TestUrlUtil : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void forms_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<WsUrlError>("expected");
        QTest::addColumn<QString>("url"); // the accepted URL, as QUrl::toString() gives it (decoded)
        QTest::newRow("ws") << "ws://127.0.0.1:8080/stream" << WsUrlError::None << "ws://127.0.0.1:8080/stream";
        QTest::newRow("wss, no port") << "wss://bot.example.com/media" << WsUrlError::None << "wss://bot.example.com/media";
        QTest::newRow("upper-case scheme") << "WS://localhost:1" << WsUrlError::None << "ws://localhost:1";
        QTest::newRow("ipv6") << "ws://[::1]:9000/" << WsUrlError::None << "ws://[::1]:9000/";
        QTest::newRow("query kept") << "wss://h/s?token=a%20b" << WsUrlError::None << "wss://h/s?token=a b";
        QTest::newRow("spaces around") << "  ws://h:1/s\n" << WsUrlError::None << "ws://h:1/s";
        QTest::newRow("empty") << "" << WsUrlError::Empty << "";
        QTest::newRow("blank") << " \t" << WsUrlError::Empty << "";
        QTest::newRow("space inside") << "ws://127.0.0.1:1/ x" << WsUrlError::Malformed << "";
        QTest::newRow("space in host") << "ws://exa mple:80/" << WsUrlError::Malformed << "";
        QTest::newRow("bad port") << "ws://h:99999/" << WsUrlError::Malformed << "";
        QTest::newRow("no scheme") << "example.invalid/stream" << WsUrlError::NoScheme << "";
        QTest::newRow("http") << "http://example.invalid/" << WsUrlError::WrongScheme << "";
        QTest::newRow("https") << "https://h:443/" << WsUrlError::WrongScheme << "";
        QTest::newRow("no host") << "ws:///path" << WsUrlError::NoHost << "";
        QTest::newRow("scheme only") << "ws://" << WsUrlError::NoHost << "";
        QTest::newRow("port 0") << "ws://h:0/" << WsUrlError::PortZero << "";
    }

    void forms()
    {
        QFETCH(QString, text);
        QFETCH(WsUrlError, expected);
        QFETCH(QString, url);
        QUrl u(QStringLiteral("ws://untouched"));
        QString detail;
        const WsUrlError got = pacelab::parseWebSocketUrl(text, &u, &detail);
        QCOMPARE(int(got), int(expected));
        if (expected == WsUrlError::None)
            QCOMPARE(u.toString(), url);
        else
            QCOMPARE(u.toString(), QStringLiteral("ws://untouched")); // left alone on failure
        if (expected == WsUrlError::Malformed)
            QVERIFY(!detail.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestUrlUtil)
#include "tst_urlutil.moc"
