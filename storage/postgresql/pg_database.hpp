#pragma once
// PostgreSQL behind the Database seam (libpqxx 6.4): a fixed pool of connections, each
// with its own prepared statements, handed to one transaction at a time.
//
// Retry rule (pqxx::perform's): a transaction that failed because the connection broke
// before COMMIT, or that the server rolled back (serialization failure, deadlock), is run
// again on a fresh connection a few times with back-off; then a transient StorageError.
// A COMMIT whose outcome is unknown (pqxx::in_doubt_error) is never retried: in_doubt.
// A connection that broke is dropped and reopened on next use, so the pool survives a
// server restart.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/sql/database.hpp"

namespace wl::storage::postgresql {

struct PooledConnection;

class PgDatabase final : public sql::Database {
public:
    PgDatabase(std::string dsn, std::size_t pool_size);
    ~PgDatabase() override;

    void transact(const std::function<void(sql::Tx&)>& work) override;
    std::size_t max_concurrency() const override { return pool_size_; }
    Backend backend() const override { return Backend::postgresql; }

private:
    std::unique_ptr<PooledConnection> acquire();
    void release(std::unique_ptr<PooledConnection> c);

    std::string dsn_;
    std::size_t pool_size_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<PooledConnection>> idle_;
};

}  // namespace wl::storage::postgresql
