#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTcpServer>

class QTcpSocket;

namespace pacelab::check {

// A transparent TCP relay on 127.0.0.1 between a WebSocket client and server that reads the
// frame headers going by, so S6 can see the keep-alive pings on the wire (Qt answers pings
// inside QWebSocket and tells the receiving side nothing). Lives in the caller's thread.
class WsTap final : public QObject
{
    Q_OBJECT
public:
    explicit WsTap(QObject *parent = nullptr);
    ~WsTap() override;

    // Listens on 127.0.0.1 (free port) and relays every connection to 127.0.0.1:upstreamPort.
    bool listen(quint16 upstreamPort, QString *error);
    quint16 port() const;

    // Times in ms since listen() of control frames seen on the wire.
    QList<double> pingTimesMs() const { return m_pings; }   // client -> server
    QList<double> pongTimesMs() const { return m_pongs; }   // server -> client
    int connections() const { return m_connections; }
    qint64 framesClientToServer() const { return m_framesUp; }
    QString protocolError() const { return m_error; } // non-empty if a frame header made no sense

private:
    struct Direction
    {
        bool handshakeDone = false;
        QByteArray buffer;
        qint64 skip = 0; // payload bytes still to pass over
    };
    struct Pair
    {
        QPointer<QTcpSocket> client;
        QPointer<QTcpSocket> upstream;
        QByteArray pendingUp; // client bytes before the upstream connection is up
        Direction up, down;
    };

    void onNewConnection();
    void parse(Direction &d, const QByteArray &data, bool clientToServer);

    QTcpServer m_server;
    quint16 m_upstreamPort = 0;
    QList<Pair *> m_pairs;
    QElapsedTimer m_clock;
    QList<double> m_pings, m_pongs;
    int m_connections = 0;
    qint64 m_framesUp = 0;
    QString m_error;
};

} // namespace pacelab::check
