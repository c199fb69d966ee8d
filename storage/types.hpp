#pragma once
// Plain data exchanged with the Store (storage/store.hpp). No behaviour here beyond
// naming: every struct is a value with public fields, valid as constructed by the Store.

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace wl::storage {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;
using Bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------------------
// Errors. Expected outcomes (a duplicate, a missing row) are result enums, not exceptions.
// A StorageError is infrastructure: the caller may retry when is_retryable() says so.

enum class ErrorKind {
    transient,  // connection lost or serialization failure; nothing was committed; retry later
    in_doubt,   // the connection broke during COMMIT: it may or may not have been applied.
                // Never retried automatically (pqxx::perform's rule); jobs make it safe to redo.
    fatal,      // schema or programming error, bad configuration; retrying will not help
};

class StorageError : public std::runtime_error {
public:
    StorageError(ErrorKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }
    bool is_retryable() const noexcept { return kind_ == ErrorKind::transient; }

private:
    ErrorKind kind_;
};

// ---------------------------------------------------------------------------------------
// Accounts and the URI directory.

enum class ScramMechanism {
    sha1,
    sha256
};  // SCRAM-SHA-1, SCRAM-SHA-256

/// RFC 5802 stored credential. Never a password.
struct ScramCredential {
    ScramMechanism mechanism = ScramMechanism::sha256;
    Bytes salt;
    std::uint32_t iterations = 4096;
    Bytes stored_key;
    Bytes server_key;
};

struct NewAccount {
    std::string jid;                           // bare JID, already normalised
    std::vector<ScramCredential> credentials;  // usually one per mechanism
    std::vector<std::string> uris;             // canonical contact URIs ("tel:+1...", "mailto:...")
};

enum class CreateAccountStatus {
    created,
    already_exists,  // an account with this JID exists; nothing changed
    uri_taken,       // one of the URIs belongs to another account (409); nothing changed
};

struct CreateAccountResult {
    CreateAccountStatus status = CreateAccountStatus::created;
    std::string conflicting_uri;    // set when status == uri_taken
    std::size_t items_found = 0;    // local waiting items now found (the contact registered)
    std::size_t partners_told = 0;  // inbound partner requests that got a partner_push job
};

struct AccountSummary {
    std::string jid;
    std::vector<std::string> uris;  // canonical, sorted
    TimePoint created;
};

enum class AddUriStatus {
    added,
    already_yours,    // the account already owns it; nothing changed
    owned_by_other,   // 409
    unknown_account,  // 404
};

struct AddUriResult {
    AddUriStatus status = AddUriStatus::added;
    std::size_t items_found = 0;
    std::size_t partners_told = 0;
};

enum class RemoveStatus {
    removed,
    not_found
};

/// One row of a bulk directory import: a bare JID (normalised) and a canonical URI.
struct DirectoryRow {
    std::string jid;
    std::string uri;
};

enum class ImportRowStatus {
    added,      // the URI was new; the account was created without credentials if missing
    changed,    // the URI belonged to another account and now belongs to this one
    unchanged,  // the URI already belonged to this account (or repeats an earlier row)
    refused,    // the batch gives the URI to another account on an earlier row
};

struct ImportRowOutcome {
    ImportRowStatus status = ImportRowStatus::added;
    std::size_t same_as = 0;  // refused: the index of the earlier row in the batch
};

struct ImportOptions {
    /// Not empty: every URI of the batch is remembered under this run, for sync_directory.
    std::string sync_run;
    /// Classify only: the result says what the batch would do; nothing is written but the
    /// run's URIs.
    bool dry_run = false;
};

struct SyncResult {
    std::size_t seen = 0;               // URIs the run saw; 0 removes nothing
    std::vector<DirectoryRow> removed;  // (or that would be removed), in URI order
};

struct DirectoryImportResult {
    std::vector<ImportRowOutcome> rows;  // one per input row, in order
    std::size_t accounts_created = 0;
    std::size_t items_found = 0;    // local waiting items now found (push jobs queued)
    std::size_t partners_told = 0;  // inbound partner requests that got a partner_push job
};

// ---------------------------------------------------------------------------------------
// Waiting list items (this provider as ServiceProvider).

enum class ItemState {
    waiting,
    found,
    not_found,
    timed_out
};

struct Item {
    std::string owner;               // bare JID of the IM user
    std::string id;                  // opaque, unique per owner
    std::string uri;                 // canonical contact URI
    std::string given_uri;           // the URI text as the user sent it
    std::string scheme;              // "tel" | "mailto"
    std::string name;                // may be empty
    std::optional<std::string> jid;  // contact JID once found
    ItemState state = ItemState::waiting;
    TimePoint created;
    TimePoint updated;
};

/// What the server decided about a new item's URI (configuration knowledge storage lacks).
struct ItemPlan {
    bool served_here = false;           // the URI belongs to this provider's numbering/domains
    std::vector<std::string> partners;  // partner service JIDs to ask (when not served here)
};

struct NewItem {
    std::string owner;
    std::string uri;
    std::string given_uri;
    std::string scheme;
    std::string name;
    ItemPlan plan;
};

struct AddItemResult {
    Item item;
    bool created = false;  // false: the owner already had this URI and `item` is that one
};

/// One item's answer from Store::add_items: the result, or the error it alone met.
struct AddItemOutcome {
    std::optional<AddItemResult> result;
    std::exception_ptr error;  // set exactly when result is not (usually a StorageError)
};

// ---------------------------------------------------------------------------------------
// Outbound partner queries (we asked partner P about URI U).

enum class QueryState {
    pending,
    acked,
    found,
    not_found,
    timed_out,
    removed
};

struct PartnerQuery {
    std::string uri;
    std::string partner;
    QueryState state = QueryState::pending;
    std::string partner_item_id;  // the id the partner gave in its ack, empty before
    int attempts = 0;
    TimePoint next_attempt;
    TimePoint first_attempt;
    std::string last_error;
};

enum class PartnerErrorType {
    cancel,   // item-not-found / not-authorized: this partner will never know the URI
    timeout,  // no answer in time: retry with back-off, give up after the policy's limits
};

/// Retry policy for partners that time out (configuration: waitlist.retry_*).
struct RetryPolicy {
    int max_attempts = 5;
    std::chrono::milliseconds period{std::chrono::hours(1)};              // give up after this since the first try
    std::chrono::milliseconds initial_backoff{std::chrono::seconds(10)};  // doubles per attempt
};

struct PartnerAnswerResult {
    bool known = false;             // a query for (uri, partner) existed
    std::size_t items_changed = 0;  // local items that became found / not_found / timed_out
    bool retry_scheduled = false;   // timeout: a new partner_query job is due at next_attempt
};

/// One request the partner says it holds for us (its answer to our retrieve, example 22 of
/// §4.2 read as a service): its item id and the canonical URI.
struct HeldRequest {
    std::string partner_item_id;
    std::string uri;
};

/// What a reconciliation with one partner changed.
struct ReconcileResult {
    std::size_t expected = 0;  // our queries the partner had acked before we asked for its list
    std::size_t resent = 0;    // of those, missing from its list: asked again (partner_query jobs)
    std::size_t orphans = 0;   // held by the partner for nobody here: partner_remove jobs
    std::size_t adopted = 0;   // timed out here yet held there (its ack was lost): acked now
};

// ---------------------------------------------------------------------------------------
// Inbound partner requests (this provider as InteropPartner for service S).

struct InboundRequest {
    std::string service;  // requesting waiting list service JID
    std::string id;       // our item id, returned in the ack
    std::string uri;
    bool pushed = false;  // a partner_push job was enqueued (the URI is registered here)
    TimePoint created;
};

struct InboundResult {
    InboundRequest request;
    bool created = false;     // false: S already asked for U; same id
    bool registered = false;  // U is registered here; a partner_push job is queued
};

// ---------------------------------------------------------------------------------------
// Jobs (the transactional outbox).

enum class JobKind {
    push,            // JID push (found / not found / timed out) to local user `target`
    partner_query,   // ask partner service `target` about a URI
    partner_remove,  // tell partner service `target` to drop its item
    partner_push,    // push a JID to requesting service `target` (we are its InteropPartner)
};

struct Job {
    std::int64_t id = 0;
    JobKind kind = JobKind::push;
    std::string target;   // bare JID of the user (push) or the partner service JID
    std::string payload;  // JSON object; see storage/job_payload.hpp for each kind
    int attempts = 0;     // times claimed (a crash while working it counts too)
    TimePoint run_at;
    std::string last_error;
};

/// What became of one claimed job, for Store::record_job_outcomes.
struct JobOutcomeRecord {
    enum class Action {
        complete,  // done: the job is deleted
        park,      // a push for a user without a session: kept, unclaimed, for the next login
        retry,     // failed: claim released, runs again at next_run, error kept
    };
    std::int64_t job_id = 0;
    Action action = Action::complete;
    TimePoint next_run{};  // retry only
    std::string error;     // retry only
};

// ---------------------------------------------------------------------------------------
// Cluster sessions.

struct Session {
    std::string full_jid;
    std::string node_id;
    TimePoint since;
};

// ---------------------------------------------------------------------------------------
// Figures for /metrics.

struct Stats {
    std::int64_t items_waiting = 0;
    std::int64_t items_found = 0;
    std::int64_t items_not_found = 0;
    std::int64_t items_timed_out = 0;
    std::int64_t jobs_due = 0;      // runnable now (not parked, not claimed or claim expired)
    std::int64_t jobs_parked = 0;   // pushes waiting for their user to log in
    std::int64_t jobs_claimed = 0;  // held under a live lease
    std::int64_t jobs_total = 0;
    std::int64_t accounts = 0;
    std::int64_t sessions = 0;
};

std::string_view to_string(ItemState s) noexcept;
std::optional<ItemState> parse_item_state(std::string_view s) noexcept;
std::string_view to_string(JobKind k) noexcept;
std::optional<JobKind> parse_job_kind(std::string_view s) noexcept;
std::string_view to_string(QueryState s) noexcept;
std::optional<QueryState> parse_query_state(std::string_view s) noexcept;
std::string_view to_string(ScramMechanism m) noexcept;  // "SCRAM-SHA-1" / "SCRAM-SHA-256"

}  // namespace wl::storage
