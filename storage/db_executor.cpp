#include "storage/db_executor.hpp"

namespace wl::storage {

DbExecutor::DbExecutor(Store& store, std::size_t threads) : store_(store)
{
    if (threads == 0) threads = store.max_concurrency();
    if (threads == 0) threads = 1;
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

DbExecutor::~DbExecutor() { stop(); }

bool DbExecutor::post(Task task)
{
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return false;
        queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
}

void DbExecutor::stop()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
        if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
}

std::size_t DbExecutor::queued() const
{
    std::lock_guard lock(mutex_);
    return queue_.size();
}

void DbExecutor::run()
{
    for (;;) {
        Task task;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            // Queued work is finished even when stopping: it may be a write the caller awaits.
            if (queue_.empty()) return;
            task = std::move(queue_.front());
            queue_.pop_front();
        }
        task(store_);
    }
}

}  // namespace wl::storage
