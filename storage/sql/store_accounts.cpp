// SqlStore: accounts, credentials and the URI directory.
#include <algorithm>
#include <map>

#include "storage/sql/common.hpp"
#include "storage/sql/sql_store.hpp"

namespace wl::storage::sql {

SqlStore::SqlStore(std::unique_ptr<Database> db, std::function<TimePoint()> clock)
    : db_(std::move(db)),
      clock_(clock ? std::move(clock) : [] { return Clock::now(); })
{
}

std::int64_t SqlStore::now_ms() const { return to_ms(clock_()); }

int SqlStore::schema_version()
{
    return in_tx([&](Tx& tx) {
        return static_cast<int>(tx.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").at(0).integer(0));
    });
}

CreateAccountResult SqlStore::create_account(const NewAccount& account)
{
    std::vector<std::string> uris = account.uris;
    std::sort(uris.begin(), uris.end());
    uris.erase(std::unique(uris.begin(), uris.end()), uris.end());
    const auto now = now_ms();
    return in_tx([&](Tx& tx) {
        CreateAccountResult res;
        tx.lock_key(owner_key(account.jid));  // two creations of one JID: one wins, one is told
        for (const auto& u : uris) tx.lock_key(uri_key(u));
        if (!tx.exec("SELECT 1 FROM accounts WHERE jid = $1", {account.jid}).empty()) {
            res.status = CreateAccountStatus::already_exists;
            return res;
        }
        for (const auto& u : uris) {
            if (!tx.exec("SELECT 1 FROM directory WHERE uri = $1", {u}).empty()) {
                res.status = CreateAccountStatus::uri_taken;
                res.conflicting_uri = u;
                return res;
            }
        }
        tx.exec("INSERT INTO accounts (jid, created_at) VALUES ($1, $2)", {account.jid, now});
        for (const auto& c : account.credentials) {
            tx.exec(
                "INSERT INTO credentials (jid, mechanism, salt, iterations, stored_key, server_key) "
                "VALUES ($1, $2, $3, $4, $5, $6)",
                {account.jid, std::string(to_string(c.mechanism)), c.salt, static_cast<std::int64_t>(c.iterations),
                 c.stored_key, c.server_key});
        }
        for (const auto& u : uris) {
            tx.exec("INSERT INTO directory (uri, jid, created_at) VALUES ($1, $2, $3)", {u, account.jid, now});
            auto [items, partners] = contact_registers(tx, u, account.jid, now);
            res.items_found += items;
            res.partners_told += partners;
        }
        return res;
    });
}

RemoveStatus SqlStore::delete_account(const std::string& jid)
{
    const auto now = now_ms();
    return in_tx([&](Tx& tx) {
        tx.lock_key(owner_key(jid));
        if (tx.exec("SELECT 1 FROM accounts WHERE jid = $1", {jid}).empty()) return RemoveStatus::not_found;
        auto rows = tx.exec(std::string("SELECT ") + item_columns + " FROM items WHERE owner = $1 ORDER BY uri", {jid});
        std::vector<Item> items;
        for (const auto& r : rows) items.push_back(read_item(r));
        for (const auto& it : items) tx.lock_key(uri_key(it.uri));  // sorted by uri
        for (const auto& it : items) drop_item(tx, it, now);
        tx.exec("DELETE FROM waitlists WHERE owner = $1", {jid});
        // Pushes nobody will ever receive; a claimed one finishes (or fails) with its worker.
        tx.exec(
            "DELETE FROM jobs WHERE kind = 'push' AND target = $1 "
            "AND (claimed_until IS NULL OR claimed_until <= $2)",
            {jid, now});
        tx.exec("DELETE FROM accounts WHERE jid = $1", {jid});  // credentials, directory cascade
        return RemoveStatus::removed;
    });
}

std::optional<ScramCredential> SqlStore::get_credential(const std::string& jid, ScramMechanism mechanism)
{
    return in_tx([&](Tx& tx) -> std::optional<ScramCredential> {
        auto rows = tx.exec(
            "SELECT salt, iterations, stored_key, server_key FROM credentials "
            "WHERE jid = $1 AND mechanism = $2",
            {jid, std::string(to_string(mechanism))});
        if (rows.empty()) return std::nullopt;
        ScramCredential c;
        c.mechanism = mechanism;
        c.salt = rows[0].blob(0);
        c.iterations = static_cast<std::uint32_t>(rows[0].integer(1));
        c.stored_key = rows[0].blob(2);
        c.server_key = rows[0].blob(3);
        return c;
    });
}

bool SqlStore::set_credential(const std::string& jid, const ScramCredential& c)
{
    return in_tx([&](Tx& tx) {
        if (tx.exec("SELECT 1 FROM accounts WHERE jid = $1", {jid}).empty()) return false;
        tx.exec(
            "INSERT INTO credentials (jid, mechanism, salt, iterations, stored_key, server_key) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (jid, mechanism) DO UPDATE SET "
            "salt = excluded.salt, iterations = excluded.iterations, "
            "stored_key = excluded.stored_key, server_key = excluded.server_key",
            {jid, std::string(to_string(c.mechanism)), c.salt, static_cast<std::int64_t>(c.iterations), c.stored_key,
             c.server_key});
        return true;
    });
}

bool SqlStore::account_exists(const std::string& jid)
{
    return in_tx([&](Tx& tx) { return !tx.exec("SELECT 1 FROM accounts WHERE jid = $1", {jid}).empty(); });
}

std::vector<AccountSummary> SqlStore::list_accounts()
{
    return in_tx([&](Tx& tx) {
        std::vector<AccountSummary> out;
        std::map<std::string, std::size_t> index;
        for (const auto& r : tx.exec("SELECT jid, created_at FROM accounts ORDER BY jid")) {
            index[r.text(0)] = out.size();
            out.push_back(AccountSummary{r.text(0), {}, from_ms(r.integer(1))});
        }
        for (const auto& r : tx.exec("SELECT jid, uri FROM directory ORDER BY jid, uri")) {
            auto it = index.find(r.text(0));
            if (it != index.end()) out[it->second].uris.push_back(r.text(1));
        }
        return out;
    });
}

AddUriResult SqlStore::add_uri(const std::string& jid, const std::string& uri)
{
    const auto now = now_ms();
    return in_tx([&](Tx& tx) {
        AddUriResult res;
        tx.lock_key(owner_key(jid));  // the account cannot be deleted under us
        tx.lock_key(uri_key(uri));
        if (tx.exec("SELECT 1 FROM accounts WHERE jid = $1", {jid}).empty()) {
            res.status = AddUriStatus::unknown_account;
            return res;
        }
        auto owner = tx.exec("SELECT jid FROM directory WHERE uri = $1", {uri});
        if (!owner.empty()) {
            res.status = owner[0].text(0) == jid ? AddUriStatus::already_yours : AddUriStatus::owned_by_other;
            return res;
        }
        tx.exec("INSERT INTO directory (uri, jid, created_at) VALUES ($1, $2, $3)", {uri, jid, now});
        std::tie(res.items_found, res.partners_told) = contact_registers(tx, uri, jid, now);
        return res;
    });
}

RemoveStatus SqlStore::remove_uri(const std::string& jid, const std::string& uri)
{
    return in_tx([&](Tx& tx) {
        tx.lock_key(uri_key(uri));
        auto gone = tx.exec("DELETE FROM directory WHERE uri = $1 AND jid = $2 RETURNING uri", {uri, jid});
        return gone.empty() ? RemoveStatus::not_found : RemoveStatus::removed;
    });
}

std::optional<std::string> SqlStore::lookup_uri(const std::string& uri)
{
    return in_tx([&](Tx& tx) -> std::optional<std::string> {
        auto rows = tx.exec("SELECT jid FROM directory WHERE uri = $1", {uri});
        if (rows.empty()) return std::nullopt;
        return rows[0].text(0);
    });
}

}  // namespace wl::storage::sql
