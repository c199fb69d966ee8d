#pragma once
// One client stream (RFC 6120), from the first byte to the close, as one coroutine that
// reads like the protocol: stream header, features, STARTTLS, SASL, restart, bind, then
// stanzas until either side closes. A writer coroutine owns the transport's writes through
// a bounded queue; a watchdog enforces the authentication, idle and closing deadlines.
// Everything runs on the session's strand; the LocalSession methods post onto it.
#include <utility>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proto/jid.hpp"
#include "proto/sasl/scram.hpp"
#include "proto/xml/stream_parser.hpp"
#include "proto/xml/writer.hpp"
#include "server/c2s/session_context.hpp"
#include "server/c2s/transport.hpp"
#include "server/local_session.hpp"
#include "server/rate_limiter.hpp"

namespace wl::server::c2s {

class Session final : public LocalSession, public std::enable_shared_from_this<Session> {
public:
    struct Options {
        bool direct_tls = false;        // TLS before the first byte of XMPP (XEP-0368)
        bool over_address_cap = false;  // refuse with policy-violation at once
        bool counted = false;           // holds a place in ConnectionSet's per-address count
    };

    Session(SessionContext& ctx, boost::asio::any_io_executor strand, std::unique_ptr<Transport> transport,
            Options options);
    ~Session() override;

    // Runs the session to its end on its strand.
    static void start(const std::shared_ptr<Session>& session);
    // Cuts the connection at once (thread-safe); the coroutines then run to their end.
    void abort();

    // LocalSession
    const proto::Jid& jid() const override { return *jid_; }
    bool deliver(std::shared_ptr<const proto::xml::Element> stanza) override;
    void close(proto::StreamCondition condition, std::string text = {}) override;
    bool is_available() const override { return available_.load(std::memory_order_relaxed); }
    int priority() const override { return priority_.load(std::memory_order_relaxed); }

private:
    using Clock = std::chrono::steady_clock;
    enum class Stage {
        initial,
        authenticated,
        bound
    };

    // session.cpp: the coroutines and the I/O around them
    boost::asio::awaitable<void> run();
    boost::asio::awaitable<void> read_loop();
    boost::asio::awaitable<void> write_loop();
    boost::asio::awaitable<void> watchdog();
    boost::asio::awaitable<std::optional<proto::xml::StreamEvent>> next_event();
    boost::asio::awaitable<void> flush();
    void send(const proto::xml::Element& element);
    void send_raw(std::string data);
    void fail(proto::StreamCondition condition, std::string text);
    void begin_close();
    void wake_writer();

    // negotiation.cpp: header, features, STARTTLS, SASL, bind
    bool on_stream_open(const proto::xml::Element& header);
    void send_features();
    boost::asio::awaitable<void> on_starttls();
    boost::asio::awaitable<void> on_sasl(const proto::xml::Element& element);
    boost::asio::awaitable<void> on_sasl_auth(const proto::xml::Element& auth);
    boost::asio::awaitable<void> on_sasl_response(const proto::xml::Element& response);
    void sasl_failure(proto::sasl::SaslFailure failure, std::string_view text);
    void sasl_success(const std::string& username, std::string_view additional_data);
    boost::asio::awaitable<std::optional<proto::sasl::ScramCredentials>> lookup_credentials(
        const std::string& username, proto::sasl::ScramHash hash);
    void on_bind(const proto::xml::Element& iq);

    // stanzas.cpp: after bind, and the few IQs allowed before it
    boost::asio::awaitable<void> on_element(proto::xml::Element& element);
    void on_bound_stanza(proto::xml::Element stanza);
    boost::asio::awaitable<void> on_register(const proto::xml::Element& iq);
    void reply(const proto::xml::Element& reply);

    SessionContext& ctx_;
    boost::asio::any_io_executor strand_;
    std::unique_ptr<Transport> transport_;
    Options options_;
    proto::xml::StreamParser parser_;
    proto::xml::WriteContext write_ctx_;

    Stage stage_ = Stage::initial;
    bool awaiting_header_ = true;
    bool header_sent_ = false;
    std::string stream_id_;
    std::optional<proto::Jid> jid_;  // bare after SASL, full after bind
    std::optional<proto::sasl::ScramServer> scram_;
    std::string mechanism_;  // the SASL mechanism of the current attempt
    int auth_failures_ = 0;
    int preauth_elements_ = 0;
    bool registered_with_router_ = false;
    bool announced_available_ = false;

    TokenBucket byte_bucket_;
    TokenBucket stanza_bucket_;
    Clock::time_point auth_deadline_;
    Clock::time_point last_activity_;
    Clock::time_point linger_deadline_;
    bool parser_released_ = false;  // release_idle() tried since the last bytes arrived
    boost::asio::steady_timer watchdog_timer_;

    // The writer's queue of serialized data; bounded by limits.max_send_queue.
    std::vector<std::string> queue_;
    bool writing_ = false;
    bool writer_paused_ = false;  // during the TLS handshake
    bool writer_done_ = false;
    bool close_after_flush_ = false;
    bool reader_done_ = false;
    std::atomic<bool> closing_{false};
    boost::asio::steady_timer writer_timer_;
    boost::asio::steady_timer flush_timer_;

    std::atomic<bool> available_{false};
    std::atomic<int> priority_{0};
    std::string remote_;
    // "s17 192.0.2.1": the session's id (unique in the process) and its peer's address, at
    // the head of each of its log lines, so that one session's lines can be picked out.
    std::string who_;
};

}  // namespace wl::server::c2s
