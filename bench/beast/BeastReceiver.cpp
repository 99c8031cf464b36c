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

class Session : public std::enable_shared_from_this<Session>
{
public:
    Session(tcp::socket socket, Shared &shared) : m_ws(std::move(socket)), m_shared(shared) {}

    void start()
    {
        m_ws.read_message_max(64 * 1024);
        m_ws.auto_fragment(false);
        m_ws.async_accept([self = shared_from_this()](beast::error_code ec) {
            if (ec)
                return;
            self->m_index = self->m_shared.connected.fetch_add(1);
            self->read();
        });
    }

private:
    void read()
    {
        m_ws.async_read(m_buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec)
                return; // closed or stopped: the session ends with its last handler
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
    int m_index = -1;
};

class BeastReceiver final : public Receiver
{
public:
    explicit BeastReceiver(Shared &shared) : m_shared(shared) {}
    ~BeastReceiver() override { stop(); }

    uint16_t start(int threads, int rtPriority, std::string *error) override
    {
        for (int i = 0; i < std::max(1, threads); ++i)
            m_contexts.push_back(std::make_unique<net::io_context>(1));
        beast::error_code ec;
        m_acceptor = std::make_unique<tcp::acceptor>(*m_contexts.front());
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
        for (auto &ctx : m_contexts) {
            net::io_context *c = ctx.get();
            m_threads.emplace_back([c, rtPriority] {
                setThreadFifo(rtPriority);
                auto guard = net::make_work_guard(*c); // idle between connections
                c->run();
            });
        }
        return port;
    }

    void stop() override
    {
        for (auto &c : m_contexts)
            c->stop();
        for (auto &t : m_threads)
            t.join();
        m_threads.clear();
        m_acceptor.reset();
        m_contexts.clear(); // destroys the pending handlers, and with them the sessions
    }

private:
    void accept()
    {
        net::io_context &target = *m_contexts[m_next++ % m_contexts.size()];
        m_acceptor->async_accept(target, [this, &target](beast::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted)
                return;
            if (!ec) {
                socket.set_option(tcp::no_delay(true), ec);
                // Started on the connection's own thread: a session is only touched by one.
                auto session = std::make_shared<Session>(std::move(socket), m_shared);
                net::post(target, [session] { session->start(); });
            }
            accept();
        });
    }

    Shared &m_shared;
    std::vector<std::unique_ptr<net::io_context>> m_contexts;
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
