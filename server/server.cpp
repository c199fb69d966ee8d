#include "server/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <thread>

#include "federation/async/threads.hpp"
#include "server/iq/handlers.hpp"
#include "server/listener.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/tls.hpp"

namespace wl::server {

namespace asio = boost::asio;

namespace {

asio::ssl::context load_tls(const Config& config)
{
    auto cert = config.resolve_path(config.tls.cert);
    auto key = config.resolve_path(config.tls.key);
    ensure_certificate(cert, key, config.domain);
    return make_server_tls_context(cert, key);
}

proto::Jid domain_jid(const Config& config)
{
    auto jid = proto::Jid::parse(config.domain);
    if (!jid) throw std::runtime_error("domain: '" + config.domain + "' is not a domain name");
    return *jid;
}

}  // namespace

Server::Server(const Config& config, storage::DbExecutor& db)
    : config_(config),
      db_(db),
      tls_(load_tls(config)),
      router_(domain_jid(config))
{
    session_ctx_.reset(new c2s::SessionContext{config_, router_, db_, tls_, connections_});
    // Registered now rather than at the first stanza, so that /metrics shows the counters
    // at 0 from the start (a series that appears late breaks rate() over the gap).
    server_metrics();
    iq::register_core_handlers(router_, config_);
    for (const auto& ep : config_.c2s.listen)
        listeners_.push_back(std::make_shared<C2sListener>(io_, *session_ctx_, ep, false));
    for (const auto& ep : config_.c2s.direct_tls)
        listeners_.push_back(std::make_shared<C2sListener>(io_, *session_ctx_, ep, true));
}

Server::~Server() = default;

std::vector<asio::ip::tcp::endpoint> Server::c2s_endpoints() const
{
    std::vector<asio::ip::tcp::endpoint> out;
    for (const auto& l : listeners_) out.push_back(l->local_endpoint());
    return out;
}

void Server::add_stop_hook(std::function<void()> hook) { stop_hooks_.push_back(std::move(hook)); }

void Server::stop()
{
    if (stop_requested_.exchange(true)) return;
    asio::post(io_, [this]() { begin_shutdown(); });
}

void Server::begin_shutdown()
{
    spdlog::info("shutting down: no new connections; closing {} streams", connections_.size());
    session_ctx_->stopping.store(true);
    for (auto& l : listeners_) l->stop();
    for (auto& hook : stop_hooks_) hook();
    connections_.close_all(proto::StreamCondition::system_shutdown, "the server is shutting down");
    asio::co_spawn(
        io_,
        [this]() -> asio::awaitable<void> {
            asio::steady_timer timer(io_);
            auto wait_until = [&](std::chrono::steady_clock::time_point deadline) -> asio::awaitable<void> {
                while (connections_.size() > 0 && std::chrono::steady_clock::now() < deadline) {
                    timer.expires_after(std::chrono::milliseconds(20));
                    boost::system::error_code ec;
                    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                }
            };
            co_await wait_until(std::chrono::steady_clock::now() + config_.limits.shutdown_grace);
            if (connections_.size() > 0) {
                spdlog::warn("shutdown: {} streams still open after {} ms; cutting them", connections_.size(),
                             config_.limits.shutdown_grace.count());
                connections_.abort_all();
                co_await wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(1));
            }
            // Every session has ended, so no coroutine of ours is left suspended when the
            // io_context is destroyed; stop() ends what other parts may still have queued.
            io_.stop();
        },
        asio::detached);
}

void Server::run(std::size_t threads)
{
    asio::signal_set signals(io_, SIGINT, SIGTERM);
    signals.async_wait([this](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        spdlog::info("signal {} received", signo);
        stop();
    });
    for (auto& l : listeners_) l->start();
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    spdlog::info("waitlistd serving {} on {} threads", config_.domain, threads);
    async::run_on_threads(io_, threads);
    spdlog::info("waitlistd stopped");
}

}  // namespace wl::server
