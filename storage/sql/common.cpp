#include "storage/sql/common.hpp"

#include <random>

#include "storage/job_payload.hpp"

namespace wl::storage::sql {

std::int64_t to_ms(TimePoint t)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_ms(std::int64_t ms)
{
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

std::string new_opaque_id()
{
    static constexpr char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";  // no l, o, 0, 1
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uint64_t bits = rng();
    std::string id(10, 'a');
    for (auto& c : id) {
        c = alphabet[bits & 31];
        bits >>= 5;
    }
    return id;
}

const char* const item_columns = "owner, id, uri, given_uri, scheme, name, jid, state, created_at, updated_at";

Item read_item(const Row& r)
{
    Item it;
    it.owner = r.text(0);
    it.id = r.text(1);
    it.uri = r.text(2);
    it.given_uri = r.text(3);
    it.scheme = r.text(4);
    it.name = r.text(5);
    it.jid = r.opt_text(6);
    auto state = parse_item_state(r.text(7));
    if (!state) throw StorageError(ErrorKind::fatal, "unknown item state " + r.text(7));
    it.state = *state;
    it.created = from_ms(r.integer(8));
    it.updated = from_ms(r.integer(9));
    return it;
}

const char* const job_columns = "id, kind, target, payload, attempts, run_at, last_error";

Job read_job(const Row& r)
{
    Job j;
    j.id = r.integer(0);
    auto kind = parse_job_kind(r.text(1));
    if (!kind) throw StorageError(ErrorKind::fatal, "unknown job kind " + r.text(1));
    j.kind = *kind;
    j.target = r.text(2);
    j.payload = r.text(3);
    j.attempts = static_cast<int>(r.integer(4));
    j.run_at = from_ms(r.integer(5));
    j.last_error = r.text(6);
    return j;
}

std::string owner_key(const std::string& owner) { return "owner:" + owner; }
std::string uri_key(const std::string& uri) { return "uri:" + uri; }

void enqueue_job(Tx& tx, JobKind kind, const std::string& target, const std::string& uri, const std::string& payload,
                 std::int64_t run_at, std::int64_t now)
{
    tx.exec(
        "INSERT INTO jobs (kind, target, uri, payload, run_at, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {std::string(to_string(kind)), target, uri, payload, run_at, now});
}

namespace {

std::string push_payload(const Item& item)
{
    PushPayload p;
    p.item_id = item.id;
    p.uri = item.uri;
    p.given_uri = item.given_uri;
    p.scheme = item.scheme;
    p.name = item.name;
    p.jid = item.jid.value_or("");
    p.state = item.state;
    return encode(p);
}

constexpr std::size_t batch_rows = 64;

// "INSERT INTO jobs ... VALUES ($1..$6), ($7..$12), ..." for `rows` rows; one text per
// size, so each backend prepares it once.
const std::string& batch_insert_sql()
{
    static const std::string sql = [] {
        std::string s = "INSERT INTO jobs (kind, target, uri, payload, run_at, created_at) VALUES ";
        for (std::size_t r = 0; r < batch_rows; ++r) {
            if (r) s += ", ";
            s += "(";
            for (std::size_t c = 0; c < 6; ++c) s += (c ? ", $" : "$") + std::to_string(r * 6 + c + 1);
            s += ")";
        }
        return s;
    }();
    return sql;
}

}  // namespace

void enqueue_push(Tx& tx, const Item& item, std::int64_t now)
{
    enqueue_job(tx, JobKind::push, item.owner, item.uri, push_payload(item), now, now);
}

void enqueue_pushes(Tx& tx, const std::vector<Item>& items, std::int64_t now)
{
    std::size_t i = 0;
    std::vector<Param> params;
    for (; i + batch_rows <= items.size(); i += batch_rows) {
        params.clear();
        params.reserve(batch_rows * 6);
        for (std::size_t r = i; r < i + batch_rows; ++r) {
            params.emplace_back(std::string(to_string(JobKind::push)));
            params.emplace_back(items[r].owner);
            params.emplace_back(items[r].uri);
            params.emplace_back(push_payload(items[r]));
            params.emplace_back(now);
            params.emplace_back(now);
        }
        tx.exec(batch_insert_sql(), params);
    }
    for (; i < items.size(); ++i) enqueue_push(tx, items[i], now);
}

std::pair<std::size_t, std::size_t> contact_registers(Tx& tx, const std::string& uri, const std::string& jid,
                                                      std::int64_t now)
{
    auto found = tx.exec(std::string("UPDATE items SET state = 'found', jid = $2, updated_at = $3 "
                                     "WHERE uri = $1 AND state = 'waiting' RETURNING ") +
                             item_columns,
                         {uri, jid, now});
    std::vector<Item> items;
    items.reserve(found.size());
    for (const auto& row : found) items.push_back(read_item(row));
    enqueue_pushes(tx, items, now);
    auto requests =
        tx.exec("UPDATE inbound_requests SET pushed = 1 WHERE uri = $1 AND pushed = 0 RETURNING service, id", {uri});
    for (const auto& row : requests) {
        PartnerPushPayload p{row.text(1), uri, jid};
        enqueue_job(tx, JobKind::partner_push, row.text(0), uri, encode(p), now, now);
    }
    // Partners we asked about this URI need not look any more: it is ours now.
    if (!found.empty()) close_partner_queries(tx, uri, now);
    return {found.size(), requests.size()};
}

void close_partner_queries(Tx& tx, const std::string& uri, std::int64_t now, const std::string& except_partner)
{
    auto open = tx.exec(
        "SELECT partner, state, partner_item_id FROM partner_queries "
        "WHERE uri = $1 AND state IN ('pending', 'acked', 'timed_out') AND partner <> $2",
        {uri, except_partner});
    for (const auto& row : open) {
        tx.exec("UPDATE partner_queries SET state = 'removed', updated_at = $3 WHERE uri = $1 AND partner = $2",
                {uri, row.text(0), now});
        // A partner still 'pending' has not given us its id yet; record_partner_ack sends the
        // removal when the ack arrives.
        // A partner that timed out may still have acked late: it holds an item as well.
        if (row.text(1) != "pending" && !row.text(2).empty()) {
            PartnerRemovePayload p{uri, row.text(2)};
            enqueue_job(tx, JobKind::partner_remove, row.text(0), uri, encode(p), now, now);
        }
    }
    tx.exec(
        "DELETE FROM jobs WHERE kind = 'partner_query' AND uri = $1 AND parked = 0 "
        "AND (claimed_until IS NULL OR claimed_until <= $2) AND target <> $3",
        {uri, now, except_partner});
}

void drop_item(Tx& tx, const Item& item, std::int64_t now)
{
    tx.exec("DELETE FROM items WHERE owner = $1 AND id = $2", {item.owner, item.id});
    // Waiting and timed-out items may still learn a JID from a partner; found and not-found
    // ones never will.
    if (item.state != ItemState::waiting && item.state != ItemState::timed_out) return;
    auto still = tx.exec("SELECT COUNT(*) FROM items WHERE uri = $1 AND state IN ('waiting', 'timed_out')", {item.uri});
    if (still.at(0).integer(0) == 0) close_partner_queries(tx, item.uri, now);
}

}  // namespace wl::storage::sql
