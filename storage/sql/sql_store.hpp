#pragma once
// SqlStore: the Store's use cases written once in SQL that both backends run; the backend
// (storage/sqlite, storage/postgresql) supplies transactions, retries and locking.

#include <functional>
#include <memory>
#include <type_traits>

#include "storage/sql/database.hpp"
#include "storage/store.hpp"

namespace wl::storage::sql {

class SqlStore final : public Store {
public:
    SqlStore(std::unique_ptr<Database> db, std::function<TimePoint()> clock);

    int schema_version() override;
    std::size_t max_concurrency() const override { return db_->max_concurrency(); }

    CreateAccountResult create_account(const NewAccount& account) override;
    RemoveStatus delete_account(const std::string& jid) override;
    std::optional<ScramCredential> get_credential(const std::string& jid, ScramMechanism mechanism) override;
    bool set_credential(const std::string& jid, const ScramCredential& cred) override;
    bool account_exists(const std::string& jid) override;
    std::vector<AccountSummary> list_accounts() override;
    AddUriResult add_uri(const std::string& jid, const std::string& uri) override;
    RemoveStatus remove_uri(const std::string& jid, const std::string& uri) override;
    std::optional<std::string> lookup_uri(const std::string& uri) override;
    DirectoryImportResult import_directory(const std::vector<DirectoryRow>& rows,
                                           const ImportOptions& options) override;
    SyncResult sync_directory(const std::string& run, bool dry_run) override;
    std::vector<DirectoryRow> list_directory(const std::string& after_uri, std::size_t limit) override;

    std::optional<std::vector<Item>> list_items(const std::string& owner) override;
    std::optional<Item> get_item(const std::string& owner, const std::string& id) override;
    AddItemResult add_item(const NewItem& item) override;
    std::vector<AddItemOutcome> add_items(const std::vector<NewItem>& items) override;
    RemoveStatus remove_item(const std::string& owner, const std::string& id) override;

    std::vector<Job> claim_jobs(const std::string& node_id, std::size_t limit,
                                std::chrono::milliseconds lease) override;
    bool complete_job(std::int64_t job_id) override;
    std::size_t record_job_outcomes(const std::vector<JobOutcomeRecord>& outcomes) override;
    std::vector<Job> take_parked_pushes(const std::string& owner, const std::string& node_id,
                                        std::chrono::milliseconds lease) override;
    std::vector<Job> list_jobs() override;

    std::vector<PartnerQuery> list_partner_queries(const std::string& uri) override;
    bool record_partner_ack(const std::string& uri, const std::string& partner,
                            const std::string& partner_item_id) override;
    PartnerAnswerResult record_partner_jid(const std::string& uri, const std::string& partner,
                                           const std::string& jid) override;
    PartnerAnswerResult record_partner_error(const std::string& uri, const std::string& partner, PartnerErrorType type,
                                             const RetryPolicy& policy) override;
    ReconcileResult reconcile_partner_queries(const std::string& partner, const std::vector<HeldRequest>& held,
                                              TimePoint asked_at) override;

    InboundResult record_partner_request(const std::string& service, const std::string& uri) override;
    std::vector<InboundRequest> list_partner_requests(const std::string& service) override;
    RemoveStatus remove_partner_request(const std::string& service, const std::string& id) override;
    RemoveStatus ack_partner_push(const std::string& service, const std::string& id) override;

    void register_session(const std::string& full_jid, const std::string& node_id) override;
    RemoveStatus unregister_session(const std::string& full_jid) override;
    std::vector<Session> list_sessions(const std::string& bare_jid) override;
    std::size_t drop_node_sessions(const std::string& node_id) override;

    Stats stats() override;

private:
    std::int64_t now_ms() const;

    // Runs f(tx) as one transaction and returns its value. f may run more than once.
    template <class F>
    auto in_tx(F&& f)
    {
        using R = std::invoke_result_t<F&, Tx&>;
        if constexpr (std::is_void_v<R>) {
            db_->transact([&](Tx& tx) { f(tx); });
        } else {
            R out{};
            db_->transact([&](Tx& tx) { out = f(tx); });
            return out;
        }
    }

    std::unique_ptr<Database> db_;
    std::function<TimePoint()> clock_;
};

}  // namespace wl::storage::sql
