#pragma once
// Small bots for the emulator tests (test-your-bot mode: the emulator connects to them).
// FakeBot is a QWebSocketServer peer with an absolute-deadline pacer; RawBot speaks WebSocket
// by hand over TCP so it can send what QWebSocket never would (invalid UTF-8, no close frame).
// TapRecorder keeps what an emulator received (its message tap) as a capture, so a live test
// can check the live verdict against a replay of the very arrival times it saw: that agreement
// holds on a machine at any load, where figures such as fps or underruns of a live run do not.
// Test-only helpers, kept in one header so several tst_emulator_*.cpp can share them.

#include "emulator/TwilioEmulator.h"
#include "replay/Capture.h"
#include "replay/Replay.h"
#include "twilio/TwilioMessages.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QNetworkRequest>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>
#include <functional>
#include <memory>

namespace testbots {

using namespace pacelab;

class FakeBot
{
public:
    FakeBot()
        : server(QStringLiteral("fake bot"), QWebSocketServer::NonSecureMode)
    {
        pacer.setTimerType(Qt::PreciseTimer);
        pacer.setSingleShot(true);
        QObject::connect(&pacer, &QTimer::timeout, &ctx, [this] { pace(); });
        QObject::connect(&server, &QWebSocketServer::newConnection, &ctx, [this] {
            QWebSocket *s = server.nextPendingConnection();
            // QWebSocketServer hands the socket over unparented: the bot owns it (deleted with
            // ctx even when the event loop never runs the deleteLater below).
            s->setParent(&ctx);
            if (sock) {
                s->close();
                s->deleteLater();
                return;
            }
            sock = s;
            request = s->request();
            QObject::connect(s, &QWebSocket::textMessageReceived, &ctx, [this](const QString &t) { onText(t); });
            QObject::connect(s, &QWebSocket::disconnected, &ctx, [this] { disconnected = true; pacer.stop(); });
        });
        clock.start();
    }
    ~FakeBot()
    {
        pacer.stop();
        if (sock)
            sock->abort();
    }

    bool listen() { return server.listen(QHostAddress::LocalHost, 0); }
    QUrl url(const QString &path = QStringLiteral("/media")) const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1%2").arg(server.serverPort()).arg(path));
    }

    // ---- sending ----
    void sendText(const QByteArray &json)
    {
        if (sock)
            sock->sendTextMessage(QString::fromUtf8(json));
    }
    void sendMedia(const QByteArray &mulaw) { sendText(twilio::encodeMedia(streamSid, mulaw)); }
    void sendMark(const QString &name) { sendText(twilio::encodeMark(streamSid, name)); }
    void sendClear() { sendText(twilio::encodeClear(streamSid)); }
    void sendBinary(const QByteArray &data)
    {
        if (sock)
            sock->sendBinaryMessage(data);
    }

    // Paced sending on absolute deadlines: `frames` payloads of `bytes` every `intervalUs`;
    // a mark "m<N>" after every markEvery frames (0 = none).
    void startPacing(int frames, qint64 intervalUs, int bytes = 160, int markEvery = 0)
    {
        framesLeft = frames;
        paceInterval = intervalUs;
        paceBytes = bytes;
        paceMarkEvery = markEvery;
        nextUs = nowUs();
        pace();
    }
    void stopPacing()
    {
        framesLeft = 0;
        pacer.stop();
    }
    qint64 nowUs() const { return clock.nsecsElapsed() / 1000; }

    // ---- state ----
    QWebSocketServer server;
    QObject ctx; // connection context: dies with the bot
    QPointer<QWebSocket> sock;
    QNetworkRequest request;
    QString streamSid;
    twilio::StartInfo start;
    bool connectedSeen = false;
    bool startSeen = false;
    bool stopSeen = false;
    bool disconnected = false;
    int inboundMedia = 0;
    int nonSilentInbound = 0;
    QStringList dtmf;
    QStringList markEchoes;
    QList<qint64> inboundSeq;
    QStringList protocolErrors;
    std::function<void(FakeBot &)> onStart;
    std::function<void(FakeBot &, const twilio::Message &)> onInboundMedia;
    int framesSent = 0;
    int marksSent = 0;

private:
    void onText(const QString &text)
    {
        const twilio::ParseResult r = twilio::parseFromTwilio(text.toUtf8());
        if (!r.ok()) {
            protocolErrors << r.detail;
            return;
        }
        const twilio::Message &m = r.message;
        switch (m.event) {
        case twilio::Event::Connected: connectedSeen = true; break;
        case twilio::Event::Start:
            startSeen = true;
            streamSid = m.streamSid;
            start = m.start;
            if (onStart)
                onStart(*this);
            break;
        case twilio::Event::Media:
            inboundMedia++;
            inboundSeq << m.sequenceNumber;
            if (m.payload.count(char(0xFF)) != m.payload.size())
                nonSilentInbound++;
            if (onInboundMedia)
                onInboundMedia(*this, m);
            break;
        case twilio::Event::Mark: markEchoes << m.markName; break;
        case twilio::Event::Dtmf: dtmf << m.digit; break;
        case twilio::Event::Stop: stopSeen = true; break;
        default: break;
        }
    }
    void pace()
    {
        const qint64 now = nowUs();
        while (framesLeft > 0 && nextUs <= now) {
            sendMedia(QByteArray(paceBytes, char(0x55)));
            framesSent++;
            framesLeft--;
            nextUs += paceInterval;
            if (paceMarkEvery > 0 && framesSent % paceMarkEvery == 0)
                sendMark(QStringLiteral("m%1").arg(++marksSent));
        }
        if (framesLeft > 0)
            pacer.start(int(std::max<qint64>(0, (nextUs - now + 999) / 1000)));
    }

