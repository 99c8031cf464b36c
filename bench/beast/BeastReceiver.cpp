// The Boost.Beast receiver of `pacelab-bench wsrecv`: a few threads, one asio io_context each
// (an epoll loop: cost per ready socket, not per socket per wake), the acceptor on the first,
// connections dealt round-robin, one async_read loop per connection into a flat_buffer (bytes,
// no UTF-16 round trip, no event object or signal per message). Its own translation unit: the
// Beast headers are heavy and optional (built only when Boost is found).
#include "../WsRecv.h"

#include "../BenchUtil.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>
#include <type_traits>

namespace pacelab::bench::wsrecv {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// A next layer for websocket::stream that keeps the kernel's receive time of every read: the
// socket asks for SO_TIMESTAMPNS, and a read waits for readiness then calls recvmsg itself (asio
// does not hand out control messages). One message per read while the reader keeps up; when it
// falls a tick behind, several messages share a read and its stamp (counted as merged).
class StampedSocket
{
public:
    using executor_type = tcp::socket::executor_type;

    explicit StampedSocket(tcp::socket socket) : m_sock(std::move(socket))
    {
        const int one = 1;
        ::setsockopt(m_sock.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    }
    executor_type get_executor() noexcept { return m_sock.get_executor(); }
    tcp::socket &socket() { return m_sock; }
    int64_t lastStampNs() const { return m_stampNs; }

    template <class MutableBufferSequence, class ReadHandler>
    auto async_read_some(const MutableBufferSequence &buffers, ReadHandler &&handler)
    {
        return net::async_initiate<ReadHandler, void(beast::error_code, std::size_t)>(
            [this](auto h, const MutableBufferSequence &b) { waitThenRead(std::move(h), b); }, handler, buffers);
    }
    template <class ConstBufferSequence, class WriteHandler>
    auto async_write_some(const ConstBufferSequence &buffers, WriteHandler &&handler)
    {
        return m_sock.async_write_some(buffers, std::forward<WriteHandler>(handler));
    }

private:
    template <class Handler, class Buffers>
    void waitThenRead(Handler h, const Buffers &b)
    {
        m_sock.async_wait(tcp::socket::wait_read, [this, h = std::move(h), b](beast::error_code ec) mutable {
            if (ec)
                return h(ec, std::size_t(0));
            iovec iov[16];
            std::size_t n = 0;
            for (auto it = net::buffer_sequence_begin(b); it != net::buffer_sequence_end(b) && n < 16; ++it) {
                const net::mutable_buffer mb = *it;
                iov[n++] = iovec{mb.data(), mb.size()};
            }
            char control[256];
            msghdr msg{};
            msg.msg_iov = iov;
            msg.msg_iovlen = n;
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            const ssize_t r = ::recvmsg(m_sock.native_handle(), &msg, MSG_DONTWAIT);
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return waitThenRead(std::move(h), b);
            if (r < 0)
                return h(beast::error_code(errno, boost::system::system_category()), std::size_t(0));
            if (r == 0)
                return h(beast::error_code(net::error::eof), std::size_t(0));
            for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec ts;
                    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    m_stampNs = int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
                }
            h(beast::error_code(), std::size_t(r));
        });
    }

    tcp::socket m_sock;
    int64_t m_stampNs = 0;
};

// websocket::stream closes its next layer through these (found by argument-dependent lookup).
[[maybe_unused]] void teardown(beast::role_type role, StampedSocket &s, beast::error_code &ec)
{
    websocket::teardown(role, s.socket(), ec);
}
template <class TeardownHandler>
void async_teardown(beast::role_type role, StampedSocket &s, TeardownHandler &&handler)
{
    websocket::async_teardown(role, s.socket(), std::forward<TeardownHandler>(handler));
}

void beast_close_socket(StampedSocket &s)
{
    beast::error_code ec;
    s.socket().close(ec);
}

class SessionBase
{
public:
    virtual ~SessionBase() = default;
    virtual void send() = 0;
};

// One thread's loop: its io_context, its connections and its one 20 ms tick (tx).
struct Lane
{
    net::io_context ctx{1};
    net::steady_timer tick{ctx};
    std::vector<std::shared_ptr<SessionBase>> sessions; // touched on this lane's thread only
};

// Next = tcp::socket (asio's own reads, steady_clock stamps) or StampedSocket (kernel stamps).
template <class Next>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Next>>
{
    using std::enable_shared_from_this<Session<Next>>::shared_from_this;

public:
    Session(tcp::socket socket, Shared &shared, Lane &lane) : m_ws(std::move(socket)), m_shared(shared), m_lane(lane) {}

    // The tick's inbound media: one write at a time per connection (Beast allows one read and
    // one write in flight); a write still pending from the last tick skips this one.
    void send() override
    {
        if (!m_up)
            return;
        if (m_writing) {
            m_shared.countSent(false);
            return;
        }
        m_writing = true;
        m_ws.async_write(net::buffer(m_shared.txPayload), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->m_writing = false;
            if (ec)
                self->m_up = false;
            else
                self->m_shared.countSent(true);
        });
    }

