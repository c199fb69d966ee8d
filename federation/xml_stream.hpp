#pragma once
// One s2s connection as an XML stream: TCP, optional TLS (STARTTLS or direct), the proto
// stream parser for reading, and an ordered write queue so that any coroutine on the
// connection's strand may send. Every wait is bounded by a deadline that, when it passes,
// closes the socket (Boost 1.74 has no per-operation cancellation), so the pending read
// fails with FailureKind::timeout.
#include <array>
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/ssl/stream.hpp>

#include "federation/async/asio.hpp"
#include "federation/failure.hpp"
#include "proto/error.hpp"
#include "proto/xml/element.hpp"
#include "proto/xml/stream_parser.hpp"
#include "proto/xml/writer.hpp"

namespace wl::federation {

// Serialisation context of every s2s stream: jabber:server default, stream: and db: prefixes.
const proto::xml::WriteContext& s2s_write_context();

class XmlStream : public std::enable_shared_from_this<XmlStream> {
public:
    XmlStream(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls, std::size_t max_stanza_bytes,
              std::size_t max_write_buffer);
    XmlStream(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls, std::size_t max_stanza_bytes,
              std::size_t max_write_buffer);
    ~XmlStream();

    // Throws StreamFailure (unreachable, or timeout when the deadline closed the socket).
    asio::awaitable<void> connect(const asio::ip::tcp::endpoint& endpoint);
    // client: sni is the remote domain. Throws StreamFailure.
    asio::awaitable<void> start_tls(asio::ssl::stream_base::handshake_type type, const std::string& sni = {});
    bool is_tls() const { return tls_active_; }
    SSL* ssl() { return tls_active_ ? tls_stream_.native_handle() : nullptr; }

    // The next stream header, stanza or stream end. Throws StreamFailure: closed/timeout
    // for the connection, protocol for a parse error (after sending the stream error).
    asio::awaitable<proto::xml::StreamEvent> read();
    // Stream restart after STARTTLS or SASL: a fresh parser.
    void restart() { parser_.reset(); }

    void send_header(const proto::xml::Element& header);
    void send(const proto::xml::Element& element);
    void send_raw(std::string bytes);
    // Waits until everything queued is written (or the connection is gone).
    asio::awaitable<void> flush();

    // A stream error, </stream:stream>, and the connection closed once written (bounded by
    // the deadline). Opens our side of the stream first if we had not yet.
    asio::awaitable<void> fail(proto::StreamCondition condition, const std::string& text = {});
    // </stream:stream>, then wait up to `grace` for the peer's, then close. Only when no
    // other coroutine is reading this stream.
    asio::awaitable<void> close_gracefully(std::chrono::milliseconds grace);
    // </stream:stream> while another coroutine keeps reading: that reader sees the peer's
    // </stream:stream>, or the deadline `grace` closes the connection.
    void send_close(std::chrono::milliseconds grace);
    // The peer ended the stream: end ours and close.
    asio::awaitable<void> answer_close();

    // After `d`, the socket is closed and pending operations fail with timeout.
    void expires_after(std::chrono::steady_clock::duration d);
    void expires_never();
    void close();
    bool is_open() const { return !closed_; }
    bool header_sent() const { return header_sent_; }
    const std::string& peer() const { return peer_; }

private:
    void write_more();

    asio::ssl::stream<asio::ip::tcp::socket> tls_stream_;
    std::shared_ptr<asio::ssl::context> tls_context_;
    bool tls_active_ = false;
    proto::xml::StreamParser parser_;
    std::optional<proto::xml::ParseError> parse_error_;
    std::array<char, 16384> read_buffer_{};
    std::string pending_, in_flight_;
    bool writing_ = false;
    std::size_t max_write_buffer_;
    asio::steady_timer deadline_;
    asio::steady_timer flushed_;
    bool timed_out_ = false;
    bool closed_ = false;
    bool header_sent_ = false;
    bool close_sent_ = false;
    std::string peer_;
};

}  // namespace wl::federation
