#pragma once
// Awaiting a Store call from a coroutine: the work runs on a database thread (never on an
// I/O thread) and the coroutine resumes on its own executor (the session's strand).
//
// The answer is handed over through a timer on the caller's executor rather than by
// invoking the coroutine's completion handler from the database thread: only the caller's
// executor ever touches the coroutine.
#include <utility>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "storage/db_executor.hpp"

namespace wl::server {

// `work` is taken by reference and moved from: g++ 12 can destroy a by-value argument of a
// coroutine twice when the call sits inside a co_await expression, so callers keep the
// work in a named local.
template <class Work>
auto db_call(storage::DbExecutor& db, Work& work)
    -> boost::asio::awaitable<storage::DbResult<std::invoke_result_t<Work&, storage::Store&>>>
{
    namespace asio = boost::asio;
    using Result = storage::DbResult<std::invoke_result_t<Work&, storage::Store&>>;
    struct Pending {
        explicit Pending(const asio::any_io_executor& ex) : timer(ex) {}
        asio::steady_timer timer;
        std::optional<Result> result;
    };
    auto pending = std::make_shared<Pending>(co_await asio::this_coro::executor);
    auto deliver = [pending](Result r) {
        asio::post(pending->timer.get_executor(), [pending, r = std::move(r)]() mutable {
            pending->result = std::move(r);
            pending->timer.cancel();
        });
    };
    if (!db.submit(std::move(work), deliver)) {
        Result r;
        r.error = std::make_exception_ptr(std::runtime_error("the database executor has stopped"));
        co_return r;
    }
    while (!pending->result) {
        pending->timer.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code ec;
        co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::move(*pending->result);
}

}  // namespace wl::server
