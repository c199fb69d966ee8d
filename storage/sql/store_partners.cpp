// SqlStore: federation state, both directions.
#include <algorithm>
#include <map>

#include "storage/job_payload.hpp"
#include "storage/sql/common.hpp"
#include "storage/sql/sql_store.hpp"

namespace wl::storage::sql {
namespace {

PartnerQuery read_query(const Row& r)
{
    PartnerQuery q;
    q.uri = r.text(0);
    q.partner = r.text(1);
    auto state = parse_query_state(r.text(2));
    if (!state) throw StorageError(ErrorKind::fatal, "unknown partner query state " + r.text(2));
    q.state = *state;
    q.partner_item_id = r.text(3);
    q.attempts = static_cast<int>(r.integer(4));
    q.first_attempt = from_ms(r.integer(5));
    q.next_attempt = from_ms(r.integer(6));
    q.last_error = r.text(7);
    return q;
}

constexpr const char* query_columns =
    "uri, partner, state, partner_item_id, attempts, first_attempt, next_attempt, last_error";

std::optional<PartnerQuery> find_query(Tx& tx, const std::string& uri, const std::string& partner)
{
    auto rows =
        tx.exec(std::string("SELECT ") + query_columns + " FROM partner_queries WHERE uri = $1 AND partner = $2",
                {uri, partner});
    if (rows.empty()) return std::nullopt;
    return read_query(rows[0]);
}

// Once no partner is still looking for `uri`, the local items waiting for it learn the end:
// not found if every partner said so, timed out if at least one never answered.
std::size_t settle_if_all_answered(Tx& tx, const std::string& uri, std::int64_t now)
{
    bool any_timeout = false;
    for (const auto& r : tx.exec("SELECT state FROM partner_queries WHERE uri = $1 AND state <> 'removed'", {uri})) {
        const std::string& s = r.text(0);
        if (s == "pending" || s == "acked" || s == "found") return 0;
        if (s == "timed_out") any_timeout = true;
    }
    const char* final_state = any_timeout ? "timed_out" : "not_found";
    auto rows = tx.exec(std::string("UPDATE items SET state = $2, updated_at = $3 "
                                    "WHERE uri = $1 AND state = 'waiting' RETURNING ") +
                            item_columns,
                        {uri, std::string(final_state), now});
    std::vector<Item> items;
    for (const auto& r : rows) items.push_back(read_item(r));
    enqueue_pushes(tx, items, now);
    return rows.size();
}

InboundRequest read_request(const Row& r)
{
    return InboundRequest{r.text(0), r.text(1), r.text(2), r.integer(3) != 0, from_ms(r.integer(4))};
}

}  // namespace

std::vector<PartnerQuery> SqlStore::list_partner_queries(const std::string& uri)
{
    return in_tx([&](Tx& tx) {
        std::vector<PartnerQuery> out;
        for (const auto& r :
             tx.exec(std::string("SELECT ") + query_columns + " FROM partner_queries WHERE uri = $1 ORDER BY partner",
                     {uri}))
            out.push_back(read_query(r));
        return out;
    });
}

bool SqlStore::record_partner_ack(const std::string& uri, const std::string& partner,
                                  const std::string& partner_item_id)
{
    const auto now = now_ms();
    return in_tx([&](Tx& tx) {
        tx.lock_key(uri_key(uri));
        auto q = find_query(tx, uri, partner);
        if (!q) return false;
        const char* state = q->state == QueryState::pending ? "acked" : to_string(q->state).data();
        tx.exec(
            "UPDATE partner_queries SET state = $3, partner_item_id = $4, updated_at = $5 "
            "WHERE uri = $1 AND partner = $2",
            {uri, partner, std::string(state), partner_item_id, now});
        // Everyone here stopped waiting before the partner answered: it holds an item for
        // nobody, so ask it to drop it now that we know its id.
        if (q->state == QueryState::removed && !partner_item_id.empty())
            enqueue_job(tx, JobKind::partner_remove, partner, uri, encode(PartnerRemovePayload{uri, partner_item_id}),
                        now, now);
        return true;
    });
}

PartnerAnswerResult SqlStore::record_partner_jid(const std::string& uri, const std::string& partner,
                                                 const std::string& jid)
{
    const auto now = now_ms();
    return in_tx([&](Tx& tx) {
        PartnerAnswerResult res;
        tx.lock_key(uri_key(uri));
        auto q = find_query(tx, uri, partner);
        if (!q) return res;
        res.known = true;
        tx.exec("UPDATE partner_queries SET state = 'found', updated_at = $3 WHERE uri = $1 AND partner = $2",
                {uri, partner, now});
        // Items that already timed out learn the JID too: the user was told "timeout", not "never".
        auto rows = tx.exec(std::string("UPDATE items SET state = 'found', jid = $2, updated_at = $3 "
                                        "WHERE uri = $1 AND state IN ('waiting', 'timed_out') RETURNING ") +
                                item_columns,
                            {uri, jid, now});
        std::vector<Item> items;
        for (const auto& r : rows) items.push_back(read_item(r));
        enqueue_pushes(tx, items, now);
        res.items_changed = rows.size();
        close_partner_queries(tx, uri, now, partner);
        return res;
    });
}

PartnerAnswerResult SqlStore::record_partner_error(const std::string& uri, const std::string& partner,
                                                   PartnerErrorType type, const RetryPolicy& policy)
{
    const auto now = now_ms();
    return in_tx([&](Tx& tx) {
        PartnerAnswerResult res;
        tx.lock_key(uri_key(uri));
        auto q = find_query(tx, uri, partner);
        if (!q) return res;
        res.known = true;
        // A late answer to a query that is already closed changes nothing.
        if (q->state != QueryState::pending && q->state != QueryState::acked) return res;
        if (type == PartnerErrorType::cancel) {
            tx.exec(
                "UPDATE partner_queries SET state = 'not_found', last_error = 'cancel', updated_at = $3 "
                "WHERE uri = $1 AND partner = $2",
                {uri, partner, now});
        } else {
            const int attempts = q->attempts + 1;
            const bool out_of_attempts = attempts >= policy.max_attempts;
            const bool out_of_time = now - to_ms(q->first_attempt) >= policy.period.count();
            if (out_of_attempts || out_of_time) {
                tx.exec(
                    "UPDATE partner_queries SET state = 'timed_out', attempts = $3, last_error = 'timeout', "
                    "updated_at = $4 WHERE uri = $1 AND partner = $2",
                    {uri, partner, std::int64_t{attempts}, now});
            } else {
                // Exponential back-off, never past the end of the retry period.
                const int shift = std::min(attempts - 1, 30);
                std::int64_t delay = policy.initial_backoff.count() << shift;
                const std::int64_t end = to_ms(q->first_attempt) + policy.period.count();
                const std::int64_t next = std::min(now + delay, std::max(end, now));
                tx.exec(
                    "UPDATE partner_queries SET attempts = $3, next_attempt = $4, last_error = 'timeout', "
                    "updated_at = $5 WHERE uri = $1 AND partner = $2",
                    {uri, partner, std::int64_t{attempts}, next, now});
                enqueue_job(tx, JobKind::partner_query, partner, uri, encode(PartnerQueryPayload{uri}), next, now);
                res.retry_scheduled = true;
                return res;
            }
        }
        res.items_changed = settle_if_all_answered(tx, uri, now);
        return res;
    });
}

ReconcileResult SqlStore::reconcile_partner_queries(const std::string& partner, const std::vector<HeldRequest>& held,
                                                    TimePoint asked_at)
{
    const auto now = now_ms();
    const auto asked = to_ms(asked_at);
    return in_tx([&](Tx& tx) {
        ReconcileResult res;
        std::map<std::string, std::string> held_ids;  // uri -> the partner's item id
        for (const auto& h : held) held_ids.emplace(h.uri, h.partner_item_id);
        std::vector<std::string> uris;
        for (const auto& r : tx.exec("SELECT uri FROM partner_queries WHERE partner = $1", {partner}))
            uris.push_back(r.text(0));
        for (const auto& [uri, id] : held_ids) uris.push_back(uri);
        std::sort(uris.begin(), uris.end());
        uris.erase(std::unique(uris.begin(), uris.end()), uris.end());
        // URI locks in sorted order, as every other transaction takes them.
        for (const auto& uri : uris) tx.lock_key(uri_key(uri));
        for (const auto& uri : uris) {
            auto q = find_query(tx, uri, partner);
            auto h = held_ids.find(uri);
            const bool is_held = h != held_ids.end();
            if (q && q->state == QueryState::acked && !is_held) {
                auto updated =
                    tx.exec("SELECT updated_at FROM partner_queries WHERE uri = $1 AND partner = $2", {uri, partner});
                if (updated.at(0).integer(0) >= asked) continue;  // its ack may postdate the list
                ++res.expected;
                tx.exec(
                    "UPDATE partner_queries SET state = 'pending', partner_item_id = '', attempts = 0, "
                    "first_attempt = $3, next_attempt = $3, last_error = 'lost by the partner', updated_at = $3 "
                    "WHERE uri = $1 AND partner = $2",
                    {uri, partner, now});
                enqueue_job(tx, JobKind::partner_query, partner, uri, encode(PartnerQueryPayload{uri}), now, now);
                ++res.resent;
            } else if (q && q->state == QueryState::acked) {
                ++res.expected;
            } else if (q && q->state == QueryState::timed_out && is_held) {
                tx.exec(
                    "UPDATE partner_queries SET state = 'acked', partner_item_id = $3, updated_at = $4 "
                    "WHERE uri = $1 AND partner = $2",
                    {uri, partner, h->second, now});
                ++res.adopted;
            } else if (is_held && !h->second.empty() &&
                       (!q || q->state == QueryState::not_found || q->state == QueryState::removed)) {
                enqueue_job(tx, JobKind::partner_remove, partner, uri, encode(PartnerRemovePayload{uri, h->second}),
                            now, now);
                ++res.orphans;
            }
        }
        return res;
    });
}

InboundResult SqlStore::record_partner_request(const std::string& service, const std::string& uri)
{
    const auto now = now_ms();
    return in_tx([&](Tx& tx) {
        InboundResult res;
        tx.lock_key(uri_key(uri));
        auto rows =
            tx.exec("SELECT service, id, uri, pushed, created_at FROM inbound_requests WHERE service = $1 AND uri = $2",
                    {service, uri});
        if (!rows.empty()) {
            res.request = read_request(rows[0]);
            res.created = false;
            res.registered = res.request.pushed;
            return res;
        }
        auto owner = tx.exec("SELECT jid FROM directory WHERE uri = $1", {uri});
        InboundRequest r{service, {}, uri, !owner.empty(), from_ms(now)};
        do {
            r.id = new_opaque_id();
        } while (!tx.exec("SELECT 1 FROM inbound_requests WHERE service = $1 AND id = $2", {service, r.id}).empty());
        tx.exec("INSERT INTO inbound_requests (service, id, uri, pushed, created_at) VALUES ($1, $2, $3, $4, $5)",
                {service, r.id, uri, std::int64_t{r.pushed ? 1 : 0}, now});
        if (r.pushed)
            enqueue_job(tx, JobKind::partner_push, service, uri,
                        encode(PartnerPushPayload{r.id, uri, owner[0].text(0)}), now, now);
        res.request = r;
        res.created = true;
        res.registered = r.pushed;
        return res;
    });
}

std::vector<InboundRequest> SqlStore::list_partner_requests(const std::string& service)
{
    return in_tx([&](Tx& tx) {
        std::vector<InboundRequest> out;
        for (const auto& r :
             tx.exec("SELECT service, id, uri, pushed, created_at FROM inbound_requests WHERE service = $1 "
                     "ORDER BY created_at, id",
                     {service}))
            out.push_back(read_request(r));
        return out;
    });
}

RemoveStatus SqlStore::remove_partner_request(const std::string& service, const std::string& id)
{
    return in_tx([&](Tx& tx) {
        auto gone = tx.exec("DELETE FROM inbound_requests WHERE service = $1 AND id = $2 RETURNING id", {service, id});
        return gone.empty() ? RemoveStatus::not_found : RemoveStatus::removed;
    });
}

RemoveStatus SqlStore::ack_partner_push(const std::string& service, const std::string& id)
{
    return in_tx([&](Tx& tx) {
        auto gone = tx.exec("DELETE FROM inbound_requests WHERE service = $1 AND id = $2 AND pushed = 1 RETURNING id",
                            {service, id});
        return gone.empty() ? RemoveStatus::not_found : RemoveStatus::removed;
    });
}

// --- Cluster sessions ---------------------------------------------------------------------

void SqlStore::register_session(const std::string& full_jid, const std::string& node_id)
{
    const auto now = now_ms();
    const std::string bare = full_jid.substr(0, full_jid.find('/'));
    in_tx([&](Tx& tx) {
        tx.exec(
            "INSERT INTO sessions (full_jid, bare_jid, node_id, since) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (full_jid) DO UPDATE SET node_id = excluded.node_id, since = excluded.since",
            {full_jid, bare, node_id, now});
    });
}

RemoveStatus SqlStore::unregister_session(const std::string& full_jid)
{
    return in_tx([&](Tx& tx) {
        auto gone = tx.exec("DELETE FROM sessions WHERE full_jid = $1 RETURNING full_jid", {full_jid});
        return gone.empty() ? RemoveStatus::not_found : RemoveStatus::removed;
    });
}

std::vector<Session> SqlStore::list_sessions(const std::string& bare_jid)
{
    return in_tx([&](Tx& tx) {
        std::vector<Session> out;
        for (const auto& r :
             tx.exec("SELECT full_jid, node_id, since FROM sessions WHERE bare_jid = $1 ORDER BY full_jid", {bare_jid}))
            out.push_back(Session{r.text(0), r.text(1), from_ms(r.integer(2))});
        return out;
    });
}

std::size_t SqlStore::drop_node_sessions(const std::string& node_id)
{
    return in_tx([&](Tx& tx) {
        return tx.exec("DELETE FROM sessions WHERE node_id = $1 RETURNING full_jid", {node_id}).size();
    });
}

}  // namespace wl::storage::sql
