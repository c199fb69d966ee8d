#pragma once
// Many logged-in users on one io_context: the part every waiting list load shares. Users
// prefix<first> .. prefix<first+users-1> log in at a bounded concurrency through the c2s
// bench's ClientSession (the same client that measures Prosody); a session whose step
// fails or overruns its deadline is closed, dropped and counted by its error text, so a
// figure never includes a user that did not do the work.
#include "tests/bench/c2s/client_session.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace wl::bench {

struct PoolSettings {
    SessionSettings session;
    std::string prefix = "bench";
    long first = 1;
    long users = 1;
    int login_concurrency = 100;
    double step_timeout = 60;  // seconds, for one login or one request
};

class SessionPool {
public:
    SessionPool(asio::io_context& io, const PoolSettings& settings);

    // Logs every user in; returns how many succeeded. Starts the deadline watchdog, which
    // runs until close_all().
    asio::awaitable<long> login_all();
    // Sends </stream:stream> on every live session and stops the watchdog.
    asio::awaitable<void> close_all();

    std::vector<std::unique_ptr<ClientSession>>& sessions() { return sessions_; }
    long live() const;
    // Closes and drops the session, counting `step: what` (or "timed out").
    void fail(std::unique_ptr<ClientSession>& session, const char* step, const std::string& what);
    const std::map<std::string, long>& errors() const { return errors_; }
    long failures() const;

private:
    asio::awaitable<void> watchdog();

    asio::io_context& io_;
    const PoolSettings& settings_;
    std::vector<std::unique_ptr<ClientSession>> sessions_;  // null once failed
    std::map<std::string, long> errors_;
    bool watching_ = false;
};

// Runs body(i) for i in [0, count) with at most `concurrency` at once, on the caller's
// io_context; returns when all are done. body must not throw.
asio::awaitable<void> for_each_concurrently(asio::io_context& io, std::size_t count, std::size_t concurrency,
                                            const std::function<asio::awaitable<void>(std::size_t)>& body);

double seconds_between(Clock::time_point from, Clock::time_point to);
// The p-quantile (0..1) of `values` (reordered).
double percentile(std::vector<double>& values, double p);

}  // namespace wl::bench
