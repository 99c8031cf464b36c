// pacelab-wire-rx: a WebSocket receiver in a process of its own that timestamps every media
// frame with the kernel's receive time (SO_TIMESTAMPNS, read from recvmsg's control message),
// so the figure is the wire's and not this process's scheduler's: on loopback the kernel stamps
// a segment while the sender's send() runs, however late this reader wakes.
//
//   pacelab-wire-rx [--port P] [--connections N] [--skip N] [--interval-us US] [--rt PRIO]
//
// Prints "LISTENING <port>" first, then one JSON object per finished connection (one line), and
// exits after N connections (default 1; 0 = never). Plain POSIX sockets; Qt Core for JSON and
// the handshake's SHA-1.
#include "WireStats.h"

#include "../BenchUtil.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

using pacelab::wire::WireStats;

namespace {

qint64 realtimeNowNs()
{
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); // the clock SO_TIMESTAMPNS stamps with
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Reads exactly n bytes. *stampNs: the kernel receive time of the first segment read (when the
// caller asks for it). Reading a frame header alone touches only the segment that carries it,
// and TCP reports the stamp of the last segment a read touched: so this is the frame's arrival.
bool readExact(int fd, char *buf, size_t n, qint64 *stampNs = nullptr)
{
    size_t got = 0;
    bool stamped = false;
    while (got < n) {
        iovec iov{buf + got, n - got};
        char control[256];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t r = recvmsg(fd, &msg, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        if (stampNs && !stamped) {
            for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec ts;
                    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    *stampNs = qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
                    stamped = true;
                }
            }
            if (!stamped)
                *stampNs = realtimeNowNs(); // no stamp (should not happen): the read time
            stamped = true;
        }
        got += size_t(r);
    }
    return true;
}

bool writeAll(int fd, const QByteArray &b)
{
    qint64 off = 0;
    while (off < b.size()) {
        const ssize_t w = send(fd, b.constData() + off, size_t(b.size() - off), MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        off += w;
    }
    return true;
}

// The HTTP upgrade: reads the request, answers 101. An error text, or empty.
QString handshake(int fd)
{
    QByteArray req;
    char c;
    while (!req.endsWith("\r\n\r\n")) {
        if (req.size() > 16384)
            return QStringLiteral("upgrade request larger than 16 KB");
        if (recv(fd, &c, 1, 0) != 1)
            return QStringLiteral("connection closed during the upgrade request");
        req.append(c);
    }
    QByteArray key;
    for (const QByteArray &line : req.split('\n')) {
        const int colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == "sec-websocket-key")
            key = line.mid(colon + 1).trimmed();
    }
    if (!req.startsWith("GET ") || key.isEmpty())
        return QStringLiteral("not a WebSocket upgrade request");
    const QByteArray accept =
        QCryptographicHash::hash(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", QCryptographicHash::Sha1).toBase64();
    const QByteArray resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: "
                            + accept + "\r\n\r\n";
    return writeAll(fd, resp) ? QString() : QStringLiteral("cannot answer the upgrade");
}

QByteArray serverFrame(int opcode, const QByteArray &payload)
{
    QByteArray f;
    f.append(char(0x80 | opcode));
    f.append(char(qMin<qsizetype>(payload.size(), 125)));
    f.append(payload.left(125));
    return f;
}

struct Connection
{
    std::vector<qint64> kernelNs, readNs;
    qint64 textFrames = 0, otherFrames = 0;
    bool timestamps = false;
    QString error;
};

Connection serve(int fd)
{
    Connection conn;
    const int one = 1;
    conn.timestamps = setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0;
    if (const QString e = handshake(fd); !e.isEmpty()) {
        conn.error = e;
        return conn;
    }
    QByteArray fragment; // a text message split into continuation frames
    qint64 fragmentStamp = 0, fragmentRead = 0;
    for (;;) {
        char h[2];
        qint64 stamp = 0;
        if (!readExact(fd, h, 2, &stamp))
            break; // closed without a close frame
        const qint64 readAt = realtimeNowNs();
        const bool fin = h[0] & 0x80;
        const int opcode = h[0] & 0x0F;
        const bool masked = h[1] & 0x80;
        quint64 len = quint64(h[1] & 0x7F);
        if (len == 126) {
            unsigned char e[2];
            if (!readExact(fd, reinterpret_cast<char *>(e), 2))
                break;
            len = (quint64(e[0]) << 8) | e[1];
        } else if (len == 127) {
            unsigned char e[8];
            if (!readExact(fd, reinterpret_cast<char *>(e), 8))
                break;
            len = 0;
            for (unsigned char b : e)
                len = (len << 8) | b;
        }
        if (len > 16 * 1024 * 1024) {
            conn.error = QStringLiteral("frame of %1 bytes: not a media stream").arg(len);
            break;
        }
        char mask[4] = {0, 0, 0, 0};
        if (masked && !readExact(fd, mask, 4))
            break;
        QByteArray payload(qsizetype(len), Qt::Uninitialized);
        if (len > 0 && !readExact(fd, payload.data(), size_t(len)))
            break;
        if (masked)
            for (qsizetype i = 0; i < payload.size(); ++i)
                payload[i] = char(payload[i] ^ mask[i % 4]);
        if (opcode == 0x8) { // close: answer, done
            writeAll(fd, serverFrame(0x8, payload.left(2)));
            break;
        }
        if (opcode == 0x9) { // ping: the sender counts missed pongs
            writeAll(fd, serverFrame(0xA, payload));
            continue;
        }
        if (opcode == 0x1 || opcode == 0x0) {
            if (opcode == 0x1) {
                fragment.clear();
                fragmentStamp = stamp;
                fragmentRead = readAt;
            }
            fragment += payload;
            if (!fin)
                continue;
            ++conn.textFrames;
            if (fragment.contains("\"event\":\"media\"")) {
                conn.kernelNs.push_back(fragmentStamp);
                conn.readNs.push_back(fragmentRead);
            }
            fragment.clear();
            continue;
        }
        ++conn.otherFrames;
    }
    return conn;
}

int usage(const QString &error)
{
    return pacelab::bench::printUsage("pacelab-wire-rx", error,
                                      QStringLiteral("usage: pacelab-wire-rx [--port P] [--connections N (1; 0 = forever)] "
                                                     "[--skip N (25)] [--interval-us US (20000)] [--rt PRIO (60; 0 = normal)]\n"));
}

} // namespace

int main(int argc, char **argv)
{
    int port = 0, connections = 1, skip = 25, intervalUs = 20000, rt = 60;
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    pacelab::bench::OptionParser options;
    options.addInt("--port", 0, 65535, &port);
    options.addInt("--connections", 0, 1000000, &connections);
    options.addInt("--skip", 0, 1000000, &skip);
    options.addInt("--interval-us", 1000, 1000000, &intervalUs);
    options.addInt("--rt", 0, 99, &rt);
    if (const int rc = options.parse(args, usage); rc >= 0)
        return rc;
    // The kernel stamps arrivals whatever this process's priority, but a reader asleep for more
    // than a frame lets TCP merge queued segments (the later stamp wins): keep it awake if allowed.
    QString sched = QStringLiteral("normal");
    if (rt > 0) {
        sched_param sp{};
        sp.sched_priority = int(rt);
        if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0)
            sched = QStringLiteral("SCHED_FIFO %1").arg(rt);
    }

