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

#include <memory>
#include <thread>

namespace pacelab::bench::wsrecv {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

class Session;

// One thread's loop: its io_context, its connections and its one 20 ms tick (tx).
struct Lane
{
    net::io_context ctx{1};
    net::steady_timer tick{ctx};
    std::vector<std::shared_ptr<Session>> sessions; // touched on this lane's thread only
};

class Session : public std::enable_shared_from_this<Session>
{
public:
    Session(tcp::socket socket, Shared &shared, Lane &lane) : m_ws(std::move(socket)), m_shared(shared), m_lane(lane) {}

    // The tick's inbound media: one write at a time per connection (Beast allows one read and
    // one write in flight); a write still pending from the last tick skips this one.
    void send()
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
            const int64_t stamp = nowNs();
            const auto data = self->m_buffer.cdata();
            const std::string_view text(static_cast<const char *>(data.data()), data.size());
            self->m_shared.onMessage(self->m_index, stamp, Shared::isMedia(text));
            self->m_buffer.consume(self->m_buffer.size());
            self->read();
        });
    }

    websocket::stream<tcp::socket> m_ws;
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
    explicit BeastReceiver(Shared &shared) : m_shared(shared) {}
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
                auto session = std::make_shared<Session>(std::move(socket), m_shared, target);
                net::post(target.ctx, [session] { session->start(); });
            }
            accept();
        });
    }

    Shared &m_shared;
    std::vector<std::unique_ptr<Lane>> m_lanes;
    std::unique_ptr<tcp::acceptor> m_acceptor;
    std::vector<std::thread> m_threads;
    size_t m_next = 0;
};

} // namespace

Receiver *newBeastReceiver(Shared &shared)
{
    return new BeastReceiver(shared);
}

} // namespace pacelab::bench::wsrecv
