#pragma once
// The small SQL seam under SqlStore: one transaction at a time, parameters never spliced
// into SQL. Statements are written once, with PostgreSQL-style $1..$n placeholders, and run
// unchanged on both backends (SQLite reads $n as ?n). Internal to storage/.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "storage/migrations.hpp"
#include "storage/types.hpp"

namespace wl::storage::sql {

using Param = std::variant<std::nullptr_t, std::int64_t, std::string, Bytes>;

/// One result row; every cell as text (blobs as their raw bytes), NULL as nullopt.
struct Row {
    std::vector<std::optional<std::string>> cells;

    bool is_null(std::size_t i) const { return !cells.at(i).has_value(); }
    const std::string& text(std::size_t i) const;
    std::optional<std::string> opt_text(std::size_t i) const { return cells.at(i); }
    std::int64_t integer(std::size_t i) const;
    Bytes blob(std::size_t i) const;
};
using Rows = std::vector<Row>;

class Tx {
public:
    virtual ~Tx() = default;
    virtual Rows exec(const std::string& sql, const std::vector<Param>& params = {}) = 0;
    /// Runs several parameterless statements (a migration script).
    virtual void exec_script(const std::string& sql) = 0;
    virtual Backend backend() const = 0;
    /// Serialises this transaction against every other one that locks the same key, until
    /// commit or rollback. Makes check-then-act on a row that may not exist yet safe (an item
    /// added while its contact registers). A no-op where transactions are serial anyway.
    virtual void lock_key(const std::string& key) = 0;
    /// Appends rows of text cells to `table` (a staging table): COPY on PostgreSQL, one
    /// prepared INSERT per row on SQLite.
    virtual void copy_rows(const std::string& table, const std::vector<std::string>& columns,
                           const std::vector<std::vector<std::string>>& rows) = 0;
    /// Takes lock_key(prefix + value) for every distinct value of `column` in `table`, in
    /// sorted (byte) order, in one statement.
    virtual void lock_keys_of(const std::string& prefix, const std::string& table, const std::string& column) = 0;
};

class Database {
public:
    virtual ~Database() = default;
    /// Runs `work` in one transaction and commits it. `work` may run more than once (a
    /// retried transaction), so it must not keep state outside the transaction between runs.
    /// Throws StorageError.
    virtual void transact(const std::function<void(Tx&)>& work) = 0;
    virtual std::size_t max_concurrency() const = 0;
    virtual Backend backend() const = 0;
};

/// Applies the migrations above the recorded version, each in its own transaction, up to
/// `target` (0: all). Returns the version reached.
int migrate(Database& db, std::span<const Migration> migrations, int target, std::int64_t now_ms);

}  // namespace wl::storage::sql
