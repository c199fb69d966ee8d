// server/http/server: routing, limits, keep-alive, the upgrade hook and graceful stop, with a
// real io_context on loopback and a blocking client socket.
#include <doctest.h>

#include <utility>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "server/http/server.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace wl::server::http;

namespace {

// An HttpServer on 127.0.0.1:0 with two I/O threads.
struct Running {
    asio::io_context io;
    std::shared_ptr<HttpServer> http;
    std::vector<std::thread> threads;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};

    explicit Running(HttpOptions options = {}, std::function<void(HttpServer&)> setup = {})
    {
        http = std::make_shared<HttpServer>(io, std::vector<wl::server::Endpoint>{{"127.0.0.1", 0}}, options);
        if (setup) setup(*http);
        http->start();
        for (int i = 0; i < 2; ++i) threads.emplace_back([this]() { io.run(); });
    }
    ~Running()
    {
        http->stop();
        work.reset();
        // Connections close after stop(); give them a moment, then end the loop.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        io.stop();
        for (auto& t : threads) t.join();
    }
    unsigned short port() const { return http->local_endpoints().at(0).port(); }
};

// Sends `request` on a fresh (or given) socket and reads one response (headers + Content-Length body).
std::string round_trip(tcp::socket& s, const std::string& request)
{
    asio::write(s, asio::buffer(request));
    std::string data;
    char buf[4096];
    for (;;) {
        auto header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
            std::size_t length = 0;
            auto cl = data.find("Content-Length: ");
            if (cl != std::string::npos && cl < header_end) length = std::stoul(data.substr(cl + 16));
            if (data.size() >= header_end + 4 + length) return data.substr(0, header_end + 4 + length);
        }
        boost::system::error_code ec;
        std::size_t n = s.read_some(asio::buffer(buf), ec);
        if (ec) return data;
        data.append(buf, n);
    }
}

tcp::socket connect(asio::io_context& io, unsigned short port)
{
    tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    return s;
}

std::string get(const std::string& path, bool close = false)
{
    return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
}

Handler echo_params()
{
    return [](const Request& req, const PathParams& params) -> asio::awaitable<Response> {
        std::string body = std::string(req.method_string()) + ":";
        for (const auto& [k, v] : params) body += k + "=" + v + ";";
        co_return text_response(Status::ok, body);
    };
}

}  // namespace

TEST_CASE("percent-decoding keeps '+' and refuses malformed escapes; encoding escapes all but unreserved")
{
    CHECK(percent_decode("tel%3A%2B1%20303") == std::optional<std::string>("tel:+1 303"));
    CHECK(percent_decode("a+b") == std::optional<std::string>("a+b"));
    CHECK(percent_decode("%2f%2F") == std::optional<std::string>("//"));
    CHECK_FALSE(percent_decode("%").has_value());
    CHECK_FALSE(percent_decode("%4").has_value());
    CHECK_FALSE(percent_decode("ab%zz").has_value());
    CHECK(percent_encode("alice@sp.example") == "alice%40sp.example");
    CHECK(percent_encode("tel:+1 (303)") == "tel%3A%2B1%20%28303%29");
    CHECK(percent_decode(percent_encode("mailto:\"a b\"/c@d.e")) == std::optional<std::string>("mailto:\"a b\"/c@d.e"));
}

