#include "server/http/ops_routes.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "server/http/server.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/router.hpp"

namespace wl::server::http {

namespace asio = boost::asio;

namespace {

// db_call with a deadline: a database that hangs must make /readyz fail, not hang. nullopt
// when the deadline passed first (the work still runs; its result is dropped). `work` is a
// named local of the caller: g++ 12 may destroy a by-value coroutine argument twice.
template <class Work>
auto db_call_within(storage::DbExecutor& db, Work& work, std::chrono::milliseconds timeout)
    -> asio::awaitable<std::optional<storage::DbResult<std::invoke_result_t<Work&, storage::Store&>>>>
{
    using Result = storage::DbResult<std::invoke_result_t<Work&, storage::Store&>>;
    struct State {
        explicit State(const asio::any_io_executor& exec) : timer(exec) {}
        asio::steady_timer timer;
        std::optional<Result> result;
    };
    auto exec = co_await asio::this_coro::executor;
    auto state = std::make_shared<State>(exec);
    state->timer.expires_after(timeout);
    bool submitted = db.submit(std::move(work), [state, exec](Result r) {
        asio::post(exec, [state, r = std::move(r)]() mutable {
            state->result = std::move(r);
            state->timer.cancel();
        });
    });
    if (!submitted) co_return std::nullopt;
    boost::system::error_code ec;
    co_await state->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return std::move(state->result);
}

// The Store's figures as gauges, refreshed at most once per ttl.
class StoreStats {
public:
    explicit StoreStats(std::chrono::milliseconds ttl) : ttl_(ttl)
    {
        auto& r = metrics_registry();
        const std::string items_help = "Waiting list items by state (whole database).";
        waiting_ = &r.gauge("waitlistd_waiting_items", items_help, {{"state", "waiting"}});
        found_ = &r.gauge("waitlistd_waiting_items", items_help, {{"state", "found"}});
        not_found_ = &r.gauge("waitlistd_waiting_items", items_help, {{"state", "not_found"}});
        timed_out_ = &r.gauge("waitlistd_waiting_items", items_help, {{"state", "timed_out"}});
        const std::string jobs_help = "Jobs in the queue (outbox) by state (whole database).";
        due_ = &r.gauge("waitlistd_jobs", jobs_help, {{"state", "due"}});
        parked_ = &r.gauge("waitlistd_jobs", jobs_help, {{"state", "parked"}});
        claimed_ = &r.gauge("waitlistd_jobs", jobs_help, {{"state", "claimed"}});
        jobs_total_ = &r.gauge("waitlistd_jobs_total", "Jobs in the queue, every state.");
        accounts_ = &r.gauge("waitlistd_accounts", "Accounts in the database.");
        store_up_ = &r.gauge("waitlistd_store_up", "1 if the last read of the store's figures succeeded.");
    }

    // True if this caller should refresh now (it then calls update()).
    bool claim_refresh()
    {
        std::lock_guard lock(mutex_);
        auto now = std::chrono::steady_clock::now();
        if (refreshing_ || (has_value_ && now - fetched_ < ttl_)) return false;
        refreshing_ = true;
        return true;
    }

    void update(const std::optional<storage::Stats>& s)
    {
        std::lock_guard lock(mutex_);
        refreshing_ = false;
        fetched_ = std::chrono::steady_clock::now();
        has_value_ = true;
        store_up_->set(s ? 1 : 0);
        if (!s) return;
        waiting_->set(static_cast<double>(s->items_waiting));
        found_->set(static_cast<double>(s->items_found));
        not_found_->set(static_cast<double>(s->items_not_found));
        timed_out_->set(static_cast<double>(s->items_timed_out));
        due_->set(static_cast<double>(s->jobs_due));
        parked_->set(static_cast<double>(s->jobs_parked));
        claimed_->set(static_cast<double>(s->jobs_claimed));
        jobs_total_->set(static_cast<double>(s->jobs_total));
        accounts_->set(static_cast<double>(s->accounts));
    }

private:
    std::chrono::milliseconds ttl_;
    std::mutex mutex_;
    bool refreshing_ = false;
    bool has_value_ = false;
    std::chrono::steady_clock::time_point fetched_;
    Gauge *waiting_, *found_, *not_found_, *timed_out_, *due_, *parked_, *claimed_, *jobs_total_, *accounts_,
        *store_up_;
};

}  // namespace

void register_ops_routes(HttpServer& http, storage::DbExecutor& db, OpsOptions options)
{
    http.add_route(Verb::get, "/healthz", [](const Request&, const PathParams&) -> asio::awaitable<Response> {
        co_return text_response(Status::ok, "ok\n");
    });

    auto opts = std::make_shared<OpsOptions>(std::move(options));
    http.add_route(Verb::get, "/readyz", [&db, opts](const Request&, const PathParams&) -> asio::awaitable<Response> {
        if (opts->is_ready && !opts->is_ready())
            co_return text_response(Status::service_unavailable, "not ready: listeners down or shutting down\n");
        auto work = [](storage::Store& s) { return s.schema_version(); };
        auto r = co_await db_call_within(db, work, opts->readiness_timeout);
        if (!r) co_return text_response(Status::service_unavailable, "not ready: the store did not answer in time\n");
        if (!r->ok()) {
            try {
                std::rethrow_exception(r->error);
            } catch (const std::exception& e) {
                spdlog::warn("readyz: the store failed: {}", e.what());
            }
            co_return text_response(Status::service_unavailable, "not ready: the store failed\n");
        }
        co_return text_response(Status::ok, "ready\n");
    });

    // Every family from the first scrape on, at zero: a counter that appears only once it
    // first moves defeats rate() and alerts on absence.
    server_metrics();
    auto stats = std::make_shared<StoreStats>(opts->stats_ttl);
    http.add_route(Verb::get, "/metrics",
                   [&db, opts, stats](const Request&, const PathParams&) -> asio::awaitable<Response> {
                       if (stats->claim_refresh()) {
                           auto work = [](storage::Store& s) { return s.stats(); };
                           auto r = co_await db_call_within(db, work, opts->stats_timeout);
                           std::optional<storage::Stats> value;
                           if (r && r->ok()) value = *r->value;
                           stats->update(value);
                       }
                       co_return text_response(Status::ok, metrics_registry().render(),
                                               "text/plain; version=0.0.4; charset=utf-8");
                   });
}

void register_process_gauges(const Router& router, const storage::DbExecutor& db)
{
    auto& r = metrics_registry();
    r.gauge_callback("waitlistd_sessions", "Client sessions bound on this node.", {},
                     [&router]() { return static_cast<double>(router.stats().sessions); });
    r.gauge_callback("waitlistd_session_users", "Users with at least one session bound on this node.", {},
                     [&router]() { return static_cast<double>(router.stats().users); });
    r.gauge_callback("waitlistd_db_queue_depth", "Database calls queued and not yet started.", {},
                     [&db]() { return static_cast<double>(db.queued()); });
}

}  // namespace wl::server::http
