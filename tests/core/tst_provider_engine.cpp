// The sender engine speaks every provider profile: against an in-test peer that talks the
// profile (sends its handshake, parses everything the sender writes with parseFromBot), for
// each provider: every message parses, media have the format's frame size and the profile's
// frame type (binary for Vonage), numbered frames arrive in order and unchanged, marks keep
// their place, clear goes out on request, the peer's mark echoes / clear acks / stop are
// understood, comfort silence is the format's silence, and malformed peer messages are a clear
// warning, never a crash. The same for MultiStreamSender, `pacelab --headless --provider` and
// `--streams`. Plus the time-preserving queue bounds of SessionConfig::setProvider.
// Real time on a possibly saturated machine: only order, counts, content and states are
// asserted; waits end when their condition holds (their length only catches a hang).
#include "engine/MultiStreamSender.h"
#include "engine/PeerReader.h"
#include "engine/SenderEngine.h"
#include "provider/Provider.h"
#include "session/SessionConfig.h"

#include <QProcess>
#include <QSignalSpy>
#include <QWebSocket>
#include <QWebSocketServer>
#include <QtTest>

#include <atomic>
#include <thread>

using namespace pacelab;
using provider::Id;

namespace {

constexpr int kHangMs = 60000;
constexpr int kFrames = 30;

struct Got
{
    QByteArray data;
    bool binary = false;
    provider::ParseResult parsed;
};

// A peer that speaks `id`'s profile, on the test's thread. Every connection gets the profile's
// handshake with its own ids; what the sender writes is parsed strictly, as the provider would.
class ProfilePeer : public QObject
{
public:
    explicit ProfilePeer(Id id) : m_id(id), m_profile(provider::profile(id))
    {
        QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
        connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *s = m_server.nextPendingConnection()) {
                s->setParent(&m_server);
                const int n = int(sockets.size());
                sockets.push_back(s);
                received.emplace_back();
                provider::StartParams p;
                p.streamId = QStringLiteral("stream-%1").arg(n); // each profile keeps or reshapes it
                params.push_back(m_profile.withIds(p));
                auto record = [this, n](const QByteArray &data, bool binary) {
                    const QString expected = m_profile.botMessagesCarryStreamId() ? params[size_t(n)].streamId : QString();
                    Got g{data, binary, m_profile.parseFromBot(data, binary, expected)};
                    if (g.parsed.ok() && g.parsed.message.event == provider::Event::Clear && autoClearAck)
                        if (const auto ack = m_profile.encodeClearAck(params[size_t(n)], &m_seq))
                            send(n, *ack);
                    received[size_t(n)].push_back(std::move(g));
                };
                connect(s, &QWebSocket::textMessageReceived, this,
                        [record](const QString &t) { record(t.toUtf8(), false); });
                connect(s, &QWebSocket::binaryMessageReceived, this,
                        [record](const QByteArray &b) { record(b, true); });
                for (const provider::WireMessage &m : m_profile.encodeHandshake(params.back(), &m_seq))
                    send(n, m);
            }
        });
    }
    void send(int n, const provider::WireMessage &m)
    {
        if (m.binary)
            sockets[size_t(n)]->sendBinaryMessage(m.data);
        else
            sockets[size_t(n)]->sendTextMessage(QString::fromUtf8(m.data));
    }
    void sendRaw(int n, const QByteArray &data, bool binary) { send(n, {data, binary}); }
    QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/media").arg(m_server.serverPort())); }
    int count(int n, provider::Event e) const
    {
        if (size_t(n) >= received.size())
            return 0;
        int c = 0;
        for (const Got &g : received[size_t(n)])
            c += g.parsed.ok() && g.parsed.message.event == e;
        return c;
    }
    qint64 *sequence() { return &m_seq; }
    // Messages the profile refused: a wait ends on the first, so a failure is reported at once.
    int invalid() const
    {
        int c = 0;
        for (const auto &conn : received)
            for (const Got &g : conn)
                c += !g.parsed.ok();
        return c;
    }

    std::vector<QPointer<QWebSocket>> sockets;
    std::vector<std::vector<Got>> received;
    std::vector<provider::StartParams> params;
    bool autoClearAck = true;

