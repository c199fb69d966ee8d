// server/metrics: the registry's Prometheus text and the atomic metric types.
#include <doctest.h>

#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "server/metrics.hpp"

using wl::server::Histogram;
using wl::server::MetricsRegistry;

TEST_CASE("a counter, a labelled gauge and a callback gauge render as Prometheus text 0.0.4")
{
    MetricsRegistry r;
    r.counter("t_requests_total", "Requests.").inc(3);
    r.gauge("t_items", "Items by state.", {{"state", "waiting"}}).set(7);
    r.gauge("t_items", "Items by state.", {{"state", "found"}}).set(2.5);
    int calls = 0;
    r.gauge_callback("t_sessions", "Sessions.", {}, [&calls]() { return double(++calls * 10); });

    const std::string text = r.render();
    CHECK(text ==
          "# HELP t_requests_total Requests.\n"
          "# TYPE t_requests_total counter\n"
          "t_requests_total 3\n"
          "# HELP t_items Items by state.\n"
          "# TYPE t_items gauge\n"
          "t_items{state=\"waiting\"} 7\n"
          "t_items{state=\"found\"} 2.5\n"
          "# HELP t_sessions Sessions.\n"
          "# TYPE t_sessions gauge\n"
          "t_sessions 10\n");
    CHECK(r.render().find("t_sessions 20\n") != std::string::npos);
}

TEST_CASE("registering the same name and labels twice returns the same metric; another type is refused")
{
    MetricsRegistry r;
    auto& a = r.counter("t_x_total", "X.", {{"k", "v"}});
    auto& b = r.counter("t_x_total", "X.", {{"k", "v"}});
    auto& c = r.counter("t_x_total", "X.", {{"k", "w"}});
    CHECK(&a == &b);
    CHECK(&a != &c);
    CHECK_THROWS_AS(r.gauge("t_x_total", "X."), std::logic_error);
}

TEST_CASE("label values are escaped")
{
    MetricsRegistry r;
    r.counter("t_esc_total", "Help with \\ and\nnewline.", {{"path", "a\"b\\c\nd"}}).inc();
    const std::string text = r.render();
    CHECK(text.find("# HELP t_esc_total Help with \\\\ and\\nnewline.\n") != std::string::npos);
    CHECK(text.find("t_esc_total{path=\"a\\\"b\\\\c\\nd\"} 1\n") != std::string::npos);
}

TEST_CASE("a histogram's buckets are cumulative, 'le' inclusive, and +Inf equals the count")
{
    MetricsRegistry r;
    auto& h = r.histogram("t_latency_seconds", "Latency.", {0.125, 1, 0.5}, {{"route", "GET /"}});
    for (double v : {0.0625, 0.125, 0.25, 0.75, 2.0, 5.0}) h.observe(v);
    const std::string text = r.render();
    CHECK(text.find("# TYPE t_latency_seconds histogram\n") != std::string::npos);
    CHECK(text.find("t_latency_seconds_bucket{route=\"GET /\",le=\"0.125\"} 2\n") != std::string::npos);
    CHECK(text.find("t_latency_seconds_bucket{route=\"GET /\",le=\"0.5\"} 3\n") != std::string::npos);
    CHECK(text.find("t_latency_seconds_bucket{route=\"GET /\",le=\"1\"} 4\n") != std::string::npos);
    CHECK(text.find("t_latency_seconds_bucket{route=\"GET /\",le=\"+Inf\"} 6\n") != std::string::npos);
    CHECK(text.find("t_latency_seconds_sum{route=\"GET /\"} 8.1875\n") != std::string::npos);
    CHECK(text.find("t_latency_seconds_count{route=\"GET /\"} 6\n") != std::string::npos);
}

TEST_CASE("counters and histograms updated from several threads lose no update")
{
    MetricsRegistry r;
    auto& c = r.counter("t_par_total", "Parallel.");
    auto& h = r.histogram("t_par_seconds", "Parallel.", Histogram::latency_bounds());
    constexpr int threads = 4, per_thread = 100000;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&]() {
            for (int i = 0; i < per_thread; ++i) {
                c.inc();
                h.observe(0.002);
            }
        });
    for (auto& t : pool) t.join();
    CHECK(c.value() == threads * per_thread);
    auto snap = h.snapshot();
    CHECK(snap.count == threads * per_thread);
    CHECK(snap.cumulative.front() == 0);                // le 0.001
    CHECK(snap.cumulative[1] == threads * per_thread);  // le 0.0025
    CHECK(snap.sum == doctest::Approx(threads * per_thread * 0.002).epsilon(1e-6));
}

TEST_CASE("the server's metrics are registered once in the process registry")
{
    auto& m = wl::server::server_metrics();
    m.stanzas_in.inc();
    const std::string text = wl::server::metrics_registry().render();
    for (const char* name :
         {"waitlistd_stanzas_in_total", "waitlistd_stanzas_out_total", "waitlistd_pushes_queued_total",
          "waitlistd_pushes_delivered_total", "waitlistd_waitlist_iq_duration_seconds"})
        CHECK(text.find(std::string("# TYPE ") + name + " ") != std::string::npos);
    CHECK(&wl::server::server_metrics() == &m);
}
