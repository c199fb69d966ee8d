#include "server/c2s/session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/c2s/random_token.hpp"
#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"

namespace wl::server::c2s {

namespace asio = boost::asio;
using proto::StreamCondition;
using proto::xml::Element;
using proto::xml::StreamEvent;

namespace {

std::uint64_t next_session_id()
{
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

// How long a closing stream may take to flush its last bytes before the socket is cut.
constexpr auto linger = std::chrono::seconds(3);

// How long a stream must be quiet before its parser gives back expat's state (about 11 KB,
// rebuilt on the next bytes at a cost of a few microseconds): long enough that a busy
// stream never pays for it, short enough that most idle streams hold nothing.
constexpr auto parser_release_after = std::chrono::seconds(1);

}  // namespace

Session::Session(SessionContext& ctx, asio::any_io_executor strand, std::unique_ptr<Transport> transport,
                 Options options)
    : ctx_(ctx),
      strand_(std::move(strand)),
      transport_(std::move(transport)),
      options_(options),
      parser_(proto::xml::ParserLimits{.max_stanza_bytes = ctx.config.limits.max_stanza_bytes}, transport_->framing()),
      byte_bucket_(ctx.config.limits.rate_bytes, ctx.config.limits.rate_bytes_burst, Clock::now()),
      stanza_bucket_(ctx.config.limits.rate_stanzas, ctx.config.limits.rate_stanzas_burst, Clock::now()),
      watchdog_timer_(strand_),
      writer_timer_(strand_),
      flush_timer_(strand_),
      remote_(transport_->remote_address()),
      who_("s" + std::to_string(next_session_id()) + " " + remote_)
{
    if (transport_->framing() == proto::xml::Framing::stream)
        write_ctx_ = {std::string(proto::ns::client), {{"stream", std::string(proto::ns::stream)}}};
    auto now = Clock::now();
    auth_deadline_ = now + ctx.config.limits.auth_timeout;
    last_activity_ = now;
    linger_deadline_ = Clock::time_point::max();
}

Session::~Session() = default;

void Session::start(const std::shared_ptr<Session>& session)
{
    session->ctx_.connections.track(session);
    asio::co_spawn(
        session->strand_, [session]() { return session->run(); }, asio::detached);
}

bool Session::deliver(std::shared_ptr<const Element> stanza)
{
    if (closing_.load()) return false;
    asio::post(strand_, [self = shared_from_this(), stanza = std::move(stanza)]() {
        if (self->closing_.load()) return;
        if (self->queue_.size() >= self->ctx_.config.limits.max_send_queue) {
            spdlog::warn("c2s {} {}: send queue full ({} stanzas); closing", self->who_,
                         self->jid_ ? self->jid_->full() : "-", self->queue_.size());
            self->queue_.clear();
            self->fail(StreamCondition::resource_constraint, "the client does not read fast enough");
            return;
        }
        self->send(*stanza);
    });
    return true;
}

void Session::close(StreamCondition condition, std::string text)
{
    asio::post(strand_, [self = shared_from_this(), condition, text = std::move(text)]() mutable {
        self->fail(condition, std::move(text));
    });
}

void Session::abort()
{
    asio::post(strand_, [self = shared_from_this()]() {
        self->linger_deadline_ = Clock::now();
        self->closing_.store(true);
        self->close_after_flush_ = true;
        self->transport_->close();
        self->watchdog_timer_.cancel();
        self->wake_writer();
    });
}

void Session::send(const Element& element)
{
    // Stanzas only (RFC 6120 §8): stream features, SASL and stream errors are not counted.
    if (proto::stanza_kind(element)) server_metrics().stanzas_out.inc();
    send_raw(proto::xml::serialize(element, write_ctx_));
}

void Session::send_raw(std::string data)
{
    queue_.push_back(std::move(data));
    wake_writer();
}

void Session::wake_writer() { writer_timer_.cancel_one(); }

// Ends the stream from our side with a stream error (RFC 6120 §4.9): the header first if
// we had not sent one, then the error, then the closing tag; the writer closes afterwards.
void Session::fail(StreamCondition condition, std::string text)
{
    if (closing_.load()) return;
    auto level = condition == StreamCondition::system_shutdown || condition == StreamCondition::conflict
                     ? spdlog::level::info
                     : spdlog::level::warn;
    spdlog::log(level, "c2s {} {}: stream error {}{}{}", who_, jid_ ? jid_->full() : "-", proto::name(condition),
                text.empty() ? "" : ": ", text);
    if (!header_sent_) {
        Element header("stream", std::string(proto::ns::stream));
        header.set_attr("from", ctx_.router.domain().domain());
        header.set_attr("id", stream_id_.empty() ? random_token(12) : stream_id_);
        header.set_attr("version", "1.0");
        if (transport_->framing() == proto::xml::Framing::stream) {
            send_raw(proto::xml::open_stream_tag(header, write_ctx_));
        } else {
            Element open("open", std::string(proto::ns::framing));
            for (const auto& a : header.attrs()) open.set_attr(a.name, a.value, a.ns);
            send(open);
        }
        header_sent_ = true;
    }
    send(proto::make_stream_error(condition, std::move(text)));
    begin_close();
}

void Session::begin_close()
{
    if (closing_.exchange(true)) return;
    if (transport_->framing() == proto::xml::Framing::stream)
        send_raw(std::string(proto::xml::close_stream_tag()));
    else
        send(Element("close", std::string(proto::ns::framing)));
    close_after_flush_ = true;
    linger_deadline_ = Clock::now() + linger;
    watchdog_timer_.cancel();
    wake_writer();
    if (writer_paused_) transport_->close();  // mid-handshake: nothing more can be said
}

asio::awaitable<void> Session::run()
{
    auto self = shared_from_this();
    asio::co_spawn(
        strand_, [self]() { return self->write_loop(); }, asio::detached);
    asio::co_spawn(
        strand_, [self]() { return self->watchdog(); }, asio::detached);
    spdlog::debug("c2s {}: connected{}", who_, options_.direct_tls ? " (direct TLS)" : "");
    try {
        if (options_.over_address_cap) {
            if (!options_.direct_tls) fail(StreamCondition::policy_violation, "too many connections from your address");
        } else if (ctx_.stopping.load()) {
            if (!options_.direct_tls) fail(StreamCondition::system_shutdown, "the server is shutting down");
        } else {
            if (options_.direct_tls) {
                writer_paused_ = true;
                co_await transport_->start_tls();
                writer_paused_ = false;
            }
            co_await read_loop();
        }
    } catch (const boost::system::system_error& e) {
        if (e.code() != asio::error::operation_aborted && e.code() != asio::error::connection_reset)
            spdlog::debug("c2s {} {}: connection ended: {}", who_, jid_ ? jid_->full() : "-", e.what());
    } catch (const std::exception& e) {
        spdlog::error("c2s {} {}: internal error: {}", who_, jid_ ? jid_->full() : "-", e.what());
        fail(StreamCondition::internal_server_error, {});
    }
    writer_paused_ = false;
    reader_done_ = true;
    if (registered_with_router_) {
        ctx_.router.unbind(*this);
        registered_with_router_ = false;
        if (available_.exchange(false)) {
            // The user's other resources learn that this one went away.
            Element gone("presence", std::string(proto::ns::client));
            gone.set_attr("type", "unavailable");
            gone.set_attr("from", jid_->full());
            ctx_.router.route(std::move(gone));
        }
    }
    begin_close();
    // Let the writer send what is queued (the closing tag at least), within the linger.
    while (!writer_done_) {
        flush_timer_.expires_at(Clock::time_point::max());
        boost::system::error_code ec;
        co_await flush_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    transport_->close();
    watchdog_timer_.cancel();
    writer_timer_.cancel();
    ctx_.connections.untrack(this);
    if (options_.counted) ctx_.connections.remove(remote_);
    spdlog::info("c2s {} {}: closed", who_, jid_ ? jid_->full() : "-");
}

asio::awaitable<void> Session::read_loop()
{
    while (auto event = co_await next_event()) {
        switch (event->kind) {
        case StreamEvent::Kind::open:
            if (!awaiting_header_) {
                fail(StreamCondition::bad_format, "a second stream header without a restart");
                co_return;
            }
            if (!on_stream_open(event->element)) co_return;
            break;
        case StreamEvent::Kind::close:
            spdlog::debug("c2s {} {}: the client closed the stream", who_, jid_ ? jid_->full() : "-");
            co_return;
        case StreamEvent::Kind::stanza:
            if (awaiting_header_) {
                fail(StreamCondition::bad_format, "a stanza before the stream header");
                co_return;
            }
            co_await on_element(event->element);
            break;
        }
        if (closing_.load()) co_return;
    }
}

asio::awaitable<std::optional<StreamEvent>> Session::next_event()
{
    for (;;) {
        if (auto event = parser_.next()) {
            if (event->kind == StreamEvent::Kind::stanza && !stanza_bucket_.try_take(1, Clock::now())) {
                fail(StreamCondition::policy_violation, "stanza rate limit exceeded");
                co_return std::nullopt;
            }
            co_return event;
        }
        if (parser_.failed()) {
            auto error = parser_.feed({});
            auto condition = error ? proto::stream_condition_from_name(error->condition) : std::nullopt;
            fail(condition.value_or(StreamCondition::bad_format), error ? error->text : "");
            co_return std::nullopt;
        }
        if (closing_.load()) co_return std::nullopt;
        // `bytes` may lie in a buffer shared by the thread's connections: parsed before the
        // next co_await.
        std::string_view bytes = co_await transport_->read();
        if (bytes.empty()) co_return std::nullopt;
        auto now = Clock::now();
        last_activity_ = now;
        parser_released_ = false;
        if (!byte_bucket_.try_take(double(bytes.size()), now)) {
            fail(StreamCondition::policy_violation, "byte rate limit exceeded");
            co_return std::nullopt;
        }
        parser_.feed(bytes);
        // RFC 7395 §3.3.3: a WebSocket message holds whole elements; a partial one is refused
        // rather than joined with the next message.
        if (transport_->framing() == proto::xml::Framing::websocket && transport_->message_done() &&
            !parser_.failed() && parser_.current_stanza_bytes() != 0) {
            fail(StreamCondition::not_well_formed, "a WebSocket message must hold one complete element");
            co_return std::nullopt;
        }
    }
}

asio::awaitable<void> Session::write_loop()
{
    auto self = shared_from_this();
    std::vector<std::string> batch;
    try {
        for (;;) {
            if (queue_.empty() || writer_paused_) {
                if (close_after_flush_ && queue_.empty()) break;
                writer_timer_.expires_at(Clock::time_point::max());
                boost::system::error_code ec;
                co_await writer_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                continue;
            }
            batch.swap(queue_);
            writing_ = true;
            co_await transport_->write(batch);
            writing_ = false;
            batch.clear();
            if (batch.capacity() > 64) batch.shrink_to_fit();
            flush_timer_.cancel();
        }
        co_await transport_->shutdown();
    } catch (const boost::system::system_error& e) {
        spdlog::debug("c2s {}: write failed: {}", who_, e.what());
        transport_->close();
    }
    writing_ = false;
    queue_.clear();
    writer_done_ = true;
    flush_timer_.cancel();
}

asio::awaitable<void> Session::flush()
{
    while ((!queue_.empty() || writing_) && !writer_done_) {
        flush_timer_.expires_at(Clock::time_point::max());
        boost::system::error_code ec;
        co_await flush_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> Session::watchdog()
{
    auto self = shared_from_this();
    const auto idle = ctx_.config.limits.idle_timeout;
    while (!(reader_done_ && writer_done_)) {
        auto now = Clock::now();
        if (closing_.load()) {
            if (now >= linger_deadline_) {
                transport_->close();
                break;
            }
        } else if (stage_ != Stage::bound && now >= auth_deadline_) {
            fail(StreamCondition::connection_timeout, "not authenticated in time");
            continue;
        } else if (now >= last_activity_ + idle) {
            fail(StreamCondition::connection_timeout, "idle for too long");
            continue;
        }
        // Tried once per quiet spell: mid-stanza it fails, and the next bytes start a new spell.
        if (!parser_released_ && !closing_.load() && now >= last_activity_ + parser_release_after) {
            parser_.release_idle();
            parser_released_ = true;
        }
        auto deadline = closing_.load() ? linger_deadline_
                                        : std::min(stage_ != Stage::bound ? auth_deadline_ : Clock::time_point::max(),
                                                   last_activity_ + idle);
        if (!parser_released_ && !closing_.load()) deadline = std::min(deadline, last_activity_ + parser_release_after);
        watchdog_timer_.expires_at(deadline);
        boost::system::error_code ec;
        co_await watchdog_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace wl::server::c2s
