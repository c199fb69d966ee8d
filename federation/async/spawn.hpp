#pragma once
// The one way a detached coroutine starts, in federation/ and in server/.
//
// g++ 12 may destroy a coroutine's by-value parameters twice (see await_answer.hpp), so
// a detached coroutine is a lambda without parameters: what it owns lives in its captures,
// which co_spawn keeps for the whole run, and the member coroutines it awaits take
// references. The lambda taking no arguments is checked here, at compile time.
//
// asio::detached drops an escaping exception without a word; here it is logged with the
// coroutine's name, since a detached coroutine has nobody else to tell.
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

#include <exception>
#include <string_view>
#include <type_traits>

namespace wl::async {

// `name` (a string literal: it is kept) says in the log which coroutine failed.
template <class Executor, class Body>
void spawn_detached(Executor&& executor, std::string_view name, Body body)
{
    static_assert(std::is_invocable_v<Body&>,
                  "a detached coroutine takes no arguments: keep its data in the lambda's captures");
    boost::asio::co_spawn(std::forward<Executor>(executor), std::move(body), [name](std::exception_ptr error) {
        if (!error) return;
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            spdlog::error("{}: {}", name, e.what());
        } catch (...) {
            spdlog::error("{}: unknown exception", name);
        }
    });
}

}  // namespace wl::async
