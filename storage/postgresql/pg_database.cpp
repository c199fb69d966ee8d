#include "storage/postgresql/pg_database.hpp"

#include <pqxx/pqxx>
#include <pqxx/tablewriter>

#include <chrono>
#include <thread>
#include <unordered_map>

namespace wl::storage::postgresql {

// One parameter as libpq text: NULL, an integer, a string, or bytea in hex form.
struct PgText {
    std::optional<std::string> value;
};

}  // namespace wl::storage::postgresql

namespace pqxx {
template <>
struct string_traits<wl::storage::postgresql::PgText> {
    using T = wl::storage::postgresql::PgText;
    static constexpr const char* name() noexcept { return "PgText"; }
    static constexpr bool has_null() noexcept { return true; }
    static bool is_null(const T& t) { return !t.value.has_value(); }
    static T null() { return T{}; }
    static void from_string(const char str[], T& out) { out.value = std::string(str); }
    static std::string to_string(const T& t) { return *t.value; }
};
}  // namespace pqxx

namespace wl::storage::postgresql {
namespace {

constexpr int max_attempts = 4;
constexpr std::chrono::milliseconds first_backoff{50};
constexpr unsigned bytea_oid = 17;

std::string to_hex_bytea(const Bytes& b)
{
    static const char digits[] = "0123456789abcdef";
    std::string s = "\\x";
    s.reserve(2 + b.size() * 2);
    for (auto c : b) {
        s.push_back(digits[c >> 4]);
        s.push_back(digits[c & 15]);
    }
    return s;
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string from_hex_bytea(const char* s, std::size_t n)
{
    if (n < 2 || s[0] != '\\' || s[1] != 'x')
        throw StorageError(ErrorKind::fatal, "postgresql: bytea not in hex output format");
    std::string out;
    out.reserve((n - 2) / 2);
    for (std::size_t i = 2; i + 1 < n; i += 2) {
        int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0) throw StorageError(ErrorKind::fatal, "postgresql: bad hex in bytea");
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
}

PgText to_pg(const sql::Param& p)
{
    return std::visit(
        [](const auto& v) -> PgText {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>)
                return PgText{};
            else if constexpr (std::is_same_v<T, std::int64_t>)
                return PgText{std::to_string(v)};
            else if constexpr (std::is_same_v<T, std::string>)
                return PgText{v};
            else
                return PgText{to_hex_bytea(v)};
        },
        p);
}

// SQLSTATE classes that mean "the connection or the server went away" (08: connection
// exception, 57P: operator intervention such as admin_shutdown during a restart).
bool is_connection_state(const std::string& state) { return state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0; }

// The server's first line only: its DETAIL line quotes key values (JIDs, phone numbers,
// addresses), and error texts end up in logs.
std::string first_line(const char* what)
{
    std::string s(what);
    auto nl = s.find('\n');
    return nl == std::string::npos ? s : s.substr(0, nl);
}

}  // namespace

struct PooledConnection {
    std::unique_ptr<pqxx::connection> conn;
    std::unordered_map<std::string, std::string> prepared;  // SQL text -> statement name
};

namespace {

class PgTx final : public sql::Tx {
public:
    PgTx(PooledConnection& pc, pqxx::work& tx) : pc_(pc), tx_(tx) {}

    sql::Rows exec(const std::string& text, const std::vector<sql::Param>& params) override
    {
        auto it = pc_.prepared.find(text);
        if (it == pc_.prepared.end()) {
            std::string name = "wl" + std::to_string(pc_.prepared.size());
            pc_.conn->prepare(name, text);
            it = pc_.prepared.emplace(text, std::move(name)).first;
        }
        std::vector<PgText> values;
        values.reserve(params.size());
        for (const auto& p : params) values.push_back(to_pg(p));
        pqxx::result r = tx_.exec_prepared(it->second, pqxx::prepare::make_dynamic_params(values));
        sql::Rows rows;
        rows.reserve(r.size());
        const auto ncols = r.columns();
        std::vector<bool> is_bytea(ncols);
        for (pqxx::row::size_type c = 0; c < ncols; ++c) is_bytea[c] = r.column_type(c) == bytea_oid;
        for (const auto& rr : r) {
            sql::Row row;
            row.cells.reserve(ncols);
            for (pqxx::row::size_type c = 0; c < ncols; ++c) {
                const auto& f = rr[c];
                if (f.is_null())
                    row.cells.emplace_back(std::nullopt);
                else if (is_bytea[c])
                    row.cells.emplace_back(from_hex_bytea(f.c_str(), f.size()));
                else
                    row.cells.emplace_back(std::string(f.c_str(), f.size()));
            }
            rows.push_back(std::move(row));
        }
        return rows;
    }

