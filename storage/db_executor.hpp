#pragma once
// DbExecutor: the database threads. Store calls block, so they never run on an I/O
// thread; the server submits them here and gets the outcome through a completion callback.
//
// The completion runs on the database thread that did the work. The server wraps it to
// post back onto its own executor (e.g. asio::post(strand, ...)); storage stays Asio-free.
//
// Threads: SQLite gets exactly one (its single writer); PostgreSQL gets one per pooled
// connection, so each thread effectively owns a connection (Store::max_concurrency()).

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "storage/store.hpp"

namespace wl::storage {

/// The outcome of one submitted call: a value, or the exception it threw (usually a
/// StorageError; check is_retryable()).
template <class R>
struct DbResult {
    std::optional<R> value;
    std::exception_ptr error;
    bool ok() const noexcept { return !error; }
    /// The value, or rethrows the error.
    R& get()
    {
        if (error) std::rethrow_exception(error);
        return *value;
    }
};

template <>
struct DbResult<void> {
    std::exception_ptr error;
    bool ok() const noexcept { return !error; }
    void get() const
    {
        if (error) std::rethrow_exception(error);
    }
};

class DbExecutor {
public:
    using Task = std::function<void(Store&)>;
    /// What submit() hands `done` for `work` (async::db_call awaits it).
    template <class Work>
    using ResultOf = DbResult<std::invoke_result_t<Work&, Store&>>;

    /// Starts `threads` database threads (0: store.max_concurrency()). `store` must outlive
    /// the executor.
    explicit DbExecutor(Store& store, std::size_t threads = 0);
    /// Stops taking work, finishes what is queued, joins the threads.
    ~DbExecutor();
    DbExecutor(const DbExecutor&) = delete;
    DbExecutor& operator=(const DbExecutor&) = delete;

    /// Queues a raw task. It must not throw (submit() catches for you). False after stop().
    bool post(Task task);

    /// Runs `work(store)` on a database thread, then `done(DbResult<R>)` on that same thread.
    /// Exceptions from `work` are delivered in the result, never lost. False after stop();
    /// then `done` is not called.
    template <class Work, class Done>
    bool submit(Work work, Done done)
    {
        using R = std::invoke_result_t<Work&, Store&>;
        return post([work = std::move(work), done = std::move(done)](Store& store) mutable {
            DbResult<R> result;
            try {
                if constexpr (std::is_void_v<R>) {
                    work(store);
                } else {
                    result.value.emplace(work(store));
                }
            } catch (...) {
                result.error = std::current_exception();
            }
            done(std::move(result));
        });
    }

    /// Stops taking work and waits for the queued tasks to finish. Idempotent. Call it from
    /// the owner's thread, never from a task or a completion (a thread cannot join itself).
    void stop();
    std::size_t thread_count() const noexcept { return threads_.size(); }
    /// Tasks queued and not yet started (for /metrics).
    std::size_t queued() const;

private:
    void run();

    Store& store_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Task> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace wl::storage
