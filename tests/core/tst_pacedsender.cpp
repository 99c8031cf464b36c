// SenderEngine / PacedSender over loopback WebSockets written here: order, counts, marks, clear,
// ping, slow reader, peer close and garbage, bad URLs and configs, listen mode, stop modes.
// Real time on a possibly saturated machine: only what holds at any load is asserted (order,
// counts, no loss, state transitions, bounded queues); waits are generous so that only a hang
// fails them. Pacing numbers are tested on simulated time (tst_pacer, tst_telemetry) and
// measured by pacelab-bench pacing.
#include "engine/PacedSender.h"
#include "engine/SenderEngine.h"
#include "twilio/TwilioMessages.h"

#include <QJsonDocument>
#include <QProcess>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QJsonObject>
#include <QSignalSpy>
#include <QWebSocket>
#include <QTcpServer>
#include <QWebSocketServer>
#include <QtTest>

#include <atomic>
#include <thread>

using namespace pacelab;

namespace {

const QString kSid = QStringLiteral("MZ00000000000000000000000000000001");
// Waits end as soon as their condition holds; this long only for a hang.
constexpr int kHangMs = 60000;

// A silence frame that still carries its number: mu-law 0xFF and 0x7F both decode to 0.
QByteArray silenceFrame(int n)
{
    QByteArray f(160, char(0xFF));
    for (int k = 0; k < 12; ++k)
        if ((n >> k) & 1)
            f[k] = char(0x7F);
    return f;
}

int silenceFrameNo(const QByteArray &f)
{
    int n = 0;
    for (int k = 0; k < 12 && k < f.size(); ++k)
        if (quint8(f[k]) == 0x7F)
            n |= 1 << k;
    return n;
}

struct Received
{
    qint64 ns;
    twilio::ParseResult parsed;
};

// The peer: a loopback WebSocket server on the test's thread that records what the bot sends.
class TestPeer : public QObject
{
public:
    explicit TestPeer(bool sendStart = false) : m_sendStart(sendStart)
    {
        QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
        connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *s = m_server.nextPendingConnection()) {
                s->setParent(&m_server); // ours to delete (with the server, before `messages`)
                socket = s;
                ++connections;
                connect(s, &QWebSocket::textMessageReceived, this, [this](const QString &t) {
                    messages.append({steadyNowNs(), twilio::parseFromBot(t.toUtf8())});
                });
                if (m_sendStart) {
                    twilio::StartInfo info;
                    info.streamSid = kSid;
                    info.accountSid = QStringLiteral("AC00000000000000000000000000000001");
                    info.callSid = QStringLiteral("CA00000000000000000000000000000001");
                    s->sendTextMessage(QString::fromUtf8(twilio::encodeConnected()));
                    s->sendTextMessage(QString::fromUtf8(twilio::encodeStart(info, 1)));
                }
            }
        });
    }
    QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/stream").arg(m_server.serverPort())); }
    int mediaCount() const
    {
        int n = 0;
        for (const auto &m : messages)
            n += m.parsed.message.event == twilio::Event::Media;
        return n;
    }

    QWebSocketServer m_server{QStringLiteral("test-peer"), QWebSocketServer::NonSecureMode};
    QPointer<QWebSocket> socket;
    QList<Received> messages;
    int connections = 0;

private:
    bool m_sendStart;
};

SenderConfig fastConfig()
{
    SenderConfig cfg;
    cfg.pingIntervalMs = 0;
    return cfg;
}

int countLevel(const QSignalSpy &spy, const QString &level)
{
    int n = 0;
    for (const auto &args : spy)
        n += args.at(0).toString() == level;
    return n;
}

// Whether the stateChanged signal for st has been delivered. state() itself is read from an
// atomic the sender thread sets before its queued signals (errorOccurred, telemetry) arrive
// here, so a test that reads a spy waits for the state *signal*, not for state().
bool sawState(const QSignalSpy &states, SenderEngine::State st)
{
    for (const auto &args : states)
        if (args.at(0).value<SenderEngine::State>() == st)
            return true;
    return false;
}

QString joinedLogs(const QSignalSpy &spy)
{
    QStringList l;
    for (const auto &args : spy)
        l << args.at(0).toString() + QLatin1Char(':') + args.at(1).toString();
    return l.join(QLatin1String(" | "));
}

} // namespace

class TestPacedSender final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void silence250FramesInOrder();
    void streamSidLearntFromStart();
    void marksKeepTheirPlace();
    void clearEmptiesQueuesAndSendsClear();
    void pingMeasuresRtt();
    void slowReaderKeepsMemoryBounded();
    void peerCloseIsAClearError();
    void peerGarbageIsLoggedNotFatal();
    void oversizedPeerMessageClosesTheSocket();
    void badConfigIsAClearError_data();
    void badConfigIsAClearError();
    void listenPortInUseIsAClearError();
    void reconnectsWithBackoff();
    void wssVerifiesCertificates();
    void badUrls_data();
    void badUrls();
    void listenModeServesTwilio();
    void stopDrainsOrDiscards();
    void comfortSilenceWhenIdle();
    void fixedSleepPacerDrifts();
    void telemetryLineAndJson();
};

