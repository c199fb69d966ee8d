#include "federation/pool.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "federation/bounce.hpp"
#include "federation/s2s_out.hpp"
#include "federation/async/spawn.hpp"
#include "federation/stanza_ns.hpp"
#include "proto/ns.hpp"

namespace wl::federation {

namespace xml = proto::xml;
using Clock = std::chrono::steady_clock;

Pool::Pool(std::shared_ptr<Context> ctx, Deliver bounce) : ctx_(std::move(ctx)), bounce_(std::move(bounce)) {}

void Pool::send(const std::string& local, const std::string& remote, xml::Element stanza)
{
    const Key key{local, remote};
    if (stopping_) {
        bounce(stanza, FailureKind::unreachable, "federation is shutting down");
        return;
    }
    auto it = links_.find(key);
    if (it == links_.end()) {
        auto b = backoff_.find(key);
        if (b != backoff_.end() && Clock::now() < b->second.until) {
            bounce(stanza, b->second.kind, b->second.reason);
            return;
        }
        auto link = std::make_shared<Link>(ctx_->executor);
        link->key = key;
        it = links_.emplace(key, link).first;
        async::spawn_detached(ctx_->executor, "s2s out: a stream",
                              [self = shared_from_this(), link]() -> asio::awaitable<void> {
                                  co_await self->run(link);
                              });
    }
    auto& link = *it->second;
    if (link.state == Link::State::ready) {
        write(link, stanza);
        return;
    }
    if (link.queue.size() >= ctx_->config.max_queued_per_peer) {
        // Prosody bounces a full send queue too; resource-constraint tells the sender to wait.
        if (auto reply = make_bounce(stanza, proto::StanzaCondition::resource_constraint,
                                     "too many stanzas queued for " + remote))
            deliver_bounce(std::move(*reply));
        return;
    }
    link.queue.push_back(std::move(stanza));
    ++ctx_->stats.queued;
}

void Pool::write(Link& link, const xml::Element& stanza)
{
    link.stream->send(with_stanza_ns(stanza, proto::ns::client, proto::ns::server));
    link.last_used = Clock::now();
    ++ctx_->stats.stanzas_out;
}

void Pool::bounce(const xml::Element& stanza, FailureKind kind, const std::string& reason)
{
    (void)reason;  // peer addresses and DNS details are for our logs, not for the sender
    if (auto reply = make_bounce(stanza, bounce_condition(kind))) deliver_bounce(std::move(*reply));
}

void Pool::deliver_bounce(xml::Element reply)
{
    ++ctx_->stats.bounced;
    // Posted, never called inline: send() may be running inside the server's own handler.
    asio::post(ctx_->executor, [deliver = bounce_, reply = std::move(reply)]() mutable { deliver(std::move(reply)); });
}

void Pool::forget(const std::shared_ptr<Link>& link)
{
    auto it = links_.find(link->key);
    if (it != links_.end() && it->second == link) links_.erase(it);
}

asio::awaitable<void> Pool::run(const std::shared_ptr<Link>& link)
{
    const auto& [local, remote] = link->key;
    const auto& cfg = ctx_->config;
    OutStream out;
    try {
        out = co_await open_outgoing(*ctx_, local, remote, OutPurpose::authenticate);
    } catch (const StreamFailure& f) {
        ++ctx_->stats.connect_failures;
        auto& b = backoff_[link->key];
        b.failures = std::min(b.failures + 1, 20);
        auto delay = cfg.backoff_initial * (1LL << std::min(b.failures - 1, 16));
        if (delay > cfg.backoff_max) delay = cfg.backoff_max;
        b.until = Clock::now() + delay;
        b.kind = f.kind();
        b.reason = f.what();
        spdlog::info("s2s out {} -> {}: cannot open a stream ({}); {} queued stanza(s) bounced", local, remote,
                     f.what(), link->queue.size());
        forget(link);
        ctx_->stats.queued -= link->queue.size();
        auto queue = std::move(link->queue);
        for (const auto& stanza : queue) bounce(stanza, f.kind(), f.what());
        co_return;
    }
    backoff_.erase(link->key);
    spdlog::info("s2s out {} -> {}: stream open ({}), {} queued", local, remote,
                 out.method == AuthMethod::sasl_external ? "SASL EXTERNAL" : "dialback", link->queue.size());
    link->stream = out.stream;
    link->state = Link::State::ready;
    if (ctx_->on_peer_up) ctx_->on_peer_up(remote);
    ++ctx_->stats.streams_out;
    ctx_->stats.queued -= link->queue.size();
    for (const auto& stanza : link->queue) write(*link, stanza);
    link->queue.clear();
    link->last_used = Clock::now();
    if (stopping_) link->stream->close();
    async::spawn_detached(ctx_->executor, "s2s out: idle watch",
                          [self = shared_from_this(), link]() -> asio::awaitable<void> {
                              co_await self->watch_idle(link);
                          });

    // The receiving server sends nothing but the end of the stream (or an error) here.
    bool peer_closed = false;
    try {
        for (;;) {
            auto ev = co_await link->stream->read();
            if (ev.kind == xml::StreamEvent::Kind::close) {
                peer_closed = true;
                break;
            }
            if (ev.element.is("error", proto::ns::stream)) {
                auto err = proto::parse_stream_error(ev.element);
                spdlog::info("s2s out {} -> {}: stream error {}", local, remote,
                             err ? proto::name(err->condition) : std::string_view("unknown"));
                break;
            }
        }
    } catch (const StreamFailure& f) {
        spdlog::debug("s2s out {} -> {}: {}", local, remote, f.what());
    }
    link->state = Link::State::closing;
    forget(link);
    --ctx_->stats.streams_out;
    link->idle.cancel();
    if (peer_closed) co_await link->stream->answer_close();
    link->stream->close();
}

asio::awaitable<void> Pool::watch_idle(const std::shared_ptr<Link>& link)
{
    const auto idle_timeout = ctx_->config.idle_timeout;
    while (link->state == Link::State::ready) {
        link->idle.expires_at(link->last_used + idle_timeout);
        boost::system::error_code ec;
        co_await link->idle.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (link->state != Link::State::ready) co_return;
        if (Clock::now() >= link->last_used + idle_timeout) {
            spdlog::debug("s2s out {} -> {}: idle, closing", link->key.first, link->key.second);
            // New stanzas from now on open a new stream; this one ends politely.
            forget(link);
            link->state = Link::State::closing;
            link->stream->send_close(ctx_->config.shutdown_grace);
            co_return;
        }
    }
}

asio::awaitable<void> Pool::stop()
{
    stopping_ = true;
    auto links = links_;
    for (auto& [key, link] : links) {
        if (link->state == Link::State::ready) {
            link->state = Link::State::closing;
            link->idle.cancel();
            link->stream->send_close(ctx_->config.shutdown_grace);
        }
    }
    co_return;
}

}  // namespace wl::federation
