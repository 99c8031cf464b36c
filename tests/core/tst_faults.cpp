// Network faults between PaceLab's sender (SenderEngine) and the built-in Twilio emulator,
// injected by a loopback TCP proxy the test controls (FaultProxy): the peer stops reading,
// a reset in the middle of a WebSocket frame (both directions), a peer that vanishes without a
// FIN, TLS handshake failure and bad certificates, a server restart. Assertions are what holds
// on a saturated 2-core machine: states, counts, order, bounds, "eventually" with generous
// timeouts; never timings or fps. Over 500 lines: seven self-contained fault scenarios and the
// helpers they share.
#include "emulator/TwilioEmulator.h"
#include "engine/SenderEngine.h"

#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#ifdef Q_OS_UNIX
#include "FaultProxy.h"

#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QWebSocket>
#include <QWebSocketServer>

#include <atomic>
#include <chrono>
#include <thread>
#endif

using namespace pacelab;

#ifdef Q_OS_UNIX
namespace {

// Frame i carries i in its first 4 bytes: the emulator side can check order and gaps.
QByteArray numberedFrame(quint32 i)
{
    QByteArray f(160, char(0x55));
    f[0] = char(i >> 24);
    f[1] = char(i >> 16);
    f[2] = char(i >> 8);
    f[3] = char(i);
    return f;
}

quint32 frameNumber(const QByteArray &f)
{
    return f.size() < 4 ? 0
                        : (quint32(quint8(f[0])) << 24) | (quint32(quint8(f[1])) << 16)
                              | (quint32(quint8(f[2])) << 8) | quint32(quint8(f[3]));
}

// Pushes numbered frames into the engine on its own thread: blocking (back-pressure, like a
// file or TTS) or real-time (drop-oldest every ~20 ms, like a microphone).
class Producer
{
public:
    Producer(SenderEngine &engine, bool realTime) : m_engine(engine)
    {
        m_thread = std::thread([this, realTime] {
            quint32 i = 0;
            while (!m_quit.load()) {
                if (realTime) {
                    m_engine.enqueueFrame(numberedFrame(i++), false);
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                } else if (!m_engine.queue()->pushBlocking(TxItem::media(numberedFrame(i)), 100)) {
                    if (m_engine.queue()->isClosed())
                        return;
                } else {
                    ++i;
                }
                m_pushed = i;
            }
        });
    }
    ~Producer() { stop(); }
    void stop()
    {
        m_quit = true;
        if (m_thread.joinable())
            m_thread.join();
    }
    quint32 pushed() const { return m_pushed.load(); }

private:
    SenderEngine &m_engine;
    std::thread m_thread;
    std::atomic<bool> m_quit{false};
    std::atomic<quint32> m_pushed{0};
};

// What the emulator received, per session.
struct EmuWatch
{
    explicit EmuWatch(TwilioEmulator &emu)
    {
        QObject::connect(&emu, &TwilioEmulator::sessionStarted, &emu, [this](const QString &sid) {
            sessions << sid;
            framesThisSession = 0;
        });
        QObject::connect(&emu, &TwilioEmulator::clientDisconnected, &emu,
                         [this](const QString &reason) { endReasons << reason; });
        QObject::connect(&emu, &TwilioEmulator::mediaReceived, &emu, [this](const QByteArray &f) {
            ++framesThisSession;
            ++framesTotal;
            const quint32 n = frameNumber(f);
            if (haveLast && n <= last)
                ++outOfOrder;
            last = n;
            haveLast = true;
        });
    }
    QStringList sessions;
    QStringList endReasons;
    int framesThisSession = 0;
    int framesTotal = 0;
    int outOfOrder = 0;
    quint32 last = 0;
    bool haveLast = false;
};

SenderConfig reconnectingConfig()
{
    SenderConfig cfg;
    cfg.reconnect = true;
    cfg.reconnectInitialMs = 100;
    cfg.reconnectMaxMs = 1000;
    cfg.pingIntervalMs = 0;
    return cfg;
}

QStringList texts(const QSignalSpy &spy, int arg = 0)
{
    QStringList out;
    for (const auto &a : spy)
        out << a.at(arg).toString();
    return out;
}

bool anyContains(const QStringList &list, const QString &needle)
{
    for (const QString &s : list)
        if (s.contains(needle, Qt::CaseInsensitive))
            return true;
    return false;
}

// Self-signed certificate for 127.0.0.1 made with the openssl CLI; expired: valid only in 2020.
bool makeCertificate(const QTemporaryDir &dir, bool expired, QString *cert, QString *key)
{
    *cert = dir.filePath(expired ? QStringLiteral("expired.pem") : QStringLiteral("cert.pem"));
    *key = dir.filePath(expired ? QStringLiteral("expired.key") : QStringLiteral("cert.key"));
    auto run = [](const QStringList &args, const QString &cwd) {
        QProcess p;
        p.setWorkingDirectory(cwd);
        p.start(QStringLiteral("openssl"), args);
        return p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    };
    const QStringList subject{QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
                              QStringLiteral("subjectAltName=IP:127.0.0.1"), QStringLiteral("-addext"),
                              QStringLiteral("basicConstraints=critical,CA:TRUE")};
    if (!expired)
        return run(QStringList{QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                               QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-days"),
                               QStringLiteral("2"), QStringLiteral("-keyout"), *key, QStringLiteral("-out"), *cert}
                       + subject,
                   dir.path());
    // `req -x509` cannot back-date; `ca -selfsign` takes explicit start and end dates.
    const QString ca = dir.filePath(QStringLiteral("ca"));
    QDir().mkpath(ca);
    QFile(ca + QStringLiteral("/index.txt")).open(QIODevice::WriteOnly);
    QFile cnf(ca + QStringLiteral("/ca.cnf"));
    if (!cnf.open(QIODevice::WriteOnly))
        return false;
    cnf.write("[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = ./index.txt\nnew_certs_dir = .\nserial = ./serial\n"
              "default_md = sha256\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n"
              "[ p ]\ncommonName = supplied\n");
    cnf.close();
    const QString csr = ca + QStringLiteral("/req.csr");
    return run(QStringList{QStringLiteral("req"), QStringLiteral("-new"), QStringLiteral("-newkey"),
                           QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"), *key,
                           QStringLiteral("-out"), csr}
                   + subject,
               ca)
           && run({QStringLiteral("ca"), QStringLiteral("-batch"), QStringLiteral("-config"), QStringLiteral("ca.cnf"),
                   QStringLiteral("-create_serial"), QStringLiteral("-selfsign"), QStringLiteral("-keyfile"), *key,
                   QStringLiteral("-in"), csr, QStringLiteral("-out"), *cert, QStringLiteral("-startdate"),
                   QStringLiteral("20200101000000Z"), QStringLiteral("-enddate"), QStringLiteral("20200102000000Z")},
                  ca);
}

} // namespace

