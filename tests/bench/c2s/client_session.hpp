#pragma once
// One benchmark user: an RFC 6120 client stream that logs in exactly as a desktop client
// does (stream header, STARTTLS, SASL SCRAM, stream restart, resource binding, the legacy
// session if it is mandatory, optional initial presence) and then answers for XEP-0199
// pings. Every step checks the server's answer; any deviation is a SessionError naming the
// step, so a benchmark never counts a login that did not happen.
#include "tests/bench/c2s/connection.hpp"

#include "proto/sasl/scram.hpp"
#include "proto/xml/element.hpp"
#include "proto/xml/stream_parser.hpp"
#include "proto/xml/writer.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace wl::bench {

struct SessionError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Shared, read-only settings of every session.
struct SessionSettings {
    asio::ip::tcp::endpoint server;
    std::string domain;
    std::string password;
    std::string resource = "bench";
    proto::sasl::ScramHash mechanism = proto::sasl::ScramHash::sha1;
    bool send_presence = false;
    SSL_CTX* tls = nullptr;
};

using Clock = std::chrono::steady_clock;

class ClientSession {
public:
    ClientSession(asio::io_context& io, const SessionSettings& settings, std::string username);

    // Connects and negotiates up to a bound resource (and presence, if configured).
    asio::awaitable<void> login();
    // One ping to the domain and its result; stanzas that arrive meanwhile (presence echo,
    // roster pushes) are skipped.
    asio::awaitable<void> ping();
    // Any IQ get/set (an id is set here) and its result; an error answer is a SessionError.
    // Stanzas that arrive meanwhile are skipped, as in ping().
    asio::awaitable<proto::xml::Element> request(proto::xml::Element& iq);
    // The next stanza the server sends, whatever it is (a push, a presence).
    asio::awaitable<proto::xml::Element> receive();
    // Sends </stream:stream> and closes without waiting for the server's reply.
    asio::awaitable<void> close_stream();

    // The watchdog closes the connection when the deadline of the current step has passed.
    void set_deadline(Clock::time_point deadline) noexcept { deadline_ = deadline; }
    bool expire_if_due(Clock::time_point now) noexcept;
    bool timed_out() const noexcept { return timed_out_; }
    bool is_open() const noexcept { return connection_.is_open(); }
    void abort() noexcept { connection_.abort(); }
    const std::string& username() const noexcept { return username_; }

private:
    asio::awaitable<void> open_stream();  // header out, header + features in
    asio::awaitable<proto::xml::StreamEvent> next_event();
    asio::awaitable<proto::xml::Element> next_stanza();  // throws on stream error or end
    asio::awaitable<void> send(const proto::xml::Element& stanza);
    asio::awaitable<void> authenticate(const proto::xml::Element& features);
    asio::awaitable<void> bind(const proto::xml::Element& features);
    // By reference: g++ 12 may destroy a by-value coroutine argument twice (federation/async/await_answer.hpp).
    asio::awaitable<proto::xml::Element> iq_round_trip(proto::xml::Element& iq, const char* step);

    const SessionSettings& settings_;
    std::string username_;
    Connection connection_;
    proto::xml::StreamParser parser_;
    Clock::time_point deadline_ = Clock::time_point::max();
    std::uint32_t next_id_ = 0;
    bool timed_out_ = false;
};

}  // namespace wl::bench
