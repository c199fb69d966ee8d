#pragma once
// waitlistctl's one HTTP client of the admin API: every command and the directory import and
// export go through it. Asio and Beast stay in its own translation unit.
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace wl::ctl {

struct ApiAddress {
    std::string host;
    std::uint16_t port = 0;
    std::string token;
};

struct Reply {
    unsigned status = 0;
    std::string reason;
    std::string body;
};

// One keep-alive connection, reopened when the server closed it or an exchange failed.
class AdminClient {
public:
    // `answer_within`: how long one request may wait for its answer before it counts as lost.
    AdminClient(ApiAddress api, std::chrono::seconds answer_within);
    ~AdminClient();
    AdminClient(const AdminClient&) = delete;
    AdminClient& operator=(const AdminClient&) = delete;

    // The answer, or throws std::runtime_error with a sentence naming the address.
    Reply call(boost::beast::http::verb method, const std::string& target, std::string body = {},
               const std::string& content_type = "application/json");

    // host:port as typed in a URL (an IPv6 host in brackets).
    std::string address() const;

    struct Connection;  // Asio's state, defined beside the code that drives it

private:
    ApiAddress api_;
    std::chrono::seconds answer_within_;
    std::unique_ptr<Connection> connection_;
};

}  // namespace wl::ctl