class TestFaults final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void peerStopsReading();
    void resetMidFrame_data();
    void resetMidFrame();
    void halfOpenFoundByMissedPongs();
    void serverNeverAnswers();
    void tlsFailuresDoNotStorm_data();
    void tlsFailuresDoNotStorm();
    void serverRestart();
};

void TestFaults::peerStopsReading()
{
    TwilioEmulator emu;
    EmulatorOptions eo;
    eo.sendInboundMedia = false; // only the engine -> emulator direction matters here
    emu.setOptions(eo);
    QVERIFY(emu.listen(QHostAddress::LocalHost, 0));
    EmuWatch watch(emu);
    // A small receive buffer and MSS: the engine's kernel buffers hold a few KB, not megabytes,
    // so the stall reaches the engine's own queues within a second or two.
    FaultProxy proxy(emu.serverPort(), FaultProxy::Options{2048, 256});
    QString err;
    QVERIFY2(proxy.start(&err), qPrintable(err));

    SenderConfig cfg;
    cfg.pingIntervalMs = 0;
    cfg.queueCapacity = 50;
    cfg.sendQueueCapacity = 25;
    cfg.maxBytesToWrite = 4096;
    SenderEngine engine(cfg);
    QSignalSpy warnings(&engine, &SenderEngine::logMessage);
    engine.connectTo(proxy.url());
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, 10000);
    const QString sid = engine.streamSid();
    Producer producer(engine, /*realTime=*/true);
    QTRY_VERIFY_WITH_TIMEOUT(watch.framesThisSession >= 25, 10000);

    // The peer stops reading for 5 s (longer if the machine is too slow to show the stall).
    proxy.setClientReadsPaused(true);
    QElapsedTimer paused;
    paused.start();
    QTRY_VERIFY_WITH_TIMEOUT(engine.totals().stalledFrames > 0 && engine.queue()->totalDrops() > 0, 30000);
    while (paused.elapsed() < 5000)
        QTest::qWait(100);
    const SenderTotals during = engine.totals();
    const quint64 dropsDuring = engine.queue()->totalDrops();
    // Memory stays bounded: every buffer on the path is capped whatever the stall's length.
    QVERIFY2(during.maxSendQueue <= cfg.sendQueueCapacity, qPrintable(QString::number(during.maxSendQueue)));
    QVERIFY(engine.queue()->size() <= cfg.queueCapacity);
    QVERIFY2(during.maxBytesToWrite <= cfg.maxBytesToWrite + 1024, qPrintable(QString::number(during.maxBytesToWrite)));
    QVERIFY(anyContains(texts(warnings, 1), QStringLiteral("drop")));

    // Streaming recovers on the same connection: frames flow again, in order, nothing repeated.
    proxy.setClientReadsPaused(false);
    const int before = watch.framesThisSession;
    QTRY_VERIFY_WITH_TIMEOUT(watch.framesThisSession >= before + 100, 20000);
    QCOMPARE(engine.state(), SenderEngine::Connected);
    QCOMPARE(engine.streamSid(), sid);
    QCOMPARE(proxy.accepted(), 1);
    QCOMPARE(watch.outOfOrder, 0);
    QCOMPARE(emu.violationCount(), 0);
    // The send queue drains below its cap again (the clock is no longer stalled).
    QTRY_VERIFY_WITH_TIMEOUT(engine.lastTelemetry().sendQueueDepth < cfg.sendQueueCapacity
                                 && engine.lastTelemetry().stalledFrames == 0,
                             20000);
    producer.stop();
    qInfo("stall: %llu stalled frames, %llu drops, send queue max %d, socket buffer max %lld B",
          (unsigned long long)during.stalledFrames, (unsigned long long)dropsDuring, during.maxSendQueue,
          qint64(during.maxBytesToWrite));
}