void TestPacedSender::silence250FramesInOrder()
{
    TestPeer peer;
    SenderConfig cfg = fastConfig();
    SenderEngine engine(cfg);
    QSignalSpy logs(&engine, &SenderEngine::logMessage);
    QSignalSpy tele(&engine, &SenderEngine::telemetry);
    QSignalSpy states(&engine, &SenderEngine::stateChanged);
    engine.connectTo(peer.url(), kSid);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);

    // The checklist's end-to-end check: push 250 frames of silence (5 s of audio), no warnings.
    std::thread producer([&] {
        for (int i = 0; i < 250; ++i)
            engine.enqueueFrame(silenceFrame(i));
    });
    QTRY_VERIFY_WITH_TIMEOUT(peer.mediaCount() >= 250, kHangMs);
    producer.join();
    engine.stop(); // drains (nothing left) and emits the last partial second
    QTRY_VERIFY_WITH_TIMEOUT(sawState(states, SenderEngine::Idle), kHangMs);
    QTRY_VERIFY_WITH_TIMEOUT(!peer.socket || peer.socket->state() != QAbstractSocket::ConnectedState, kHangMs);

    QCOMPARE(peer.mediaCount(), 250);
    int expected = 0;
    for (const auto &m : peer.messages) {
        QVERIFY2(m.parsed.ok(), qPrintable(m.parsed.detail));
        QCOMPARE(m.parsed.message.event, twilio::Event::Media);
        QCOMPARE(m.parsed.message.streamSid, kSid);
        QCOMPARE(m.parsed.message.payload.size(), 160);
        QCOMPARE(silenceFrameNo(m.parsed.message.payload), expected++);
    }
    QCOMPARE(countLevel(logs, QStringLiteral("warning")), 0);
    QCOMPARE(countLevel(logs, QStringLiteral("error")), 0);
    QCOMPARE(engine.queue()->totalDrops(), 0u);
    QCOMPARE(engine.offThreadWrites(), 0u);
    QCOMPARE(engine.totals().framesSent, 250u);
    // The per-second telemetry accounts for every frame, seconds numbered in order.
    int telemetryFrames = 0;
    for (int i = 0; i < tele.size(); ++i) {
        const auto s = tele.at(i).at(0).value<TelemetrySnapshot>();
        QCOMPARE(s.secondIndex, qint64(i));
        QCOMPARE(s.drops, 0);
        telemetryFrames += s.framesSent;
    }
    QCOMPARE(telemetryFrames, 250);
    QCOMPARE(engine.lastTelemetry().bytesSentTotal, qint64(engine.totals().bytesSent));
}

void TestPacedSender::streamSidLearntFromStart()
{
    TestPeer peer(/*sendStart=*/true);
    SenderEngine engine(fastConfig());
    QSignalSpy peerMsgs(&engine, &SenderEngine::peerMessage);
    engine.connectTo(peer.url());
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
    QCOMPARE(engine.streamSid(), kSid);
    QTRY_VERIFY_WITH_TIMEOUT(peerMsgs.size() >= 2, kHangMs); // connected + start, handed to the application
    for (int i = 0; i < 5; ++i)
        QVERIFY(engine.enqueueFrame(silenceFrame(i)));
    QTRY_COMPARE_WITH_TIMEOUT(peer.mediaCount(), 5, kHangMs);
    QCOMPARE(peer.messages.first().parsed.message.streamSid, kSid);
}

void TestPacedSender::marksKeepTheirPlace()
{
    TestPeer peer;
    SenderEngine engine(fastConfig());
    QSignalSpy marks(&engine, &SenderEngine::markSent);
    // Queued before the connection: the order is fixed by the queue, not by timing.
    for (int i = 0; i < 10; ++i)
        engine.enqueueFrame(silenceFrame(i), false);
    engine.mark(QStringLiteral("m1"));
    for (int i = 10; i < 20; ++i)
        engine.enqueueFrame(silenceFrame(i), false);
    engine.mark(QStringLiteral("m2"));
    engine.connectTo(peer.url(), kSid);
    QTRY_COMPARE_WITH_TIMEOUT(peer.messages.size(), 22, kHangMs);
    QStringList order;
    for (const auto &m : peer.messages) {
        QVERIFY2(m.parsed.ok(), qPrintable(m.parsed.detail));
        if (m.parsed.message.event == twilio::Event::Mark)
            order << m.parsed.message.markName;
        else
            order << QString::number(silenceFrameNo(m.parsed.message.payload));
    }
    QCOMPARE(order.indexOf(QStringLiteral("m1")), 10);
    QCOMPARE(order.indexOf(QStringLiteral("m2")), 21);
    QCOMPARE(order.at(9), QStringLiteral("9"));
    QCOMPARE(order.at(11), QStringLiteral("10"));
    QTRY_COMPARE_WITH_TIMEOUT(marks.size(), 2, kHangMs);
    QCOMPARE(marks.at(0).at(0).toString(), QStringLiteral("m1"));
}

