// SqlStore: the job queue (transactional outbox).
#include <algorithm>

#include "storage/sql/common.hpp"
#include "storage/sql/sql_store.hpp"

namespace wl::storage::sql {
namespace {

void sort_jobs(std::vector<Job>& jobs)
{
    // RETURNING gives no order; callers get the oldest due first.
    std::sort(jobs.begin(), jobs.end(),
              [](const Job& a, const Job& b) { return a.run_at != b.run_at ? a.run_at < b.run_at : a.id < b.id; });
}

// An IN list holds a power of two of ids, at most this many, the last one repeated to fill
// it: PostgreSQL prepares each distinct statement text once per connection, and this keeps
// the texts to a handful instead of one per batch size.
constexpr std::size_t max_ids_per_statement = 64;

// Runs `head` + " WHERE id IN (...) RETURNING id" over `ids` and returns how many rows it
// touched. Callers pass the ids sorted, so that two batches over the same jobs (a lease that
// ran out while its node was still at work) lock them in the same order.
std::size_t exec_by_ids(Tx& tx, const std::string& head, const std::vector<std::int64_t>& ids)
{
    std::size_t touched = 0;
    for (std::size_t begin = 0; begin < ids.size(); begin += max_ids_per_statement) {
        const std::size_t n = std::min(max_ids_per_statement, ids.size() - begin);
        std::size_t width = 1;
        while (width < n) width *= 2;
        std::string query = head + " WHERE id IN (";
        std::vector<Param> params;
        params.reserve(width);
        for (std::size_t i = 0; i < width; ++i) {
            query += (i ? ",$" : "$") + std::to_string(i + 1);
            params.emplace_back(ids[begin + std::min(i, n - 1)]);
        }
        query += ") RETURNING id";
        touched += tx.exec(query, params).size();
    }
    return touched;
}

std::size_t delete_jobs(Tx& tx, const std::vector<std::int64_t>& ids)
{
    return exec_by_ids(tx, "DELETE FROM jobs", ids);
}

std::size_t park_jobs(Tx& tx, const std::vector<std::int64_t>& ids)
{
    return exec_by_ids(tx, "UPDATE jobs SET parked = 1, claimed_by = NULL, claimed_until = NULL", ids);
}

bool retry_job(Tx& tx, std::int64_t job_id, std::int64_t next_run_ms, const std::string& error)
{
    return !tx.exec(
                  "UPDATE jobs SET claimed_by = NULL, claimed_until = NULL, run_at = $2, last_error = $3 "
                  "WHERE id = $1 RETURNING id",
                  {job_id, next_run_ms, error})
                .empty();
}

std::vector<std::int64_t> sorted_distinct(std::vector<std::int64_t> ids)
{
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

}  // namespace

std::vector<Job> SqlStore::claim_jobs(const std::string& node_id, std::size_t limit, std::chrono::milliseconds lease)
{
    const auto now = now_ms();
    // PostgreSQL: rows another node is claiming right now are skipped, not waited for, so
    // every node works the same queue without handing out a job twice. SQLite has one writer.
    const std::string lock = db_->backend() == Backend::postgresql ? " FOR UPDATE SKIP LOCKED" : "";
    const std::string query = std::string(
                                  "UPDATE jobs SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1 "
                                  "WHERE id IN (SELECT id FROM jobs WHERE parked = 0 AND run_at <= $3 "
                                  "AND (claimed_until IS NULL OR claimed_until <= $3) "
                                  "ORDER BY run_at, id LIMIT $4") +
                              lock + ") RETURNING " + job_columns;
    return in_tx([&](Tx& tx) {
        std::vector<Job> jobs;
        for (const auto& r : tx.exec(query, {node_id, now + lease.count(), now, static_cast<std::int64_t>(limit)}))
            jobs.push_back(read_job(r));
        sort_jobs(jobs);
        return jobs;
    });
}

bool SqlStore::complete_job(std::int64_t job_id)
{
    return in_tx([&](Tx& tx) { return delete_jobs(tx, {job_id}) == 1; });
}

std::size_t SqlStore::record_job_outcomes(const std::vector<JobOutcomeRecord>& outcomes)
{
    using Action = JobOutcomeRecord::Action;
    std::vector<std::int64_t> done;
    std::vector<std::int64_t> parked;
    std::vector<const JobOutcomeRecord*> retried;
    for (const auto& o : outcomes) {
        switch (o.action) {
        case Action::complete:
            done.push_back(o.job_id);
            break;
        case Action::park:
            parked.push_back(o.job_id);
            break;
        case Action::retry:
            retried.push_back(&o);
            break;
        }
    }
    done = sorted_distinct(std::move(done));
    parked = sorted_distinct(std::move(parked));
    std::sort(retried.begin(), retried.end(),
              [](const JobOutcomeRecord* a, const JobOutcomeRecord* b) { return a->job_id < b->job_id; });
    return in_tx([&](Tx& tx) {
        std::size_t recorded = delete_jobs(tx, done) + park_jobs(tx, parked);
        for (const auto* r : retried) recorded += retry_job(tx, r->job_id, to_ms(r->next_run), r->error) ? 1 : 0;
        return recorded;
    });
}

std::vector<Job> SqlStore::take_parked_pushes(const std::string& owner, const std::string& node_id,
                                              std::chrono::milliseconds lease)
{
    const auto now = now_ms();
    return in_tx([&](Tx& tx) {
        std::vector<Job> jobs;
        for (const auto& r : tx.exec(std::string("UPDATE jobs SET parked = 0, claimed_by = $2, claimed_until = $3, "
                                                 "attempts = attempts + 1 "
                                                 "WHERE kind = 'push' AND target = $1 AND parked = 1 RETURNING ") +
                                         job_columns,
                                     {owner, node_id, now + lease.count()}))
            jobs.push_back(read_job(r));
        std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
        return jobs;
    });
}

std::vector<Job> SqlStore::list_jobs()
{
    return in_tx([&](Tx& tx) {
        std::vector<Job> jobs;
        for (const auto& r : tx.exec(std::string("SELECT ") + job_columns + " FROM jobs ORDER BY id"))
            jobs.push_back(read_job(r));
        return jobs;
    });
}

Stats SqlStore::stats()
{
    const auto now = now_ms();
    return in_tx([&](Tx& tx) {
        Stats s;
        for (const auto& r : tx.exec("SELECT state, COUNT(*) FROM items GROUP BY state")) {
            auto state = parse_item_state(r.text(0));
            if (!state) continue;
            const auto n = r.integer(1);
            switch (*state) {
            case ItemState::waiting:
                s.items_waiting = n;
                break;
            case ItemState::found:
                s.items_found = n;
                break;
            case ItemState::not_found:
                s.items_not_found = n;
                break;
            case ItemState::timed_out:
                s.items_timed_out = n;
                break;
            }
        }
        auto j = tx.exec(
            "SELECT COUNT(*), "
            "COALESCE(SUM(CASE WHEN parked = 0 AND run_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1) "
            "THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN parked = 1 THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN parked = 0 AND claimed_until > $1 THEN 1 ELSE 0 END), 0) FROM jobs",
            {now});
        s.jobs_total = j.at(0).integer(0);
        s.jobs_due = j.at(0).integer(1);
        s.jobs_parked = j.at(0).integer(2);
        s.jobs_claimed = j.at(0).integer(3);
        s.accounts = tx.exec("SELECT COUNT(*) FROM accounts").at(0).integer(0);
        s.sessions = tx.exec("SELECT COUNT(*) FROM sessions").at(0).integer(0);
        return s;
    });
}

}  // namespace wl::storage::sql