void TestFaults::resetMidFrame_data()
{
    QTest::addColumn<int>("direction");
    QTest::newRow("emulator->engine frame, engine side reset") << int(FaultProxy::Direction::ToClient);
    QTest::newRow("engine->emulator frame, both sides reset") << int(FaultProxy::Direction::ToServer);
}

void TestFaults::resetMidFrame()
{
    QFETCH(int, direction);
    TwilioEmulator emu; // sends inbound media: there is always a frame towards the engine to cut
    QVERIFY(emu.listen(QHostAddress::LocalHost, 0));
    EmuWatch watch(emu);
    FaultProxy proxy(emu.serverPort());
    QString err;
    QVERIFY2(proxy.start(&err), qPrintable(err));

    SenderEngine engine(reconnectingConfig());
    QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
    QSignalSpy states(&engine, &SenderEngine::stateChanged);
    engine.connectTo(proxy.url());
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, 10000);
    const QString firstSid = engine.streamSid();
    Producer producer(engine, /*realTime=*/false);
    QTRY_VERIFY_WITH_TIMEOUT(watch.framesThisSession >= 25, 10000);

    proxy.resetMidFrameOnce(FaultProxy::Direction(direction));
    QTRY_COMPARE_WITH_TIMEOUT(proxy.resetsDone() >= 1, true, 10000);
    // The engine notices, says why, reconnects with backoff and streams under a new start.
    QTRY_VERIFY_WITH_TIMEOUT(watch.sessions.size() >= 2, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, 20000);
    QVERIFY(!errors.isEmpty());
    QVERIFY(anyContains(texts(states, 1), QStringLiteral("reconnecting")));
    QVERIFY(engine.streamSid() != firstSid);
    QCOMPARE(engine.streamSid(), watch.sessions.last());
    QVERIFY(proxy.accepted() >= 2);
    QTRY_VERIFY_WITH_TIMEOUT(watch.framesThisSession >= 50, 20000);
    // The first session ended on the emulator too, and the queue kept its order across the drop.
    QVERIFY(!watch.endReasons.isEmpty());
    QCOMPARE(watch.outOfOrder, 0);
    producer.stop();
    qInfo().noquote() << "engine error:" << errors.first().at(0).toString();
    qInfo().noquote() << "emulator saw:" << watch.endReasons.first();
}