private:
    Id m_id;
    const provider::Profile &m_profile;
    QWebSocketServer m_server{QStringLiteral("profile-peer"), QWebSocketServer::NonSecureMode};
    qint64 m_seq = 0;
};

// Frame n of `f`: every byte depends on n, the first four are n itself, so order and content
// both show at the peer. Any byte pattern is valid audio in every encoding.
QByteArray numberedFrame(const MediaFormat &f, int n)
{
    QByteArray b(f.frameBytes(), Qt::Uninitialized);
    for (int k = 0; k < b.size(); ++k)
        b[k] = char((n * 31 + k * 7) & 0xFF);
    for (int k = 0; k < 4; ++k)
        b[k] = char((n >> (8 * k)) & 0xFF);
    return b;
}

// What the engine needs to talk to `id` fast: the profile's bounds and a 2 ms clock (pacing
// is not under test here; a warning says the clock differs from the format's frame duration).
SenderConfig configFor(Id id)
{
    SessionConfig sc;
    sc.setProvider(id);
    SenderConfig cfg = sc.sender;
    cfg.frameIntervalUs = 2000;
    cfg.pingIntervalMs = 0;
    cfg.realtime = false;
    return cfg;
}

// A profile still a placeholder (its helper's branch not merged) cannot be spoken yet.
bool profileBuilt(Id id)
{
    return configFor(id).validate().isEmpty();
}

QStringList logsOf(const QSignalSpy &spy)
{
    QStringList l;
    for (const auto &args : spy)
        l << args.at(0).toString() + QLatin1Char(':') + args.at(1).toString();
    return l;
}

int countContaining(const QStringList &logs, const QString &needle)
{
    int n = 0;
    for (const QString &l : logs)
        n += l.contains(needle);
    return n;
}

void addProviderRows()
{
    QTest::addColumn<int>("provider");
    for (Id id : provider::allIds())
        QTest::newRow(qPrintable(provider::name(id))) << int(id);
}

} // namespace

class TestProviderEngine final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void setProviderKeepsBoundsInTime();
    void frameIntervalMismatchIsAWarning();
    void startEventComesFromTheProfile();
    void wrongProviderIsNamedAndNotFlooded();
    void speaksTheProfile_data() { addProviderRows(); }
    void speaksTheProfile();
    void comfortSilenceIsTheFormatsSilence_data() { addProviderRows(); }
    void comfortSilenceIsTheFormatsSilence();
    void malformedPeerMessagesAreWarnings_data() { addProviderRows(); }
    void malformedPeerMessagesAreWarnings();
    void multiStreamSpeaksTheProfile_data() { addProviderRows(); }
    void multiStreamSpeaksTheProfile();
    void headlessPrintsAndUsesTheProvider_data();
    void headlessPrintsAndUsesTheProvider();
};

