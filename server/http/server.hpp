#pragma once
// The HTTP listener of http.listen (Boost.Beast): the admin API, /metrics, /healthz,
// /readyz, and the RFC 7395 WebSocket upgrade at /xmpp-websocket.
//
// One coroutine per connection, on a strand of its own, reading requests top to bottom:
// a deadline before every read and write, a bound on header and body size, keep-alive.
// Routing is a small table: (method, path pattern) -> handler. A pattern is a path whose
// segments are literals or "{name}" captures of exactly one segment; captures reach the
// handler percent-decoded, so "/v1/accounts/{jid}/uris/{uri}" takes "tel%3A%2B1..." as
// "tel:+1...". A path that matches no pattern gets 404, a matched path with another method
// 405 with Allow; both as JSON {"error": ...}.
//
// Stop is graceful: the acceptors close, connections waiting for their next request are
// closed, and a request in progress gets its answer with "Connection: close".
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.hpp"

#include "proto/percent_encoding.hpp"

namespace wl::server {
class Histogram;
}

namespace wl::server::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Verb = boost::beast::http::verb;
using Status = boost::beast::http::status;

// Captures of a matched pattern, by name, percent-decoded.
using PathParams = std::map<std::string, std::string, std::less<>>;

// Runs on the connection's strand. It may co_await (a database call through db_call), must
// not block, and should not throw: an exception is logged and answered 500.
using Handler = std::function<boost::asio::awaitable<Response>(const Request&, const PathParams&)>;

// Takes over the connection after a WebSocket upgrade request: the stream (its executor is
// the connection's strand, with no deadline set) and the parsed request, with any bytes
// read past the request in `leftover`. The HTTP server forgets the connection.
using UpgradeHandler = std::function<void(boost::beast::tcp_stream stream, Request request, std::string leftover)>;

struct HttpOptions {
    std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};  // one request, first byte to last
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};     // keep-alive wait for the next
    std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
    std::size_t header_limit = 16 * 1024;
    std::size_t body_limit = 64 * 1024;
    std::size_t max_connections = 1024;  // beyond: the connection is closed at once
};

// A response with a JSON body {"error": message} (and "field" when given).
Response json_error(Status status, std::string_view message, std::string_view field = {});
// A response with a JSON body (already serialised) or plain text.
Response json_response(Status status, std::string body);
Response text_response(Status status, std::string body, std::string_view content_type = "text/plain; charset=utf-8");

using proto::percent_decode;
using proto::percent_encode;

class HttpServer : public std::enable_shared_from_this<HttpServer> {
public:
    // Binds every endpoint now (throws std::runtime_error naming the address); accepts after start().
    HttpServer(boost::asio::io_context& io, const std::vector<Endpoint>& listen, HttpOptions options = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Registration happens before start(). `body_limit` (0: HttpOptions::body_limit) lets
    // a bulk route take larger bodies than the rest.
    void add_route(Verb method, std::string pattern, Handler handler, std::size_t body_limit = 0);
    // The handler for upgrade requests to `path` (RFC 7395: "/xmpp-websocket"). An upgrade
    // request to a path without one is answered 404.
    void set_upgrade_handler(std::string path, UpgradeHandler handler);
    // The routing table as registered: method and pattern of each route.
    std::vector<std::pair<Verb, std::string>> routes() const;

    void start();
    // Thread-safe and repeatable.
    void stop();

    bool is_listening() const { return listening_.load(); }
    bool is_stopping() const { return stopping_.load(); }
    std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;
    std::size_t connection_count() const;

private:
    struct Route {
        Verb method;
        std::string pattern;
        std::vector<std::string> segments;  // "{name}" for a capture
        Handler handler;
        Histogram* latency;
        std::size_t body_limit;
    };
    class Connection;

    boost::asio::awaitable<void> accept_loop(std::size_t index);
    // By reference: the detached lambda that awaits it owns the connection (federation/async/spawn.hpp).
    boost::asio::awaitable<void> serve(const std::shared_ptr<Connection>& conn);
    boost::asio::awaitable<Response> dispatch(const Request& request);
    // The body limit of the route a request header names (the default for unrouted ones).
    std::size_t body_limit_for(Verb method, std::string_view target) const;
    void forget(Connection* conn);

    boost::asio::io_context& io_;
    HttpOptions options_;
    // The acceptors are opened, used and closed on this strand only.
    boost::asio::strand<boost::asio::io_context::executor_type> accept_strand_;
    std::vector<boost::asio::ip::tcp::acceptor> acceptors_;
    std::vector<Route> routes_;
    std::size_t largest_body_limit_ = 0;
    std::map<std::string, UpgradeHandler, std::less<>> upgrades_;
    Histogram* unrouted_latency_;
    std::atomic<bool> listening_{false};
    std::atomic<bool> stopping_{false};

    mutable std::mutex mutex_;  // guards connections_
    std::map<Connection*, std::weak_ptr<Connection>> connections_;
};

}  // namespace wl::server::http
