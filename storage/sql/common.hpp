#pragma once
// Pieces shared by the SqlStore use cases: row mapping, job enqueueing, and the steps that
// several use cases take inside their one transaction.

#include <string>

#include "storage/sql/database.hpp"

namespace wl::storage::sql {

std::int64_t to_ms(TimePoint t);
TimePoint from_ms(std::int64_t ms);

/// A short opaque id (10 characters of a 32-letter alphabet, 50 random bits).
std::string new_opaque_id();

/// Column list matching read_item().
extern const char* const item_columns;
Item read_item(const Row& row);

/// Column list matching read_job().
extern const char* const job_columns;
Job read_job(const Row& row);

/// Lock keys; a transaction takes its owner lock before any URI lock, and URI locks in
/// sorted order, so two transactions never wait for each other in a circle.
std::string owner_key(const std::string& owner);
std::string uri_key(const std::string& uri);

void enqueue_job(Tx& tx, JobKind kind, const std::string& target, const std::string& uri, const std::string& payload,
                 std::int64_t run_at, std::int64_t now);
/// A JID push (or not-found / timeout push) for the item's owner, reflecting its state.
void enqueue_push(Tx& tx, const Item& item, std::int64_t now);
/// The same for many items, in multi-row INSERTs (a contact awaited by thousands).
void enqueue_pushes(Tx& tx, const std::vector<Item>& items, std::int64_t now);

/// "The contact registers": `uri` now belongs to local account `jid`. Marks every waiting
/// item for it found (a push each) and queues a partner_push for every inbound request not
/// yet pushed. Returns {items found, partners told}.
std::pair<std::size_t, std::size_t> contact_registers(Tx& tx, const std::string& uri, const std::string& jid,
                                                      std::int64_t now);

/// Nobody here waits for `uri` any more: open (and timed-out) queries become removed,
/// partners that gave us an item id get a partner_remove job, unclaimed partner_query jobs
/// are dropped.
/// `except_partner` keeps that partner's query as it is (the one that answered).
void close_partner_queries(Tx& tx, const std::string& uri, std::int64_t now, const std::string& except_partner = {});

/// Deletes one item; if it was the last local item waiting (or timed out) for its URI,
/// closes that URI's partner queries. The caller holds the owner and URI locks.
void drop_item(Tx& tx, const Item& item, std::int64_t now);

}  // namespace wl::storage::sql