void TestFaults::halfOpenFoundByMissedPongs()
{
    TwilioEmulator emu;
    QVERIFY(emu.listen(QHostAddress::LocalHost, 0));
    EmuWatch watch(emu);
    FaultProxy proxy(emu.serverPort());
    QString err;
    QVERIFY2(proxy.start(&err), qPrintable(err));

    SenderConfig cfg = reconnectingConfig();
    cfg.pingIntervalMs = 300;
    cfg.maxMissedPongs = 3;
    SenderEngine engine(cfg);
    QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
    QSignalSpy states(&engine, &SenderEngine::stateChanged);
    engine.connectTo(proxy.url());
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, 10000);
    const QString firstSid = engine.streamSid();
    Producer producer(engine, /*realTime=*/false);
    QTRY_VERIFY_WITH_TIMEOUT(watch.framesThisSession >= 25 && engine.lastTelemetry().pingRttMs >= 0, 10000);

    // The peer vanishes: no FIN, no RST, nothing more from it; what the engine sends is lost.
    proxy.blackholeCurrent();
    QTRY_VERIFY_WITH_TIMEOUT(anyContains(texts(errors), QStringLiteral("no pong")), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(watch.sessions.size() >= 2, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, 20000);
    QVERIFY(engine.streamSid() != firstSid);
    QVERIFY(anyContains(texts(states, 1), QStringLiteral("reconnecting")));
    QVERIFY(proxy.bytesDiscarded() > 0); // the engine did keep sending into the void
    QTRY_VERIFY_WITH_TIMEOUT(watch.framesThisSession >= 50, 20000);
    QVERIFY(engine.lastTelemetry().missedPongs >= cfg.maxMissedPongs);
    QCOMPARE(watch.outOfOrder, 0);
    producer.stop();
    for (const QString &e : texts(errors))
        if (e.contains(QLatin1String("no pong")))
            qInfo().noquote() << "engine:" << e;
}

void TestFaults::serverNeverAnswers()
{
    // TCP is accepted, the upgrade request is never answered (a hung server, a broken middlebox):
    // each attempt gives up after the connect timeout, with backoff, and the stream starts as
    // soon as the server answers again.
    TwilioEmulator emu;
    QVERIFY(emu.listen(QHostAddress::LocalHost, 0));
    EmuWatch watch(emu);
    FaultProxy proxy(emu.serverPort());
    proxy.setSilentAccept(true);
    QString err;
    QVERIFY2(proxy.start(&err), qPrintable(err));

    SenderConfig cfg = reconnectingConfig();
    cfg.connectTimeoutMs = 500;
    SenderEngine engine(cfg);
    QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
    engine.connectTo(proxy.url());
    QTRY_VERIFY_WITH_TIMEOUT(errors.size() >= 2, 20000);
    QVERIFY2(anyContains(texts(errors), QStringLiteral("no answer within 500 ms")),
             qPrintable(texts(errors).join(QLatin1Char('\n'))));
    QVERIFY(engine.state() != SenderEngine::Connected);
    const int attempts = proxy.accepted();
    QVERIFY(attempts >= 2);

    proxy.setSilentAccept(false);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, 20000);
    Producer producer(engine, /*realTime=*/false);
    QTRY_VERIFY_WITH_TIMEOUT(watch.framesThisSession >= 25, 20000);
    QCOMPARE(watch.sessions.size(), 1);
    producer.stop();
    qInfo().noquote() << "engine:" << errors.first().at(0).toString() << "; attempts before the server answered:" << attempts;
}

void TestFaults::tlsFailuresDoNotStorm_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("handshake fails (plain-text reply)") << "junk" << "TLS handshake failed";
    QTest::newRow("untrusted self-signed certificate") << "untrusted" << "TLS certificate not trusted";
    QTest::newRow("expired certificate (CA trusted)") << "expired" << "expired";
}

