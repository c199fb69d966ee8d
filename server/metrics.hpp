#pragma once
// The process's metrics, rendered at /metrics in the Prometheus text format 0.0.4.
//
// Counters, gauges and histograms are registered once (a mutex guards the registry) and
// then updated from any thread with atomic operations only: the hot path (a stanza read, a
// push delivered) never takes a lock. Figures that live elsewhere (the router's sessions)
// are read at scrape time through callback gauges.
//
// server_metrics() holds the metrics other parts of the server update; where each is
// incremented is written beside it.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace wl::server {

// label name -> value, in the order given; values are escaped when rendered.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
public:
    void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class Gauge {
public:
    void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void add(double v) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

// Fixed upper bounds (seconds for latencies); the +Inf bucket is implicit.
class Histogram {
public:
    explicit Histogram(std::vector<double> upper_bounds);
    void observe(double v) noexcept;

    struct Snapshot {
        std::vector<double> upper_bounds;
        std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
        std::uint64_t count = 0;
        double sum = 0;
    };
    Snapshot snapshot() const;

    // 1 ms .. 10 s, for request and IQ latencies.
    static std::vector<double> latency_bounds();

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
    std::atomic<std::uint64_t> count_{0};
    std::atomic<double> sum_{0};
};

class MetricsRegistry {
public:
    // Registering the same name and labels twice returns the same metric. A name registered
    // with another type throws std::logic_error (a programming error).
    Counter& counter(const std::string& name, const std::string& help, MetricLabels labels = {});
    Gauge& gauge(const std::string& name, const std::string& help, MetricLabels labels = {});
    Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds,
                         MetricLabels labels = {});
    // A gauge read at scrape time; `read` runs under the registry's lock and must not block.
    void gauge_callback(const std::string& name, const std::string& help, MetricLabels labels,
                        std::function<double()> read);
    // A counter read at scrape time from a total kept elsewhere (one that only grows).
    void counter_callback(const std::string& name, const std::string& help, MetricLabels labels,
                          std::function<double()> read);

    // Every family, in registration order, as Prometheus text 0.0.4.
    std::string render() const;

private:
    enum class Type {
        counter,
        gauge,
        histogram
    };
    struct Series {
        MetricLabels labels;
        Counter* counter = nullptr;
        Gauge* gauge = nullptr;
        Histogram* histogram = nullptr;
        std::function<double()> read;
    };
    struct Family {
        std::string name;
        std::string help;
        Type type;
        std::vector<Series> series;
    };

    Family& family(const std::string& name, const std::string& help, Type type);
    Series* find(Family& f, const MetricLabels& labels);
    // A counter or gauge the registry owns (`slot` says which), made on first use.
    template <typename Metric>
    Metric& owned(const std::string& name, const std::string& help, Type type, MetricLabels labels,
                  Metric* Series::*slot, std::deque<Metric>& store);
    // A counter or gauge whose value `read` gives when rendered; a later call replaces `read`.
    void callback(const std::string& name, const std::string& help, Type type, MetricLabels labels,
                  std::function<double()> read);

    mutable std::mutex mutex_;
    std::deque<Family> families_;
    // Stable addresses: metrics are handed out by reference.
    std::deque<Counter> counters_;
    std::deque<Gauge> gauges_;
    std::deque<Histogram> histograms_;
};

// The process-wide registry.
MetricsRegistry& metrics_registry();

// The metrics other parts of the server update. References into metrics_registry().
struct ServerMetrics {
    Counter& stanzas_in;              // c2s: each stanza read from a client stream
    Counter& stanzas_out;             // c2s: each stanza queued to a client stream
    Counter& pushes_queued;           // a JID push job written (admin API on registration; the
                                      // waiting list service on add / partner answers)
    Counter& pushes_delivered;        // the push job's handler (waiting list service): a JID push
                                      // handed to a session; a parked push delivered at login too
    Counter& pushes_parked;           // the push job's handler: a push kept for the user's next login
    Histogram& waitlist_iq_seconds;   // waiting list service: one waitinglist IQ of a local user,
                                      // receipt to reply
    Counter& http_requests_rejected;  // admin HTTP: requests refused before routing (bad HTTP, too large)
};
ServerMetrics& server_metrics();

}  // namespace wl::server