void TestPacedSender::clearEmptiesQueuesAndSendsClear()
{
    TestPeer peer;
    SenderConfig cfg = fastConfig();
    cfg.queueCapacity = 0; // 1000 frames (20 s) of old speech: the clear surely comes before its end
    SenderEngine engine(cfg);
    engine.connectTo(peer.url(), kSid);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
    for (int i = 0; i < 1000; ++i)
        QVERIFY(engine.enqueueFrame(silenceFrame(i), false));
    QTRY_VERIFY_WITH_TIMEOUT(peer.mediaCount() >= 5, kHangMs);
    engine.clear();
    QCOMPARE(engine.queue()->size(), 0); // the tx queue is empty at once
    for (int i = 500; i < 505; ++i)
        engine.enqueueFrame(silenceFrame(i), false); // the answer after the barge-in
    QTRY_VERIFY_WITH_TIMEOUT(peer.mediaCount() >= 10 && !peer.messages.isEmpty()
                                 && peer.messages.last().parsed.message.event == twilio::Event::Media
                                 && silenceFrameNo(peer.messages.last().parsed.message.payload) == 504,
                             kHangMs);
    int clearAt = -1;
    for (int i = 0; i < peer.messages.size(); ++i) {
        if (peer.messages[i].parsed.message.event == twilio::Event::Clear) {
            QCOMPARE(clearAt, -1); // exactly one
            clearAt = i;
            QCOMPARE(peer.messages[i].parsed.message.streamSid, kSid);
        }
    }
    QVERIFY(clearAt > 0);
    // Everything after the clear is the new answer, in order; nothing of the old speech.
    QCOMPARE(peer.messages.size() - clearAt - 1, 5);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(silenceFrameNo(peer.messages[clearAt + 1 + i].parsed.message.payload), 500 + i);
    QVERIFY(peer.mediaCount() < 1000);
    QTRY_COMPARE_WITH_TIMEOUT(engine.totals().clearsSent, 1u, kHangMs);
}

void TestPacedSender::pingMeasuresRtt()
{
    TestPeer peer;
    SenderConfig cfg = fastConfig();
    cfg.pingIntervalMs = 300;
    SenderEngine engine(cfg);
    engine.connectTo(peer.url(), kSid);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
    // The peer's Qt socket answers pings by itself (as Twilio does); the RTT shows in telemetry.
    // (How long the RTT is, and whether a pong came after the next ping, depends on the load.)
    QTRY_VERIFY_WITH_TIMEOUT(engine.lastTelemetry().pingRttMs >= 0, kHangMs);
    QVERIFY(engine.lastTelemetry().idle); // nothing queued: idle seconds
    QCOMPARE(engine.lastTelemetry().framesSent, 0);
}

void TestPacedSender::slowReaderKeepsMemoryBounded()
{
    TestPeer peer;
    SenderConfig cfg = fastConfig();
    // Big frames at a fast clock so the kernel's socket buffers fill within seconds.
    cfg.frameIntervalUs = 2000;
    cfg.queueCapacity = 30;
    cfg.highWater = 30;
    cfg.sendQueueCapacity = 20;
    cfg.maxBytesToWrite = 64 * 1024;
    cfg.dropWarnIntervalMs = 500;
    SenderEngine engine(cfg);
    engine.connectTo(peer.url(), kSid);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
    QTRY_VERIFY_WITH_TIMEOUT(peer.socket, kHangMs);

    // The peer stops reading: this thread (the peer's) processes no events until the sender
    // has stalled and the producer has lost frames, while a real-time producer keeps pushing
    // with drop-oldest. (How long that takes depends on the kernel's buffers and the load.)
    const QByteArray big(16000, char(0xFF));
    QElapsedTimer t;
    t.start();
    int maxQueue = 0;
    while (t.elapsed() < kHangMs) {
        engine.queue()->pushDropOldest(TxItem::media(big));
        maxQueue = std::max(maxQueue, engine.queue()->size());
        QThread::usleep(1500);
        if (engine.totals().stalledFrames > 0 && engine.queue()->totalDrops() > 0)
            break;
    }
    const SenderTotals tot = engine.totals();
    qInfo("slow reader: stalled=%llu drops=%llu maxBytesToWrite=%lld maxSendQueue=%d maxQueue=%d",
          tot.stalledFrames, engine.queue()->totalDrops(), tot.maxBytesToWrite, tot.maxSendQueue, maxQueue);
    QVERIFY(tot.stalledFrames > 0);
    QVERIFY(engine.queue()->totalDrops() > 0);
    QVERIFY(maxQueue <= cfg.queueCapacity);
    QVERIFY(tot.maxSendQueue <= cfg.sendQueueCapacity);
    const qint64 oneMessage = 16000 * 4 / 3 + 200;
    QVERIFY2(tot.maxBytesToWrite <= cfg.maxBytesToWrite + oneMessage, qPrintable(QString::number(tot.maxBytesToWrite)));

    // The peer reads again: the stream goes on.
    const int before = peer.mediaCount();
    QTRY_VERIFY_WITH_TIMEOUT(peer.mediaCount() > before, kHangMs);
    QCOMPARE(engine.state(), SenderEngine::Connected);
    QCOMPARE(engine.offThreadWrites(), 0u);
}

