#pragma once
// The Store: every durable change of waitlistd's state, one method per use case, each
// method exactly one database transaction (storage/README.md).
//
// Work that must leave the process (a JID push, an IQ to a partner) is written as a Job in
// the same transaction that decided it; a dispatcher claims jobs and carries them out, so
// delivery is at least once and a crash loses nothing.
//
// Threading: every method blocks on the database. Never call one from an I/O thread; run
// it through a DbExecutor (storage/db_executor.hpp). Implementations are thread-safe:
// SQLite serialises all work on its single connection (run it with one executor thread);
// PostgreSQL hands each concurrent call its own pooled connection.
//
// Failure: expected outcomes are result values. Infrastructure failures throw StorageError;
// a transient one means nothing was committed and the call may be repeated. PostgreSQL
// retries broken connections and serialization failures internally (pqxx::perform's rule)
// before giving up with a transient error, and never retries an in-doubt COMMIT.
//
// URIs are canonical strings ("tel:+13035550100", "mailto:a@example.org"); JIDs are bare
// JIDs except in the session methods. Storage does not validate either.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/types.hpp"

namespace wl::storage {

class Store {
public:
    virtual ~Store() = default;

    /// The schema version the database is at after open (migrations ran at open).
    virtual int schema_version() = 0;
    /// How many calls can usefully run at once: 1 for SQLite, the pool size for PostgreSQL.
    virtual std::size_t max_concurrency() const = 0;

    // --- Accounts and the directory --------------------------------------------------------

    /// Creates the account, its credentials and its URIs. With URIs this is "the contact
    /// registers": in the same transaction every local item waiting for one of the URIs is
    /// marked found (a push job per item) and every inbound partner request for it gets a
    /// partner_push job. If any URI belongs to another account nothing is written.
    virtual CreateAccountResult create_account(const NewAccount& account) = 0;
    /// Deletes the account with its credentials, URIs, waiting list and parked pushes.
    virtual RemoveStatus delete_account(const std::string& jid) = 0;
    virtual std::optional<ScramCredential> get_credential(const std::string& jid, ScramMechanism mechanism) = 0;
    /// Replaces (or adds) the account's credential for `cred.mechanism`. False: no such account.
    virtual bool set_credential(const std::string& jid, const ScramCredential& cred) = 0;
    virtual bool account_exists(const std::string& jid) = 0;
    virtual std::vector<AccountSummary> list_accounts() = 0;
    /// "The contact registers" for one URI (see create_account).
    virtual AddUriResult add_uri(const std::string& jid, const std::string& uri) = 0;
    virtual RemoveStatus remove_uri(const std::string& jid, const std::string& uri) = 0;
    /// The local account a canonical URI belongs to.
    virtual std::optional<std::string> lookup_uri(const std::string& uri) = 0;
    /// Bulk provisioning, one transaction for the whole batch: every row's URI belongs to its
    /// JID afterwards. Missing accounts are created without credentials (component mode); a
    /// URI of another account moves (changed); a URI the batch already gave to another JID on
    /// an earlier row is refused. Every newly registered URI is "the contact registers" for
    /// it, exactly as add_uri. Rows are staged in bulk (COPY on PostgreSQL) and merged
    /// set-based; repeating a batch changes nothing. Keep batches to a few thousand rows:
    /// PostgreSQL holds one advisory lock per JID and per URI until the commit.
    virtual DirectoryImportResult import_directory(const std::vector<DirectoryRow>& rows,
                                                   const ImportOptions& options = {}) = 0;
    /// Ends a sync run (ImportOptions::sync_run): removes every directory URI the run did not
    /// see, the file being the whole truth (numbers ported out), and forgets the run. A run
    /// that saw nothing removes nothing. dry_run: lists what would be removed, removes nothing.
    /// Runs abandoned for two days are forgotten too.
    virtual SyncResult sync_directory(const std::string& run, bool dry_run) = 0;
    /// The directory in URI order, `limit` rows after `after_uri` ("" from the start).
    virtual std::vector<DirectoryRow> list_directory(const std::string& after_uri, std::size_t limit) = 0;

    // --- Waiting list items ----------------------------------------------------------------

    /// The owner's items, oldest first; nullopt if the owner never had a waiting list (the
    /// XEP answers item-not-found then). An owner whose list became empty gets an empty vector.
    virtual std::optional<std::vector<Item>> list_items(const std::string& owner) = 0;
    virtual std::optional<Item> get_item(const std::string& owner, const std::string& id) = 0;
    /// Adds an item following the server's plan, in one transaction:
    /// - the owner already has this canonical URI: returns that item (created = false);
    /// - served here and registered: found, push job queued;
    /// - served here, not registered: waiting (found later by "the contact registers");
    /// - not served here, no partners: not_found, "not found" push job queued;
    /// - not served here, partners: waiting; per partner an outbound query (if absent) and a
    ///   partner_query job.
    virtual AddItemResult add_item(const NewItem& item) = 0;
    /// Group commit: the adds of several requests in one transaction, each answered exactly
    /// as add_item would answer it alone (an item repeated within the batch is created once).
    /// The locks of every owner, then of every URI, are taken up front in sorted order, so
    /// batches never deadlock with each other or with the single-item methods. Nothing is
    /// answered before the commit. If the shared transaction fails for a reason of its own
    /// data (a fatal error: a value the database refuses, a constraint), every item is run
    /// again alone, so the culprit fails by itself and its batch-mates are committed. A
    /// transient or in-doubt failure is every item's answer (an in-doubt COMMIT is never
    /// repeated). Returns one outcome per item, in order; does not throw for an item.
    virtual std::vector<AddItemOutcome> add_items(const std::vector<NewItem>& items) = 0;
    /// Removes (owner, id). If it was the last local item waiting for a URI with outbound
    /// queries, those queries are marked removed and each partner that acked gets a
    /// partner_remove job.
    virtual RemoveStatus remove_item(const std::string& owner, const std::string& id) = 0;

