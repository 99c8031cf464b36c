// MultiStreamSender at 200 streams against an in-process receiver: per-stream order, marks in
// their place and echoed in order, clear empties only its own stream, drop-oldest counts exact
// on overflow. Real time on a possibly saturated machine: only order, counts and state are
// asserted, never a rate or a duration (waits are long only so that a hang fails them).
// Pacing figures: pacelab-bench pacing --streams N; the wheel itself: tst_deadlinewheel.
#include "NumberedFrames.h"
#include "engine/MultiStreamSender.h"
#include "twilio/TwilioMessages.h"

#include <QSignalSpy>
#include <QWebSocket>
#include <QWebSocketServer>
#include <QtTest>

#include <map>
#include <set>

using namespace pacelab;

namespace {

constexpr int kHangMs = 120000;
constexpr int kStreams = 200;
constexpr int kFrames = 20;      // per ordinary stream
constexpr int kOverflow = 198;   // pushed past its capacity before it starts
constexpr int kCleared = 199;    // cleared while streaming
constexpr int kPushed = 150;     // into kOverflow's queue (capacity 120)
constexpr int kClearFrames = 100;

QString sidOf(int id)
{
    return QStringLiteral("MZ%1").arg(id, 32, 10, QLatin1Char('0'));
}

using pacelab::test::numbered;
using pacelab::test::numberOf;

// One entry per message a stream's connection received: a frame number, or "mark:NAME", or
// "clear".
using Log = QStringList;

// The receiver: one server, a connection per stream (told apart by the URL path /s/ID). It
// sends `start` with the stream's SID unless told to hold it, and echoes every mark at once.
class Receiver : public QObject
{
public:
    Receiver()
    {
        QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
        connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *s = m_server.nextPendingConnection()) {
                s->setParent(&m_server);
                const int id = s->requestUrl().path().section(QLatin1Char('/'), -1).toInt();
                sockets[id] = s;
                connect(s, &QWebSocket::textMessageReceived, this, [this, id, s](const QString &t) {
                    const twilio::ParseResult r = twilio::parseFromBot(t.toUtf8());
                    Log &log = logs[id];
                    if (r.message.event == twilio::Event::Media) {
                        log << QString::number(numberOf(r.message.payload));
                    } else if (r.message.event == twilio::Event::Mark) {
                        log << QStringLiteral("mark:") + r.message.markName;
                        s->sendTextMessage(QString::fromUtf8(
                            twilio::encodeMarkEcho(sidOf(id), ++m_seq, r.message.markName)));
                    } else if (r.message.event == twilio::Event::Clear) {
                        log << QStringLiteral("clear");
                    } else {
                        log << QStringLiteral("?");
                    }
                });
                if (!held.count(id))
                    sendStart(id);
            }
        });
    }
    void sendStart(int id)
    {
        twilio::StartInfo info;
        info.streamSid = sidOf(id);
        info.accountSid = QStringLiteral("AC00000000000000000000000000000001");
        info.callSid = QStringLiteral("CA%1").arg(id, 32, 10, QLatin1Char('0'));
        sockets[id]->sendTextMessage(QString::fromUtf8(twilio::encodeConnected()));
        sockets[id]->sendTextMessage(QString::fromUtf8(twilio::encodeStart(info, ++m_seq)));
    }
    QUrl url(int id) const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/s/%2").arg(m_server.serverPort()).arg(id)); }
    int media(int id) const
    {
        const auto it = logs.find(id);
        if (it == logs.end())
            return 0;
        int n = 0;
        for (const QString &e : it->second)
            n += !e.startsWith(QLatin1String("mark:")) && e != QLatin1String("clear");
        return n;
    }

    QWebSocketServer m_server{QStringLiteral("test-receiver"), QWebSocketServer::NonSecureMode};
    std::map<int, QPointer<QWebSocket>> sockets;
    std::map<int, Log> logs;
    std::set<int> held;

private:
    qint64 m_seq = 0;
};