void TestPacedSender::peerCloseIsAClearError()
{
    TestPeer peer;
    SenderEngine engine(fastConfig());
    QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
    engine.connectTo(peer.url(), kSid);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
    for (int i = 0; i < 50; ++i)
        engine.enqueueFrame(silenceFrame(i), false);
    QTRY_VERIFY_WITH_TIMEOUT(peer.mediaCount() >= 3, kHangMs);
    peer.socket->close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("call ended"));
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Error, kHangMs);
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), kHangMs);
    const QString msg = errors.last().at(0).toString();
    QVERIFY2(msg.contains(QLatin1String("closed by the peer")) && msg.contains(QLatin1String("call ended")),
             qPrintable(msg));
    // Producers are not left hanging.
    QVERIFY(!engine.enqueueFrame(silenceFrame(0), true));
}

void TestPacedSender::peerGarbageIsLoggedNotFatal()
{
    TestPeer peer(/*sendStart=*/true);
    SenderEngine engine(fastConfig());
    QSignalSpy logs(&engine, &SenderEngine::logMessage);
    QSignalSpy peerMsgs(&engine, &SenderEngine::peerMessage);
    engine.connectTo(peer.url());
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
    QTRY_VERIFY_WITH_TIMEOUT(peer.socket, kHangMs);
    QTRY_COMPARE_WITH_TIMEOUT(peerMsgs.size(), 2, kHangMs); // connected + start
    twilio::StartInfo other;
    other.streamSid = QStringLiteral("MZ00000000000000000000000000000002");
    other.accountSid = QStringLiteral("AC00000000000000000000000000000001");
    other.callSid = QStringLiteral("CA00000000000000000000000000000001");
    peer.socket->sendTextMessage(QStringLiteral("{not json"));
    peer.socket->sendTextMessage(QStringLiteral("{\"event\":\"bogus\"}"));
    peer.socket->sendTextMessage(QString(1 << 20, QLatin1Char('x'))); // 1 MiB of garbage
    peer.socket->sendBinaryMessage(QByteArray(5000, '\0'));
    peer.socket->sendTextMessage(QString::fromUtf8(twilio::encodeStart(other, 2)));
    peer.socket->sendTextMessage(QString::fromUtf8(twilio::encodeStop(kSid, 3, other.accountSid, other.callSid)));
    QTRY_COMPARE_WITH_TIMEOUT(peerMsgs.size(), 7, kHangMs); // every text message is handed on
    // Still streaming, to the first streamSid.
    for (int i = 0; i < 5; ++i)
        QVERIFY(engine.enqueueFrame(silenceFrame(i), false));
    QTRY_COMPARE_WITH_TIMEOUT(peer.mediaCount(), 5, kHangMs);
    QCOMPARE(engine.state(), SenderEngine::Connected);
    QCOMPARE(engine.streamSid(), kSid);
    for (const auto &m : peer.messages)
        QCOMPARE(m.parsed.message.streamSid, kSid);
    const QString all = joinedLogs(logs);
    auto count = [&](const QString &text) {
        int n = 0;
        for (const auto &args : logs)
            n += args.at(1).toString().contains(text);
        return n;
    };
    QCOMPARE(count(QStringLiteral("peer sent an invalid message")), 3);
    QCOMPARE(count(QStringLiteral("peer sent a binary frame (5000 bytes); ignored")), 1);
    QCOMPARE(count(QStringLiteral("second start message (streamSid MZ00000000000000000000000000000002) ignored")), 1);
    QCOMPARE(count(QStringLiteral("peer sent stop")), 1);
    QCOMPARE(countLevel(logs, QStringLiteral("error")), 0);
    QVERIFY2(all.size() < 20000, "a huge message is not copied into the log"); // bounded log lines
}

void TestPacedSender::oversizedPeerMessageClosesTheSocket()
{
    // A hostile peer's 8 MiB message is refused by the WebSocket layer (close 1009), not
    // buffered: the engine reports the closed connection and hands nothing on.
    TestPeer peer(/*sendStart=*/true);
    SenderEngine engine(fastConfig());
    QSignalSpy peerMsgs(&engine, &SenderEngine::peerMessage);
    QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
    engine.connectTo(peer.url());
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
    QTRY_VERIFY_WITH_TIMEOUT(peer.socket, kHangMs);
    QTRY_COMPARE_WITH_TIMEOUT(peerMsgs.size(), 2, kHangMs); // connected + start
    peer.socket->sendTextMessage(QString(8 << 20, QLatin1Char('x')));
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), kHangMs);
    QVERIFY2(errors.first().at(0).toString().contains(QLatin1String("1009")), qPrintable(errors.first().at(0).toString()));
    QCOMPARE(peerMsgs.size(), 2);
}