    const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(quint16(port));
    if (lfd < 0 || bind(lfd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 || listen(lfd, 8) != 0) {
        std::fprintf(stderr, "pacelab-wire-rx: cannot listen on 127.0.0.1:%d: %s\n", port, std::strerror(errno));
        return 1;
    }
    socklen_t alen = sizeof addr;
    getsockname(lfd, reinterpret_cast<sockaddr *>(&addr), &alen);
    std::printf("LISTENING %u\n", unsigned(ntohs(addr.sin_port)));
    std::fflush(stdout);

    for (int n = 0; connections == 0 || n < connections; ++n) {
        const int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) {
                --n;
                continue;
            }
            std::fprintf(stderr, "pacelab-wire-rx: accept: %s\n", std::strerror(errno));
            return 1;
        }
        Connection c = serve(fd);
        close(fd);
        std::vector<qint64> k(c.kernelNs.begin() + std::min<size_t>(size_t(skip), c.kernelNs.size()), c.kernelNs.end());
        std::vector<qint64> r(c.readNs.begin() + std::min<size_t>(size_t(skip), c.readNs.size()), c.readNs.end());
        QJsonObject o = WireStats::compute(k, r, intervalUs * 1000).toJson();
        o[QLatin1String("connection")] = qint64(n + 1);
        o[QLatin1String("mediaFrames")] = qint64(c.kernelNs.size());
        o[QLatin1String("skipped")] = qint64(std::min<size_t>(size_t(skip), c.kernelNs.size()));
        o[QLatin1String("textFrames")] = c.textFrames;
        o[QLatin1String("kernelTimestamps")] = c.timestamps;
        o[QLatin1String("receiverScheduling")] = sched;
        if (!c.error.isEmpty())
            o[QLatin1String("error")] = c.error;
        std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
        std::fflush(stdout);
    }
    close(lfd);
    return 0;
}
