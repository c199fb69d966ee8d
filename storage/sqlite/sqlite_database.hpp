#pragma once
// SQLite behind the Database seam: one connection, every transaction serialised on it.
//
// Settings, fixed at open: journal_mode=WAL (readers never block the writer),
// synchronous=NORMAL (in WAL mode a commit is durable against a process crash; a power
// loss may drop the last commits but never corrupts the file), foreign_keys=ON,
// busy_timeout (another process or a second Store on the same file waits, not fails).

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "storage/sql/database.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace wl::storage::sqlite {

class SqliteDatabase final : public sql::Database {
public:
    SqliteDatabase(const std::string& path, int busy_timeout_ms);
    ~SqliteDatabase() override;

    void transact(const std::function<void(sql::Tx&)>& work) override;
    std::size_t max_concurrency() const override { return 1; }
    Backend backend() const override { return Backend::sqlite; }

private:
    friend class SqliteTx;
    sqlite3_stmt* statement(const std::string& sql);
    void exec_plain(const char* sql);

    sqlite3* db_ = nullptr;
    std::mutex mutex_;  // one transaction at a time on the one connection
    std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace wl::storage::sqlite
