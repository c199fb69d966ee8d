#include "federation/federation.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <list>
#include <spdlog/spdlog.h>
#include <stdexcept>

#include "federation/context.hpp"
#include "federation/pool.hpp"
#include "federation/s2s_in.hpp"
#include "federation/targets.hpp"
#include "proto/jid.hpp"

namespace wl::federation {

namespace xml = proto::xml;

struct Federation::Impl : std::enable_shared_from_this<Impl> {
    Impl(asio::any_io_executor strand, FederationConfig config, StanzaHandler handler)
        : strand(strand),
          ctx(std::make_shared<Context>(strand, std::move(config))),
          on_stanza(std::move(handler))
    {
    }

    // Callbacks from streams that may outlive the facade by a little (while they close).
    std::function<void(xml::Element)> deliver()
    {
        return [weak = weak_from_this()](xml::Element e) {
            if (auto self = weak.lock()) self->on_stanza(std::move(e));
        };
    }

    asio::any_io_executor strand;
    std::shared_ptr<Context> ctx;
    StanzaHandler on_stanza;
    std::shared_ptr<Pool> pool;
    struct Listener {
        std::unique_ptr<asio::ip::tcp::acceptor> acceptor;
        bool direct_tls = false;
    };
    std::vector<Listener> acceptors;
    std::list<std::weak_ptr<InStream>> incoming;
    bool stopping = false;

    asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, bool direct_tls)
    {
        auto self = shared_from_this();
        for (;;) {
            boost::system::error_code ec;
            auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !acceptor.is_open() || stopping) co_return;
            if (ec) {
                // Out of descriptors and the like: do not spin.
                spdlog::warn("s2s accept: {}", ec.message());
                asio::steady_timer pause(strand, std::chrono::milliseconds(100));
                co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                continue;
            }
            incoming.remove_if([](const std::weak_ptr<InStream>& w) { return w.expired(); });
            if (incoming.size() >= ctx->config.max_incoming_streams) {
                socket.close(ec);
                continue;
            }
            // The stream's executor must be our strand, whatever the acceptor gave the socket.
            asio::ip::tcp::socket own(strand);
            auto protocol = socket.local_endpoint(ec).protocol();
            if (ec) continue;
            own.assign(protocol, socket.release(), ec);
            if (ec) continue;
            auto in = std::make_shared<InStream>(ctx, std::move(own), deliver(), direct_tls);
            incoming.push_back(in);
            asio::co_spawn(
                strand, [in, self]() -> asio::awaitable<void> { co_await in->run(); }, asio::detached);
        }
    }
};

namespace {

asio::ip::tcp::endpoint parse_listen(const std::string& text)
{
    auto target = parse_route(text);
    boost::system::error_code ec;
    if (!target) throw std::runtime_error("s2s.listen: not ip:port: " + text);
    auto address = asio::ip::make_address(target->host, ec);
    if (ec) throw std::runtime_error("s2s.listen: not an IP address: " + text);
    return {address, target->port};
}

}  // namespace

Federation::Federation(asio::any_io_executor executor, FederationConfig config, StanzaHandler on_stanza)
{
    for (const auto& [domain, route] : config.routes)
        if (!parse_route(route))
            throw std::runtime_error("s2s.routes: '" + domain + "' = '" + route + "' is not host:port");
    for (const auto& l : config.listen) parse_listen(l);
    for (const auto& l : config.listen_direct_tls) parse_listen(l);
    if (config.local_domains.empty()) throw std::runtime_error("federation: no local domain");
    if (config.require_tls && (config.tls_cert_file.empty() || config.tls_key_file.empty()))
        throw std::runtime_error("tls.cert/tls.key: s2s requires TLS, so it needs a certificate and key");
    impl_ = std::make_shared<Impl>(asio::make_strand(executor), std::move(config), std::move(on_stanza));
    impl_->pool = std::make_shared<Pool>(impl_->ctx, impl_->deliver());
}

Federation::~Federation() = default;

void Federation::set_on_peer_up(std::function<void(const std::string& remote)> handler)
{
    impl_->ctx->on_peer_up = std::move(handler);
}

void Federation::start()
{
    // Binding happens here, synchronously, so that a port in use is reported at startup.
    auto bind = [&](const std::string& l, bool direct_tls) {
        const auto endpoint = parse_listen(l);
        auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(impl_->strand);
        boost::system::error_code ec;
        acceptor->open(endpoint.protocol(), ec);
        if (!ec) acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor->bind(endpoint, ec);
        if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
        if (ec) throw std::runtime_error("s2s.listen: cannot listen on " + l + ": " + ec.message());
        impl_->acceptors.push_back(Impl::Listener{std::move(acceptor), direct_tls});
    };
    for (const auto& l : impl_->ctx->config.listen) bind(l, false);
    for (const auto& l : impl_->ctx->config.listen_direct_tls) bind(l, true);
    auto impl = impl_;
    for (auto& a : impl_->acceptors) {
        asio::ip::tcp::acceptor* acceptor = a.acceptor.get();
        const bool direct_tls = a.direct_tls;
        asio::co_spawn(
            impl_->strand,
            [impl, acceptor, direct_tls]() -> asio::awaitable<void> {
                co_await impl->accept_loop(*acceptor, direct_tls);
            },
            asio::detached);
    }
}

std::vector<asio::ip::tcp::endpoint> Federation::listen_endpoints() const
{
    std::vector<asio::ip::tcp::endpoint> out;
    for (const auto& a : impl_->acceptors) {
        boost::system::error_code ec;
        auto ep = a.acceptor->local_endpoint(ec);
        if (!ec) out.push_back(ep);
    }
    return out;
}

bool Federation::send(xml::Element stanza)
{
    const auto from = proto::Jid::parse(stanza.attr_or("from"));
    const auto to = proto::Jid::parse(stanza.attr_or("to"));
    if (!from || !to || !impl_->ctx->is_local(from->domain()) || impl_->ctx->is_local(to->domain())) return false;
    asio::dispatch(impl_->strand,
                   [impl = impl_, local = from->domain(), remote = to->domain(), stanza = std::move(stanza)]() mutable {
                       impl->pool->send(local, remote, std::move(stanza));
                   });
    return true;
}

void Federation::stop(std::function<void()> done)
{
    asio::dispatch(impl_->strand, [impl = impl_, done = std::move(done)]() mutable {
        asio::co_spawn(
            impl->strand,
            [impl, done = std::move(done)]() -> asio::awaitable<void> {
                impl->stopping = true;
                for (auto& a : impl->acceptors) {
                    boost::system::error_code ec;
                    a.acceptor->close(ec);
                }
                for (auto& w : impl->incoming)
                    if (auto in = w.lock()) in->stop();
                co_await impl->pool->stop();
                // Wait for the streams to end, bounded by the grace period.
                const auto deadline = std::chrono::steady_clock::now() + impl->ctx->config.shutdown_grace;
                asio::steady_timer tick(impl->strand);
                while (std::chrono::steady_clock::now() < deadline &&
                       (impl->ctx->stats.streams_in > 0 || impl->ctx->stats.streams_out > 0)) {
                    tick.expires_after(std::chrono::milliseconds(20));
                    boost::system::error_code ec;
                    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                }
                if (done) done();
            },
            asio::detached);
    });
}

FederationStats Federation::stats() const { return impl_->ctx->stats.snapshot(); }

}  // namespace wl::federation
