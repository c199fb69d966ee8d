// PostgreSQL only: the server goes away under the Store and comes back. Runs inside
// tests/support/pg/pg_throwaway.sh run, which tells us how to restart its cluster.
#include <doctest.h>

#include <atomic>
#include <cstdlib>
#include <set>
#include <thread>

#include "helpers.hpp"
#include "store_fixture.hpp"

using namespace wl::storage;
using namespace wl::storage::test;
using namespace std::chrono_literals;

namespace {

void harness(const std::string& command)
{
    const char* script = std::getenv("WL_PG_HARNESS");
    const char* dir = std::getenv("WL_PG_DIR");
    REQUIRE_MESSAGE(script != nullptr, "run under tests/support/pg/pg_throwaway.sh run");
    REQUIRE(dir != nullptr);
    const std::string cmd = std::string(script) + " " + command + " " + dir;
    REQUIRE(std::system(cmd.c_str()) == 0);
}

}  // namespace

TEST_CASE("a call while PostgreSQL is down fails with a retryable error, and works once it is back")
{
    REQUIRE(backend_under_test() == Backend::postgresql);
    StoreFixture f;
    auto& s = f.store();
    s.create_account(account("alice@sp.example", {"tel:+13035550100"}));
    harness("down");
    try {
        s.add_uri("alice@sp.example", "tel:+13035550101");
        FAIL("a write succeeded with the server down");
    } catch (const StorageError& e) {
        CHECK(e.is_retryable());
    }
    harness("up");
    CHECK(s.add_uri("alice@sp.example", "tel:+13035550101").status == AddUriStatus::added);
    CHECK(s.lookup_uri("tel:+13035550100") == std::optional<std::string>("alice@sp.example"));
}

TEST_CASE("operations after a PostgreSQL restart succeed and nothing committed before it is lost")
{
    REQUIRE(backend_under_test() == Backend::postgresql);
    StoreFixture f;
    auto& s = f.store();
    std::atomic<bool> stop{false};
    std::atomic<int> after_restart_ok{0};
    std::atomic<bool> restarted{false};
    std::set<std::string> committed, not_committed, in_doubt;
    std::string unexpected;
    // A steady writer: every add is one transaction writing an item and its push job.
    std::thread writer([&] {
        for (int i = 0; !stop; ++i) {
            const std::string uri = "tel:+3310" + std::to_string(1000000 + i);
            try {
                s.add_item(item("alice@sp.example", uri, ask({})));
                committed.insert(uri);
                if (restarted) ++after_restart_ok;
            } catch (const StorageError& e) {
                (e.kind() == ErrorKind::in_doubt ? in_doubt : not_committed).insert(uri);
                if (e.kind() == ErrorKind::fatal) unexpected = e.what();
            }
        }
    });
    std::this_thread::sleep_for(300ms);
    harness("restart");
    restarted = true;
    for (int waited = 0; after_restart_ok < 20 && waited < 200; ++waited) std::this_thread::sleep_for(50ms);
    stop = true;
    writer.join();

    CHECK(unexpected.empty());
    CHECK(after_restart_ok >= 20);
    MESSAGE("committed " << committed.size() << ", failed cleanly " << not_committed.size() << ", in doubt "
                         << in_doubt.size());
    auto items = s.list_items("alice@sp.example");
    REQUIRE(items.has_value());
    std::set<std::string> stored;
    for (const auto& it : *items) stored.insert(it.uri);
    for (const auto& uri : committed) CHECK_MESSAGE(stored.count(uri) == 1, uri << " was committed and is lost");
    for (const auto& uri : not_committed) CHECK_MESSAGE(stored.count(uri) == 0, uri << " failed but was written");
    // Nothing half-written: every stored item has its push job, and no push lacks its item.
    auto pushes = pushes_for(s, "alice@sp.example");
    CHECK(pushes.size() == stored.size());
    std::set<std::string> pushed;
    for (const auto& p : pushes) pushed.insert(p.uri);
    CHECK(pushed == stored);
    // The queue works after the restart too.
    auto claimed = s.claim_jobs("node-a", 1000, 1min);
    CHECK(claimed.size() == pushes.size());
}
