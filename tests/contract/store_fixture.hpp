#pragma once
// A fresh database per test case, on the backend named by WL_TEST_BACKEND:
//   sqlite      a new file in a temporary directory;
//   postgresql  a new schema in the throwaway cluster started by
//               tests/support/pg/pg_throwaway.sh (PGHOST, PGPORT, ... from its "run").
// The same test cases run unchanged on both.

#include <atomic>
#include <memory>
#include <string>

#include "storage/store.hpp"

namespace wl::storage::test {

/// Time under the test's control: due times and leases are checked without sleeping.
class TestClock {
public:
    TimePoint now() const { return TimePoint(std::chrono::milliseconds(ms_.load())); }
    void advance(std::chrono::milliseconds d) { ms_ += d.count(); }

private:
    std::atomic<std::int64_t> ms_{1'800'000'000'000};  // 2027, a fixed start
};

class StoreFixture {
public:
    /// Opens store() at `initial_version` (0: the latest).
    explicit StoreFixture(int initial_version = 0);
    ~StoreFixture();
    StoreFixture(const StoreFixture&) = delete;
    StoreFixture& operator=(const StoreFixture&) = delete;

    /// The store every test case uses (opened at the latest schema version).
    Store& store() { return *store_; }
    /// Another Store on the same database: a second node, or an older/newer program.
    std::unique_ptr<Store> open(int target_version = 0, std::size_t pool_size = 4);
    /// Closes store() (e.g. to reopen the database as another version would).
    void close() { store_.reset(); }
    void reopen() { store_ = open(); }
    Backend backend() const { return backend_; }
    StoreConfig config(int target_version = 0, std::size_t pool_size = 4);

    TestClock clock;

private:
    Backend backend_;
    std::string dir_;     // sqlite: temp dir holding the file
    std::string schema_;  // postgresql: this test's schema
    std::string base_dsn_;
    std::unique_ptr<Store> store_;
};

/// The backend named by WL_TEST_BACKEND ("sqlite" unless set).
Backend backend_under_test();
/// libpq connection string for the throwaway cluster (TCP, password auth).
std::string postgresql_dsn();

}  // namespace wl::storage::test
