#pragma once

#include <QByteArray>
#include <QString>
#include <QUrl>
#include <QVector>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

// A loopback TCP proxy between a client (PaceLab's sender) and a server (the Twilio emulator)
// that a test drives into network faults: stop reading, reset mid-frame, vanish without a FIN,
// answer with junk. It runs on its own thread with plain POSIX sockets and poll(), so it keeps
// its timing when the test's thread is busy, and it can do what Qt sockets cannot (SO_LINGER 0
// resets, listen-socket buffer sizes, a tiny MSS). Linux/Unix only.
class FaultProxy
{
public:
    struct Options
    {
        // Set on the listening socket so that accepted connections inherit them: a small receive
        // buffer and MSS make the client's kernel buffers small, so "stop reading" is felt by the
        // client within a second instead of after megabytes. 0 = system default.
        int listenRcvBuf = 0;
        int listenMss = 0;
    };

    // Where a reset cuts: inside the next WebSocket frame going to the client (server -> client)
    // or going to the server (client -> server).
    enum class Direction { ToClient, ToServer };

    explicit FaultProxy(quint16 targetPort);
    FaultProxy(quint16 targetPort, Options options);
    ~FaultProxy();

    bool start(QString *error); // listens on 127.0.0.1, any free port
    quint16 port() const { return m_port; }
    QUrl url(const QString &scheme = QStringLiteral("ws")) const;

    // Stop / resume reading what the client sends (it piles up in the client's socket buffers).
    void setClientReadsPaused(bool paused);
    // Every connection open now goes silent both ways: what either side sends is read and
    // discarded, nothing is forwarded, nothing is closed towards the client (no FIN, no RST).
    // The server side is closed, like a peer whose host went away. Later connections forward
    // normally.
    void blackholeCurrent();
    // Arm a one-shot cut: the next WebSocket frame in that direction on the current connection is
    // forwarded only up to half its payload, then the side it was going to is reset (SO_LINGER
    // 0 + close -> RST) and the other side is closed too.
    void resetMidFrameOnce(Direction direction);
    // New connections are accepted and then ignored (nothing forwarded, nothing answered, not
    // closed): a server that never answers the upgrade.
    void setSilentAccept(bool silent);
    // Non-empty: new connections get these bytes and a close instead of being forwarded.
    void setJunkReply(const QByteArray &bytes);

    int accepted() const { return m_accepted.load(); }
    QVector<qint64> acceptTimesMs() const; // steady clock, ms, one per accepted connection
    int resetsDone() const { return m_resets.load(); }
    int openConnections() const { return m_open.load(); }
    quint64 bytesToServer() const { return m_toServer.load(); }
    quint64 bytesToClient() const { return m_toClient.load(); }
    quint64 bytesDiscarded() const { return m_discarded.load(); }

private:
    struct Conn;
    void run();
    void acceptOne();
    bool pump(Conn &c);
    void resetFd(int &fd);
    static void closeFd(int &fd);

    quint16 m_targetPort;
    Options m_options;
    quint16 m_port = 0;
    int m_listenFd = -1;
    int m_wakePipe[2] = {-1, -1};
    std::thread m_thread;
    std::atomic<bool> m_quit{false};

    mutable std::mutex m_mutex; // guards the requests below and m_acceptTimes
    bool m_pauseClientReads = false;
    bool m_blackholeRequest = false;
    int m_resetRequest = -1; // Direction or -1
    QByteArray m_junk;
    bool m_silentAccept = false;
    QVector<qint64> m_acceptTimes;

    std::vector<std::unique_ptr<Conn>> m_conns; // proxy thread only
    std::atomic<int> m_accepted{0};
    std::atomic<int> m_resets{0};
    std::atomic<int> m_open{0};
    std::atomic<quint64> m_toServer{0};
    std::atomic<quint64> m_toClient{0};
    std::atomic<quint64> m_discarded{0};
};
