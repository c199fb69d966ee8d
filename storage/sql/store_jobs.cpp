// SqlStore: the job queue (transactional outbox).
#include <algorithm>

#include "storage/sql/common.hpp"
#include "storage/sql/sql_store.hpp"

namespace wl::storage::sql {
namespace {

void sort_jobs(std::vector<Job>& jobs) {
  // RETURNING gives no order; callers get the oldest due first.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return a.run_at != b.run_at ? a.run_at < b.run_at : a.id < b.id;
  });
}

}  // namespace

std::vector<Job> SqlStore::claim_jobs(const std::string& node_id, std::size_t limit,
                                      std::chrono::milliseconds lease) {
  const auto now = now_ms();
  // PostgreSQL: rows another node is claiming right now are skipped, not waited for, so
  // every node works the same queue without handing out a job twice. SQLite has one writer.
  const std::string lock = db_->backend() == Backend::postgresql ? " FOR UPDATE SKIP LOCKED" : "";
  const std::string query =
      std::string("UPDATE jobs SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1 "
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

bool SqlStore::complete_job(std::int64_t job_id) {
  return in_tx([&](Tx& tx) { return !tx.exec("DELETE FROM jobs WHERE id = $1 RETURNING id", {job_id}).empty(); });
}

bool SqlStore::fail_job(std::int64_t job_id, TimePoint next_run, const std::string& error) {
  return in_tx([&](Tx& tx) {
    return !tx.exec(
                  "UPDATE jobs SET claimed_by = NULL, claimed_until = NULL, run_at = $2, last_error = $3 "
                  "WHERE id = $1 RETURNING id",
                  {job_id, to_ms(next_run), error})
                .empty();
  });
}

bool SqlStore::park_job(std::int64_t job_id) {
  return in_tx([&](Tx& tx) {
    return !tx.exec(
                  "UPDATE jobs SET parked = 1, claimed_by = NULL, claimed_until = NULL "
                  "WHERE id = $1 RETURNING id",
                  {job_id})
                .empty();
  });
}

std::vector<Job> SqlStore::take_parked_pushes(const std::string& owner, const std::string& node_id,
                                              std::chrono::milliseconds lease) {
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

std::vector<Job> SqlStore::list_jobs() {
  return in_tx([&](Tx& tx) {
    std::vector<Job> jobs;
    for (const auto& r : tx.exec(std::string("SELECT ") + job_columns + " FROM jobs ORDER BY id"))
      jobs.push_back(read_job(r));
    return jobs;
  });
}

Stats SqlStore::stats() {
  const auto now = now_ms();
  return in_tx([&](Tx& tx) {
    Stats s;
    for (const auto& r : tx.exec("SELECT state, COUNT(*) FROM items GROUP BY state")) {
      auto state = parse_item_state(r.text(0));
      if (!state) continue;
      const auto n = r.integer(1);
      switch (*state) {
        case ItemState::waiting: s.items_waiting = n; break;
        case ItemState::found: s.items_found = n; break;
        case ItemState::not_found: s.items_not_found = n; break;
        case ItemState::timed_out: s.items_timed_out = n; break;
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
