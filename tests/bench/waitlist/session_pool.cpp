#include "tests/bench/waitlist/session_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>

namespace wl::bench {

using namespace std::chrono_literals;

double seconds_between(Clock::time_point from, Clock::time_point to)
{
    return std::chrono::duration<double>(to - from).count();
}

double percentile(std::vector<double>& values, double p)
{
    if (values.empty()) return 0;
    auto k = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    std::nth_element(values.begin(), values.begin() + static_cast<long>(k), values.end());
    return values[k];
}

asio::awaitable<void> for_each_concurrently(asio::io_context& io, std::size_t count, std::size_t concurrency,
                                            const std::function<asio::awaitable<void>(std::size_t)>& body)
{
    if (count == 0 || concurrency == 0) co_return;
    auto next = std::make_shared<std::size_t>(0);
    auto running = std::make_shared<std::size_t>(std::min(count, concurrency));
    asio::steady_timer all_done(io, Clock::time_point::max());
    const std::size_t lanes = *running;
    for (std::size_t lane = 0; lane < lanes; ++lane) {
        asio::co_spawn(
            io,
            [&, next, running]() -> asio::awaitable<void> {
                while (*next < count) co_await body((*next)++);
                if (--*running == 0) all_done.cancel();
            },
            asio::detached);
    }
    while (*running > 0) {
        boost::system::error_code ec;
        co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

SessionPool::SessionPool(asio::io_context& io, const PoolSettings& settings) : io_(io), settings_(settings) {}

long SessionPool::live() const
{
    return static_cast<long>(
        std::count_if(sessions_.begin(), sessions_.end(), [](const auto& s) { return s != nullptr; }));
}

long SessionPool::failures() const
{
    long n = 0;
    for (const auto& [what, count] : errors_) n += count;
    return n;
}

void SessionPool::fail(std::unique_ptr<ClientSession>& session, const char* step, const std::string& what)
{
    std::string text = session && session->timed_out() ? std::string("timed out") : what;
    if (text.size() > 120) text.resize(120);
    ++errors_[std::string(step) + ": " + text];
    if (session) session->abort();
    session.reset();
}

asio::awaitable<void> SessionPool::watchdog()
{
    // Asio 1.74 has no per-operation timeout; one timer over every session is the cheap way.
    asio::steady_timer timer(io_);
    while (watching_) {
        timer.expires_after(200ms);
        co_await timer.async_wait(asio::use_awaitable);
        const auto now = Clock::now();
        for (auto& s : sessions_)
            if (s) s->expire_if_due(now);
    }
}

asio::awaitable<long> SessionPool::login_all()
{
    sessions_.resize(static_cast<std::size_t>(settings_.users));
    if (!watching_) {
        watching_ = true;
        asio::co_spawn(io_, watchdog(), asio::detached);
    }
    const auto timeout =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(settings_.step_timeout));
    long ok = 0;
    co_await for_each_concurrently(io_, sessions_.size(), static_cast<std::size_t>(settings_.login_concurrency),
                                   [&](std::size_t i) -> asio::awaitable<void> {
                                       auto& s = sessions_[i];
                                       s = std::make_unique<ClientSession>(io_, settings_.session,
                                                                           settings_.prefix +
                                                                               std::to_string(settings_.first +
                                                                                              static_cast<long>(i)));
                                       s->set_deadline(Clock::now() + timeout);
                                       try {
                                           co_await s->login();
                                           s->set_deadline(Clock::time_point::max());
                                           ++ok;
                                       } catch (const std::exception& e) {
                                           fail(s, "login", e.what());
                                       }
                                   });
    co_return ok;
}

asio::awaitable<void> SessionPool::close_all()
{
    co_await for_each_concurrently(io_, sessions_.size(), 200, [&](std::size_t i) -> asio::awaitable<void> {
        auto& s = sessions_[i];
        if (!s) co_return;
        s->set_deadline(Clock::now() + 5s);
        try {
            co_await s->close_stream();
        } catch (const std::exception&) {
            // The measurement is over; a stream that fails to close cleanly changes nothing.
        }
        s.reset();
    });
    watching_ = false;
}

}  // namespace wl::bench