    void exec_script(const std::string& text) override { tx_.exec(text); }
    Backend backend() const override { return Backend::postgresql; }
    void lock_key(const std::string& key) override
    {
        exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {key});
    }
    void copy_rows(const std::string& table, const std::vector<std::string>& columns,
                   const std::vector<std::vector<std::string>>& rows) override
    {
        // tablewriter, for its write_raw_line: libpqxx 6.4's stream_to keeps that private and
        // fixes the column count at compile time.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        pqxx::tablewriter copy(tx_, table, columns.begin(), columns.end());
        std::string line;
        for (const auto& row : rows) {
            line.clear();
            for (std::size_t c = 0; c < row.size(); ++c) {
                if (c) line += '\t';
                for (char ch : row[c]) {
                    switch (ch) {
                    case '\\':
                        line += "\\\\";
                        break;
                    case '\t':
                        line += "\\t";
                        break;
                    case '\n':
                        line += "\\n";
                        break;
                    case '\r':
                        line += "\\r";
                        break;
                    default:
                        line += ch;
                    }
                }
            }
            copy.write_raw_line(line);
        }
        copy.complete();
#pragma GCC diagnostic pop
    }
    void lock_keys_of(const std::string& prefix, const std::string& table, const std::string& column) override
    {
        // The aggregate consumes the sorted subquery in order, so the locks are taken sorted.
        exec("SELECT count(pg_advisory_xact_lock(hashtextextended($1 || k, 0))) FROM (SELECT DISTINCT " + column +
                 " COLLATE \"C\" AS k FROM " + table + " ORDER BY 1) sorted",
             {prefix});
    }

private:
    PooledConnection& pc_;
    pqxx::work& tx_;
};

}  // namespace

PgDatabase::PgDatabase(std::string dsn, std::size_t pool_size)
    : dsn_(std::move(dsn)),
      pool_size_(pool_size == 0 ? 1 : pool_size)
{
    for (std::size_t i = 0; i < pool_size_; ++i) idle_.push_back(std::make_unique<PooledConnection>());
    // Connect one now so that a wrong DSN or a server that is down fails open_store().
    auto first = acquire();
    try {
        first->conn = std::make_unique<pqxx::connection>(dsn_);
    } catch (const std::exception& e) {
        release(std::move(first));
        throw StorageError(ErrorKind::transient, std::string("postgresql: cannot connect: ") + e.what());
    }
    release(std::move(first));
}

PgDatabase::~PgDatabase() = default;

std::unique_ptr<PooledConnection> PgDatabase::acquire()
{
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !idle_.empty(); });
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
}

void PgDatabase::release(std::unique_ptr<PooledConnection> c)
{
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(c));
    }
    available_.notify_one();
}

void PgDatabase::transact(const std::function<void(sql::Tx&)>& work)
{
    std::string last_error;
    for (int attempt = 1; attempt <= max_attempts; ++attempt) {
        if (attempt > 1) std::this_thread::sleep_for(first_backoff * (1 << (attempt - 2)));
        auto pc = acquire();
        // Returns the slot to the pool on every path; a broken connection goes back empty.
        struct Give {
            PgDatabase& db;
            std::unique_ptr<PooledConnection>& pc;
            bool drop = false;
            ~Give()
            {
                if (drop) {
                    pc->conn.reset();
                    pc->prepared.clear();
                }
                db.release(std::move(pc));
            }
        } give{*this, pc};
        try {
            if (!pc->conn || !pc->conn->is_open()) {
                pc->conn.reset();
                pc->prepared.clear();
                pc->conn = std::make_unique<pqxx::connection>(dsn_);
            }
            pqxx::work tx(*pc->conn);
            PgTx t(*pc, tx);
            work(t);
            tx.commit();
            return;
        } catch (const pqxx::in_doubt_error& e) {
            give.drop = true;
            throw StorageError(ErrorKind::in_doubt, "postgresql: commit in doubt: " + first_line(e.what()));
        } catch (const pqxx::broken_connection& e) {
            give.drop = true;
            last_error = first_line(e.what());
        } catch (const pqxx::transaction_rollback& e) {
            // serialization_failure, deadlock_detected: the server undid it; run it again.
            last_error = first_line(e.what());
        } catch (const pqxx::sql_error& e) {
            if (!is_connection_state(e.sqlstate()))
                throw StorageError(ErrorKind::fatal, "postgresql: " + first_line(e.what()));
            give.drop = true;
            last_error = first_line(e.what());
        } catch (const StorageError&) {
            throw;
        } catch (const pqxx::failure& e) {
            // Other libpq-level failures (e.g. the socket died mid-result): treat like a break.
            give.drop = true;
            last_error = first_line(e.what());
        }
    }
    throw StorageError(ErrorKind::transient,
                       "postgresql: gave up after " + std::to_string(max_attempts) + " attempts: " + last_error);
}

}  // namespace wl::storage::postgresql
