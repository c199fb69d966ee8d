#pragma once
// XMPP over WebSocket (RFC 7395): a client stream whose every element is one text message,
// taken over from the HTTP server after its upgrade request to /xmpp-websocket.
//
// TLS is not this transport's business: https/wss ends at a reverse proxy in front of
// http.listen, so the stream counts as encrypted only when the operator says so
// (http.websocket_secure, like Prosody's consider_websocket_secure). STARTTLS is never
// offered over WebSocket.
#include <utility>  // Boost 1.74's Asio needs it first
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <array>
#include <functional>
#include <string>
#include <string_view>

#include "server/c2s/session_context.hpp"
#include "server/c2s/transport.hpp"

namespace wl::server::c2s {

// The subprotocol RFC 7395 §3.1 registers; an upgrade that does not offer it is refused.
inline constexpr std::string_view websocket_subprotocol = "xmpp";

class WebSocketTransport final : public Transport {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;

    WebSocketTransport(boost::beast::tcp_stream stream, bool secure);

    // Answers the upgrade with 101 and "Sec-WebSocket-Protocol: xmpp"; throws on failure.
    boost::asio::awaitable<void> accept(const Request& request);

    boost::asio::awaitable<std::string_view> read() override;
    boost::asio::awaitable<void> write(const std::vector<std::string>& pieces) override;
    bool can_start_tls() const override { return false; }
    boost::asio::awaitable<void> start_tls() override;
    bool is_secure() const override { return secure_; }
    boost::asio::awaitable<void> shutdown() override;
    void close() override;
    proto::xml::Framing framing() const override { return proto::xml::Framing::websocket; }
    const std::string& remote_address() const override { return remote_; }
    bool message_done() const override { return ws_.is_message_done(); }

private:
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    // Beast copies a message into it when its read completes, which is not always followed
    // at once by the session's resumption: so one per connection, unlike TcpTransport.
    std::array<char, 2048> buffer_;
    bool secure_;
    std::string remote_;
};

// True if the request's Sec-WebSocket-Protocol list names `xmpp`.
bool offers_xmpp_subprotocol(const WebSocketTransport::Request& request);

inline constexpr std::string_view websocket_path = "/xmpp-websocket";

// Serves one upgrade request; runs on the HTTP connection's strand, which becomes the
// session's. A request without the xmpp subprotocol, or with bytes sent before the
// handshake finished (RFC 6455 §4.1 forbids them), is answered 400 and closed; otherwise
// the upgrade is accepted and a Session runs on the stream.
void serve_websocket(SessionContext& ctx, bool secure, boost::beast::tcp_stream stream,
                     WebSocketTransport::Request request, std::string leftover);

// serve_websocket() with http.websocket_secure from ctx.config, in the shape of
// http::UpgradeHandler. Warns once if that configuration leaves WebSocket clients no way
// to authenticate (TLS required, the stream not counted as secure).
std::function<void(boost::beast::tcp_stream, WebSocketTransport::Request, std::string)> websocket_upgrade_handler(
    SessionContext& ctx);

}  // namespace wl::server::c2s