void TestProviderEngine::setProviderKeepsBoundsInTime()
{
    const SessionConfig twilio;
    QCOMPARE(twilio.sender.queueCapacity, 120);
    QCOMPARE(twilio.sender.highWater, 10);
    QCOMPARE(twilio.sender.sendQueueCapacity, 120);

    for (Id id : provider::allIds()) {
        SessionConfig c;
        c.setProvider(id);
        const int ms = provider::profile(id).outboundFormat().frameMs;
        QCOMPARE(c.sender.provider, id);
        QCOMPARE(c.emulator.provider, id);
        QCOMPARE(c.sender.frameIntervalUs, qint64(ms) * 1000);
        // The same audio duration, to the nearest frame: 2.4 s, 200 ms, 2.4 s.
        QVERIFY2(qAbs(c.sender.queueCapacity * ms - 2400) <= ms / 2, qPrintable(provider::name(id)));
        QVERIFY2(qAbs(c.sender.highWater * ms - 200) <= ms / 2, qPrintable(provider::name(id)));
        QVERIFY2(qAbs(c.sender.sendQueueCapacity * ms - 2400) <= ms / 2, qPrintable(provider::name(id)));
        QVERIFY(c.sender.highWater <= c.sender.queueCapacity);
        // And back: Twilio's numbers again.
        c.setProvider(Id::Twilio);
        QCOMPARE(c.sender.queueCapacity, 120);
        QCOMPARE(c.sender.highWater, 10);
        QCOMPARE(c.sender.sendQueueCapacity, 120);
        QCOMPARE(c.sender.frameIntervalUs, qint64(20000));
    }

    // A 100 ms provider (a format the placeholders and Exotel use): exact numbers, and what
    // stays as it is: 0 = unbounded, a bound never rounds to 0, high-water = capacity stays so.
    SessionConfig c;
    c.sender.queueCapacity = 0;
    c.sender.highWater = 0;
    c.sender.sendQueueCapacity = 3;
    c.setProvider(Id::Exotel);
    if (provider::profile(Id::Exotel).outboundFormat().frameMs == 100) {
        QCOMPARE(c.sender.queueCapacity, 0);
        QCOMPARE(c.sender.highWater, 0);
        QCOMPARE(c.sender.sendQueueCapacity, 1);
        SessionConfig d;
        d.sender.queueCapacity = 50;
        d.sender.highWater = 50;
        d.setProvider(Id::Exotel);
        QCOMPARE(d.sender.queueCapacity, 10);
        QCOMPARE(d.sender.highWater, 10);
        QVERIFY(d.validate().isEmpty() || d.validate().contains(QLatin1String("cannot encode media yet")));
    }
}

void TestProviderEngine::frameIntervalMismatchIsAWarning()
{
    SenderConfig cfg;
    QVERIFY(cfg.warnings().isEmpty());
    cfg.frameIntervalUs = 2000;
    QVERIFY(cfg.validate().isEmpty()); // allowed (fast test clocks), but said
    const QStringList w = cfg.warnings();
    QCOMPARE(w.size(), 1);
    QVERIFY2(w.first().contains(QLatin1String("frame interval 2000 us differs from twilio's frame duration (20 ms per frame)")),
             qPrintable(w.first()));
    QVERIFY2(w.first().contains(QLatin1String("10x real time")), qPrintable(w.first()));
    for (Id id : provider::allIds()) {
        SessionConfig c;
        c.setProvider(id);
        QVERIFY2(c.sender.warnings().isEmpty(), qPrintable(provider::name(id)));
    }
}

void TestProviderEngine::startEventComesFromTheProfile()
{
    // Twilio's stream starts with `start`, never with `connected`.
    QCOMPARE(PeerReader::streamStartEvent(Id::Twilio), provider::Event::Start);
    PeerReader twilio(Id::Twilio);
    QVERIFY(twilio.needsStreamId());
    const PeerEvent connected = twilio.read(QByteArrayLiteral(R"({"event":"connected","protocol":"Call","version":"1.0.0"})"), false);
    QCOMPARE(connected.kind, PeerEvent::Nothing);
    // For every profile, its own handshake starts the stream.
    for (Id id : provider::allIds()) {
        QVERIFY2(profileBuilt(id), qPrintable(provider::name(id)));
        const provider::Profile &p = provider::profile(id);
        PeerReader r(id);
        qint64 seq = 0;
        int starts = 0;
        for (const provider::WireMessage &m : p.encodeHandshake(p.withIds({}), &seq))
            starts += r.read(m.data, m.binary).kind == PeerEvent::Start;
        QVERIFY2(starts >= 1, qPrintable(provider::name(id)));
    }
}