    void start()
    {
        m_ws.read_message_max(64 * 1024);
        m_ws.auto_fragment(false);
        m_ws.text(true);
        m_ws.async_accept([self = shared_from_this()](beast::error_code ec) {
            if (ec)
                return;
            self->m_index = self->m_shared.connected.fetch_add(1);
            self->m_up = true;
            self->m_lane.sessions.push_back(self);
            self->read();
        });
    }

private:
    void read()
    {
        m_ws.async_read(m_buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                self->m_up = false;
                return; // closed or stopped: the session ends with its last handler
            }
            int64_t stamp = nowNs();
            if constexpr (std::is_same_v<Next, StampedSocket>) {
                stamp = self->m_ws.next_layer().lastStampNs();
                if (stamp == self->m_lastStamp)
                    self->m_shared.mergedReads.fetch_add(1, std::memory_order_relaxed);
                self->m_lastStamp = stamp;
            }
            const auto data = self->m_buffer.cdata();
            const std::string_view text(static_cast<const char *>(data.data()), data.size());
            self->m_shared.onMessage(self->m_index, stamp, Shared::isMedia(text));
            self->m_buffer.consume(self->m_buffer.size());
            self->read();
        });
    }

    websocket::stream<Next> m_ws;
    int64_t m_lastStamp = -1;
    beast::flat_buffer m_buffer;
    Shared &m_shared;
    Lane &m_lane;
    int m_index = -1;
    bool m_up = false;
    bool m_writing = false;
};

class BeastReceiver final : public Receiver
{
public:
    BeastReceiver(Shared &shared, bool kernelStamps) : m_shared(shared), m_kernelStamps(kernelStamps) {}
    ~BeastReceiver() override { stop(); }

    uint16_t start(int threads, int rtPriority, std::string *error) override
    {
        for (int i = 0; i < std::max(1, threads); ++i)
            m_lanes.push_back(std::make_unique<Lane>());
        beast::error_code ec;
        m_acceptor = std::make_unique<tcp::acceptor>(m_lanes.front()->ctx);
        const tcp::endpoint at(net::ip::make_address("127.0.0.1"), 0);
        m_acceptor->open(at.protocol(), ec);
        if (!ec)
            m_acceptor->set_option(net::socket_base::reuse_address(true), ec);
        if (!ec)
            m_acceptor->bind(at, ec);
        if (!ec)
            m_acceptor->listen(net::socket_base::max_listen_connections, ec);
        if (ec) {
            *error = "cannot listen on 127.0.0.1: " + ec.message();
            return 0;
        }
        const uint16_t port = m_acceptor->local_endpoint().port();
        accept();
        for (auto &l : m_lanes) {
            Lane *lane = l.get();
            if (m_shared.tx) {
                lane->tick.expires_at(std::chrono::steady_clock::now() + std::chrono::milliseconds(20));
                armTick(lane);
            }
            m_threads.emplace_back([lane, rtPriority] {
                setThreadFifo(rtPriority);
                auto guard = net::make_work_guard(lane->ctx); // idle between connections
                lane->ctx.run();
            });
        }
        return port;
    }

    void stop() override
    {
        for (auto &l : m_lanes)
            l->ctx.stop();
        for (auto &t : m_threads)
            t.join();
        m_threads.clear();
        m_acceptor.reset();
        for (auto &l : m_lanes)
            l->sessions.clear();
        m_lanes.clear(); // destroys the pending handlers, and with them the sessions
    }

private:
    // One absolute 20 ms grid per lane: one wake sends the tick's message to all its connections.
    static void armTick(Lane *lane)
    {
        lane->tick.async_wait([lane](beast::error_code ec) {
            if (ec)
                return;
            for (auto &s : lane->sessions)
                s->send();
            lane->tick.expires_at(lane->tick.expiry() + std::chrono::milliseconds(20));
            armTick(lane);
        });
    }

    void accept()
    {
        Lane &target = *m_lanes[m_next++ % m_lanes.size()];
        m_acceptor->async_accept(target.ctx, [this, &target](beast::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted)
                return;
            if (!ec) {
                socket.set_option(tcp::no_delay(true), ec);
                // Started on the connection's own thread: a session is only touched by one.
                if (m_kernelStamps) {
                    auto session = std::make_shared<Session<StampedSocket>>(std::move(socket), m_shared, target);
                    net::post(target.ctx, [session] { session->start(); });
                } else {
                    auto session = std::make_shared<Session<tcp::socket>>(std::move(socket), m_shared, target);
                    net::post(target.ctx, [session] { session->start(); });
                }
            }
            accept();
        });
    }

    Shared &m_shared;
    bool m_kernelStamps = false;
    std::vector<std::unique_ptr<Lane>> m_lanes;
    std::unique_ptr<tcp::acceptor> m_acceptor;
    std::vector<std::thread> m_threads;
    size_t m_next = 0;
};

} // namespace

Receiver *newBeastReceiver(Shared &shared, bool kernelStamps)
{
    return new BeastReceiver(shared, kernelStamps);
}

} // namespace pacelab::bench::wsrecv
