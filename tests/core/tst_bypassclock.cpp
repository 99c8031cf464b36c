// SenderConfig::bypassClock, the bad-bot demo: every frame goes out as soon as it is queued, on
// no 20 ms clock. Asserted by counts and order only: every frame arrives once and in order, marks
// keep their place, nothing is dropped, stalled or re-anchored, and the sender ran far ahead of
// the 20 ms grid (its drift is more than a second early after 30 s of audio — a paced sender
// is never early by more than one interval, however loaded the machine).
#include "NumberedFrames.h"
#include "engine/SenderEngine.h"
#include "twilio/TwilioMessages.h"

#include <QWebSocket>
#include <QWebSocketServer>
#include <QtTest>

#include <thread>

using namespace pacelab;

namespace {

const QString kSid = QStringLiteral("MZ00000000000000000000000000000042");
constexpr int kHangMs = 120000;
constexpr int kFrames = 1500; // 30 s on the grid

using pacelab::test::numbered;
using pacelab::test::numberOf;

} // namespace

class TestBypassClock final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void framesAllArriveUnpaced()
    {
        QWebSocketServer server(QStringLiteral("peer"), QWebSocketServer::NonSecureMode);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        QStringList got;
        connect(&server, &QWebSocketServer::newConnection, this, [&] {
            while (QWebSocket *s = server.nextPendingConnection()) {
                s->setParent(&server);
                connect(s, &QWebSocket::textMessageReceived, this, [&](const QString &t) {
                    const auto r = twilio::parseFromBot(t.toUtf8());
                    if (r.message.event == twilio::Event::Media)
                        got << QString::number(numberOf(r.message.payload));
                    else if (r.message.event == twilio::Event::Mark)
                        got << QStringLiteral("mark:") + r.message.markName;
                });
            }
        });
        SenderConfig cfg;
        cfg.pingIntervalMs = 0;
        cfg.bypassClock = true;
        cfg.comfortSilence = true; // ignored without a clock: no slot to fill
        SenderEngine engine(cfg);
        engine.connectTo(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(server.serverPort())), kSid);
        QTRY_VERIFY_WITH_TIMEOUT(engine.state() == SenderEngine::Connected, kHangMs);
        // A producer with back-pressure (waits at the high-water mark): nothing is dropped, so
        // any loss or reordering is the sender's.
        std::thread producer([&] {
            for (int n = 0; n < kFrames; ++n) {
                if (!engine.enqueueFrame(numbered(n), true))
                    return;
                if (n % 500 == 499)
                    engine.mark(QStringLiteral("after%1").arg(n));
            }
        });
        QTRY_VERIFY_WITH_TIMEOUT(got.size() == kFrames + 3, kHangMs);
        producer.join();
        QStringList expected;
        for (int n = 0; n < kFrames; ++n) {
            expected << QString::number(n);
            if (n % 500 == 499)
                expected << QStringLiteral("mark:after%1").arg(n);
        }
        QCOMPARE(got, expected);
        engine.stop();
        QTRY_VERIFY_WITH_TIMEOUT(engine.state() == SenderEngine::Idle, kHangMs);
        const SenderTotals t = engine.totals();
        QCOMPARE(t.framesSent, quint64(kFrames));
        QCOMPARE(t.comfortFrames, quint64(0));
        QCOMPARE(t.marksSent, quint64(3));
        QCOMPARE(t.stalledFrames, quint64(0));
        QCOMPARE(t.lateResets, quint64(0));
        QCOMPARE(engine.queue()->totalDrops(), quint64(0));
        // The last frame left more than a second before its slot on the 20 ms grid: 1500 frames
        // went out in less than 29 s of the 30 s they last.
        QVERIFY2(t.finalDriftUs < -1000000, qPrintable(QString::number(t.finalDriftUs)));
    }
};

QTEST_GUILESS_MAIN(TestBypassClock)
#include "tst_bypassclock.moc"