void TestProviderEngine::wrongProviderIsNamedAndNotFlooded()
{
    // A sender set to Vonage facing a Twilio peer: the first invalid message says which
    // protocol it looks like; after kMaxLoggedInvalid only a count is kept.
    QVERIFY2(profileBuilt(Id::Vonage), "the Vonage profile cannot encode media");
    const provider::Profile &twilio = provider::profile(Id::Twilio);
    const provider::StartParams params = twilio.withIds({});
    qint64 seq = 0;
    QList<provider::WireMessage> messages = twilio.encodeHandshake(params, &seq);
    for (int i = 0; i < 40; ++i)
        messages << twilio.encodeInboundMedia(params, &seq, i + 1, i * 20, MediaFormat::mulaw8k().silenceFrame());
    PeerReader reader(Id::Vonage);
    QStringList logged;
    for (const provider::WireMessage &m : messages) {
        const PeerEvent e = reader.read(m.data, m.binary);
        QCOMPARE(e.kind, PeerEvent::Invalid);
        if (!e.logText.isEmpty()) {
            QCOMPARE(e.logLevel, QStringLiteral("warning"));
            logged << e.logText;
        }
    }
    QCOMPARE(reader.invalidCount(), quint64(messages.size()));
    QCOMPARE(logged.size(), PeerReader::kMaxLoggedInvalid + 1);
    QVERIFY2(logged.first().contains(QLatin1String("(it looks like twilio's protocol: is --provider vonage right?)")),
             qPrintable(logged.first()));
    QCOMPARE(countContaining(logged, QStringLiteral("it looks like")), 1);
    QCOMPARE(countContaining(logged, QStringLiteral("peer sent an invalid message (")), PeerReader::kMaxLoggedInvalid);
    QCOMPARE(logged.last(), QStringLiteral("peer sent %1 invalid messages; further ones are counted, not logged")
                                .arg(PeerReader::kMaxLoggedInvalid + 1));
}

void TestProviderEngine::speaksTheProfile()
{
    QFETCH(int, provider);
    const Id id = Id(provider);
    QVERIFY2(profileBuilt(id), qPrintable(provider::name(id) + QStringLiteral(": the profile cannot encode media")));
    const provider::Profile &profile = provider::profile(id);
    const MediaFormat format = profile.outboundFormat();

    ProfilePeer peer(id);
    SenderEngine engine(configFor(id));
    QCOMPARE(engine.format(), format);
    QSignalSpy logs(&engine, &SenderEngine::logMessage);
    QSignalSpy echoes(&engine, &SenderEngine::markEchoed);
    QSignalSpy peerData(&engine, &SenderEngine::peerData);
    engine.connectTo(peer.url()); // the stream id (if any) is learnt from the handshake
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);
    QCOMPARE(peer.sockets.size(), size_t(1));
    if (profile.botMessagesCarryStreamId())
        QCOMPARE(engine.streamSid(), peer.params[0].streamId);

    // Numbered frames with a mark after every tenth, from a producer thread (back-pressure).
    std::atomic<int> refused{0};
    std::thread producer([&engine, &refused, format] {
        for (int i = 0; i < kFrames; ++i) {
            refused += engine.enqueueFrame(numberedFrame(format, i), true) ? 0 : 1;
            if (i % 10 == 9)
                engine.mark(QStringLiteral("m%1").arg(i / 10 + 1));
        }
    });
    QTRY_VERIFY_WITH_TIMEOUT(peer.invalid() > 0
                                 || (peer.count(0, provider::Event::Media) >= kFrames && peer.count(0, provider::Event::Mark) >= 3),
                             kHangMs);
    producer.join();
    QCOMPARE(refused.load(), 0);
    engine.clear();
    QTRY_VERIFY_WITH_TIMEOUT(peer.invalid() > 0 || peer.count(0, provider::Event::Clear) >= 1, kHangMs);

    // Everything parses as the provider would; in order: frame, frame, ..., mark after every
    // tenth frame, then the clear.
    QStringList expected, got;
    for (int i = 0; i < kFrames; ++i) {
        expected << QStringLiteral("media %1").arg(i);
        if (i % 10 == 9)
            expected << QStringLiteral("mark m%1").arg(i / 10 + 1);
    }
    expected << QStringLiteral("clear");
    for (const Got &g : peer.received[0]) {
        QVERIFY2(g.parsed.ok(), qPrintable(QStringLiteral("%1: %2 (%3)")
                                               .arg(provider::parseErrorName(g.parsed.error), g.parsed.detail,
                                                    QString::fromUtf8(g.data.left(200)))));
        const provider::Message &m = g.parsed.message;
        switch (m.event) {
        case provider::Event::Media: {
            QCOMPARE(g.binary, profile.outboundAudioIsBinary());
            QCOMPARE(m.audio.size(), qsizetype(format.frameBytes()));
            int n = 0;
            for (int k = 0; k < 4; ++k)
                n |= int(quint8(m.audio[k])) << (8 * k);
            QCOMPARE(m.audio, numberedFrame(format, n)); // content round-trips unchanged
            got << QStringLiteral("media %1").arg(n);
            break;
        }
        case provider::Event::Mark: got << QStringLiteral("mark ") + m.markName; break;
        case provider::Event::Clear: got << QStringLiteral("clear"); break;
        default: got << QStringLiteral("unexpected ") + provider::eventName(m.event); break;
        }
    }
    QCOMPARE(got, expected);

    // What the peer says back: a mark echo reaches markEchoed, a clear ack and a stop are
    // understood (logged), nothing is an error.
    peer.send(0, profile.encodeMarkEcho(peer.params[0], peer.sequence(), QStringLiteral("m1")));
    QTRY_COMPARE_WITH_TIMEOUT(echoes.size(), 1, kHangMs);
    QCOMPARE(echoes.first().at(0).toString(), QStringLiteral("m1"));
    if (profile.encodeClearAck(peer.params[0], peer.sequence()))
        QTRY_VERIFY_WITH_TIMEOUT(countContaining(logsOf(logs), QStringLiteral("peer acknowledged the clear")) == 1,
                                 kHangMs);
    if (const auto stop = profile.encodeStop(peer.params[0], peer.sequence())) {
        peer.send(0, *stop);
        QTRY_VERIFY_WITH_TIMEOUT(countContaining(logsOf(logs), QStringLiteral("peer sent stop")) == 1, kHangMs);
    }
    QVERIFY(!peerData.isEmpty()); // every peer message is offered, text or binary
    const QStringList all = logsOf(logs);
    QCOMPARE(countContaining(all, QStringLiteral("invalid message")), 0);
    QCOMPARE(countContaining(all, QStringLiteral("error:")), 0);
    QCOMPARE(engine.queue()->totalDrops(), 0u);
    QCOMPARE(engine.offThreadWrites(), 0u);
}

