#include "server/http/server.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/log.hpp"
#include "server/metrics.hpp"
#include "federation/async/spawn.hpp"

namespace wl::server::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* server_name = "waitlistd";

std::vector<std::string_view> split_path(std::string_view path)
{
    std::vector<std::string_view> out;
    if (path.empty() || path.front() != '/') return out;
    path.remove_prefix(1);
    while (true) {
        auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

bool is_capture(std::string_view segment)
{
    return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

Response json_response(Status status, std::string body)
{
    Response res{status, 11};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = std::move(body);
    return res;
}

Response json_error(Status status, std::string_view message, std::string_view field)
{
    nlohmann::json j = {{"error", message}};
    if (!field.empty()) j["field"] = field;
    return json_response(status, j.dump());
}

Response text_response(Status status, std::string body, std::string_view content_type)
{
    Response res{status, 11};
    res.set(bhttp::field::content_type, beast::string_view(content_type.data(), content_type.size()));
    res.body() = std::move(body);
    return res;
}

class HttpServer::Connection {
public:
    explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
    beast::tcp_stream stream;
    // Between requests, with nothing of the next one read: stop() may close it. Strand only.
    bool idle = true;
};

HttpServer::HttpServer(asio::io_context& io, const std::vector<Endpoint>& listen, HttpOptions options)
    : io_(io),
      options_(options),
      accept_strand_(asio::make_strand(io))
{
    unrouted_latency_ =
        &metrics_registry().histogram("waitlistd_http_request_duration_seconds",
                                      "HTTP requests, from the whole request read to the response ready.",
                                      Histogram::latency_bounds(), {{"route", "unrouted"}});
    for (const auto& endpoint : listen) {
        const std::string name = "http " + endpoint.to_string();
        tcp::resolver resolver(io);
        boost::system::error_code ec;
        auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), tcp::resolver::passive, ec);
        if (ec || results.empty()) throw std::runtime_error(name + ": cannot resolve: " + ec.message());
        tcp::endpoint ep = *results.begin();
        tcp::acceptor acceptor(accept_strand_);
        acceptor.open(ep.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(ep, ec);
        if (ec) throw std::runtime_error(name + ": cannot listen: " + ec.message());
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) throw std::runtime_error(name + ": cannot listen: " + ec.message());
        acceptors_.push_back(std::move(acceptor));
    }
}

HttpServer::~HttpServer() = default;

void HttpServer::add_route(Verb method, std::string pattern, Handler handler, std::size_t body_limit)
{
    Route route;
    route.method = method;
    route.body_limit = body_limit ? body_limit : options_.body_limit;
    largest_body_limit_ = std::max(largest_body_limit_, route.body_limit);
    for (auto seg : split_path(pattern)) route.segments.emplace_back(seg);
    std::string label = std::string(bhttp::to_string(method)) + " " + pattern;
    route.latency = &metrics_registry().histogram("waitlistd_http_request_duration_seconds", "",
                                                  Histogram::latency_bounds(), {{"route", label}});
    route.pattern = std::move(pattern);
    route.handler = std::move(handler);
    routes_.push_back(std::move(route));
}

std::vector<std::pair<Verb, std::string>> HttpServer::routes() const
{
    std::vector<std::pair<Verb, std::string>> out;
    for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
    return out;
}

void HttpServer::set_upgrade_handler(std::string path, UpgradeHandler handler)
{
    upgrades_[std::move(path)] = std::move(handler);
}

std::vector<tcp::endpoint> HttpServer::local_endpoints() const
{
    std::vector<tcp::endpoint> out;
    for (const auto& a : acceptors_) {
        boost::system::error_code ec;
        auto ep = a.local_endpoint(ec);
        if (!ec) out.push_back(ep);
    }
    return out;
}

std::size_t HttpServer::connection_count() const
{
    std::lock_guard lock(mutex_);
    return connections_.size();
}

void HttpServer::start()
{
    listening_.store(!acceptors_.empty());
    for (std::size_t i = 0; i < acceptors_.size(); ++i) {
        spdlog::info("http {}: listening", acceptors_[i].local_endpoint().address().to_string() + ":" +
                                               std::to_string(acceptors_[i].local_endpoint().port()));
        async::spawn_detached(accept_strand_, "http: accept loop",
                              [self = shared_from_this(), i]() -> asio::awaitable<void> {
                                  co_await self->accept_loop(i);
                              });
    }
}

void HttpServer::stop()
{
    if (stopping_.exchange(true)) return;
    listening_.store(false);
    asio::post(accept_strand_, [self = shared_from_this()]() {
        for (auto& a : self->acceptors_) {
            boost::system::error_code ec;
            a.close(ec);
        }
    });
    std::vector<std::shared_ptr<Connection>> live;
    {
        std::lock_guard lock(mutex_);
        for (auto& [ptr, weak] : connections_)
            if (auto c = weak.lock()) live.push_back(std::move(c));
    }
    // A connection between requests is closed now; one in the middle of a request finishes
    // it and closes after the answer (serve() sees stopping_).
    for (auto& c : live) {
        asio::post(c->stream.get_executor(), [c]() {
            if (c->idle) c->stream.cancel();
        });
    }
}

void HttpServer::forget(Connection* conn)
{
    std::lock_guard lock(mutex_);
    connections_.erase(conn);
}

asio::awaitable<void> HttpServer::accept_loop(std::size_t index)
{
    auto self = shared_from_this();
    auto& acceptor = acceptors_[index];
    asio::steady_timer backoff(accept_strand_);
    while (acceptor.is_open()) {
        boost::system::error_code ec;
        tcp::socket socket =
            co_await acceptor.async_accept(asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor.is_open() || stopping_) break;
        if (ec) {
            spdlog::error("http: accept failed: {}", ec.message());
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        auto conn = std::make_shared<Connection>(std::move(socket));
        {
            std::lock_guard lock(mutex_);
            if (connections_.size() >= options_.max_connections) {
                spdlog::warn("http: more than {} connections; closing a new one", options_.max_connections);
                conn->stream.socket().close(ec);
                continue;
            }
            connections_.emplace(conn.get(), conn);
        }
        auto executor = conn->stream.get_executor();
        async::spawn_detached(executor, "http: a connection",
                              [self, conn]() -> asio::awaitable<void> { co_await self->serve(conn); });
    }
}

asio::awaitable<void> HttpServer::serve(const std::shared_ptr<Connection>& conn)
{
    auto self = shared_from_this();
    auto& stream = conn->stream;
    beast::flat_buffer buffer(options_.header_limit + std::max(options_.body_limit, largest_body_limit_) + 4096);
    bool first = true;
    while (!stopping_) {
        boost::system::error_code ec;
        if (buffer.size() == 0) {
            // Waiting for the next request: the idle deadline, and stop() may close us.
            conn->idle = true;
            stream.expires_after(first ? options_.request_timeout : options_.idle_timeout);
            std::size_t n =
                co_await stream.async_read_some(buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
            conn->idle = false;
            if (ec) break;  // closed, idle too long, or stopped: nothing to answer
            buffer.commit(n);
        }
        first = false;

        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(options_.header_limit));
        // Beast checks Content-Length against the limit while it parses the header, before
        // the route is known: the largest limit there, the route's own right after.
        std::size_t body_limit = std::max(options_.body_limit, largest_body_limit_);
        parser.body_limit(body_limit);
        stream.expires_after(options_.request_timeout);
        co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
            const auto& head = parser.get();
            body_limit = body_limit_for(head.method(), std::string_view(head.target().data(), head.target().size()));
            parser.body_limit(body_limit);
            if (parser.content_length() && *parser.content_length() > body_limit) ec = bhttp::error::body_limit;
        }
        if (!ec && !parser.is_done())
            co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            std::optional<Response> refusal;
            if (ec == bhttp::error::body_limit)
                refusal = json_error(Status::payload_too_large,
                                     "the body is larger than " + std::to_string(body_limit) + " bytes");
            else if (ec == bhttp::error::header_limit)
                refusal = json_error(Status::request_header_fields_too_large, "the request header is too large");
            else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                     ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
                refusal = json_error(Status::bad_request, "malformed HTTP request");
            server_metrics().http_requests_rejected.inc();
            if (refusal) {
                refusal->set(bhttp::field::server, server_name);
                refusal->keep_alive(false);
                refusal->prepare_payload();
                stream.expires_after(options_.write_timeout);
                co_await bhttp::async_write(stream, *refusal, asio::redirect_error(asio::use_awaitable, ec));
            }
            break;
        }
        Request request = parser.release();

        if (beast::websocket::is_upgrade(request)) {
            auto target = request.target();
            auto path = target.substr(0, target.find('?'));
            auto it = upgrades_.find(std::string_view(path.data(), path.size()));
            if (it != upgrades_.end()) {
                forget(conn.get());
                stream.expires_never();
                auto data = buffer.data();
                std::string leftover(static_cast<const char*>(data.data()), data.size());
                it->second(std::move(stream), std::move(request), std::move(leftover));
                co_return;
            }
        }

        Response response = co_await dispatch(request);
        response.version(request.version());
        response.keep_alive(request.keep_alive() && !stopping_);
        response.set(bhttp::field::server, server_name);
        response.prepare_payload();
        stream.expires_after(options_.write_timeout);
        co_await bhttp::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
        if (ec || !response.keep_alive()) break;
    }
    if (stream.socket().is_open()) {
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream.close();
    }
    forget(conn.get());
}

