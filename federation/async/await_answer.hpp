#pragma once
// Awaiting an answer from another thread (a worker pool's, usually) in a coroutine, and
// awaiting a call run on such a pool (db_call): the work runs on a worker thread (never on
// an I/O thread) and the coroutine resumes on its own executor.
//
// The coroutine's completion handler is posted to that executor; asio::post is safe from any
// thread, and only the executor ever resumes the coroutine. A flag-and-timer handoff used
// before this was racy when the coroutine ran on the plain multi-threaded io_context rather
// than a strand: the answer could land between the coroutine's check and its wait, and the
// IQ then never got its reply (ThreadSanitizer reported the race in the integration tests).
#include <utility>
#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace wl::async {

namespace detail {

// Where an answer and the coroutine's handler meet. The handler is posted by whichever comes
// second: the answer, or the end of `start`. Were the answer alone to post it, the coroutine
// could resume on another I/O thread, finish, and free `start` and the operation's frame
// while `start` still ran (in a queue's submit after the push, say).
template <class Handler, class Result>
struct AnswerSlot {
    using Executor = boost::asio::associated_executor_t<Handler>;

    explicit AnswerSlot(Handler h) : guard(boost::asio::get_associated_executor(h)), handler(std::move(h)) {}

    // Called twice in all, from any threads; the second call hands over.
    static void arrive(const std::shared_ptr<AnswerSlot>& slot)
    {
        if (slot->arrivals.fetch_add(1, std::memory_order_acq_rel) == 0) return;
        auto executor = slot->guard.get_executor();
        boost::asio::post(executor, [slot]() mutable {
            auto h = std::move(*slot->handler);
            auto r = std::move(*slot->result);
            slot->handler.reset();
            slot->guard.reset();
            std::move(h)(std::move(r));
        });
    }

    // Keeps the executor's run() going until the answer is delivered.
    boost::asio::executor_work_guard<Executor> guard;
    std::optional<Handler> handler;
    std::optional<Result> result;  // written once, before the answer's arrival
    std::atomic<int> arrivals{0};
};

}  // namespace detail

// Awaits one `Result` that some other thread produces. `start(complete)` runs at once, on the
// awaiting coroutine's thread, and hands `complete` (a copyable callable taking a Result) to
// whatever will answer; `complete` must then be called exactly once, from any thread. The
// coroutine resumes on its own executor, never before `start` has returned.
//
// `start` is taken by reference and must stay alive until the co_await ends: callers keep it
// in a named local. g++ 12 can destroy a by-value argument of a coroutine twice when the call
// sits inside a co_await expression; this function is no coroutine, and the initiation it
// hands to Asio holds only a reference, so nothing here is destroyed twice either.
template <class Result, class Start>
boost::asio::awaitable<Result> await_answer(Start& start)
{
    namespace asio = boost::asio;
    auto initiate = [&start](auto handler) {
        using Slot = detail::AnswerSlot<decltype(handler), Result>;
        auto slot = std::make_shared<Slot>(std::move(handler));
        start([slot](Result r) {
            slot->result.emplace(std::move(r));
            Slot::arrive(slot);
        });
        // Touches only its own local from here on: the coroutine may resume at once.
        Slot::arrive(slot);
    };
    return asio::async_initiate<decltype(asio::use_awaitable), void(Result)>(initiate, asio::use_awaitable);
}

// `work` is taken by reference and moved from: g++ 12 can destroy a by-value argument of a
// coroutine twice when the call sits inside a co_await expression, so callers keep the
// work in a named local.
//
// `Pool` is anything with `bool submit(Work, Complete)` that runs `work` on one of its threads
// and calls `complete(Result)` there, false once stopped, and names its result type
// `Pool::ResultOf<Work>` (a struct with an `error` exception_ptr): storage::DbExecutor, for one.
template <class Pool, class Work>
auto db_call(Pool& db, Work& work) -> boost::asio::awaitable<typename Pool::template ResultOf<Work>>
{
    using Result = typename Pool::template ResultOf<Work>;
    auto start = [&db, &work](auto complete) {
        if (!db.submit(std::move(work), complete)) {
            Result r;
            r.error = std::make_exception_ptr(std::runtime_error("the worker pool has stopped"));
            complete(std::move(r));
        }
    };
    co_return co_await async::await_answer<Result>(start);
}

}  // namespace wl::async
