// SqlStore: waiting list items (this provider as ServiceProvider).
#include <algorithm>

#include "storage/job_payload.hpp"
#include "storage/sql/common.hpp"
#include "storage/sql/sql_store.hpp"

namespace wl::storage::sql {
namespace {

std::optional<Item> find_item(Tx& tx, const std::string& owner, const std::string& id)
{
    auto rows =
        tx.exec(std::string("SELECT ") + item_columns + " FROM items WHERE owner = $1 AND id = $2", {owner, id});
    if (rows.empty()) return std::nullopt;
    return read_item(rows[0]);
}

// Asks `partner` about `uri` unless a query is already open; a closed one is asked again.
void ensure_partner_query(Tx& tx, const std::string& uri, const std::string& partner, std::int64_t now)
{
    auto rows = tx.exec("SELECT state FROM partner_queries WHERE uri = $1 AND partner = $2", {uri, partner});
    if (rows.empty()) {
        tx.exec(
            "INSERT INTO partner_queries (uri, partner, state, first_attempt, next_attempt, updated_at) "
            "VALUES ($1, $2, 'pending', $3, $3, $3)",
            {uri, partner, now});
    } else {
        const std::string& state = rows[0].text(0);
        if (state == "pending" || state == "acked") return;
        tx.exec(
            "UPDATE partner_queries SET state = 'pending', partner_item_id = '', attempts = 0, "
            "first_attempt = $3, next_attempt = $3, last_error = '', updated_at = $3 "
            "WHERE uri = $1 AND partner = $2",
            {uri, partner, now});
    }
    enqueue_job(tx, JobKind::partner_query, partner, uri, encode(PartnerQueryPayload{uri}), now, now);
}

// add_item's work inside a transaction of the caller's (one item, or one of a batch).
// keys_locked: the batch took the owner and URI locks already (two round trips saved).
AddItemResult add_item_in(Tx& tx, const NewItem& n, std::int64_t now, bool keys_locked)
{
    std::vector<std::string> partners = n.plan.partners;
    std::sort(partners.begin(), partners.end());
    partners.erase(std::unique(partners.begin(), partners.end()), partners.end());
    AddItemResult res;
    if (!keys_locked) {
        tx.lock_key(owner_key(n.owner));
        tx.lock_key(uri_key(n.uri));
    }
    tx.exec("INSERT INTO waitlists (owner, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING", {n.owner, now});
    auto existing =
        tx.exec(std::string("SELECT ") + item_columns + " FROM items WHERE owner = $1 AND uri = $2", {n.owner, n.uri});
    if (!existing.empty()) {
        res.item = read_item(existing[0]);
        res.created = false;
        return res;
    }
    Item it;
    it.owner = n.owner;
    it.uri = n.uri;
    it.given_uri = n.given_uri;
    it.scheme = n.scheme;
    it.name = n.name;
    it.created = it.updated = from_ms(now);
    if (n.plan.served_here) {
        auto owner = tx.exec("SELECT jid FROM directory WHERE uri = $1", {n.uri});
        if (!owner.empty()) {
            it.state = ItemState::found;
            it.jid = owner[0].text(0);
        } else {
            it.state = ItemState::waiting;
        }
    } else {
        it.state = partners.empty() ? ItemState::not_found : ItemState::waiting;
    }
    do {
        it.id = new_opaque_id();
    } while (!tx.exec("SELECT 1 FROM items WHERE owner = $1 AND id = $2", {n.owner, it.id}).empty());
    const auto seq =
        tx.exec("SELECT COALESCE(MAX(seq), 0) + 1 FROM items WHERE owner = $1", {n.owner}).at(0).integer(0);
    tx.exec(
        "INSERT INTO items (owner, id, uri, given_uri, scheme, name, jid, state, created_at, updated_at, seq) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
        {it.owner, it.id, it.uri, it.given_uri, it.scheme, it.name, it.jid ? sql::Param(*it.jid) : sql::Param(nullptr),
         std::string(to_string(it.state)), now, seq});
    if (it.state != ItemState::waiting) enqueue_push(tx, it, now);
    if (!n.plan.served_here)
        for (const auto& p : partners) ensure_partner_query(tx, it.uri, p, now);
    res.item = it;
    res.created = true;
    return res;
}

}  // namespace

std::optional<std::vector<Item>> SqlStore::list_items(const std::string& owner)
{
    return in_tx([&](Tx& tx) -> std::optional<std::vector<Item>> {
        if (tx.exec("SELECT 1 FROM waitlists WHERE owner = $1", {owner}).empty()) return std::nullopt;
        std::vector<Item> items;
        for (const auto& r :
             tx.exec(std::string("SELECT ") + item_columns + " FROM items WHERE owner = $1 ORDER BY seq, id", {owner}))
            items.push_back(read_item(r));
        return items;
    });
}

std::optional<Item> SqlStore::get_item(const std::string& owner, const std::string& id)
{
    return in_tx([&](Tx& tx) { return find_item(tx, owner, id); });
}

AddItemResult SqlStore::add_item(const NewItem& n)
{
    const auto now = now_ms();
    return in_tx([&](Tx& tx) { return add_item_in(tx, n, now, false); });
}

std::vector<AddItemOutcome> SqlStore::add_items(const std::vector<NewItem>& items)
{
    std::vector<AddItemOutcome> out(items.size());
    if (items.empty()) return out;
    std::vector<std::string> owners, uris;
    for (const auto& n : items) {
        owners.push_back(owner_key(n.owner));
        uris.push_back(uri_key(n.uri));
    }
    for (auto* keys : {&owners, &uris}) {
        std::sort(keys->begin(), keys->end());
        keys->erase(std::unique(keys->begin(), keys->end()), keys->end());
    }
    const auto now = now_ms();
    try {
        std::vector<AddItemResult> results;
        in_tx([&](Tx& tx) {
            results.clear();  // a retried transaction starts over
            for (const auto& k : owners) tx.lock_key(k);
            for (const auto& k : uris) tx.lock_key(k);
            for (const auto& n : items) results.push_back(add_item_in(tx, n, now, true));
        });
        for (std::size_t i = 0; i < items.size(); ++i) out[i].result = std::move(results[i]);
        return out;
    } catch (const StorageError& e) {
        if (e.kind() != ErrorKind::fatal) {
            for (auto& o : out) o.error = std::current_exception();
            return out;
        }
    } catch (...) {
        // Not a database verdict (a bug in one item's path): alone, it stays with that item.
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
        try {
            out[i].result = add_item(items[i]);
        } catch (...) {
            out[i].error = std::current_exception();
        }
    }
    return out;
}

RemoveStatus SqlStore::remove_item(const std::string& owner, const std::string& id)
{
    const auto now = now_ms();
    return in_tx([&](Tx& tx) {
        tx.lock_key(owner_key(owner));
        auto it = find_item(tx, owner, id);
        if (!it) return RemoveStatus::not_found;
        tx.lock_key(uri_key(it->uri));
        it = find_item(tx, owner, id);  // its state may have changed while we waited for the lock
        if (!it) return RemoveStatus::not_found;
        drop_item(tx, *it, now);
        return RemoveStatus::removed;
    });
}

}  // namespace wl::storage::sql
