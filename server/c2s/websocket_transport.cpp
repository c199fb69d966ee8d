#include "server/c2s/websocket_transport.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "server/c2s/session.hpp"
#include "server/log.hpp"

namespace wl::server::c2s {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace bhttp = beast::http;

namespace {

// The opening and closing handshakes; the session's own deadlines (authentication, idle,
// linger) govern everything in between.
constexpr auto handshake_timeout = std::chrono::seconds(10);

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

asio::awaitable<void> refuse(beast::tcp_stream& stream, unsigned version, const std::string& why)
{
    bhttp::response<bhttp::string_body> response{bhttp::status::bad_request, version};
    response.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    response.body() = why + "\n";
    response.keep_alive(false);
    response.prepare_payload();
    stream.expires_after(handshake_timeout);
    boost::system::error_code ec;
    co_await bhttp::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    stream.close();
}

// What the HTTP server hands over, kept alive by the lambda that co_spawn holds: the
// coroutines take references only (g++ 12 may destroy by-value coroutine arguments twice).
struct Handover {
    beast::tcp_stream stream;
    WebSocketTransport::Request request;
    std::string leftover;
};

asio::awaitable<void> upgrade(SessionContext& ctx, bool secure, Handover& handover)
{
    auto& stream = handover.stream;
    const auto& request = handover.request;
    auto strand = stream.get_executor();  // the HTTP connection's strand, now the session's
    boost::system::error_code ec;
    auto endpoint = stream.socket().remote_endpoint(ec);
    const std::string peer = ec ? std::string("?") : endpoint.address().to_string();
    if (!offers_xmpp_subprotocol(request)) {
        spdlog::warn("websocket {}: upgrade refused: no 'xmpp' subprotocol", peer);
        co_await refuse(stream, request.version(),
                        "XMPP over WebSocket needs the subprotocol: Sec-WebSocket-Protocol: xmpp");
        co_return;
    }
    if (!handover.leftover.empty()) {
        spdlog::warn("websocket {}: upgrade refused: data sent before the handshake", peer);
        co_await refuse(stream, request.version(), "data sent before the WebSocket handshake");
        co_return;
    }
    auto transport = std::make_unique<WebSocketTransport>(std::move(stream), secure);
    try {
        co_await transport->accept(request);
    } catch (const boost::system::system_error& e) {
        spdlog::debug("websocket {}: handshake failed: {}", peer, e.what());
        co_return;
    }
    Session::Options options;
    options.counted = ctx.connections.try_add(peer, ctx.config.limits.max_connections_per_ip);
    if (!options.counted) {
        options.over_address_cap = true;
        spdlog::warn("websocket {}: refusing: more than {} connections from that address", peer,
                     ctx.config.limits.max_connections_per_ip);
    }
    Session::start(std::make_shared<Session>(ctx, strand, std::move(transport), options));
}

}  // namespace

bool offers_xmpp_subprotocol(const WebSocketTransport::Request& request)
{
    // The header may repeat, and each holds a comma-separated list of tokens.
    for (auto it = request.find(bhttp::field::sec_websocket_protocol);
         it != request.end() && it->name() == bhttp::field::sec_websocket_protocol; ++it) {
        std::string_view list(it->value().data(), it->value().size());
        while (!list.empty()) {
            auto comma = list.find(',');
            if (trim(list.substr(0, comma)) == websocket_subprotocol) return true;
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
    }
    return false;
}

WebSocketTransport::WebSocketTransport(beast::tcp_stream stream, bool secure) : ws_(std::move(stream)), secure_(secure)
{
    auto& socket = beast::get_lowest_layer(ws_).socket();
    boost::system::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    remote_ = ec ? std::string("?") : ep.address().to_string();
    socket.set_option(asio::ip::tcp::no_delay(true), ec);

    // Beast's timeouts replace tcp_stream's: only the handshakes are timed here.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = handshake_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
        response.set(bhttp::field::sec_websocket_protocol,
                     beast::string_view(websocket_subprotocol.data(), websocket_subprotocol.size()));
    }));
    // No message size limit at this layer: a message is one element, read piecewise, and
    // the parser ends an element over limits.max_stanza_bytes with a policy-violation stream
    // error the client can show; Beast's limit would only close the socket with code 1009.
    ws_.read_message_max(0);
    ws_.text(true);
}

asio::awaitable<void> WebSocketTransport::accept(const Request& request)
{
    co_await ws_.async_accept(request, asio::use_awaitable);
}

asio::awaitable<std::string_view> WebSocketTransport::read()
{
    for (;;) {
        boost::system::error_code ec;
        std::size_t n =
            co_await ws_.async_read_some(asio::buffer(buffer_), asio::redirect_error(asio::use_awaitable, ec));
        if (ec == websocket::error::closed || ec == asio::error::eof) co_return std::string_view();
        if (ec) throw boost::system::system_error(ec);
        // An empty message carries nothing; an empty view would mean the end of the stream.
        if (n > 0) co_return std::string_view(buffer_.data(), n);
    }
}

asio::awaitable<void> WebSocketTransport::write(const std::vector<std::string>& pieces)
{
    for (const auto& piece : pieces) co_await ws_.async_write(asio::buffer(piece), asio::use_awaitable);
}

asio::awaitable<void> WebSocketTransport::start_tls()
{
    // can_start_tls() is false, so the session never asks.
    throw std::logic_error("STARTTLS over WebSocket");
    co_return;
}

asio::awaitable<void> WebSocketTransport::shutdown()
{
    boost::system::error_code ec;
    if (ws_.is_open())
        co_await ws_.async_close(websocket::close_code::normal, asio::redirect_error(asio::use_awaitable, ec));
}

void WebSocketTransport::close() { beast::get_lowest_layer(ws_).close(); }

void serve_websocket(SessionContext& ctx, bool secure, beast::tcp_stream stream, WebSocketTransport::Request request,
                     std::string leftover)
{
    auto executor = stream.get_executor();
    auto handover = std::make_shared<Handover>(Handover{std::move(stream), std::move(request), std::move(leftover)});
    asio::co_spawn(
        executor, [&ctx, secure, handover]() { return upgrade(ctx, secure, *handover); }, asio::detached);
}

std::function<void(beast::tcp_stream, WebSocketTransport::Request, std::string)> websocket_upgrade_handler(
    SessionContext& ctx)
{
    const bool secure = ctx.config.http.websocket_secure;
    if (!secure && ctx.config.c2s.require_tls)
        spdlog::warn(
            "websocket: c2s.require_tls is on and http.websocket_secure is off: clients on {} cannot "
            "authenticate",
            websocket_path);
    return [&ctx, secure](beast::tcp_stream stream, WebSocketTransport::Request request, std::string leftover) {
        serve_websocket(ctx, secure, std::move(stream), std::move(request), std::move(leftover));
    };
}

}  // namespace wl::server::c2s
