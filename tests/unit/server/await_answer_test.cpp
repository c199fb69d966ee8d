// await_answer (federation/async/await_answer.hpp): the answer may come from any thread, even before `start`
// has returned, and the coroutine still resumes only on its executor, after `start`.
#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest.h>

#include <thread>

#include "federation/async/await_answer.hpp"

namespace asio = boost::asio;
using wl::async::await_answer;

TEST_CASE(
    "an answer given from another thread while start still runs resumes the coroutine only after start has returned")
{
    asio::io_context io;  // one thread: the nested poll below is the only other chance to run
    bool start_returned = false;
    bool resumed_inside_start = false;
    int answer = 0;
    auto start = [&](auto complete) {
        std::thread other([complete] { complete(42); });
        other.join();
        // Had the answer been handed to the executor already, this would resume the coroutine
        // here, inside its own initiation, and free what start still uses.
        io.poll();
        start_returned = true;
    };
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            answer = co_await await_answer<int>(start);
            resumed_inside_start = !start_returned;
        },
        asio::detached);
    io.run();
    CHECK(answer == 42);
    CHECK_FALSE(resumed_inside_start);
}

TEST_CASE("an answer given after start has returned resumes the coroutine on its executor")
{
    asio::io_context io;
    std::thread::id answered_on;
    std::thread::id resumed_on;
    std::thread other;
    auto start = [&](auto complete) {
        other = std::thread([complete, &answered_on] {
            answered_on = std::this_thread::get_id();
            complete(7);
        });
    };
    int answer = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            answer = co_await await_answer<int>(start);
            resumed_on = std::this_thread::get_id();
        },
        asio::detached);
    io.run();  // the work guard keeps run() going until the answer is in
    other.join();
    CHECK(answer == 7);
    CHECK(resumed_on == std::this_thread::get_id());
    CHECK(answered_on != resumed_on);
}
