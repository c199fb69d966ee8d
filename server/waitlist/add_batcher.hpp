#pragma once
// Group commit of the waiting list adds: the adds that arrive while a batch is being
// written wait together and go into the next batch, one transaction for all of them
// (Store::add_items). A lone add is written at once, as before; under load the commits
// per second stop being the ceiling of the adds per second (durable writes are batched so
// that PostgreSQL commits are not the ceiling).
//
// Each caller gets its own item's answer, and only after the batch's commit; an item the
// database refuses fails alone (see Store::add_items). At most max_in_flight batches run at
// once on the database threads, so other work (retrieves, the dispatcher) keeps threads.
#include <utility>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>

#include "storage/db_executor.hpp"

namespace wl::server::waitlist {

class AddBatcher {
public:
    AddBatcher(storage::DbExecutor& db, std::size_t max_batch, std::size_t max_in_flight);
    // Batches of up to 256 items; one batch at a time on a single database thread (SQLite),
    // half the threads otherwise.
    explicit AddBatcher(storage::DbExecutor& db);

    // Adds `item` (a named object of the caller's, alive until this returns) and resumes on
    // the caller's executor once its batch is committed or failed.
    boost::asio::awaitable<storage::DbResult<storage::AddItemResult>> add(const storage::NewItem& item);

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace wl::server::waitlist
