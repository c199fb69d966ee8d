#pragma once
// Awaiting a Store call from a coroutine: the work runs on a database thread (never on an
// I/O thread) and the coroutine resumes on its own executor.
//
// The coroutine's completion handler is posted to that executor from the database thread;
// asio::post is safe from any thread, and only the executor ever resumes the coroutine. A
// flag-and-timer handoff used before this was racy when the coroutine ran on the plain
// multi-threaded io_context rather than a strand: the answer could land between the
// coroutine's check and its wait, and the IQ then never got its reply (ThreadSanitizer
// reported the race in the integration tests).
#include <utility>
#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
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
    auto initiate = [&db, &work](auto handler) {
        using Handler = decltype(handler);
        using Executor = asio::associated_executor_t<Handler>;
        Executor executor = asio::get_associated_executor(handler);
        // DbExecutor keeps tasks in std::function, which must be copyable; the awaitable's
        // handler is move-only, so it waits in a shared slot.
        struct Slot {
            Slot(Handler h, Executor ex) : handler(std::move(h)), guard(ex) {}
            std::optional<Handler> handler;
            asio::executor_work_guard<Executor> guard;
        };
        auto slot = std::make_shared<Slot>(std::move(handler), executor);
        auto complete = [slot](Result r) {
            auto ex = slot->guard.get_executor();
            asio::post(ex, [slot, r = std::move(r)]() mutable {
                auto h = std::move(*slot->handler);
                slot->handler.reset();
                slot->guard.reset();
                std::move(h)(std::move(r));
            });
        };
        if (!db.submit(std::move(work), complete)) {
            Result r;
            r.error = std::make_exception_ptr(std::runtime_error("the database executor has stopped"));
            complete(std::move(r));
        }
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result)>(
        std::move(initiate), asio::use_awaitable);
}

}  // namespace wl::server