void TestProviderEngine::comfortSilenceIsTheFormatsSilence()
{
    QFETCH(int, provider);
    const Id id = Id(provider);
    QVERIFY2(profileBuilt(id), qPrintable(provider::name(id) + QStringLiteral(": the profile cannot encode media")));
    const provider::Profile &profile = provider::profile(id);
    ProfilePeer peer(id);
    SenderConfig cfg = configFor(id);
    cfg.comfortSilence = true;
    SenderEngine engine(cfg);
    engine.connectTo(peer.url());
    QTRY_VERIFY_WITH_TIMEOUT(peer.invalid() > 0 || peer.count(0, provider::Event::Media) >= 5, kHangMs);
    engine.stop();
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Idle, kHangMs);
    for (const Got &g : peer.received[0]) {
        QVERIFY2(g.parsed.ok(), qPrintable(g.parsed.detail));
        if (g.parsed.message.event != provider::Event::Media)
            continue;
        QCOMPARE(g.binary, profile.outboundAudioIsBinary());
        QCOMPARE(g.parsed.message.audio, profile.outboundFormat().silenceFrame());
    }
    QVERIFY(engine.totals().comfortFrames >= 5);
}

void TestProviderEngine::malformedPeerMessagesAreWarnings()
{
    QFETCH(int, provider);
    const Id id = Id(provider);
    QVERIFY2(profileBuilt(id), qPrintable(provider::name(id) + QStringLiteral(": the profile cannot encode media")));
    const provider::Profile &profile = provider::profile(id);
    const MediaFormat format = profile.outboundFormat();
    ProfilePeer peer(id);
    SenderEngine engine(configFor(id));
    QSignalSpy logs(&engine, &SenderEngine::logMessage);
    QSignalSpy errors(&engine, &SenderEngine::errorOccurred);
    engine.connectTo(peer.url());
    QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, kHangMs);

    // Truncated JSON, a JSON array, an object no provider knows.
    peer.sendRaw(0, QByteArrayLiteral(R"({"event":"med)"), false);
    peer.sendRaw(0, QByteArrayLiteral("[1,2,3]"), false);
    peer.sendRaw(0, QByteArrayLiteral(R"({"what":"ever"})"), false);
    QTRY_VERIFY_WITH_TIMEOUT(countContaining(logsOf(logs), QStringLiteral("peer sent an invalid message (")) >= 2, kHangMs);
    if (!profile.inboundAudioIsBinary()) {
        peer.sendRaw(0, QByteArray(7, '\x01'), true);
        QTRY_COMPARE_WITH_TIMEOUT(countContaining(logsOf(logs), QStringLiteral("peer sent a binary frame (7 bytes); ignored")),
                                  1, kHangMs);
    }
    // Still streaming, still sending what is queued.
    QVERIFY(engine.enqueueFrame(numberedFrame(format, 7), true));
    QTRY_VERIFY_WITH_TIMEOUT(peer.count(0, provider::Event::Media) >= 1, kHangMs);
    QCOMPARE(engine.state(), SenderEngine::Connected);
    QVERIFY(errors.isEmpty());
    for (const QString &l : logsOf(logs))
        if (l.contains(QLatin1String("invalid message")))
            QVERIFY2(l.startsWith(QLatin1String("warning:")), qPrintable(l));
}