    // --- Jobs (outbox) ---------------------------------------------------------------------

    /// Claims up to `limit` due jobs for `node_id` for `lease`, oldest run_at first. A job
    /// claimed by another node is skipped until its lease expires (a dead node's claims are
    /// re-claimable). Each claim counts one attempt. Parked jobs are never claimed here.
    virtual std::vector<Job> claim_jobs(const std::string& node_id, std::size_t limit,
                                        std::chrono::milliseconds lease) = 0;
    /// The job is done: it is deleted. False if it no longer exists.
    virtual bool complete_job(std::int64_t job_id) = 0;
    /// Many jobs' outcomes in one transaction (JobOutcomeRecord: done, parked for the user's
    /// next login, or failed to run again at next_run with its error): the job dispatcher's way, so that a fan-out of K pushes costs K/batch
    /// commits rather than K. Returns how many of the jobs still existed (one gone is skipped).
    /// All or nothing: if it throws, nothing is recorded, and the claims running out bring the
    /// jobs back (delivery stays at least once).
    virtual std::size_t record_job_outcomes(const std::vector<JobOutcomeRecord>& outcomes) = 0;
    /// On login: the owner's parked pushes, claimed for `node_id` for `lease` (oldest first).
    /// Deliver them, then complete_job each; an undelivered one comes back when the lease ends.
    virtual std::vector<Job> take_parked_pushes(const std::string& owner, const std::string& node_id,
                                                std::chrono::milliseconds lease) = 0;
    /// Every job (for tests and the admin API), ordered by id.
    virtual std::vector<Job> list_jobs() = 0;

    // --- Partner side, outbound (we asked partners) ------------------------------------------

    virtual std::vector<PartnerQuery> list_partner_queries(const std::string& uri) = 0;
    /// Partner acknowledged our request and told us its item id.
    virtual bool record_partner_ack(const std::string& uri, const std::string& partner,
                                    const std::string& partner_item_id) = 0;
    /// Partner pushed the contact's JID: every local item waiting for `uri` (or timed out on
    /// it) becomes found with a push job each; the other partners' open queries are closed.
    virtual PartnerAnswerResult record_partner_jid(const std::string& uri, const std::string& partner,
                                                   const std::string& jid) = 0;
    /// Partner answered with an error (cancel), or did not answer in time (timeout). Once every
    /// partner asked about `uri` has given up, the waiting local items become not_found (all
    /// cancel) or timed_out (at least one timed out), each with a push job. A timeout within
    /// the policy's limits schedules a new partner_query job at the back-off time instead.
    virtual PartnerAnswerResult record_partner_error(const std::string& uri, const std::string& partner,
                                                     PartnerErrorType type, const RetryPolicy& policy) = 0;

    /// Compares the partner's own list of what it holds for us (`held`, fetched by an IQ-get
    /// sent at `asked_at`) with our outbound queries to it, after an outage or a restore on
    /// either side:
    /// - a query the partner acked before `asked_at` whose URI it no longer holds is asked
    ///   again (state pending, a partner_query job): the partner lost it;
    /// - a request it holds whose URI we neither wait for nor expect a push about (no query,
    ///   or one the partner or we closed) gets a partner_remove job with its id: it waits for nobody;
    /// - a query that timed out here but is held there is acked with the partner's id: its ack
    ///   was lost, and its push will still find the timed-out items.
    /// Queries acked after `asked_at` are left alone, since the list may predate them.
    virtual ReconcileResult reconcile_partner_queries(const std::string& partner, const std::vector<HeldRequest>& held,
                                                      TimePoint asked_at) = 0;

    // --- Partner side, inbound (we are the InteropPartner of `service`) ---------------------

    /// Service S asks about URI U: records it (or returns the existing record) and, if U is
    /// registered here, queues a partner_push job.
    virtual InboundResult record_partner_request(const std::string& service, const std::string& uri) = 0;
    virtual std::vector<InboundRequest> list_partner_requests(const std::string& service) = 0;
    virtual RemoveStatus remove_partner_request(const std::string& service, const std::string& id) = 0;
    /// S acknowledged our JID push: only now the record is deleted (XEP-0130).
    virtual RemoveStatus ack_partner_push(const std::string& service, const std::string& id) = 0;

    // --- Cluster sessions --------------------------------------------------------------------

    virtual void register_session(const std::string& full_jid, const std::string& node_id) = 0;
    virtual RemoveStatus unregister_session(const std::string& full_jid) = 0;
    virtual std::vector<Session> list_sessions(const std::string& bare_jid) = 0;
    /// A node stopped (or died): forget all its sessions. Returns how many.
    virtual std::size_t drop_node_sessions(const std::string& node_id) = 0;

    // --- Metrics -----------------------------------------------------------------------------

    virtual Stats stats() = 0;
};

enum class Backend {
    sqlite,
    postgresql
};

struct StoreConfig {
    Backend backend = Backend::sqlite;
    std::string path;            // sqlite: database file (created if missing)
    std::string dsn;             // postgresql: libpq connection string or URL
    std::size_t pool_size = 4;   // postgresql: connections (one per database thread)
    int busy_timeout_ms = 5000;  // sqlite
    /// Migrate only up to this version (0: latest). Tests use it to build an old database.
    int target_version = 0;
    /// Time source for every timestamp and due-time comparison; tests inject their own.
    std::function<TimePoint()> clock;
};

/// Opens the database, applies pending migrations, returns the Store. Throws StorageError.
std::unique_ptr<Store> open_store(const StoreConfig& config);

}  // namespace wl::storage
