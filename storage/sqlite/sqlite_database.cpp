#include "storage/sqlite/sqlite_database.hpp"

#include <sqlite3.h>

#include <cctype>

namespace wl::storage::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& what)
{
    // Busy after the busy timeout: someone else held the write lock too long; try again later.
    const int primary = rc & 0xff;
    ErrorKind kind = (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) ? ErrorKind::transient : ErrorKind::fatal;
    throw StorageError(kind, "sqlite: " + what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

// Statements are written with PostgreSQL's $n; SQLite's ?n binds the same index.
std::string to_sqlite_placeholders(const std::string& sql)
{
    std::string out = sql;
    for (std::size_t i = 0; i + 1 < out.size(); ++i)
        if (out[i] == '$' && std::isdigit(static_cast<unsigned char>(out[i + 1]))) out[i] = '?';
    return out;
}

}  // namespace

class SqliteTx final : public sql::Tx {
public:
    explicit SqliteTx(SqliteDatabase& db) : db_(db) {}

    sql::Rows exec(const std::string& text, const std::vector<sql::Param>& params) override
    {
        sqlite3_stmt* st = db_.statement(text);
        struct Reset {
            sqlite3_stmt* st;
            ~Reset()
            {
                sqlite3_reset(st);
                sqlite3_clear_bindings(st);
            }
        } reset{st};
        for (std::size_t i = 0; i < params.size(); ++i) {
            const int idx = static_cast<int>(i + 1);
            int rc = std::visit(
                [&](const auto& v) -> int {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, std::nullptr_t>)
                        return sqlite3_bind_null(st, idx);
                    else if constexpr (std::is_same_v<T, std::int64_t>)
                        return sqlite3_bind_int64(st, idx, v);
                    else if constexpr (std::is_same_v<T, std::string>)
                        return sqlite3_bind_text(st, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
                    else
                        return sqlite3_bind_blob(st, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
                },
                params[i]);
            if (rc != SQLITE_OK) fail(db_.db_, rc, "bind");
        }
        sql::Rows rows;
        for (;;) {
            int rc = sqlite3_step(st);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) fail(db_.db_, rc, "step");
            sql::Row row;
            const int n = sqlite3_column_count(st);
            row.cells.reserve(n);
            for (int c = 0; c < n; ++c) {
                switch (sqlite3_column_type(st, c)) {
                case SQLITE_NULL:
                    row.cells.emplace_back(std::nullopt);
                    break;
                case SQLITE_BLOB: {
                    auto* p = static_cast<const char*>(sqlite3_column_blob(st, c));
                    row.cells.emplace_back(std::string(p ? p : "", sqlite3_column_bytes(st, c)));
                    break;
                }
                default: {
                    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
                    row.cells.emplace_back(std::string(p ? p : "", sqlite3_column_bytes(st, c)));
                }
                }
            }
            rows.push_back(std::move(row));
        }
        return rows;
    }

    void exec_script(const std::string& text) override { db_.exec_plain(text.c_str()); }
    Backend backend() const override { return Backend::sqlite; }
    // Transactions on the one connection are already serial (BEGIN IMMEDIATE + mutex).
    void lock_key(const std::string&) override {}
    void lock_keys_of(const std::string&, const std::string&, const std::string&) override {}
    void copy_rows(const std::string& table, const std::vector<std::string>& columns,
                   const std::vector<std::vector<std::string>>& rows) override
    {
        std::string sql = "INSERT INTO " + table + " (";
        std::string values;
        for (std::size_t c = 0; c < columns.size(); ++c) {
            sql += (c ? ", " : "") + columns[c];
            values += (c ? ", $" : "$") + std::to_string(c + 1);
        }
        sql += ") VALUES (" + values + ")";
        std::vector<sql::Param> params(columns.size());
        for (const auto& row : rows) {
            for (std::size_t c = 0; c < columns.size(); ++c) params[c] = row.at(c);
            exec(sql, params);
        }
    }

private:
    SqliteDatabase& db_;
};

SqliteDatabase::SqliteDatabase(const std::string& path, int busy_timeout_ms)
{
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw StorageError(ErrorKind::fatal, "sqlite: cannot open " + path + ": " + msg);
    }
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    try {
        exec_plain("PRAGMA journal_mode=WAL");
        exec_plain("PRAGMA synchronous=NORMAL");
        exec_plain("PRAGMA foreign_keys=ON");
    } catch (...) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }
}

SqliteDatabase::~SqliteDatabase()
{
    for (auto& [_, st] : statements_) sqlite3_finalize(st);
    sqlite3_close(db_);
}

void SqliteDatabase::exec_plain(const char* text)
{
    char* err = nullptr;
    int rc = sqlite3_exec(db_, text, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        const int primary = rc & 0xff;
        throw StorageError(primary == SQLITE_BUSY || primary == SQLITE_LOCKED ? ErrorKind::transient : ErrorKind::fatal,
                           "sqlite: " + msg);
    }
}

sqlite3_stmt* SqliteDatabase::statement(const std::string& text)
{
    auto it = statements_.find(text);
    if (it != statements_.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    const std::string converted = to_sqlite_placeholders(text);
    int rc = sqlite3_prepare_v3(db_, converted.c_str(), static_cast<int>(converted.size() + 1),
                                SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) fail(db_, rc, "prepare");
    statements_.emplace(text, st);
    return st;
}

void SqliteDatabase::transact(const std::function<void(sql::Tx&)>& work)
{
    std::lock_guard lock(mutex_);
    // IMMEDIATE takes the write lock up front, so a second connection waits at BEGIN
    // (busy_timeout) instead of failing at its first write.
    exec_plain("BEGIN IMMEDIATE");
    try {
        SqliteTx tx(*this);
        work(tx);
        exec_plain("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

}  // namespace wl::storage::sqlite