std::size_t HttpServer::body_limit_for(Verb method, std::string_view target) const
{
    auto segments = split_path(target.substr(0, target.find('?')));
    for (const auto& route : routes_) {
        if (route.method != method || route.segments.size() != segments.size()) continue;
        bool ok = true;
        for (std::size_t i = 0; i < segments.size() && ok; ++i)
            ok = is_capture(route.segments[i]) || route.segments[i] == segments[i];
        if (ok) return route.body_limit;
    }
    return options_.body_limit;
}

asio::awaitable<Response> HttpServer::dispatch(const Request& request)
{
    const auto started = std::chrono::steady_clock::now();
    auto target = std::string_view(request.target().data(), request.target().size());
    auto segments = split_path(target.substr(0, target.find('?')));

    const Route* matched = nullptr;
    PathParams params;
    std::string allow;
    std::optional<Response> early;
    for (const auto& route : routes_) {
        if (route.segments.size() != segments.size()) continue;
        bool ok = true;
        for (std::size_t i = 0; i < segments.size() && ok; ++i)
            ok = is_capture(route.segments[i]) || route.segments[i] == segments[i];
        if (!ok) continue;
        if (route.method != request.method()) {
            if (!allow.empty()) allow += ", ";
            allow += std::string(bhttp::to_string(route.method));
            continue;
        }
        matched = &route;
        for (std::size_t i = 0; i < segments.size(); ++i) {
            if (!is_capture(route.segments[i])) continue;
            std::string name = route.segments[i].substr(1, route.segments[i].size() - 2);
            auto decoded = percent_decode(segments[i]);
            if (!decoded) {
                early = json_error(Status::bad_request, "malformed percent-encoding in the path", name);
                break;
            }
            params[name] = std::move(*decoded);
        }
        break;
    }

    Response response;
    if (early) {
        response = std::move(*early);
    } else if (matched) {
        bool failed = false;
        try {
            response = co_await matched->handler(request, params);
        } catch (const std::exception& e) {
            spdlog::error("http {}: {}", matched->pattern, e.what());
            failed = true;
        }
        if (failed) response = json_error(Status::internal_server_error, "internal error; see the server log");
    } else if (!allow.empty()) {
        response = json_error(Status::method_not_allowed, "method not allowed");
        response.set(bhttp::field::allow, allow);
    } else {
        response = json_error(Status::not_found, "no such resource");
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    (matched ? matched->latency : unrouted_latency_)->observe(seconds);
    spdlog::debug("http {} {} -> {}", std::string(bhttp::to_string(request.method())),
                  matched ? matched->pattern : redact(target), response.result_int());
    co_return response;
}

}  // namespace wl::server::http