    QTimer pacer;
    QElapsedTimer clock;
    qint64 nextUs = 0;
    qint64 paceInterval = 20000;
    int paceBytes = 160;
    int paceMarkEvery = 0;
    int framesLeft = 0;
};

// WebSocket server spoken by hand, to send bytes QWebSocket refuses to produce.
class RawBot
{
public:
    RawBot()
    {
        QObject::connect(&server, &QTcpServer::newConnection, &ctx, [this] {
            sock = server.nextPendingConnection();
            QObject::connect(sock, &QTcpSocket::readyRead, &ctx, [this] { onRead(); });
        });
    }
    bool listen() { return server.listen(QHostAddress::LocalHost, 0); }
    QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/raw").arg(server.serverPort())); }

    // An unmasked server frame (opcode 0x1 text, 0x2 binary); FIN set.
    static QByteArray frame(quint8 opcode, const QByteArray &payload)
    {
        QByteArray f;
        f.append(char(0x80 | opcode));
        const qint64 n = payload.size();
        if (n < 126) {
            f.append(char(n));
        } else if (n < 65536) {
            f.append(char(126));
            f.append(char((n >> 8) & 0xFF));
            f.append(char(n & 0xFF));
        } else {
            f.append(char(127));
            for (int i = 7; i >= 0; --i)
                f.append(char((n >> (8 * i)) & 0xFF));
        }
        return f + payload;
    }
    void write(const QByteArray &bytes)
    {
        if (sock)
            sock->write(bytes);
    }

    QTcpServer server;
    QObject ctx;
    QPointer<QTcpSocket> sock;
    bool handshaken = false;
    QByteArray received;
    std::function<void(RawBot &)> onHandshake;

private:
    void onRead()
    {
        received += sock->readAll();
        if (handshaken)
            return;
        const int end = received.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        QByteArray key;
        for (const QByteArray &line : received.left(end).split('\n')) {
            const QByteArray l = line.trimmed();
            if (l.toLower().startsWith("sec-websocket-key:"))
                key = l.mid(18).trimmed();
        }
        const QByteArray accept =
            QCryptographicHash::hash(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", QCryptographicHash::Sha1).toBase64();
        sock->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: " + accept + "\r\n\r\n");
        handshaken = true;
        received = received.mid(end + 4);
        if (onHandshake)
            onHandshake(*this);
    }
};

// Records every message of an emulator session (both directions, with the emulator's own
// timestamps) into an in-memory capture; analyze() replays it through the offline analysis.
class TapRecorder
{
public:
    explicit TapRecorder(TwilioEmulator &emu)
        : m_emu(&emu)
    {
        m_buffer.open(QIODevice::ReadWrite);
        m_writer.open(&m_buffer, QJsonObject{{QStringLiteral("source"), QStringLiteral("test tap")}});
        emu.setMessageTap([this](qint64 tUs, bool fromBot, bool binary, const QByteArray &data) {
            m_writer.recordMessage(fromBot ? capture::Dir::Out : capture::Dir::In,
                                   binary ? capture::MsgKind::Binary : capture::MsgKind::Text, data, tUs);
        });
    }
    ~TapRecorder()
    {
        if (m_emu)
            m_emu->setMessageTap({}); // the emulator may outlive us (its stop() still sends)
    }
    replay::LoadResult load()
    {
        m_writer.flush();
        QByteArray copy = m_buffer.data();
        QBuffer in(&copy);
        in.open(QIODevice::ReadOnly);
        return replay::loadCall(&in);
    }

    // The live verdict equals the replay of the arrival times the emulator saw: the same
    // frames, bursts, underruns, buffer high-water, drift and violations. Use QVERIFY after it
    // (QTest::currentTestFailed()) since QCOMPARE only leaves this function.
    void compareWithLive(const TwilioEmulator &emu)
    {
        const replay::LoadResult r = load();
        QVERIFY2(r.ok, qPrintable(r.error));
        const replay::Analysis a = replay::analyze(r.call, emu.options().analytics, emu.options().playout);
        const ArrivalStats live = emu.stats();
        QCOMPARE(a.stats.frames, live.frames);
        QCOMPARE(a.stats.bytes, live.bytes);
        QCOMPARE(a.stats.nonStandardFrames, live.nonStandardFrames);
        QCOMPARE(a.stats.burstCount, live.burstCount);
        QCOMPARE(a.stats.spurts, live.spurts);
        QCOMPARE(a.stats.driftValid, live.driftValid);
        QVERIFY2(std::abs(a.stats.driftPpm - live.driftPpm) < 1.0,
                 qPrintable(QStringLiteral("replay %1 ppm, live %2 ppm").arg(a.stats.driftPpm).arg(live.driftPpm)));
        QCOMPARE(a.stats.deltaMaxMs, live.deltaMaxMs);
        QCOMPARE(a.underruns, emu.playout().underrunCount());
        QCOMPARE(a.underrunTotalUs, emu.playout().underrunTotalUs());
        QCOMPARE(qint64(std::llround(a.maxBufferedSec * 1e6)), emu.playout().maxBufferedUs());
        QCOMPARE(a.violationCount, emu.violationCount());
    }

private:
    QPointer<TwilioEmulator> m_emu;
    QBuffer m_buffer;
    capture::CaptureWriter m_writer;
};

} // namespace testbots