void TestPacedSender::badConfigIsAClearError_data()
{
    QTest::addColumn<int>("field");
    QTest::addColumn<QString>("expected");
    QTest::newRow("queue -1") << 0 << "queue capacity must be >= 0";
    QTest::newRow("interval 500us") << 1 << "frame interval must be 1000..1000000 us, got 500";
    QTest::newRow("spin > lead") << 2 << "spin time must be 0..wake lead (2000) us, got 3000";
    QTest::newRow("tiny socket bound") << 3 << "max bytes to write must be >= 1024, got 10";
    QTest::newRow("header injection") << 4 << "invalid extra header 'X-A'";
    QTest::newRow("backoff") << 5 << "reconnect backoff must satisfy 1 <= initial (5000) <= max (100) ms";
    QTest::newRow("rt priority") << 6 << "real-time priority must be 0..99 (0 = off), got 100";
    QTest::newRow("high water") << 7 << "high-water mark must be between 0 and the queue capacity (120), got 121";
}

void TestPacedSender::badConfigIsAClearError()
{
    QFETCH(int, field);
    QFETCH(QString, expected);
    SenderConfig cfg = fastConfig();
    switch (field) {
    case 0: cfg.queueCapacity = -1; break;
    case 1: cfg.frameIntervalUs = 500; break;
    case 2: cfg.spinUs = 3000; break;
    case 3: cfg.maxBytesToWrite = 10; break;
    case 4: cfg.extraHeaders = {{QByteArray("X-A"), QByteArray("1\r\nX-B: 2")}}; break;
    case 5: cfg.reconnectInitialMs = 5000; cfg.reconnectMaxMs = 100; break;
    case 6: cfg.realtimePriority = 100; break;
    case 7: cfg.highWater = 121; break;
    }
    QVERIFY(cfg.validate().contains(expected));
    for (const bool listen : {false, true}) {
        SenderEngine engine(cfg);
        QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
        if (listen)
            engine.listen(QHostAddress::LocalHost, 0);
        else
            engine.connectTo(QUrl(QStringLiteral("ws://127.0.0.1:1/")), kSid);
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), kHangMs);
        QCOMPARE(engine.state(), SenderEngine::Error);
        const QString msg = errors.first().at(0).toString();
        QVERIFY2(msg.startsWith(QLatin1String("invalid sender configuration: ")) && msg.contains(expected),
                 qPrintable(msg));
        QVERIFY(!engine.enqueueFrame(silenceFrame(0), true)); // producers are not left waiting
    }
}

void TestPacedSender::listenPortInUseIsAClearError()
{
    QTcpServer occupier;
    QVERIFY(occupier.listen(QHostAddress::LocalHost, 0));
    SenderEngine engine(fastConfig());
    QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
    engine.listen(QHostAddress::LocalHost, occupier.serverPort());
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), kHangMs);
    const QString msg = errors.first().at(0).toString();
    QVERIFY2(msg.startsWith(QStringLiteral("cannot listen on 127.0.0.1:%1: ").arg(occupier.serverPort())),
             qPrintable(msg));
    QCOMPARE(engine.listeningPort(), quint16(0));

    SenderEngine noAddress(fastConfig());
    QSignalSpy noAddressErrors(&noAddress, &SenderEngine::errorOccurred);
    noAddress.listen(QHostAddress(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!noAddressErrors.isEmpty(), kHangMs);
    QCOMPARE(noAddressErrors.first().at(0).toString(), QStringLiteral("cannot listen: no valid address given"));
}

void TestPacedSender::reconnectsWithBackoff()
{
    TestPeer peer;
    SenderConfig cfg = fastConfig();
    cfg.reconnect = true;
    cfg.reconnectInitialMs = 100;
    SenderEngine engine(cfg);
    QSignalSpy states(&engine, &SenderEngine::stateChanged);
    engine.connectTo(peer.url(), kSid);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
    QTRY_COMPARE_WITH_TIMEOUT(peer.connections, 1, kHangMs);
    peer.socket->close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("proxy restart"));
    QTRY_COMPARE_WITH_TIMEOUT(peer.connections, 2, kHangMs);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
    bool sawReconnect = false;
    for (const auto &args : states)
        sawReconnect |= args.at(1).toString().contains(QLatin1String("reconnecting"));
    QVERIFY(sawReconnect);
    // The queue survived the drop: audio flows on the new connection.
    for (int i = 0; i < 3; ++i)
        QVERIFY(engine.enqueueFrame(silenceFrame(i), false));
    QTRY_COMPARE_WITH_TIMEOUT(peer.mediaCount(), 3, kHangMs);
}

