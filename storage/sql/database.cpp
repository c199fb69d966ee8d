#include "storage/sql/database.hpp"

#include <charconv>

namespace wl::storage::sql {

const std::string& Row::text(std::size_t i) const
{
    const auto& c = cells.at(i);
    if (!c) throw StorageError(ErrorKind::fatal, "unexpected NULL in column " + std::to_string(i));
    return *c;
}

std::int64_t Row::integer(std::size_t i) const
{
    const std::string& s = text(i);
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        throw StorageError(ErrorKind::fatal, "not an integer in column " + std::to_string(i));
    return v;
}

Bytes Row::blob(std::size_t i) const
{
    const std::string& s = text(i);
    return Bytes(s.begin(), s.end());
}

int migrate(Database& db, std::span<const Migration> migrations, int target, std::int64_t now_ms)
{
    const int last = static_cast<int>(migrations.size());
    if (target <= 0 || target > last) target = last;
    int reached = 0;
    bool done = false;
    while (!done) {
        db.transact([&](Tx& tx) {
            // Several nodes may start at once on one PostgreSQL: one migrates, the others wait
            // and then find the work done.
            tx.lock_key("wl-schema-migrations");
            tx.exec(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
            auto rows = tx.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
            int current = static_cast<int>(rows.at(0).integer(0));
            if (current > last)
                throw StorageError(ErrorKind::fatal,
                                   "database schema version " + std::to_string(current) +
                                       " is newer than this program knows (" + std::to_string(last) +
                                       "): a newer waitlistd migrated it; refusing to start. Run that newer "
                                       "version, or restore a backup taken before the upgrade");
            if (current >= target) {
                reached = current;
                done = true;
                return;
            }
            const Migration& m = migrations[current];
            tx.exec_script(m.sql);
            tx.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    {std::int64_t{m.version}, std::string(m.name), now_ms});
            reached = m.version;
            done = false;
        });
    }
    return reached;
}

}  // namespace wl::storage::sql
