#include "server/waitlist/add_batcher.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

namespace wl::server::waitlist {

namespace asio = boost::asio;
using Result = storage::DbResult<storage::AddItemResult>;

namespace {

// One caller's add: its item, and the timer its coroutine sleeps on until the answer.
struct Pending {
    Pending(const asio::any_io_executor& ex, const storage::NewItem& i) : timer(ex), item(i) {}
    asio::steady_timer timer;
    storage::NewItem item;
    std::optional<Result> result;
};

// Hands the answer over on the caller's executor: only that executor touches its coroutine.
void answer(const std::shared_ptr<Pending>& p, Result r)
{
    asio::post(p->timer.get_executor(), [p, r = std::move(r)]() mutable {
        p->result = std::move(r);
        p->timer.cancel();
    });
}

Result failure(const char* what)
{
    Result r;
    r.error = std::make_exception_ptr(std::runtime_error(what));
    return r;
}

}  // namespace

struct AddBatcher::State : std::enable_shared_from_this<State> {
    State(storage::DbExecutor& d, std::size_t batch, std::size_t lanes)
        : db(d), max_batch(std::max<std::size_t>(1, batch)), max_in_flight(std::max<std::size_t>(1, lanes))
    {
    }

    storage::DbExecutor& db;
    const std::size_t max_batch;
    const std::size_t max_in_flight;
    std::mutex mutex;
    std::deque<std::shared_ptr<Pending>> queue;  // guarded by mutex
    std::size_t in_flight = 0;                   // batches submitted or running; guarded by mutex

    // Called with a lane reserved (in_flight counted): puts one batch on a database thread.
    // If the executor has stopped, nothing will ever run: every waiting add is failed.
    void submit()
    {
        if (db.post([self = shared_from_this()](storage::Store& store) { self->run(store); })) return;
        std::deque<std::shared_ptr<Pending>> orphans;
        {
            std::lock_guard lock(mutex);
            orphans.swap(queue);
            --in_flight;
        }
        for (auto& p : orphans) answer(p, failure("the database executor has stopped"));
    }

    // On a database thread: one batch, then either the next (re-queued behind whatever else
    // waits for the database, not run in a loop that would hold the thread) or the lane freed.
    void run(storage::Store& store)
    {
        std::vector<std::shared_ptr<Pending>> batch;
        {
            std::lock_guard lock(mutex);
            while (!queue.empty() && batch.size() < max_batch) {
                batch.push_back(std::move(queue.front()));
                queue.pop_front();
            }
        }
        if (!batch.empty()) {
            std::vector<storage::NewItem> items;
            items.reserve(batch.size());
            for (const auto& p : batch) items.push_back(p->item);
            std::vector<storage::AddItemOutcome> outcomes;
            try {
                outcomes = store.add_items(items);
            } catch (...) {
                outcomes.assign(batch.size(), storage::AddItemOutcome{std::nullopt, std::current_exception()});
            }
            for (std::size_t i = 0; i < batch.size(); ++i) {
                Result r;
                if (i < outcomes.size() && outcomes[i].result) r.value = std::move(outcomes[i].result);
                else r.error = i < outcomes.size() && outcomes[i].error ? outcomes[i].error
                                                                        : failure("no answer for this item").error;
                answer(batch[i], std::move(r));
            }
        }
        {
            std::lock_guard lock(mutex);
            if (queue.empty()) {
                --in_flight;
                return;
            }
        }
        submit();
    }
};

AddBatcher::AddBatcher(storage::DbExecutor& db, std::size_t max_batch, std::size_t max_in_flight)
    : state_(std::make_shared<State>(db, max_batch, max_in_flight))
{
}

AddBatcher::AddBatcher(storage::DbExecutor& db) : AddBatcher(db, 256, std::max<std::size_t>(1, db.thread_count() / 2)) {}

asio::awaitable<Result> AddBatcher::add(const storage::NewItem& item)
{
    auto pending = std::make_shared<Pending>(co_await asio::this_coro::executor, item);
    bool start = false;
    {
        std::lock_guard lock(state_->mutex);
        state_->queue.push_back(pending);
        if (state_->in_flight < state_->max_in_flight) {
            ++state_->in_flight;
            start = true;
        }
    }
    if (start) state_->submit();
    while (!pending->result) {
        pending->timer.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code ec;
        co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::move(*pending->result);
}

}  // namespace wl::server::waitlist
