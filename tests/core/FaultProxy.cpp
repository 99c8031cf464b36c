#include "FaultProxy.h"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

constexpr qsizetype kMaxPending = 256 * 1024; // per direction, then the proxy stops reading

qint64 steadyMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void setNonBlocking(int fd)
{
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Follows one direction of a WebSocket connection (after the HTTP upgrade) to know where frames
// begin, so a cut can land inside a frame's payload.
struct WsCursor
{
    bool inHttp = true;
    quint32 last4 = 0;
    QByteArray header;
    qint64 skip = 0;     // payload bytes of the current frame still to pass
    qint64 cutLeft = -1; // >= 0: cutting; bytes of payload still to forward before the cut

    // Returns how many bytes of d to forward; *cut: reset right after forwarding them.
    qsizetype feed(const char *d, qsizetype n, bool armed, bool *cut)
    {
        *cut = false;
        qsizetype pos = 0;
        while (pos < n) {
            if (inHttp) {
                last4 = (last4 << 8) | quint8(d[pos++]);
                if (last4 == 0x0D0A0D0A)
                    inHttp = false;
                continue;
            }
            if (cutLeft >= 0) {
                const qsizetype take = qsizetype(std::min<qint64>(cutLeft, n - pos));
                pos += take;
                cutLeft -= take;
                skip -= take;
                if (cutLeft == 0) {
                    *cut = true;
                    return pos;
                }
                continue;
            }
            if (skip > 0) {
                const qsizetype take = qsizetype(std::min<qint64>(skip, n - pos));
                pos += take;
                skip -= take;
                continue;
            }
            header.append(d[pos++]);
            qint64 payload = 0;
            if (headerComplete(&payload)) {
                header.clear();
                skip = payload;
                if (armed && payload >= 2)
                    cutLeft = payload / 2;
            }
        }
        return pos;
    }

    bool headerComplete(qint64 *payload) const
    {
        if (header.size() < 2)
            return false;
        const quint8 b1 = quint8(header[1]);
        const int len7 = b1 & 0x7F;
        const int need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((b1 & 0x80) ? 4 : 0);
        if (header.size() < need)
            return false;
        qint64 len = len7;
        if (len7 == 126)
            len = (quint8(header[2]) << 8) | quint8(header[3]);
        else if (len7 == 127) {
            len = 0;
            for (int i = 0; i < 8; ++i)
                len = (len << 8) | quint8(header[2 + i]);
        }
        *payload = len;
        return true;
    }
};

} // namespace

struct FaultProxy::Conn
{
    int client = -1;
    int server = -1;
    QByteArray toServer; // read from the client, not yet written to the server
    QByteArray toClient;
    bool blackholed = false;
    int armed = -1; // Direction of an armed cut, -1 = none
    WsCursor cursorToServer;
    WsCursor cursorToClient;
};

FaultProxy::FaultProxy(quint16 targetPort) : FaultProxy(targetPort, Options())
{
}

FaultProxy::FaultProxy(quint16 targetPort, Options options) : m_targetPort(targetPort), m_options(options)
{
}

FaultProxy::~FaultProxy()
{
    m_quit = true;
    if (m_wakePipe[1] >= 0) {
        const char c = 'q';
        [[maybe_unused]] auto r = ::write(m_wakePipe[1], &c, 1);
    }
    if (m_thread.joinable())
        m_thread.join();
    for (auto &c : m_conns) {
        closeFd(c->client);
        closeFd(c->server);
    }
    closeFd(m_listenFd);
    closeFd(m_wakePipe[0]);
    closeFd(m_wakePipe[1]);
}

bool FaultProxy::start(QString *error)
{
    auto failWith = [&](const char *what) {
        *error = QStringLiteral("fault proxy: %1: %2").arg(QLatin1String(what), QString::fromLocal8Bit(strerror(errno)));
        closeFd(m_listenFd);
        return false;
    };
    if (::pipe(m_wakePipe) != 0)
        return failWith("pipe");
    setNonBlocking(m_wakePipe[0]);
    m_listenFd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_listenFd < 0)
        return failWith("socket");
    const int one = 1;
    ::setsockopt(m_listenFd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (m_options.listenRcvBuf > 0
        && ::setsockopt(m_listenFd, SOL_SOCKET, SO_RCVBUF, &m_options.listenRcvBuf, sizeof(int)) != 0)
        return failWith("SO_RCVBUF");
    if (m_options.listenMss > 0
        && ::setsockopt(m_listenFd, IPPROTO_TCP, TCP_MAXSEG, &m_options.listenMss, sizeof(int)) != 0)
        return failWith("TCP_MAXSEG");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(m_listenFd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0)
        return failWith("bind");
    if (::listen(m_listenFd, 16) != 0)
        return failWith("listen");
    socklen_t len = sizeof a;
    ::getsockname(m_listenFd, reinterpret_cast<sockaddr *>(&a), &len);
    m_port = ntohs(a.sin_port);
    m_thread = std::thread([this] { run(); });
    return true;
}

