#include "server/listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/c2s/session.hpp"
#include "server/c2s/tcp_transport.hpp"
#include "server/log.hpp"

namespace wl::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

C2sListener::C2sListener(asio::io_context& io, c2s::SessionContext& ctx, const Endpoint& endpoint, bool direct_tls)
    : io_(io),
      ctx_(ctx),
      acceptor_(asio::make_strand(io)),
      direct_tls_(direct_tls)
{
    name_ = (direct_tls ? "c2s direct TLS " : "c2s ") + endpoint.to_string();
    tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), tcp::resolver::passive, ec);
    if (ec || results.empty()) throw std::runtime_error(name_ + ": cannot resolve: " + ec.message());
    tcp::endpoint ep = *results.begin();
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep, ec);
    if (ec) throw std::runtime_error(name_ + ": cannot listen: " + ec.message());
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

tcp::endpoint C2sListener::local_endpoint() const { return acceptor_.local_endpoint(); }

void C2sListener::start()
{
    spdlog::info("{}: listening", name_);
    // The accept loop and stop() share the acceptor, so both run on its strand.
    asio::co_spawn(
        acceptor_.get_executor(), [self = shared_from_this()]() { return self->accept_loop(); }, asio::detached);
}

void C2sListener::stop()
{
    asio::post(acceptor_.get_executor(), [self = shared_from_this()]() {
        boost::system::error_code ec;
        self->acceptor_.close(ec);
    });
}

asio::awaitable<void> C2sListener::accept_loop()
{
    auto self = shared_from_this();
    asio::steady_timer backoff(acceptor_.get_executor());
    while (acceptor_.is_open()) {
        auto strand = asio::make_strand(io_);
        boost::system::error_code ec;
        tcp::socket socket = co_await acceptor_.async_accept(strand, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
        if (ec) {
            // Out of descriptors or memory: wait a little rather than spin, and keep serving.
            spdlog::error("{}: accept failed: {}", name_, ec.message());
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        auto transport = std::make_unique<c2s::TcpTransport>(std::move(socket), ctx_.tls,
                                                             ctx_.config.c2s.tls_record_layer == "openssl"
                                                                 ? c2s::TlsEngine::RecordLayer::openssl
                                                                 : c2s::TlsEngine::RecordLayer::own);
        c2s::Session::Options options;
        options.direct_tls = direct_tls_;
        const std::string address = transport->remote_address();
        options.counted = ctx_.connections.try_add(address, ctx_.config.limits.max_connections_per_ip);
        if (!options.counted) {
            options.over_address_cap = true;
            spdlog::warn("{}: refusing {}: more than {} connections from that address", name_, address,
                         ctx_.config.limits.max_connections_per_ip);
        }
        c2s::Session::start(std::make_shared<c2s::Session>(ctx_, strand, std::move(transport), options));
    }
    spdlog::info("{}: stopped accepting", name_);
}

}  // namespace wl::server
