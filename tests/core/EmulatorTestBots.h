#pragma once
// Small bots for the emulator tests (test-your-bot mode: the emulator connects to them).
// FakeBot is a QWebSocketServer peer with an absolute-deadline pacer; RawBot speaks WebSocket
// by hand over TCP so it can send what QWebSocket never would (invalid UTF-8, no close frame).
// Test-only helpers, kept in one header so several tst_emulator_*.cpp can share them.

#include "twilio/TwilioMessages.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QNetworkRequest>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
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

} // namespace testbots
