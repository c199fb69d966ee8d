#include "raw_sql.hpp"

#include <pqxx/pqxx>
#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace wl::storage::test {
namespace {

struct SqliteCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

std::unique_ptr<sqlite3, SqliteCloser> open_sqlite(StoreFixture& f)
{
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(f.config().path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    std::unique_ptr<sqlite3, SqliteCloser> db(raw);
    if (rc != SQLITE_OK) throw std::runtime_error("raw sqlite open: " + std::string(sqlite3_errstr(rc)));
    sqlite3_busy_timeout(raw, 5000);
    return db;
}

std::vector<RawRow> query(StoreFixture& f, const std::string& sql)
{
    std::vector<RawRow> rows;
    if (f.backend() == Backend::sqlite) {
        auto db = open_sqlite(f);
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
            throw std::runtime_error("raw sqlite: " + std::string(sqlite3_errmsg(db.get())) + " in " + sql);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            RawRow row;
            for (int i = 0; i < sqlite3_column_count(st); ++i) {
                if (sqlite3_column_type(st, i) == SQLITE_NULL) {
                    row.emplace_back(std::nullopt);
                } else {
                    // Bytes, not text: blobs hold zero bytes.
                    const void* p = sqlite3_column_blob(st, i);
                    row.emplace_back(std::string(static_cast<const char*>(p), sqlite3_column_bytes(st, i)));
                }
            }
            rows.push_back(std::move(row));
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) throw std::runtime_error("raw sqlite step: " + std::string(sqlite3_errmsg(db.get())));
    } else {
        pqxx::connection c(f.config().dsn);
        pqxx::work w(c);
        for (const auto& r : w.exec(sql)) {
            RawRow row;
            for (const auto& field : r)
                row.emplace_back(field.is_null() ? std::nullopt : std::optional<std::string>(field.c_str()));
            rows.push_back(std::move(row));
        }
        w.commit();
    }
    return rows;
}

std::string quoted(const std::string& name) { return "\"" + name + "\""; }

}  // namespace

void exec_raw(StoreFixture& f, const std::string& sql)
{
    if (f.backend() == Backend::sqlite) {
        auto db = open_sqlite(f);
        const std::string tx = "BEGIN IMMEDIATE;\n" + sql + ";\nCOMMIT;";
        char* message = nullptr;
        if (sqlite3_exec(db.get(), tx.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            std::string text = message ? message : "?";
            sqlite3_free(message);
            throw std::runtime_error("raw sqlite exec: " + text);
        }
    } else {
        pqxx::connection c(f.config().dsn);
        pqxx::work w(c);
        w.exec(sql);
        w.commit();
    }
}

std::vector<std::string> table_names(StoreFixture& f)
{
    const char* sql =
        f.backend() == Backend::sqlite
            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
              " AND table_type = 'BASE TABLE' ORDER BY table_name";
    std::vector<std::string> out;
    for (const auto& r : query(f, sql)) out.push_back(*r.at(0));
    return out;
}

std::vector<std::string> column_names(StoreFixture& f, const std::string& table)
{
    // Table names come from the catalogue above, never from input.
    const std::string sql = f.backend() == Backend::sqlite
                                ? "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid"
                                : "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                  "current_schema() AND table_name = '" +
                                      table + "' ORDER BY ordinal_position";
    std::vector<std::string> out;
    for (const auto& r : query(f, sql)) out.push_back(*r.at(0));
    return out;
}

TableDump dump_table(StoreFixture& f, const std::string& table, const std::vector<std::string>& columns)
{
    std::string list;
    for (const auto& c : columns) list += (list.empty() ? "" : ", ") + quoted(c);
    TableDump d{columns, query(f, "SELECT " + list + " FROM " + quoted(table))};
    std::sort(d.rows.begin(), d.rows.end());
    return d;
}

}  // namespace wl::storage::test
