#pragma once
// The operator's probes, without authentication (they reveal no personal data):
//
//   GET /healthz  200 "ok" while the process serves HTTP at all (liveness).
//   GET /readyz   200 "ready" when the store answers a cheap query within readiness_timeout
//                 and `is_ready` says the listeners are up; else 503 with the reason. During
//                 shutdown it is 503, so a load balancer drains the node.
//   GET /metrics  Prometheus text 0.0.4 of metrics_registry(). The store's figures (items by
//                 state, jobs by state) are read at most once per stats_ttl and cached, so a
//                 busy scraper cannot load the database.
#include <chrono>
#include <functional>

#include "storage/db_executor.hpp"

namespace wl::server {
class Router;
}

namespace wl::server::http {

class HttpServer;

struct OpsOptions {
    std::function<bool()> is_ready;  // the process's listeners are up and it is not stopping
    std::chrono::milliseconds readiness_timeout{std::chrono::seconds(2)};
    std::chrono::milliseconds stats_ttl{std::chrono::seconds(2)};
    std::chrono::milliseconds stats_timeout{std::chrono::seconds(5)};
};

// Adds /healthz, /readyz and /metrics. `db` must outlive the server's connections.
void register_ops_routes(HttpServer& http, storage::DbExecutor& db, OpsOptions options);

// Gauges read at scrape time: bound sessions and users of `router`, the database queue.
// Both must outlive every scrape.
void register_process_gauges(const Router& router, const storage::DbExecutor& db);

}  // namespace wl::server::http