void TestProviderEngine::multiStreamSpeaksTheProfile()
{
    QFETCH(int, provider);
    const Id id = Id(provider);
    QVERIFY2(profileBuilt(id), qPrintable(provider::name(id) + QStringLiteral(": the profile cannot encode media")));
    const provider::Profile &profile = provider::profile(id);
    const MediaFormat format = profile.outboundFormat();
    ProfilePeer peer(id);
    peer.autoClearAck = false;
    MultiStreamSender sender(configFor(id), 2);
    QCOMPARE(sender.format(), format);
    QSignalSpy echoes(&sender, &MultiStreamSender::markEchoed);
    constexpr int kStreams = 2;
    for (int s = 0; s < kStreams; ++s) {
        QString error;
        QVERIFY2(sender.addStream(peer.url(), {}, &error) == s, qPrintable(error));
    }
    QTRY_VERIFY_WITH_TIMEOUT(sender.streamState(0) == EngineState::Connected
                                 && sender.streamState(1) == EngineState::Connected,
                             kHangMs);
    for (int s = 0; s < kStreams; ++s) {
        for (int i = 0; i < 10; ++i)
            QVERIFY(sender.enqueueFrame(s, numberedFrame(format, s * 1000 + i), true));
        sender.mark(s, QStringLiteral("end%1").arg(s));
    }
    QTRY_VERIFY_WITH_TIMEOUT(peer.invalid() > 0
                                 || (peer.count(0, provider::Event::Mark) == 1 && peer.count(1, provider::Event::Mark) == 1),
                             kHangMs);
    for (int c = 0; c < kStreams; ++c) {
        QVERIFY(!peer.received[size_t(c)].empty());
        int stream = -1;
        int next = 0;
        for (const Got &g : peer.received[size_t(c)]) {
            QVERIFY2(g.parsed.ok(), qPrintable(g.parsed.detail));
            const provider::Message &m = g.parsed.message;
            if (m.event == provider::Event::Media) {
                QCOMPARE(g.binary, profile.outboundAudioIsBinary());
                QCOMPARE(m.audio.size(), qsizetype(format.frameBytes()));
                const int n = int(quint8(m.audio[0])) | int(quint8(m.audio[1])) << 8;
                if (stream < 0)
                    stream = n / 1000; // which stream this connection is
                QCOMPARE(m.audio, numberedFrame(format, stream * 1000 + next++));
            } else {
                QCOMPARE(m.event, provider::Event::Mark);
                QCOMPARE(next, 10); // the mark leaves behind the last frame
                QCOMPARE(m.markName, QStringLiteral("end%1").arg(stream));
            }
        }
        QCOMPARE(next, 10);
        // The echo of a mark is counted for its stream.
        peer.send(c, profile.encodeMarkEcho(peer.params[size_t(c)], peer.sequence(), QStringLiteral("end%1").arg(stream)));
    }
    QTRY_COMPARE_WITH_TIMEOUT(echoes.size(), kStreams, kHangMs);
    for (const auto &args : echoes)
        QCOMPARE(args.at(1).toString(), QStringLiteral("end%1").arg(args.at(0).toInt()));
    sender.clear(0);
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(0, provider::Event::Clear) + peer.count(1, provider::Event::Clear), 1, kHangMs);
    sender.stop();
}

