#pragma once
// The byte (or message) pipe under a client stream, so that one session serves TCP with
// STARTTLS, direct TLS and WebSocket alike. A transport belongs to one session's strand:
// its methods are called from that strand only, with at most one read and one write
// pending at once.
#include <utility>  // Boost 1.74's Asio needs it first
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "proto/sasl/channel_binding.hpp"
#include "proto/xml/stream_parser.hpp"

namespace wl::server::c2s {

class Transport {
public:
    virtual ~Transport() = default;

    // Reads what has arrived: at least one byte, or (a part of) one WebSocket message;
    // empty at the peer's orderly end; throws boost::system::system_error on failure.
    // The bytes may sit in a buffer of the current thread shared by every connection on
    // it, so that an idle connection owns no read buffer: they are valid only until the
    // caller next suspends, and must be consumed (parsed) before any co_await.
    virtual boost::asio::awaitable<std::string_view> read() = 0;
    // Writes each piece; a message transport sends each as one message.
    virtual boost::asio::awaitable<void> write(const std::vector<std::string>& pieces) = 0;

    // STARTTLS / direct TLS: the server side of the handshake.
    virtual bool can_start_tls() const = 0;
    virtual boost::asio::awaitable<void> start_tls() = 0;
    virtual bool is_secure() const = 0;
    // The channel binding data of the TLS this server runs on the connection; nullptr with no
    // TLS of ours (a WebSocket behind a TLS-terminating proxy included: the client's TLS
    // ends there, and binding to it would bind to the proxy), and after
    // forget_channel_bindings(), which frees them once the client has authenticated.
    virtual const proto::sasl::ChannelBindings* channel_bindings() const { return nullptr; }
    virtual void forget_channel_bindings() {}

    // Graceful end after the last write (TLS close_notify, WebSocket close frame).
    virtual boost::asio::awaitable<void> shutdown() = 0;
    // Ends at once; any pending read or write completes with an error. Safe to repeat.
    virtual void close() = 0;

    // A message transport: whether the bytes read so far end a message, so that the session
    // can refuse a message that does not hold whole elements (RFC 7395 §3.3.3).
    virtual bool message_done() const { return true; }

    virtual proto::xml::Framing framing() const = 0;
    virtual const std::string& remote_address() const = 0;
};

}  // namespace wl::server::c2s
