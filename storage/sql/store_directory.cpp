// SqlStore: bulk provisioning of the URI directory.
//
// A batch is staged in a temporary table (COPY on PostgreSQL), then merged with a handful
// of set-based statements. The per-URI "contact registers" step runs only for the URIs
// someone waits for, found by one join, so a batch that finds nobody costs no per-row
// statements at all.
#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "storage/sql/common.hpp"
#include "storage/sql/sql_store.hpp"

namespace wl::storage::sql {
namespace {

constexpr const char* staging = "wl_import_rows";

// The staging table, empty. PostgreSQL keeps it for the connection's life and empties it
// at every commit; SQLite keeps it for the connection's life and is emptied here.
void prepare_staging(Tx& tx)
{
    if (tx.backend() == Backend::postgresql) {
        if (tx.exec("SELECT to_regclass('pg_temp.wl_import_rows') IS NULL").at(0).text(0) == "t")
            tx.exec_script(
                "CREATE TEMP TABLE wl_import_rows (line BIGINT NOT NULL, jid TEXT NOT NULL, uri TEXT NOT NULL) "
                "ON COMMIT DELETE ROWS");
        return;
    }
    tx.exec_script(
        "CREATE TEMP TABLE IF NOT EXISTS wl_import_rows (line INTEGER NOT NULL, jid TEXT NOT NULL, uri TEXT NOT NULL)");
    tx.exec("DELETE FROM wl_import_rows");
}

}  // namespace

DirectoryImportResult SqlStore::import_directory(const std::vector<DirectoryRow>& rows, const ImportOptions& options)
{
    DirectoryImportResult res;
    res.rows.resize(rows.size());
    // Repeats within the batch are settled here; only each URI's first row is staged.
    std::vector<std::vector<std::string>> staged;
    staged.reserve(rows.size());
    {
        std::unordered_map<std::string_view, std::size_t> first;
        first.reserve(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            auto [it, fresh] = first.emplace(rows[i].uri, i);
            if (fresh) {
                staged.push_back({std::to_string(i), rows[i].jid, rows[i].uri});
            } else if (rows[it->second].jid == rows[i].jid) {
                res.rows[i].status = ImportRowStatus::unchanged;
            } else {
                res.rows[i] = ImportRowOutcome{ImportRowStatus::refused, it->second};
            }
        }
    }
    if (staged.empty()) return res;
    const auto now = now_ms();
    const std::string t = staging;
    in_tx([&](Tx& tx) {
        // A retried transaction starts over.
        for (const auto& s : staged) res.rows[std::stoul(s[0])].status = ImportRowStatus::added;
        res.accounts_created = res.items_found = res.partners_told = 0;

        prepare_staging(tx);
        tx.copy_rows(t, {"line", "jid", "uri"}, staged);
        // A temporary table has no statistics: without them PostgreSQL plans for a big one and
        // scans the whole directory once per batch.
        if (tx.backend() == Backend::postgresql) tx.exec_script("ANALYZE " + t);
        if (!options.sync_run.empty())
            tx.exec("INSERT INTO import_seen (run, uri, created_at) SELECT $1, uri, CAST($2 AS BIGINT) FROM " + t +
                        " WHERE true ON CONFLICT (run, uri) DO NOTHING",
                    {options.sync_run, now});
        if (options.dry_run) {
            for (const auto& r : tx.exec("SELECT s.line, CASE WHEN d.jid = s.jid THEN 1 ELSE 0 END FROM " + t +
                                         " s JOIN directory d ON d.uri = s.uri"))
                res.rows[static_cast<std::size_t>(r.integer(0))].status =
                    r.integer(1) == 1 ? ImportRowStatus::unchanged : ImportRowStatus::changed;
            res.accounts_created =
                static_cast<std::size_t>(tx.exec("SELECT COUNT(DISTINCT jid) FROM " + t +
                                                 " s WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.jid = s.jid)")
                                             .at(0)
                                             .integer(0));
            if (tx.backend() == Backend::sqlite) tx.exec("DELETE FROM " + t);
            return;
        }
        // The same locks, in the same order, as the single-row methods: an item added while
        // its contact is imported is either seen here or sees the directory row.
        tx.lock_keys_of("owner:", t, "jid");
        tx.lock_keys_of("uri:", t, "uri");

        for (const auto& r : tx.exec("SELECT s.line, CASE WHEN d.jid = s.jid THEN 1 ELSE 0 END FROM " + t +
                                     " s JOIN directory d ON d.uri = s.uri")) {
            res.rows[static_cast<std::size_t>(r.integer(0))].status =
                r.integer(1) == 1 ? ImportRowStatus::unchanged : ImportRowStatus::changed;
        }
        res.accounts_created =
            tx.exec("INSERT INTO accounts (jid, created_at) SELECT DISTINCT jid, CAST($1 AS BIGINT) FROM " + t +
                        " WHERE true ON CONFLICT (jid) DO NOTHING RETURNING jid",
                    {now})
                .size();
        tx.exec("UPDATE directory SET jid = s.jid FROM " + t +
                " s WHERE directory.uri = s.uri AND directory.jid <> s.jid");
        tx.exec("INSERT INTO directory (uri, jid, created_at) SELECT uri, jid, CAST($1 AS BIGINT) FROM " + t +
                    " WHERE true ON CONFLICT (uri) DO NOTHING",
                {now});
        // "The contact registers", for the URIs someone waits for (usually a few of the batch).
        auto awaited = tx.exec("SELECT s.uri, s.jid FROM " + t +
                               " s WHERE EXISTS (SELECT 1 FROM items i WHERE i.uri = s.uri AND i.state = 'waiting')"
                               " OR EXISTS (SELECT 1 FROM inbound_requests r WHERE r.uri = s.uri AND r.pushed = 0)"
                               " ORDER BY s.uri");
        for (const auto& r : awaited) {
            auto [items, partners] = contact_registers(tx, r.text(0), r.text(1), now);
            res.items_found += items;
            res.partners_told += partners;
        }
        if (tx.backend() == Backend::sqlite) tx.exec("DELETE FROM " + t);
    });
    return res;
}

SyncResult SqlStore::sync_directory(const std::string& run, bool dry_run)
{
    constexpr std::int64_t abandoned_ms = 2 * 24 * 3600 * 1000;
    const auto now = now_ms();
    return in_tx([&](Tx& tx) {
        SyncResult res;
        res.seen = static_cast<std::size_t>(
            tx.exec("SELECT COUNT(*) FROM import_seen WHERE run = $1", {run}).at(0).integer(0));
        if (res.seen > 0) {
            const std::string unseen =
                " FROM directory AS d WHERE NOT EXISTS (SELECT 1 FROM import_seen s WHERE s.run = $1 AND s.uri = "
                "d.uri)";
            auto rows = dry_run ? tx.exec("SELECT d.jid, d.uri" + unseen, {run})
                                : tx.exec("DELETE" + unseen + " RETURNING jid, uri", {run});
            for (const auto& r : rows) res.removed.push_back(DirectoryRow{r.text(0), r.text(1)});
            std::sort(res.removed.begin(), res.removed.end(),
                      [](const DirectoryRow& a, const DirectoryRow& b) { return a.uri < b.uri; });
        }
        tx.exec("DELETE FROM import_seen WHERE run = $1 OR created_at < $2", {run, now - abandoned_ms});
        return res;
    });
}

std::vector<DirectoryRow> SqlStore::list_directory(const std::string& after_uri, std::size_t limit)
{
    return in_tx([&](Tx& tx) {
        std::vector<DirectoryRow> out;
        for (const auto& r : tx.exec("SELECT jid, uri FROM directory WHERE uri > $1 ORDER BY uri LIMIT $2",
                                     {after_uri, static_cast<std::int64_t>(limit)}))
            out.push_back(DirectoryRow{r.text(0), r.text(1)});
        return out;
    });
}

}  // namespace wl::storage::sql
