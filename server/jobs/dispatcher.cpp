#include "server/jobs/dispatcher.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <climits>

#include "server/db_await.hpp"
#include "server/log.hpp"
#include "server/spawn.hpp"

namespace wl::server {

namespace asio = boost::asio;
using storage::Job;
using storage::Store;

JobDispatcher::JobDispatcher(asio::io_context& io, storage::DbExecutor& db, DispatcherOptions options)
    : io_(io), db_(db), options_(std::move(options)), strand_(asio::make_strand(io)), timer_(strand_)
{
    if (options_.node_id.empty()) options_.node_id = default_node_id();
    if (options_.batch == 0) options_.batch = 1;
    fallback_ = [after = options_.retry_after](const Job&) {
        return JobOutcome::retry_at(storage::Clock::now() + after, "no handler on this node");
    };
}

JobDispatcher::~JobDispatcher() { stopping_ = true; }

void JobDispatcher::set_handler(storage::JobKind kind, JobHandler handler) { handlers_[kind] = std::move(handler); }

void JobDispatcher::set_fallback(std::function<JobOutcome(const Job&)> fallback) { fallback_ = std::move(fallback); }

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
    spawn_detached(strand_, "jobs: dispatcher loop", [this]() -> asio::awaitable<void> { co_await loop(); });
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
    spawn_detached(strand_, "jobs: parked pushes", [this, owner]() -> asio::awaitable<void> {
        co_await parked_round(owner);
    });
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
        auto claim = co_await db_call(db_, work);
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
    auto taken = co_await db_call(db_, work);
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

asio::awaitable<std::size_t> JobDispatcher::run_batch(const std::vector<Job>& jobs, bool recheck_parked)
{
    struct Recorded {
        std::int64_t id;
        JobOutcome outcome;
    };
    std::vector<Recorded> outcomes;
    outcomes.reserve(jobs.size());
    std::vector<std::string> parked_targets;
    for (const Job& job : jobs) {
        JobOutcome outcome = co_await run_one(job);
        if (outcome.action == JobOutcome::Action::park) parked_targets.push_back(job.target);
        outcomes.push_back({job.id, std::move(outcome)});
    }

    // Each outcome is its own transaction (the Store has one per use case). Split them over
    // the database threads so that PostgreSQL commits in parallel; SQLite has one thread.
    const std::size_t lanes = std::max<std::size_t>(1, std::min(db_.thread_count(), outcomes.size()));
    auto shared = std::make_shared<std::vector<Recorded>>(std::move(outcomes));
    auto pending = std::make_shared<std::size_t>(lanes);
    auto failures = std::make_shared<std::size_t>(0);
    asio::steady_timer all_done(strand_, asio::steady_timer::time_point::max());
    const std::size_t per_lane = (shared->size() + lanes - 1) / lanes;
    for (std::size_t lane = 0; lane < lanes; ++lane) {
        const std::size_t begin = lane * per_lane;
        const std::size_t end = std::min(shared->size(), begin + per_lane);
        auto work = [shared, begin, end](Store& s) {
            std::size_t failed = 0;
            for (std::size_t i = begin; i < end; ++i) {
                const Recorded& r = (*shared)[i];
                try {
                    switch (r.outcome.action) {
                    case JobOutcome::Action::complete: s.complete_job(r.id); break;
                    case JobOutcome::Action::park: s.park_job(r.id); break;
                    case JobOutcome::Action::retry: s.fail_job(r.id, r.outcome.next_run, r.outcome.error); break;
                    }
                } catch (const std::exception& e) {
                    // The claim runs out and the job comes back: delivery stays at least once.
                    ++failed;
                    spdlog::warn("jobs: recording the outcome of job {} failed: {}", r.id, e.what());
                }
            }
            return failed;
        };
        auto done = [this, pending, failures, &all_done](storage::DbResult<std::size_t> r) {
            asio::post(strand_, [pending, failures, &all_done, r = std::move(r)] {
                if (r.ok()) *failures += *r.value;
                if (--*pending == 0) all_done.cancel();
            });
        };
        if (!db_.submit(std::move(work), std::move(done))) --*pending;
    }
    if (*pending > 0) {
        boost::system::error_code ec;
        co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }

    // A user who logged in between our delivery attempt and the park missed the login
    // hook's take_parked_pushes: look again now that the park is committed.
    if (recheck_parked && reachable_ && !parked_targets.empty()) {
        std::sort(parked_targets.begin(), parked_targets.end());
        parked_targets.erase(std::unique(parked_targets.begin(), parked_targets.end()), parked_targets.end());
        for (const auto& target : reachable_(parked_targets)) run_parked(target);
    }
    co_return shared->size() - *failures;
}

}  // namespace wl::server