Log expectedOrdinary(int id)
{
    // Marks after frames 4, 9 and 19: each leaves right behind the frame it follows.
    Log l;
    for (int n = 0; n < kFrames; ++n) {
        l << QString::number(n);
        if (n == 4 || n == 9 || n == 19)
            l << QStringLiteral("mark:s%1-after%2").arg(id).arg(n);
    }
    return l;
}

} // namespace

class TestMultiStream final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void twoHundredStreamsKeepTheirInvariants();
    void badInputIsAClearError();
};

void TestMultiStream::twoHundredStreamsKeepTheirInvariants()
{
    Receiver rx;
    rx.held = {kOverflow, kCleared};
    SenderConfig cfg;
    cfg.pingIntervalMs = 0;
    cfg.dropWarnIntervalMs = 60000; // one warning for the whole burst, however slow the machine
    MultiStreamSender sender(cfg, 8);
    std::map<int, QStringList> echoed;
    connect(&sender, &MultiStreamSender::markEchoed, this,
            [&](int id, const QString &name) { echoed[id] << name; });
    QSignalSpy logs(&sender, &MultiStreamSender::logMessage);

    for (int id = 0; id < kStreams; ++id) {
        QString err;
        QCOMPARE(sender.addStream(rx.url(id), {}, &err), id);
        QVERIFY2(err.isEmpty(), qPrintable(err));
    }
    QCOMPARE(sender.streamCount(), kStreams);
    // Ordinary streams: 20 numbered frames and three marks, queued at once (capacity 120).
    for (int id = 0; id < kStreams - 2; ++id) {
        for (int n = 0; n < kFrames; ++n) {
            QVERIFY(sender.enqueueFrame(id, numbered(n)));
            if (n == 4 || n == 9 || n == 19)
                sender.mark(id, QStringLiteral("s%1-after%2").arg(id).arg(n));
        }
    }
    // Overflow: 150 frames into 120 places before the stream starts: exactly the 30 oldest go.
    for (int n = 0; n < kPushed; ++n)
        QVERIFY(sender.enqueueFrame(kOverflow, numbered(n)));
    QCOMPARE(sender.queue(kOverflow)->totalDrops(), quint64(kPushed - 120));
    QCOMPARE(sender.queue(kOverflow)->size(), 120);
    for (int n = 0; n < kClearFrames; ++n)
        QVERIFY(sender.enqueueFrame(kCleared, numbered(n)));

    // Every connection up, then the two held streams start.
    QTRY_VERIFY_WITH_TIMEOUT(int(rx.sockets.size()) == kStreams, kHangMs);
    rx.sendStart(kCleared);
    // Clear stream 199 once its audio flows: only its own queue empties (stream 198, still
    // held, keeps all of its 120 frames).
    QTRY_VERIFY_WITH_TIMEOUT(rx.media(kCleared) >= 1, kHangMs);
    sender.clear(kCleared);
    QCOMPARE(sender.queue(kCleared)->size(), 0);
    QCOMPARE(sender.queue(kOverflow)->size(), 120);
    QTRY_VERIFY_WITH_TIMEOUT(rx.logs[kCleared].contains(QLatin1String("clear")), kHangMs);
    rx.sendStart(kOverflow);

    // Everything arrives.
    for (int id = 0; id < kStreams - 2; ++id)
        QTRY_VERIFY_WITH_TIMEOUT(echoed[id].size() == 3, kHangMs);
    QTRY_VERIFY_WITH_TIMEOUT(rx.media(kOverflow) == 120, kHangMs);

    for (int id = 0; id < kStreams - 2; ++id) {
        QCOMPARE(rx.logs[id], expectedOrdinary(id)); // order, marks in their place
        QCOMPARE(echoed[id], (QStringList{QStringLiteral("s%1-after4").arg(id), QStringLiteral("s%1-after9").arg(id),
                                          QStringLiteral("s%1-after19").arg(id)}));
    }
    // The overflowed stream lost exactly its 30 oldest frames and sent the rest in order.
    Log survivors;
    for (int n = kPushed - 120; n < kPushed; ++n)
        survivors << QString::number(n);
    QCOMPARE(rx.logs[kOverflow], survivors);
    // The cleared stream: in order up to the clear, nothing after it but newer audio (none).
    const Log &cl = rx.logs[kCleared];
    const int clearAt = int(cl.indexOf(QLatin1String("clear")));
    QVERIFY(clearAt >= 1);
    for (int i = 0; i < clearAt; ++i)
        QCOMPARE(cl[i], QString::number(i));
    QCOMPARE(cl.size(), clearAt + 1);
    QVERIFY(rx.media(kCleared) < kClearFrames);

    sender.stop();
    for (int id = 0; id < kStreams; ++id)
        QTRY_VERIFY_WITH_TIMEOUT(sender.streamState(id) == EngineState::Idle, kHangMs);
    for (int id = 0; id < kStreams - 2; ++id) {
        const StreamStats st = sender.streamStats(id);
        QCOMPARE(st.framesSent, quint64(kFrames));
        QCOMPARE(st.marksSent, quint64(3));
        QCOMPARE(st.marksEchoed, quint64(3));
        QCOMPARE(st.drops, quint64(0));
        QCOMPARE(st.clearsSent, quint64(0));
        QCOMPARE(st.streamSid, sidOf(id));
    }
    QCOMPARE(sender.streamStats(kOverflow).drops, quint64(kPushed - 120));
    QCOMPARE(sender.streamStats(kOverflow).framesSent, quint64(120));
    QCOMPARE(sender.streamStats(kCleared).clearsSent, quint64(1));
    // The throttled warning: named after its stream, not one per dropped frame.
    int dropWarnings = 0;
    for (const auto &args : logs)
        if (args.at(0).toInt() == kOverflow && args.at(1).toString() == QLatin1String("warning")
            && args.at(2).toString().contains(QLatin1String("drop")))
            ++dropWarnings;
    QVERIFY(dropWarnings >= 1);
    QVERIFY(dropWarnings < kPushed - 120);
    const MultiStreamTotals t = sender.totals();
    QCOMPARE(t.streams, kStreams);
    QCOMPARE(t.failed, 0);
    QCOMPARE(t.framesSent, quint64((kStreams - 2) * kFrames + 120 + rx.media(kCleared)));
    QCOMPARE(t.drops, quint64(kPushed - 120));
    QVERIFY(t.ticks > 0);
}

