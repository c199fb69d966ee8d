#include "server/waitlist/add_batcher.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "federation/async/await_answer.hpp"

namespace wl::server::waitlist {

namespace asio = boost::asio;
using Result = storage::DbResult<storage::AddItemResult>;

namespace {

// One caller's add: a copy of its item, and where its answer goes (any thread, once).
struct Pending {
    storage::NewItem item;
    std::function<void(Result)> answer;
};

Result failure(const char* what)
{
    Result r;
    r.error = std::make_exception_ptr(std::runtime_error(what));
    return r;
}

}  // namespace

struct AddBatcher::State : std::enable_shared_from_this<State> {
    State(storage::DbExecutor& d, std::size_t batch, std::size_t lanes)
        : db(d),
          max_batch(std::max<std::size_t>(1, batch)),
          max_in_flight(std::max<std::size_t>(1, lanes))
    {
    }

    storage::DbExecutor& db;
    const std::size_t max_batch;
    const std::size_t max_in_flight;
    std::mutex mutex;
    std::deque<Pending> queue;  // guarded by mutex
    std::size_t in_flight = 0;  // batches submitted or running; guarded by mutex

    // Called with a lane reserved (in_flight counted): puts one batch on a database thread.
    // If the executor has stopped, nothing will ever run: every waiting add is failed.
    void submit()
    {
        if (db.post([self = shared_from_this()](storage::Store& store) { self->run(store); })) return;
        std::deque<Pending> orphans;
        {
            std::lock_guard lock(mutex);
            orphans.swap(queue);
            --in_flight;
        }
        for (auto& p : orphans) p.answer(failure("the database executor has stopped"));
    }

    // On a database thread: one batch, then either the next (re-queued behind whatever else
    // waits for the database, not run in a loop that would hold the thread) or the lane freed.
    void run(storage::Store& store)
    {
        std::vector<Pending> batch;
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
            for (auto& p : batch) items.push_back(std::move(p.item));
            std::vector<storage::AddItemOutcome> outcomes;
            try {
                outcomes = store.add_items(items);
            } catch (...) {
                outcomes.assign(batch.size(), storage::AddItemOutcome{std::nullopt, std::current_exception()});
            }
            for (std::size_t i = 0; i < batch.size(); ++i) {
                Result r;
                if (i < outcomes.size() && outcomes[i].result)
                    r.value = std::move(outcomes[i].result);
                else
                    r.error = i < outcomes.size() && outcomes[i].error ? outcomes[i].error
                                                                       : failure("no answer for this item").error;
                batch[i].answer(std::move(r));
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

AddBatcher::AddBatcher(storage::DbExecutor& db) : AddBatcher(db, 256, std::max<std::size_t>(1, db.thread_count() / 2))
{
}

asio::awaitable<Result> AddBatcher::add(const storage::NewItem& item)
{
    // The batch's thread answers; this coroutine resumes on its own executor (federation/async/await_answer.hpp).
    auto start = [this, &item](std::function<void(Result)> answer) {
        bool submit = false;
        {
            std::lock_guard lock(state_->mutex);
            state_->queue.push_back(Pending{item, std::move(answer)});
            if (state_->in_flight < state_->max_in_flight) {
                ++state_->in_flight;
                submit = true;
            }
        }
        if (submit) state_->submit();
    };
    co_return co_await async::await_answer<Result>(start);
}

}  // namespace wl::server::waitlist