void TestProviderEngine::headlessPrintsAndUsesTheProvider_data()
{
    QTest::addColumn<int>("provider");
    QTest::addColumn<int>("streams");
    for (Id id : provider::allIds())
        for (int streams : {0, 2})
            QTest::newRow(qPrintable(QStringLiteral("%1 streams=%2").arg(provider::name(id)).arg(streams)))
                << int(id) << streams;
}

void TestProviderEngine::headlessPrintsAndUsesTheProvider()
{
    QFETCH(int, provider);
    QFETCH(int, streams);
    const Id id = Id(provider);
    QVERIFY2(profileBuilt(id), qPrintable(provider::name(id) + QStringLiteral(": the profile cannot encode media")));
    const provider::Profile &profile = provider::profile(id);
    ProfilePeer peer(id);
    QStringList args{QStringLiteral("--headless"), QStringLiteral("--provider"), profile.name(),
                     QStringLiteral("--target"), peer.url().toString(), QStringLiteral("--duration"),
                     QStringLiteral("1"), QStringLiteral("--no-realtime"), QStringLiteral("--ping-interval-ms"),
                     QStringLiteral("0")};
    if (streams > 0)
        args << QStringLiteral("--streams") << QString::number(streams);
    QProcess p;
    p.start(QStringLiteral(PACELAB_BINARY), args);
    QVERIFY(p.waitForStarted(kHangMs));
    // The peer lives on this thread: keep its event loop turning while the run goes on.
    QTRY_VERIFY_WITH_TIMEOUT(p.state() == QProcess::NotRunning, kHangMs);
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    const QString errText = QString::fromUtf8(p.readAllStandardError());
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, qPrintable(out + errText));

    // The provider and its format, said once; the per-second lines keep their format.
    QString line = QStringLiteral("[TX] provider=%1 %2").arg(profile.name(), profile.outboundFormat().describe());
    if (profile.outboundAudioIsBinary())
        line += QStringLiteral(", binary messages");
    QCOMPARE(out.count(QStringLiteral("[TX] provider=")), 1);
    QVERIFY2(out.contains(line + QLatin1Char('\n')), qPrintable(out));
    QVERIFY2(out.contains(streams > 0 ? QStringLiteral("[TX] streams=") : QStringLiteral("[TX] fps=")), qPrintable(out));

    // What reached the peer is the provider's: frames of its size and type, all parseable.
    const int connections = streams > 0 ? streams : 1;
    QCOMPARE(int(peer.received.size()), connections);
    for (int c = 0; c < connections; ++c) {
        QVERIFY(peer.count(c, provider::Event::Media) > 0);
        for (const Got &g : peer.received[size_t(c)]) {
            QVERIFY2(g.parsed.ok(), qPrintable(g.parsed.detail));
            if (g.parsed.message.event == provider::Event::Media) {
                QCOMPARE(g.binary, profile.outboundAudioIsBinary());
                QCOMPARE(g.parsed.message.audio.size(), qsizetype(profile.outboundFormat().frameBytes()));
            }
        }
    }
}

QTEST_GUILESS_MAIN(TestProviderEngine)
#include "tst_provider_engine.moc"
