#pragma once
// Accepts client connections on one address and starts a session for each, on a strand of
// its own so that sessions run in parallel on every I/O thread.
#include <utility>
#include <boost/asio/io_context.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>

#include "server/c2s/session_context.hpp"
#include "server/config.hpp"

namespace wl::server {

class C2sListener : public std::enable_shared_from_this<C2sListener> {
public:
    // Binds now (throws on failure, naming the address), accepts after start().
    C2sListener(boost::asio::io_context& io, c2s::SessionContext& ctx, const Endpoint& endpoint, bool direct_tls);
    void start();
    void stop();  // thread-safe
    boost::asio::ip::tcp::endpoint local_endpoint() const;

private:
    boost::asio::awaitable<void> accept_loop();

    boost::asio::io_context& io_;
    c2s::SessionContext& ctx_;
    boost::asio::ip::tcp::acceptor acceptor_;
    bool direct_tls_;
    std::string name_;
};

}  // namespace wl::server
