#pragma once
// The running process: I/O threads, TLS, the router with the server's own handlers, the
// client listeners, and the shutdown protocol. Other parts of the server (the waiting list
// service, the admin HTTP API) attach to it between construction and run(): they register
// with router(), post work on io_context(), and add a stop hook.
#include <utility>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <functional>
#include <memory>
#include <vector>

#include "server/c2s/session_context.hpp"
#include "server/config.hpp"
#include "server/router.hpp"
#include "storage/db_executor.hpp"

namespace wl::server {

class C2sListener;

class Server {
public:
    // Makes the certificate if both files are missing, loads TLS, registers the core IQ
    // handlers, and binds every client listener (throws std::runtime_error naming what failed).
    Server(const Config& config, storage::DbExecutor& db);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    const Config& config() const { return config_; }
    Router& router() { return router_; }
    boost::asio::io_context& io_context() { return io_; }
    storage::DbExecutor& db() { return db_; }
    boost::asio::ssl::context& tls_context() { return tls_; }
    c2s::SessionContext& session_context() { return *session_ctx_; }
    // Where the client listeners actually listen (ports chosen by the OS when 0 was asked).
    std::vector<boost::asio::ip::tcp::endpoint> c2s_endpoints() const;

    // Runs before the streams are closed at shutdown (stop accepting, stop dispatching).
    void add_stop_hook(std::function<void()> hook);

    // Serves on `threads` I/O threads (0: one per core) until SIGTERM/SIGINT or stop(),
    // then shuts down gracefully: stop accepting, <system-shutdown/> to every stream, wait
    // for them to close for at most limits.shutdown_grace.
    void run(std::size_t threads = 0);
    // Starts the shutdown; safe from any thread and repeatable.
    void stop();

private:
    void begin_shutdown();

    const Config& config_;
    storage::DbExecutor& db_;
    boost::asio::io_context io_;
    boost::asio::ssl::context tls_;
    Router router_;
    c2s::ConnectionSet connections_;
    std::unique_ptr<c2s::SessionContext> session_ctx_;
    std::vector<std::shared_ptr<C2sListener>> listeners_;
    std::vector<std::function<void()>> stop_hooks_;
    std::atomic<bool> stop_requested_{false};
};

}  // namespace wl::server