void TestFaults::tlsFailuresDoNotStorm()
{
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    QString cert, key;
    QWebSocketServer tls(QStringLiteral("tls-peer"), QWebSocketServer::SecureMode);
    if (kind != QLatin1String("junk")) {
#if defined(__SANITIZE_THREAD__) || (defined(__has_feature) && __has_feature(thread_sanitizer))
        // clang-14's TSAN runtime aborts in the child QProcess forks for the openssl CLI.
        QSKIP("ThreadSanitizer cannot run a process that QProcess forks (the openssl CLI)");
#endif
        if (!makeCertificate(dir, kind == QLatin1String("expired"), &cert, &key))
            QSKIP("the openssl CLI is not available to make a test certificate");
        QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
        QFile cf(cert), kf(key);
        QVERIFY(cf.open(QIODevice::ReadOnly) && kf.open(QIODevice::ReadOnly));
        conf.setLocalCertificate(QSslCertificate(&cf, QSsl::Pem));
        conf.setPrivateKey(QSslKey(&kf, QSsl::Rsa, QSsl::Pem));
        conf.setPeerVerifyMode(QSslSocket::VerifyNone);
        tls.setSslConfiguration(conf);
        QVERIFY(tls.listen(QHostAddress::LocalHost, 0));
    }
    // The proxy counts connection attempts (TLS passes through it untouched).
    FaultProxy proxy(tls.isListening() ? tls.serverPort() : quint16(1));
    if (kind == QLatin1String("junk"))
        proxy.setJunkReply("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    QString err;
    QVERIFY2(proxy.start(&err), qPrintable(err));

    SenderConfig cfg = reconnectingConfig();
    cfg.reconnectInitialMs = 200;
    cfg.reconnectMaxMs = 5000;
    if (kind == QLatin1String("expired"))
        cfg.caFile = cert; // trusted, so the expiry is the only problem
    SenderEngine engine(cfg);
    QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
    engine.connectTo(proxy.url(QStringLiteral("wss")));
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 20000);
    QElapsedTimer window;
    window.start();
    QTest::qWait(3000);
    const qint64 windowMs = window.elapsed();
    const int attempts = proxy.accepted();
    const QVector<qint64> at = proxy.acceptTimesMs();

    // A clear error naming the cause, never a stream.
    QVERIFY2(anyContains(texts(errors), expected), qPrintable(texts(errors).join(QLatin1Char('\n'))));
    QVERIFY(engine.state() != SenderEngine::Connected);
    // No retry storm: with 200 ms doubling backoff, the attempts in the first ~3.x s are at most
    // 0, 0.2, 0.6, 1.4, 3.0 s (+ slack for the wait's own length); a slow machine only makes
    // fewer. And each pause is at least its backoff step (timers may fire a little early).
    const int bound = 2 + int(std::log2(1.0 + double(windowMs + 2000) / 200.0));
    QVERIFY2(attempts >= 1 && attempts <= bound,
             qPrintable(QStringLiteral("%1 attempts, bound %2").arg(attempts).arg(bound)));
    for (int i = 1; i < at.size(); ++i) {
        const qint64 step = std::min<qint64>(qint64(cfg.reconnectInitialMs) << (i - 1), cfg.reconnectMaxMs);
        QVERIFY2(at[i] - at[i - 1] >= step * 8 / 10,
                 qPrintable(QStringLiteral("attempt %1 came %2 ms after the previous, backoff %3 ms")
                                .arg(i + 1).arg(at[i] - at[i - 1]).arg(step)));
    }
    qInfo().noquote() << kind << ":" << attempts << "attempts;" << errors.first().at(0).toString();

}

void TestFaults::serverRestart()
{
    auto emu = std::make_unique<TwilioEmulator>();
    QVERIFY(emu->listen(QHostAddress::LocalHost, 0));
    const quint16 port = emu->serverPort();
    auto watch = std::make_unique<EmuWatch>(*emu);

    SenderEngine engine(reconnectingConfig());
    QSignalSpy states(&engine, &SenderEngine::stateChanged);
    engine.connectTo(emu->serverUrl());
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, 10000);
    const QString firstSid = engine.streamSid();
    Producer producer(engine, /*realTime=*/false);
    QTRY_VERIFY_WITH_TIMEOUT(watch->framesThisSession >= 25, 10000);

    // The server goes away mid-stream (stop + close, then nothing listens for a while).
    emu->stop();
    watch.reset();
    emu.reset();
    QTRY_VERIFY_WITH_TIMEOUT(anyContains(texts(states, 1), QStringLiteral("reconnecting")), 10000);
    QTest::qWait(700); // a few refused attempts while it is down
    QVERIFY(engine.state() != SenderEngine::Connected);

    // A new server on the same port: the engine finds it and streams again.
    auto emu2 = std::make_unique<TwilioEmulator>();
    QVERIFY2(emu2->listen(QHostAddress::LocalHost, port), qPrintable(emu2->errorString()));
    EmuWatch watch2(*emu2);
    QTRY_VERIFY_WITH_TIMEOUT(watch2.sessions.size() == 1, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, 20000);
    QCOMPARE(engine.streamSid(), watch2.sessions.first());
    QVERIFY(engine.streamSid() != firstSid);
    QTRY_VERIFY_WITH_TIMEOUT(watch2.framesThisSession >= 50, 20000);
    QCOMPARE(watch2.outOfOrder, 0);
    QCOMPARE(emu2->violationCount(), 0);
    producer.stop();
}

QTEST_GUILESS_MAIN(TestFaults)

#else // !Q_OS_UNIX

class TestFaults final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void faults() { QSKIP("the fault-injecting proxy uses POSIX sockets"); }
};
QTEST_GUILESS_MAIN(TestFaults)

#endif
#include "tst_faults.moc"