QUrl FaultProxy::url(const QString &scheme) const
{
    return QUrl(QStringLiteral("%1://127.0.0.1:%2/").arg(scheme).arg(m_port));
}

void FaultProxy::setClientReadsPaused(bool paused)
{
    std::lock_guard lock(m_mutex);
    m_pauseClientReads = paused;
}

void FaultProxy::blackholeCurrent()
{
    std::lock_guard lock(m_mutex);
    m_blackholeRequest = true;
}

void FaultProxy::resetMidFrameOnce(Direction direction)
{
    std::lock_guard lock(m_mutex);
    m_resetRequest = int(direction);
}

void FaultProxy::setSilentAccept(bool silent)
{
    std::lock_guard lock(m_mutex);
    m_silentAccept = silent;
}

void FaultProxy::setJunkReply(const QByteArray &bytes)
{
    std::lock_guard lock(m_mutex);
    m_junk = bytes;
}

QVector<qint64> FaultProxy::acceptTimesMs() const
{
    std::lock_guard lock(m_mutex);
    return m_acceptTimes;
}

void FaultProxy::closeFd(int &fd)
{
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

void FaultProxy::resetFd(int &fd)
{
    if (fd < 0)
        return;
    linger l{1, 0}; // close() now sends RST instead of FIN
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    closeFd(fd);
    ++m_resets;
}

void FaultProxy::acceptOne()
{
    const int cfd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0)
        return;
    ++m_accepted;
    QByteArray junk;
    bool silent = false;
    {
        std::lock_guard lock(m_mutex);
        m_acceptTimes.append(steadyMs());
        junk = m_junk;
        silent = m_silentAccept;
    }
    if (silent) {
        // Read and drop whatever the client sends; never answer, never close.
        auto c = std::make_unique<Conn>();
        c->client = cfd;
        c->blackholed = true;
        m_conns.push_back(std::move(c));
        ++m_open;
        return;
    }
    if (!junk.isEmpty()) {
        [[maybe_unused]] auto r = ::write(cfd, junk.constData(), size_t(junk.size()));
        ::shutdown(cfd, SHUT_WR);
        // Let the client see the bytes and the FIN before the socket goes.
        ::usleep(20000);
        ::close(cfd);
        return;
    }
    const int sfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(m_targetPort);
    if (sfd < 0 || ::connect(sfd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
        // Server down: the client sees its connection closed, as through a real proxy.
        if (sfd >= 0)
            ::close(sfd);
        ::close(cfd);
        return;
    }
    setNonBlocking(sfd);
    auto c = std::make_unique<Conn>();
    c->client = cfd;
    c->server = sfd;
    m_conns.push_back(std::move(c));
    ++m_open;
}

// Moves what is readable/writable on one connection; false when it is finished.
bool FaultProxy::pump(Conn &c)
{
    char buf[16384];
    bool paused = false;
    {
        std::lock_guard lock(m_mutex);
        paused = m_pauseClientReads;
    }
    // client -> server
    if (c.client >= 0 && (c.blackholed || (!paused && c.toServer.size() < kMaxPending))) {
        const ssize_t n = ::read(c.client, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            closeFd(c.client);
            closeFd(c.server); // FIN to the server, like a proxy whose client left
            return false;
        }
        if (n > 0) {
            if (c.blackholed) {
                m_discarded += quint64(n);
            } else {
                bool cut = false;
                const qsizetype k = c.cursorToServer.feed(buf, n, c.armed == int(Direction::ToServer), &cut);
                c.toServer.append(buf, k);
                if (cut) {
                    // Half a frame reaches the server, then both sides are reset.
                    pollfd p{c.server, POLLOUT, 0};
                    const qint64 until = steadyMs() + 1000;
                    while (!c.toServer.isEmpty() && steadyMs() < until) {
                        const ssize_t w = ::write(c.server, c.toServer.constData(), size_t(c.toServer.size()));
                        if (w > 0) {
                            m_toServer += quint64(w);
                            c.toServer.remove(0, w);
                        } else {
                            ::poll(&p, 1, 10);
                        }
                    }
                    resetFd(c.server);
                    resetFd(c.client);
                    return false;
                }
            }
        }
    }
    // server -> client
    if (c.server >= 0 && c.toClient.size() < kMaxPending) {
        const ssize_t n = ::read(c.server, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            closeFd(c.server);
            if (c.blackholed)
                return true; // the client must not learn anything
            // Pass the close on once what was read has been delivered.
            if (c.toClient.isEmpty()) {
                closeFd(c.client);
                return false;
            }
        } else if (n > 0) {
            bool cut = false;
            const qsizetype k = c.cursorToClient.feed(buf, n, c.armed == int(Direction::ToClient), &cut);
            c.toClient.append(buf, k);
            if (cut) {
                pollfd p{c.client, POLLOUT, 0};
                const qint64 until = steadyMs() + 1000;
                while (!c.toClient.isEmpty() && steadyMs() < until) {
                    const ssize_t w = ::write(c.client, c.toClient.constData(), size_t(c.toClient.size()));
                    if (w > 0) {
                        m_toClient += quint64(w);
                        c.toClient.remove(0, w);
                    } else {
                        ::poll(&p, 1, 10);
                    }
                }
                resetFd(c.client);
                closeFd(c.server);
                return false;
            }
        }
    }
    // writes
    if (!c.blackholed) {
        if (c.server >= 0 && !c.toServer.isEmpty()) {
            const ssize_t w = ::write(c.server, c.toServer.constData(), size_t(c.toServer.size()));
            if (w > 0) {
                m_toServer += quint64(w);
                c.toServer.remove(0, w);
            }
        }
        if (c.client >= 0 && !c.toClient.isEmpty()) {
            const ssize_t w = ::write(c.client, c.toClient.constData(), size_t(c.toClient.size()));
            if (w > 0) {
                m_toClient += quint64(w);
                c.toClient.remove(0, w);
            }
        }
        if (c.server < 0 && c.toClient.isEmpty() && c.client >= 0) {
            closeFd(c.client);
            return false;
        }
    }
    return c.client >= 0;
}

void FaultProxy::run()
{
    std::vector<pollfd> fds;
    while (!m_quit.load()) {
        bool blackhole = false;
        int resetDir = -1;
        bool paused = false;
        {
            std::lock_guard lock(m_mutex);
            std::swap(blackhole, m_blackholeRequest);
            std::swap(resetDir, m_resetRequest);
            paused = m_pauseClientReads;
        }
        for (auto &c : m_conns) {
            if (blackhole && !c->blackholed) {
                c->blackholed = true;
                c->toServer.clear();
                c->toClient.clear();
                closeFd(c->server);
            }
            if (resetDir >= 0)
                c->armed = resetDir;
        }

        fds.clear();
        fds.push_back({m_wakePipe[0], POLLIN, 0});
        fds.push_back({m_listenFd, POLLIN, 0});
        for (auto &c : m_conns) {
            short ce = 0, se = 0;
            if (c->blackholed || (!paused && c->toServer.size() < kMaxPending))
                ce |= POLLIN;
            if (!c->blackholed && !c->toClient.isEmpty())
                ce |= POLLOUT;
            if (c->toClient.size() < kMaxPending)
                se |= POLLIN;
            if (!c->blackholed && !c->toServer.isEmpty())
                se |= POLLOUT;
            fds.push_back({c->client, ce, 0});
            fds.push_back({c->server, se, 0}); // fd -1 is ignored by poll
        }
        ::poll(fds.data(), nfds_t(fds.size()), 50);
        if (fds[0].revents & POLLIN) {
            char drain[64];
            while (::read(m_wakePipe[0], drain, sizeof drain) > 0) {
            }
        }
        if (fds[1].revents & POLLIN)
            acceptOne();
        const size_t n = std::min(m_conns.size(), (fds.size() - 2) / 2);
        for (size_t i = 0; i < n; ++i) {
            const pollfd &cp = fds[2 + 2 * i];
            const pollfd &sp = fds[3 + 2 * i];
            if ((cp.revents | sp.revents) == 0)
                continue;
            if (!pump(*m_conns[i])) {
                closeFd(m_conns[i]->client);
                closeFd(m_conns[i]->server);
            }
        }
        // Drop finished connections.
        for (auto it = m_conns.begin(); it != m_conns.end();) {
            if ((*it)->client < 0) {
                closeFd((*it)->server);
                it = m_conns.erase(it);
                --m_open;
            } else {
                ++it;
            }
        }
    }
}
