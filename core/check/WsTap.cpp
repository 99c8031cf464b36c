#include "WsTap.h"

#include <QTcpSocket>

namespace pacelab::check {

WsTap::WsTap(QObject *parent) : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &WsTap::onNewConnection);
}

WsTap::~WsTap()
{
    for (Pair *p : m_pairs) {
        if (p->client)
            p->client->abort();
        if (p->upstream)
            p->upstream->abort();
        delete p;
    }
}

bool WsTap::listen(quint16 upstreamPort, QString *error)
{
    m_upstreamPort = upstreamPort;
    if (!m_server.listen(QHostAddress::LocalHost, 0)) {
        *error = QStringLiteral("ping tap: cannot listen on 127.0.0.1: %1").arg(m_server.errorString());
        return false;
    }
    m_clock.start();
    return true;
}

quint16 WsTap::port() const
{
    return m_server.serverPort();
}

void WsTap::onNewConnection()
{
    while (QTcpSocket *client = m_server.nextPendingConnection()) {
        ++m_connections;
        auto *p = new Pair;
        m_pairs.append(p);
        p->client = client;
        client->setParent(this);
        auto *up = new QTcpSocket(this);
        p->upstream = up;
        up->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        client->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        connect(client, &QTcpSocket::readyRead, this, [this, p] {
            const QByteArray data = p->client->readAll();
            parse(p->up, data, true);
            if (p->upstream && p->upstream->state() == QAbstractSocket::ConnectedState)
                p->upstream->write(data);
            else
                p->pendingUp += data;
        });
        connect(up, &QTcpSocket::connected, this, [p] {
            if (!p->pendingUp.isEmpty()) {
                p->upstream->write(p->pendingUp);
                p->pendingUp.clear();
            }
        });
        connect(up, &QTcpSocket::readyRead, this, [this, p] {
            const QByteArray data = p->upstream->readAll();
            parse(p->down, data, false);
            if (p->client)
                p->client->write(data);
        });
        // Either side closing closes the other, after what is buffered has been written.
        connect(client, &QTcpSocket::disconnected, this, [p] {
            if (p->upstream)
                p->upstream->disconnectFromHost();
        });
        connect(up, &QTcpSocket::disconnected, this, [p] {
            if (p->client)
                p->client->disconnectFromHost();
        });
        connect(up, &QTcpSocket::errorOccurred, this, [p](QAbstractSocket::SocketError) {
            if (p->client)
                p->client->disconnectFromHost();
        });
        up->connectToHost(QHostAddress::LocalHost, m_upstreamPort);
    }
}

// RFC 6455 framing: only headers are read; payloads are skipped without being kept.
void WsTap::parse(Direction &d, const QByteArray &data, bool clientToServer)
{
    if (!m_error.isEmpty())
        return;
    d.buffer += data;
    if (!d.handshakeDone) {
        const qsizetype end = d.buffer.indexOf("\r\n\r\n");
        if (end < 0) {
            if (d.buffer.size() > 64 * 1024)
                m_error = QStringLiteral("HTTP upgrade header larger than 64 KiB");
            return;
        }
        d.buffer.remove(0, end + 4);
        d.handshakeDone = true;
    }
    for (;;) {
        if (d.skip > 0) {
            const qint64 n = qMin<qint64>(d.skip, d.buffer.size());
            d.buffer.remove(0, n);
            d.skip -= n;
            if (d.skip > 0)
                return;
        }
        if (d.buffer.size() < 2)
            return;
        const quint8 b0 = quint8(d.buffer[0]), b1 = quint8(d.buffer[1]);
        const int opcode = b0 & 0x0F;
        const bool masked = b1 & 0x80;
        qint64 len = b1 & 0x7F;
        int header = 2;
        if (len == 126) {
            if (d.buffer.size() < 4)
                return;
            len = (quint8(d.buffer[2]) << 8) | quint8(d.buffer[3]);
            header = 4;
        } else if (len == 127) {
            if (d.buffer.size() < 10)
                return;
            len = 0;
            for (int i = 2; i < 10; ++i)
                len = (len << 8) | quint8(d.buffer[i]);
            header = 10;
            if (len < 0) {
                m_error = QStringLiteral("frame length field out of range");
                return;
            }
        }
        if (masked)
            header += 4;
        if (d.buffer.size() < header)
            return;
        const double t = m_clock.nsecsElapsed() / 1e6;
        if (clientToServer) {
            ++m_framesUp;
            if (opcode == 0x9)
                m_pings.append(t);
        } else if (opcode == 0xA) {
            m_pongs.append(t);
        }
        d.buffer.remove(0, header);
        d.skip = len;
    }
}

} // namespace pacelab::check
