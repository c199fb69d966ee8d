#include <doctest.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <stdlib.h>

#include "storage/db_executor.hpp"

using namespace wl::storage;

namespace {

// A real SQLite store in a temporary directory, removed afterwards.
struct TempStore {
    std::string dir;
    std::unique_ptr<Store> store;
    TempStore()
    {
        char tmpl[] = "/tmp/wl-exec-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        StoreConfig c;
        c.backend = Backend::sqlite;
        c.path = dir + "/db.sqlite";
        store = open_store(c);
    }
    ~TempStore()
    {
        store.reset();
        std::filesystem::remove_all(dir);
    }
};

template <class R>
DbResult<R> wait_for(std::future<DbResult<R>>& f)
{
    REQUIRE(f.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    return f.get();
}

}  // namespace

TEST_CASE("a sqlite store gets exactly one database thread")
{
    TempStore t;
    DbExecutor ex(*t.store);
    CHECK(ex.thread_count() == 1);
}

TEST_CASE("submitted work runs off the caller's thread and its result reaches the callback")
{
    TempStore t;
    DbExecutor ex(*t.store);
    std::promise<DbResult<bool>> done;
    auto fut = done.get_future();
    std::thread::id worker;
    REQUIRE(ex.submit(
        [&](Store& s) {
            worker = std::this_thread::get_id();
            s.create_account(NewAccount{"alice@sp.example", {}, {"tel:+13035550100"}});
            return s.account_exists("alice@sp.example");
        },
        [&](DbResult<bool> r) { done.set_value(std::move(r)); }));
    auto r = wait_for(fut);
    CHECK(r.ok());
    CHECK(r.get());
    CHECK(worker != std::this_thread::get_id());
}

TEST_CASE("an exception thrown by the work reaches the callback as the error")
{
    TempStore t;
    DbExecutor ex(*t.store);
    std::promise<DbResult<int>> done;
    auto fut = done.get_future();
    ex.submit([](Store&) -> int { throw StorageError(ErrorKind::transient, "connection lost"); },
              [&](DbResult<int> r) { done.set_value(std::move(r)); });
    auto r = wait_for(fut);
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.value.has_value());
    try {
        r.get();
        FAIL("get() returned a value for a failed call");
    } catch (const StorageError& e) {
        CHECK(e.is_retryable());
    }
}

TEST_CASE("work returning nothing reports completion")
{
    TempStore t;
    DbExecutor ex(*t.store);
    std::promise<DbResult<void>> done;
    auto fut = done.get_future();
    ex.submit([](Store& s) { s.register_session("a@sp.example/r", "node-a"); },
              [&](DbResult<void> r) { done.set_value(std::move(r)); });
    CHECK(wait_for(fut).ok());
    CHECK(t.store->list_sessions("a@sp.example").size() == 1);
}

TEST_CASE("stop finishes the queued work in order and refuses new work")
{
    TempStore t;
    DbExecutor ex(*t.store);
    std::mutex m;
    std::vector<int> order;
    // Hold the one thread so the rest queue up behind it.
    std::promise<void> release;
    auto gate = release.get_future().share();
    ex.post([gate](Store&) { gate.wait(); });
    for (int i = 0; i < 5; ++i)
        ex.submit([i](Store&) { return i; },
                  [&](DbResult<int> r) {
                      std::lock_guard lock(m);
                      order.push_back(r.get());
                  });
    CHECK(ex.queued() >= 5);
    release.set_value();
    ex.stop();
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
    bool called = false;
    CHECK_FALSE(ex.submit([](Store&) { return 1; }, [&](DbResult<int>) { called = true; }));
    CHECK_FALSE(called);
}

TEST_CASE("several threads share the queue when the store allows concurrency")
{
    TempStore t;
    DbExecutor ex(*t.store, 3);
    CHECK(ex.thread_count() == 3);
    std::mutex m;
    std::condition_variable cv;
    int arrived = 0;
    std::set<std::thread::id> threads;
    // Three tasks that each wait for the other two: they only finish if they run at once.
    for (int i = 0; i < 3; ++i)
        ex.post([&](Store&) {
            std::unique_lock lock(m);
            threads.insert(std::this_thread::get_id());
            ++arrived;
            cv.notify_all();
            cv.wait_for(lock, std::chrono::seconds(30), [&] { return arrived == 3; });
        });
    ex.stop();
    CHECK(arrived == 3);
    CHECK(threads.size() == 3);
}