void TestMultiStream::badInputIsAClearError()
{
    MultiStreamSender sender;
    QString err;
    QCOMPARE(sender.addStream(QUrl(QStringLiteral("http://example.com/")), {}, &err), -1);
    QVERIFY2(err.contains(QLatin1String("ws://")), qPrintable(err));
    QCOMPARE(sender.addStream(QUrl(QStringLiteral("ws:///nohost")), {}, &err), -1);
    QVERIFY2(err.contains(QLatin1String("no host")), qPrintable(err));
    QCOMPARE(sender.streamCount(), 0);
    QVERIFY(!sender.queue(0));
    QVERIFY(!sender.enqueueFrame(3, numbered(1))); // unknown stream: refused, no crash
    sender.mark(3, QStringLiteral("x"));
    sender.clear(3);

    SenderConfig bad;
    bad.queueCapacity = -1;
    MultiStreamSender badSender(bad);
    QCOMPARE(badSender.addStream(QUrl(QStringLiteral("ws://127.0.0.1:1/")), {}, &err), -1);
    QVERIFY2(err.contains(QLatin1String("queue capacity")), qPrintable(err));
    MultiStreamSender tooManyPhases(SenderConfig{}, 1000);
    QCOMPARE(tooManyPhases.addStream(QUrl(QStringLiteral("ws://127.0.0.1:1/")), {}, &err), -1);
    QVERIFY2(err.contains(QLatin1String("phases")), qPrintable(err));
}

QTEST_GUILESS_MAIN(TestMultiStream)
#include "tst_multistream.moc"