void TestPacedSender::wssVerifiesCertificates()
{
#if defined(__SANITIZE_THREAD__) // gcc; clang defines __has_feature instead
#define PACELAB_UNDER_TSAN
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PACELAB_UNDER_TSAN
#endif
#endif
#ifdef PACELAB_UNDER_TSAN
    // QProcess starts openssl with clone(); clang-14's TSAN runtime dies in that child
    // ("CHECK failed: tsan_rtl.cpp:234" in ForkAfter). The normal and ASAN suites run this case.
    QSKIP("ThreadSanitizer cannot run a process that QProcess forks (the openssl CLI)");
#endif
    // A throw-away CA-less self-signed certificate for 127.0.0.1, made with the openssl CLI.
    QTemporaryDir dir;
    const QString cert = dir.filePath(QStringLiteral("cert.pem"));
    const QString key = dir.filePath(QStringLiteral("key.pem"));
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
                   QStringLiteral("-nodes"), QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
                   QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"), QStringLiteral("subjectAltName=IP:127.0.0.1"),
                   QStringLiteral("-keyout"), key, QStringLiteral("-out"), cert});
    if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0)
        QSKIP("the openssl CLI is not available to make a test certificate");

    QWebSocketServer server(QStringLiteral("tls-peer"), QWebSocketServer::SecureMode);
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    QFile cf(cert), kf(key);
    QVERIFY(cf.open(QIODevice::ReadOnly) && kf.open(QIODevice::ReadOnly));
    tls.setLocalCertificate(QSslCertificate(&cf, QSsl::Pem));
    tls.setPrivateKey(QSslKey(&kf, QSsl::Rsa, QSsl::Pem));
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    server.setSslConfiguration(tls);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    int media = 0;
    connect(&server, &QWebSocketServer::newConnection, this, [&] {
        while (QWebSocket *s = server.nextPendingConnection()) {
            s->setParent(&server);
            connect(s, &QWebSocket::textMessageReceived, this, [&](const QString &) { ++media; });
        }
    });
    const QUrl url(QStringLiteral("wss://127.0.0.1:%1/").arg(server.serverPort()));

    {
        // Not trusted by default: a clear TLS error.
        SenderEngine engine(fastConfig());
        QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
        engine.connectTo(url, kSid);
        // The state is Error (an atomic) before the queued errorOccurred arrives: wait for it.
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), kHangMs);
        QCOMPARE(engine.state(), SenderEngine::Error);
        QVERIFY2(errors.first().at(0).toString().contains(QLatin1String("TLS")),
                 qPrintable(errors.first().at(0).toString()));
    }
    {
        // Trusted through caFile.
        SenderConfig cfg = fastConfig();
        cfg.caFile = cert;
        SenderEngine engine(cfg);
        engine.connectTo(url, kSid);
        QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
        engine.enqueueFrame(silenceFrame(1), false);
        QTRY_COMPARE_WITH_TIMEOUT(media, 1, kHangMs);
    }
    {
        SenderConfig cfg = fastConfig();
        cfg.caFile = dir.filePath(QStringLiteral("missing.pem"));
        SenderEngine engine(cfg);
        QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
        engine.connectTo(url, kSid);
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), kHangMs);
        QCOMPARE(engine.state(), SenderEngine::Error);
        QVERIFY2(errors.first().at(0).toString().contains(QLatin1String("cannot load a PEM CA certificate")),
                 qPrintable(errors.first().at(0).toString()));
    }
}

void TestPacedSender::badUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("expected");
    QTest::newRow("http") << "http://127.0.0.1:80/" << "unsupported URL scheme 'http'";
    QTest::newRow("no host") << "ws:///stream" << "has no host";
    QTest::newRow("garbage") << "::not a url::" << "URL";
    QTest::newRow("colon path") << "127.0.0.1:8080" << "invalid URL";
    QTest::newRow("no scheme") << "example.invalid/stream" << "has no scheme";
    QTest::newRow("refused") << "ws://127.0.0.1:1/" << "cannot connect to";
    QTest::newRow("port 0") << "ws://127.0.0.1:0/" << "port 0";
}

void TestPacedSender::badUrls()
{
    QFETCH(QString, url);
    QFETCH(QString, expected);
    SenderEngine engine(fastConfig());
    QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
    engine.connectTo(QUrl(url), kSid);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Error, kHangMs);
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), kHangMs);
    const QString msg = errors.first().at(0).toString();
    QVERIFY2(!msg.isEmpty() && msg.contains(expected), qPrintable(msg));
}