TEST_CASE("routes match literal and captured segments; captures arrive decoded, a slash included")
{
    Running r({}, [](HttpServer& h) {
        h.add_route(Verb::get, "/v1/accounts/{jid}/uris/{uri}", echo_params());
        h.add_route(Verb::delete_, "/v1/accounts/{jid}/uris/{uri}", echo_params());
        h.add_route(Verb::get, "/v1/accounts", echo_params());
    });
    asio::io_context client;
    auto s = connect(client, r.port());
    auto res = round_trip(s, get("/v1/accounts/a%40b/uris/mailto%3Ax%2Fy%40z"));
    CHECK(res.find("HTTP/1.1 200 OK") == 0);
    CHECK(res.find("GET:jid=a@b;uri=mailto:x/y@z;") != std::string::npos);
    // Keep-alive: the same socket answers the next request.
    res = round_trip(s, "DELETE /v1/accounts/a/uris/b?x=1 HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(res.find("DELETE:jid=a;uri=b;") != std::string::npos);
    res = round_trip(s, "POST /v1/accounts/a/uris/b HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    CHECK(res.find("HTTP/1.1 405") == 0);
    CHECK(res.find("Allow: GET, DELETE") != std::string::npos);
    res = round_trip(s, get("/v1/accounts/a/uris"));
    CHECK(res.find("HTTP/1.1 404") == 0);
    CHECK(res.find("{\"error\":\"no such resource\"}") != std::string::npos);
    res = round_trip(s, get("/v1/accounts/a%zz/uris/b"));
    CHECK(res.find("HTTP/1.1 400") == 0);
    CHECK(res.find("\"field\":\"jid\"") != std::string::npos);
    res = round_trip(s, get("/v1/accounts", true));
    CHECK(res.find("Connection: close") != std::string::npos);
}

TEST_CASE("a handler that throws is answered 500 and the connection goes on")
{
    Running r({}, [](HttpServer& h) {
        h.add_route(Verb::get, "/boom", [](const Request&, const PathParams&) -> asio::awaitable<Response> {
            throw std::runtime_error("bug");
            co_return text_response(Status::ok, "unreachable");
        });
        h.add_route(Verb::get, "/fine", echo_params());
    });
    asio::io_context client;
    auto s = connect(client, r.port());
    CHECK(round_trip(s, get("/boom")).find("HTTP/1.1 500") == 0);
    CHECK(round_trip(s, get("/fine")).find("HTTP/1.1 200") == 0);
}

TEST_CASE("a body over the limit is 413 and a header over the limit 431, then the connection closes")
{
    HttpOptions options;
    options.body_limit = 100;
    options.header_limit = 512;
    Running r(options, [](HttpServer& h) { h.add_route(Verb::post, "/p", echo_params()); });
    asio::io_context client;
    {
        auto s = connect(client, r.port());
        auto res = round_trip(s, "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n" + std::string(101, 'x'));
        CHECK(res.find("HTTP/1.1 413") == 0);
        char c;
        boost::system::error_code ec;
        s.read_some(asio::buffer(&c, 1), ec);
        CHECK(ec == asio::error::eof);
    }
    {
        auto s = connect(client, r.port());
        auto res = round_trip(s, "GET /p HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(1000, 'y') + "\r\n\r\n");
        CHECK(res.find("HTTP/1.1 431") == 0);
    }
    {
        auto s = connect(client, r.port());
        auto res = round_trip(s, "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
        CHECK(res.find("HTTP/1.1 200") == 0);
    }
}

TEST_CASE("a connection idle past the deadline is closed by the server")
{
    HttpOptions options;
    options.request_timeout = std::chrono::milliseconds(200);
    options.idle_timeout = std::chrono::milliseconds(200);
    Running r(options);
    asio::io_context client;
    auto s = connect(client, r.port());
    const auto started = std::chrono::steady_clock::now();
    char c;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&c, 1), ec);
    CHECK(ec == asio::error::eof);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("stop closes idle keep-alive connections and refuses new ones")
{
    Running r({}, [](HttpServer& h) { h.add_route(Verb::get, "/x", echo_params()); });
    asio::io_context client;
    auto s = connect(client, r.port());
    CHECK(round_trip(s, get("/x")).find("HTTP/1.1 200") == 0);
    const auto port = r.port();
    r.http->stop();
    char c;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&c, 1), ec);
    CHECK(ec == asio::error::eof);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    tcp::socket again(client);
    again.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    CHECK(ec == asio::error::connection_refused);
    CHECK(r.http->connection_count() == 0);
}

TEST_CASE("an upgrade request reaches the registered handler with the stream; elsewhere it is 404")
{
    std::promise<std::string> got;
    Running r({}, [&got](HttpServer& h) {
        h.set_upgrade_handler("/xmpp-websocket", [&got](boost::beast::tcp_stream stream, Request req,
                                                        std::string leftover) {
            std::string hello = "HTTP/1.1 101 Switching Protocols\r\n\r\n";
            asio::write(stream.socket(), asio::buffer(hello));
            got.set_value(std::string(req[boost::beast::http::field::sec_websocket_protocol]) + "|" + leftover);
        });
    });
    const std::string upgrade_headers =
        " HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n";
    asio::io_context client;
    {
        auto s = connect(client, r.port());
        auto res = round_trip(s, "GET /other" + upgrade_headers);
        CHECK(res.find("HTTP/1.1 404") == 0);
    }
    auto s = connect(client, r.port());
    asio::write(s, asio::buffer("GET /xmpp-websocket" + upgrade_headers + "FRAME"));
    auto future = got.get_future();
    REQUIRE(future.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    CHECK(future.get() == "xmpp|FRAME");
    char buf[64];
    std::size_t n = s.read_some(asio::buffer(buf));
    CHECK(std::string(buf, n).find("101 Switching Protocols") != std::string::npos);
}
