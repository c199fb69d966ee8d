#include "server/waitlistctl_client.hpp"

#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <optional>
#include <stdexcept>

namespace wl::ctl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct AdminClient::Connection {
    asio::io_context io;
    std::optional<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
};

AdminClient::AdminClient(ApiAddress api, std::chrono::seconds answer_within)
    : api_(std::move(api)),
      answer_within_(answer_within),
      connection_(std::make_unique<Connection>())
{
}

AdminClient::~AdminClient() = default;

std::string AdminClient::address() const
{
    const bool ipv6 = api_.host.find(':') != std::string::npos;
    return (ipv6 ? "[" + api_.host + "]" : api_.host) + ":" + std::to_string(api_.port);
}

namespace {

asio::awaitable<void> exchange(AdminClient::Connection& c, const ApiAddress& api, const std::string& where,
                               std::chrono::seconds answer_within, bhttp::request<bhttp::string_body>& req,
                               Reply& reply)
{
    if (!c.stream) {
        c.stream.emplace(c.io);
        c.stream->expires_after(std::chrono::seconds(10));
        try {
            tcp::resolver resolver(c.io);
            auto endpoints = co_await resolver.async_resolve(api.host, std::to_string(api.port), asio::use_awaitable);
            co_await c.stream->async_connect(endpoints, asio::use_awaitable);
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error("cannot reach the admin API at " + where + ": " + e.code().message() +
                                     " (is waitlistd running?)");
        }
    }
    c.stream->expires_after(answer_within);
    try {
        co_await bhttp::async_write(*c.stream, req, asio::use_awaitable);
        bhttp::response_parser<bhttp::string_body> parser;
        // A directory export page is the largest answer: 10 000 accounts with their URIs.
        parser.body_limit(64 * 1024 * 1024);
        co_await bhttp::async_read(*c.stream, c.buffer, parser, asio::use_awaitable);
        auto res = parser.release();
        reply.status = res.result_int();
        reply.reason = std::string(res.reason());
        reply.body = std::move(res.body());
        if (!res.keep_alive()) c.stream.reset();
    } catch (const boost::system::system_error& e) {
        throw std::runtime_error("the admin API at " + where + " did not answer: " + e.code().message());
    }
}

}  // namespace

Reply AdminClient::call(bhttp::verb method, const std::string& target, std::string body,
                        const std::string& content_type)
{
    const std::string where = address();
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, where);
    req.set(bhttp::field::user_agent, "waitlistctl");
    req.set(bhttp::field::authorization, "Bearer " + api_.token);
    if (!body.empty()) req.set(bhttp::field::content_type, content_type);
    req.body() = std::move(body);
    req.keep_alive(true);
    req.prepare_payload();

    Reply reply;
    std::exception_ptr failure;
    auto& c = *connection_;
    c.io.restart();
    asio::co_spawn(c.io, exchange(c, api_, where, answer_within_, req, reply),
                   [&failure](std::exception_ptr e) { failure = e; });
    c.io.run();
    if (failure) {
        c.stream.reset();
        c.buffer.clear();
        std::rethrow_exception(failure);
    }
    return reply;
}

}  // namespace wl::ctl