void TestPacedSender::listenModeServesTwilio()
{
    SenderEngine engine(fastConfig());
    QSignalSpy peerMsgs(&engine, &SenderEngine::peerMessage);
    engine.listen(QHostAddress::LocalHost, 0);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Listening, kHangMs);
    QVERIFY(engine.listeningPort() > 0);
    for (int i = 0; i < 10; ++i)
        engine.enqueueFrame(silenceFrame(i), false);

    // The test plays Twilio: connect, send connected + start, read what the bot sends.
    QWebSocket twilio;
    QList<QByteArray> got;
    connect(&twilio, &QWebSocket::textMessageReceived, this, [&](const QString &t) { got << t.toUtf8(); });
    twilio.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(engine.listeningPort())));
    QTRY_COMPARE_WITH_TIMEOUT(twilio.state(), QAbstractSocket::ConnectedState, kHangMs);
    QTest::qWait(100);
    QCOMPARE(engine.state(), SenderEngine::Listening); // no streamSid yet: nothing is sent
    QVERIFY(got.isEmpty());
    twilio::StartInfo info;
    info.streamSid = kSid;
    info.accountSid = QStringLiteral("AC00000000000000000000000000000001");
    info.callSid = QStringLiteral("CA00000000000000000000000000000001");
    twilio.sendTextMessage(QString::fromUtf8(twilio::encodeConnected()));
    twilio.sendTextMessage(QString::fromUtf8(twilio::encodeStart(info, 1)));
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
    QCOMPARE(engine.streamSid(), kSid);
    QTRY_COMPARE_WITH_TIMEOUT(got.size(), 10, kHangMs);
    // One stream per sender: a second caller is closed with 1008 (policy violation).
    QWebSocket intruder;
    intruder.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(engine.listeningPort())));
    QTRY_COMPARE_WITH_TIMEOUT(intruder.closeCode(), QWebSocketProtocol::CloseCodePolicyViolated, kHangMs);
    QCOMPARE(engine.state(), SenderEngine::Connected);
    for (int i = 0; i < got.size(); ++i) {
        const auto r = twilio::parseFromBot(got[i], kSid);
        QVERIFY2(r.ok(), qPrintable(r.detail));
        QCOMPARE(silenceFrameNo(r.message.payload), i);
    }
    // A mark echo from Twilio reaches the application.
    twilio.sendTextMessage(QString::fromUtf8(twilio::encodeMarkEcho(kSid, 2, QStringLiteral("m1"))));
    QTRY_VERIFY_WITH_TIMEOUT(!peerMsgs.isEmpty() && peerMsgs.last().at(0).toByteArray().contains("m1"), kHangMs);
    // The call ends: back to listening, ready for the next stream.
    twilio.close();
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Listening, kHangMs);
    QVERIFY(engine.streamSid().isEmpty());
}

void TestPacedSender::stopDrainsOrDiscards()
{
    {
        TestPeer peer;
        SenderEngine engine(fastConfig()); // Drain is the default
        engine.connectTo(peer.url(), kSid);
        QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
        for (int i = 0; i < 30; ++i)
            engine.enqueueFrame(silenceFrame(i), false);
        engine.stop();
        QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Idle, kHangMs);
        QTRY_COMPARE_WITH_TIMEOUT(peer.mediaCount(), 30, kHangMs); // the last frames may still be in flight to the peer
        QTRY_VERIFY_WITH_TIMEOUT(!peer.socket || peer.socket->state() != QAbstractSocket::ConnectedState, kHangMs);
    }
    {
        TestPeer peer;
        SenderConfig cfg = fastConfig();
        cfg.stopMode = SenderConfig::StopMode::Discard;
        cfg.queueCapacity = 0; // 1000 frames = 20 s: the stop surely comes before their end
        SenderEngine engine(cfg);
        QSignalSpy states(&engine, &SenderEngine::stateChanged);
        engine.connectTo(peer.url(), kSid);
        QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
        for (int i = 0; i < 1000; ++i)
            engine.enqueueFrame(silenceFrame(i), false);
        QTRY_VERIFY_WITH_TIMEOUT(peer.mediaCount() >= 2, kHangMs);
        engine.stop();
        QTRY_VERIFY_WITH_TIMEOUT(sawState(states, SenderEngine::Idle), kHangMs);
        QCOMPARE(engine.queue()->size(), 0);
        const quint64 sent = engine.totals().framesSent;
        QVERIFY(sent < 1000);
        // Whatever was written reaches the peer, in order, and nothing after the stop.
        QTRY_VERIFY_WITH_TIMEOUT(!peer.socket || peer.socket->state() != QAbstractSocket::ConnectedState, kHangMs);
        QCOMPARE(quint64(peer.mediaCount()), sent);
        for (int i = 0; i < peer.mediaCount(); ++i)
            QCOMPARE(silenceFrameNo(peer.messages[i].parsed.message.payload), i);
    }
    {
        // Destroying a streaming engine joins its thread cleanly.
        TestPeer peer;
        auto engine = std::make_unique<SenderEngine>(fastConfig());
        engine->connectTo(peer.url(), kSid);
        QTRY_COMPARE_WITH_TIMEOUT(engine->state(), SenderEngine::Connected, kHangMs);
        for (int i = 0; i < 100; ++i)
            engine->enqueueFrame(silenceFrame(i), false);
        QThread *t = engine->senderThread();
        QVERIFY(t->isRunning());
        engine.reset();
    }
}

