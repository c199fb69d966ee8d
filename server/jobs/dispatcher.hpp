#pragma once
// The job dispatcher: carries out the work the Store wrote into its outbox (storage/README.md).
// It claims due jobs for this node under a lease, hands each to the handler registered for
// its kind, and records the handlers' outcomes (done, park until the user logs in, or run
// again later), a claimed batch's in one transaction. Handlers are a table keyed by JobKind, so the partner kinds
// plug in beside the JID push without touching the loop.
//
// When it runs: at start, every poll_interval (retries and expired leases of dead nodes
// come due by time alone), and at once after wake(). Whoever queues a job in a Store
// transaction (the waiting list service, the admin API when "the contact registers")
// calls wake() after the commit so that the push goes out now rather than at the next poll.
//
// Threads: one coroutine on its own strand of the server's io_context does the claiming;
// every Store call goes through the DbExecutor (never on an I/O thread). wake(),
// run_parked() and stop() are safe from any thread.
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "storage/db_executor.hpp"
#include "storage/types.hpp"

namespace wl::server {

// What became of one attempt at a job.
struct JobOutcome {
    enum class Action {
        complete,  // done: delete the job
        park,      // a push whose user has no session: keep it for the next login
        retry,     // failed: release the claim, run again at next_run, remember error
    };
    Action action = Action::complete;
    storage::TimePoint next_run{};
    std::string error;

    static JobOutcome done() { return {}; }
    static JobOutcome parked() { return {Action::park, {}, {}}; }
    static JobOutcome retry_at(storage::TimePoint when, std::string why)
    {
        return {Action::retry, when, std::move(why)};
    }
};

// Runs one claimed job; runs on the dispatcher's strand and must not block (await
// db_call or a network operation instead). An exception counts as a retry after
// DispatcherOptions::retry_after.
using JobHandler = std::function<boost::asio::awaitable<JobOutcome>(const storage::Job&)>;

struct DispatcherOptions {
    std::string node_id;                            // empty: default_node_id()
    std::chrono::milliseconds poll_interval{1000};  // look for due jobs at least this often
    std::chrono::milliseconds lease{30000};         // a claim this node holds before others may take it
    std::size_t batch = 500;                        // jobs claimed per round
    std::chrono::milliseconds retry_after{5000};    // after a handler throws or a kind has no handler
};

class JobDispatcher {
public:
    JobDispatcher(boost::asio::io_context& io, storage::DbExecutor& db, DispatcherOptions options = {});
    ~JobDispatcher();
    JobDispatcher(const JobDispatcher&) = delete;
    JobDispatcher& operator=(const JobDispatcher&) = delete;

    // The handler for one kind; before start(). A claimed job of a kind without a handler
    // is released to run again after retry_after ("no handler on this node"), so that
    // another node, or a later version of this one, can take it.
    void set_handler(storage::JobKind kind, JobHandler handler);
    // Which of these push targets (bare JIDs, sorted, distinct) can take a push now. After
    // parking pushes the dispatcher asks once more and runs the parked pushes of targets
    // that became reachable meanwhile: a login between the delivery attempt and the park
    // would otherwise leave them parked until the next login.
    using ReachableFilter = std::function<std::vector<std::string>(const std::vector<std::string>& targets)>;
    void set_reachable_filter(ReachableFilter filter);

    // Starts the claiming loop on the io_context (it runs once the io_context runs).
    void start();
    // Look for due jobs now (thread-safe, cheap, coalesces with a round in progress).
    void wake();
    // The user `owner` (bare JID) has just become available: claim its parked pushes and
    // run them through the push handler (thread-safe).
    void run_parked(const std::string& owner);
    // Stops claiming (thread-safe, idempotent). Jobs already claimed finish their round;
    // unfinished claims return to the queue when their lease ends.
    void stop();

    const std::string& node_id() const { return options_.node_id; }
    // "<hostname>:<pid>": unique per process on a cluster.
    static std::string default_node_id();

private:
    boost::asio::awaitable<void> loop();
    boost::asio::awaitable<void> parked_round(const std::string& owner);
    // Runs the jobs and records their outcomes; returns how many outcomes were recorded.
    // Arguments by reference: g++ 12 may destroy a by-value coroutine argument twice when
    // the call sits in a co_await expression (see federation/async/await_answer.hpp).
    boost::asio::awaitable<std::size_t> run_batch(const std::vector<storage::Job>& jobs, bool recheck_parked);
    boost::asio::awaitable<JobOutcome> run_one(const storage::Job& job);

    boost::asio::io_context& io_;
    storage::DbExecutor& db_;
    DispatcherOptions options_;
    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    boost::asio::steady_timer timer_;
    std::map<storage::JobKind, JobHandler> handlers_;
    std::function<JobOutcome(const storage::Job&)> fallback_;
    ReachableFilter reachable_;
    bool woken_ = false;  // on the strand
    std::atomic<bool> stopping_{false};
    std::atomic<bool> started_{false};
};

}  // namespace wl::server
