#include "server/jobs/dispatcher.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <climits>

#include "federation/async/await_answer.hpp"
#include "server/log.hpp"
#include "federation/async/spawn.hpp"

namespace wl::server {

namespace asio = boost::asio;
using storage::Job;
using storage::Store;

JobDispatcher::JobDispatcher(asio::io_context& io, storage::DbExecutor& db, DispatcherOptions options)
    : io_(io),
      db_(db),
      options_(std::move(options)),
      strand_(asio::make_strand(io)),
      timer_(strand_)
{
    if (options_.node_id.empty()) options_.node_id = default_node_id();
    if (options_.batch == 0) options_.batch = 1;
    fallback_ = [after = options_.retry_after](const Job&) {
        return JobOutcome::retry_at(storage::Clock::now() + after, "no handler on this node");
    };
}

JobDispatcher::~JobDispatcher() { stopping_ = true; }

void JobDispatcher::set_handler(storage::JobKind kind, JobHandler handler) { handlers_[kind] = std::move(handler); }

void JobDispatcher::set_reachable_filter(ReachableFilter filter) { reachable_ = std::move(filter); }

std::string JobDispatcher::default_node_id()
{
    char host[HOST_NAME_MAX + 1] = {};
    if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "node");
    return std::string(host) + ":" + std::to_string(::getpid());
}

void JobDispatcher::start()
{
    if (started_.exchange(true)) return;
    async::spawn_detached(strand_, "jobs: dispatcher loop", [this]() -> asio::awaitable<void> { co_await loop(); });
}

void JobDispatcher::wake()
{
    if (stopping_) return;
    asio::post(strand_, [this] {
        woken_ = true;
        timer_.cancel();
    });
}

void JobDispatcher::stop()
{
    if (stopping_.exchange(true)) return;
    asio::post(strand_, [this] { timer_.cancel(); });
}

void JobDispatcher::run_parked(const std::string& owner)
{
    if (stopping_) return;
    async::spawn_detached(strand_, "jobs: parked pushes",
                          [this, owner]() -> asio::awaitable<void> { co_await parked_round(owner); });
}

asio::awaitable<void> JobDispatcher::loop()
{
    spdlog::info("jobs: dispatcher {} started (poll every {} ms)", options_.node_id, options_.poll_interval.count());
    while (!stopping_) {
        woken_ = false;
        std::size_t claimed = 0;
        auto work = [node = options_.node_id, n = options_.batch, lease = options_.lease](Store& s) {
            return s.claim_jobs(node, n, lease);
        };
        auto claim = co_await async::db_call(db_, work);
        if (claim.ok()) {
            claimed = claim.value->size();
            if (claimed > 0) co_await run_batch(*claim.value, true);
        } else {
            try {
                std::rethrow_exception(claim.error);
            } catch (const std::exception& e) {
                spdlog::warn("jobs: claiming failed: {}", e.what());
            }
        }
        if (stopping_) break;
        // A full batch means more may be due already; a wake-up during the round means a
        // job was queued after our claim.
        if ((claim.ok() && claimed == options_.batch) || woken_) continue;
        timer_.expires_after(options_.poll_interval);
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    spdlog::info("jobs: dispatcher {} stopped", options_.node_id);
}

asio::awaitable<void> JobDispatcher::parked_round(const std::string& owner)
{
    auto work = [owner, node = options_.node_id, lease = options_.lease](Store& s) {
        return s.take_parked_pushes(owner, node, lease);
    };
    auto taken = co_await async::db_call(db_, work);
    if (!taken.ok()) {
        try {
            std::rethrow_exception(taken.error);
        } catch (const std::exception& e) {
            // The pushes stay parked; the next login tries again.
            spdlog::warn("jobs: taking parked pushes failed: {}", e.what());
        }
        co_return;
    }
    if (!taken.value->empty()) co_await run_batch(*taken.value, false);
}

asio::awaitable<JobOutcome> JobDispatcher::run_one(const Job& job)
{
    auto it = handlers_.find(job.kind);
    if (it == handlers_.end()) co_return fallback_(job);
    try {
        co_return co_await it->second(job);
    } catch (const std::exception& e) {
        spdlog::warn("jobs: {} job {} failed: {}", storage::to_string(job.kind), job.id, e.what());
        co_return JobOutcome::retry_at(storage::Clock::now() + options_.retry_after, e.what());
    }
}

namespace {

storage::JobOutcomeRecord to_record(std::int64_t job_id, JobOutcome outcome)
{
    using Action = storage::JobOutcomeRecord::Action;
    switch (outcome.action) {
    case JobOutcome::Action::complete:
        return {job_id, Action::complete, {}, {}};
    case JobOutcome::Action::park:
        return {job_id, Action::park, {}, {}};
    case JobOutcome::Action::retry:
        break;
    }
    return {job_id, Action::retry, outcome.next_run, std::move(outcome.error)};
}

}  // namespace

asio::awaitable<std::size_t> JobDispatcher::run_batch(const std::vector<Job>& jobs, bool recheck_parked)
{
    std::vector<storage::JobOutcomeRecord> outcomes;
    outcomes.reserve(jobs.size());
    std::vector<std::string> parked_targets;
    for (const Job& job : jobs) {
        JobOutcome outcome = co_await run_one(job);
        if (outcome.action == JobOutcome::Action::park) parked_targets.push_back(job.target);
        outcomes.push_back(to_record(job.id, std::move(outcome)));
    }

    // The whole batch's outcomes in one transaction: a fan-out's pushes then cost one commit
    // per claimed batch, not one each, which made it commit-bound on a durable PostgreSQL.
    // Every push was handed to its session before this, so a job is never marked done
    // undelivered; a crash or a failed commit here leaves the claims to run out, and the
    // jobs come back (at least once, as before).
    std::size_t recorded = 0;
    auto work = [&outcomes](Store& s) { return s.record_job_outcomes(outcomes); };
    auto written = co_await async::db_call(db_, work);
    if (written.ok()) {
        recorded = *written.value;
    } else {
        try {
            std::rethrow_exception(written.error);
        } catch (const std::exception& e) {
            spdlog::warn("jobs: recording the outcomes of {} jobs failed: {}", outcomes.size(), e.what());
        }
    }

    // A user who logged in between our delivery attempt and the park missed the login
    // hook's take_parked_pushes: look again now that the park is committed.
    if (recheck_parked && reachable_ && !parked_targets.empty()) {
        std::sort(parked_targets.begin(), parked_targets.end());
        parked_targets.erase(std::unique(parked_targets.begin(), parked_targets.end()), parked_targets.end());
        for (const auto& target : reachable_(parked_targets)) run_parked(target);
    }
    co_return recorded;
}

}  // namespace wl::server