void TestPacedSender::comfortSilenceWhenIdle()
{
    TestPeer peer;
    SenderConfig cfg = fastConfig();
    cfg.comfortSilence = true;
    SenderEngine engine(cfg);
    QSignalSpy tele(&engine, &SenderEngine::telemetry);
    engine.connectTo(peer.url(), kSid);
    QTRY_VERIFY_WITH_TIMEOUT(peer.mediaCount() >= 60, kHangMs);
    for (const auto &m : peer.messages)
        QCOMPARE(m.parsed.message.payload, QByteArray(160, char(0xFF)));
    QTRY_VERIFY_WITH_TIMEOUT(!tele.isEmpty(), kHangMs);
    const auto s = tele.last().at(0).value<TelemetrySnapshot>();
    QVERIFY(s.idle);
    QCOMPARE(s.comfortFrames, s.framesSent);
}

void TestPacedSender::fixedSleepPacerDrifts()
{
    TestPeer peer;
    SenderConfig cfg = fastConfig();
    cfg.pacing = SenderConfig::Pacing::FixedSleep;
    SenderEngine engine(cfg);
    engine.connectTo(peer.url(), kSid);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
    for (int i = 0; i < 20; ++i)
        engine.enqueueFrame(silenceFrame(i), false);
    QTRY_COMPARE_WITH_TIMEOUT(peer.mediaCount(), 20, kHangMs);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(silenceFrameNo(peer.messages[i].parsed.message.payload), i);
    // A relative sleep can only fall behind the grid: each send starts a full interval after the
    // previous one *ended*, at any load (how far behind: tst_pacer fixedSleepTwinDrifts).
    QTRY_VERIFY_WITH_TIMEOUT(engine.totals().framesSent == 20, kHangMs);
    QVERIFY2(engine.totals().finalDriftUs > 0, qPrintable(QString::number(engine.totals().finalDriftUs)));
}

void TestPacedSender::telemetryLineAndJson()
{
    TelemetrySnapshot s;
    s.framesSent = 50;
    s.queueDepth = 6;
    s.drops = 0;
    s.latenessP99Us = 85;
    QVERIFY2(s.toLine().startsWith(QLatin1String("[TX] fps=50 q=6 drops=0 late=0 p99=85us")),
             qPrintable(s.toLine()));
    s.idle = true;
    s.pingRttMs = 12;
    s.dropsTotal = 7;
    const auto back = TelemetrySnapshot::fromJson(s.toJson());
    QCOMPARE(back.framesSent, 50);
    QCOMPARE(back.queueDepth, 6);
    QCOMPARE(back.latenessP99Us, 85);
    QCOMPARE(back.pingRttMs, 12);
    QCOMPARE(back.dropsTotal, 7u);
    QVERIFY(back.idle);

    // JSONL file: one object per second.
    QTemporaryDir dir;
    TestPeer peer;
    SenderConfig cfg = fastConfig();
    cfg.telemetryJsonlPath = dir.filePath(QStringLiteral("tx.jsonl"));
    {
        SenderEngine engine(cfg);
        QSignalSpy tele(&engine, &SenderEngine::telemetry);
        QSignalSpy states(&engine, &SenderEngine::stateChanged);
        engine.connectTo(peer.url(), kSid);
        QTRY_VERIFY_WITH_TIMEOUT(!tele.isEmpty(), kHangMs); // one full second ...
        engine.stop();                                     // ... and the last partial one
        QTRY_VERIFY_WITH_TIMEOUT(sawState(states, SenderEngine::Idle), kHangMs);
        QVERIFY(tele.size() >= 2);
    }
    QFile f(cfg.telemetryJsonlPath);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const auto lines = f.readAll().split('\n');
    int objects = 0;
    for (const auto &l : lines) {
        if (l.isEmpty())
            continue;
        QJsonParseError err;
        const auto doc = QJsonDocument::fromJson(l, &err);
        QVERIFY2(err.error == QJsonParseError::NoError && doc.isObject(), l.constData());
        QVERIFY(doc.object().contains(QLatin1String("fps")));
        ++objects;
    }
    QVERIFY(objects >= 2);

    // An unwritable path is a clear error, not a crash.
    SenderConfig bad = fastConfig();
    bad.telemetryJsonlPath = QStringLiteral("/nonexistent-dir/x/tx.jsonl");
    SenderEngine engine(bad);
    QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
    engine.connectTo(peer.url(), kSid);
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), kHangMs);
    QVERIFY(errors.first().at(0).toString().contains(QLatin1String("cannot open telemetry file")));
}

QTEST_GUILESS_MAIN(TestPacedSender)
#include "tst_pacedsender.moc"
