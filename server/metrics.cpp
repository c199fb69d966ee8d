#include "server/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace wl::server {

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds))
{
    std::sort(bounds_.begin(), bounds_.end());
    bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
    buckets_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) noexcept
{
    // Prometheus buckets are "less than or equal": the first bound not below v.
    auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const
{
    Snapshot s;
    s.upper_bounds = bounds_;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    // Read without a lock, count may run ahead of the buckets by an observation in flight;
    // the +Inf bucket must equal _count, so both come from the same sum.
    s.count = running;
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
}

std::vector<double> Histogram::latency_bounds()
{
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

namespace {

// The exposition format escapes backslash and newline everywhere, the double quote only where it
// would end a label value.
std::string escape(const std::string& v, bool in_label_value)
{
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && in_label_value)
            out += "\\\"";
        else
            out += c;
    }
    return out;
}

std::string escape_label_value(const std::string& v) { return escape(v, true); }

std::string escape_help(const std::string& v) { return escape(v, false); }

std::string render_labels(const MetricLabels& labels, const std::string& extra_name = {},
                          const std::string& extra_value = {})
{
    if (labels.empty() && extra_name.empty()) return {};
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : labels) {
        if (!first) out += ',';
        first = false;
        out += k + "=\"" + escape_label_value(v) + "\"";
    }
    if (!extra_name.empty()) {
        if (!first) out += ',';
        out += extra_name + "=\"" + escape_label_value(extra_value) + "\"";
    }
    return out + "}";
}

std::string render_number(double v)
{
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
}

}  // namespace

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const std::string& help, Type type)
{
    for (auto& f : families_) {
        if (f.name != name) continue;
        if (f.type != type) throw std::logic_error("metric " + name + " registered with two types");
        return f;
    }
    families_.push_back(Family{name, help, type, {}});
    return families_.back();
}

MetricsRegistry::Series* MetricsRegistry::find(Family& f, const MetricLabels& labels)
{
    for (auto& s : f.series)
        if (s.labels == labels) return &s;
    return nullptr;
}

namespace {

const char* kind_name(bool counter) { return counter ? "counter" : "gauge"; }

}  // namespace

template <typename Metric>
Metric& MetricsRegistry::owned(const std::string& name, const std::string& help, Type type, MetricLabels labels,
                               Metric* Series::*slot, std::deque<Metric>& store)
{
    std::lock_guard lock(mutex_);
    auto& f = family(name, help, type);
    if (auto* s = find(f, labels)) {
        const char* kind = kind_name(type == Type::counter);
        if (!(s->*slot)) throw std::logic_error(std::string(kind) + " " + name + " is a callback " + kind);
        return *(s->*slot);
    }
    auto& m = store.emplace_back();
    Series series{std::move(labels)};
    series.*slot = &m;
    f.series.push_back(std::move(series));
    return m;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help, MetricLabels labels)
{
    return owned(name, help, Type::counter, std::move(labels), &Series::counter, counters_);
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help, MetricLabels labels)
{
    return owned(name, help, Type::gauge, std::move(labels), &Series::gauge, gauges_);
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      std::vector<double> upper_bounds, MetricLabels labels)
{
    std::lock_guard lock(mutex_);
    auto& f = family(name, help, Type::histogram);
    if (auto* s = find(f, labels)) return *s->histogram;
    auto& h = histograms_.emplace_back(std::move(upper_bounds));
    f.series.push_back(Series{std::move(labels), nullptr, nullptr, &h, {}});
    return h;
}

void MetricsRegistry::callback(const std::string& name, const std::string& help, Type type, MetricLabels labels,
                               std::function<double()> read)
{
    std::lock_guard lock(mutex_);
    auto& f = family(name, help, type);
    if (auto* s = find(f, labels)) {
        const char* kind = kind_name(type == Type::counter);
        if (s->counter || s->gauge)
            throw std::logic_error(std::string(kind) + " " + name + " is not a callback " + kind);
        s->read = std::move(read);
        return;
    }
    f.series.push_back(Series{std::move(labels), nullptr, nullptr, nullptr, std::move(read)});
}

void MetricsRegistry::gauge_callback(const std::string& name, const std::string& help, MetricLabels labels,
                                     std::function<double()> read)
{
    callback(name, help, Type::gauge, std::move(labels), std::move(read));
}

void MetricsRegistry::counter_callback(const std::string& name, const std::string& help, MetricLabels labels,
                                       std::function<double()> read)
{
    callback(name, help, Type::counter, std::move(labels), std::move(read));
}

std::string MetricsRegistry::render() const
{
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& f : families_) {
        static constexpr const char* type_names[] = {"counter", "gauge", "histogram"};
        out += "# HELP " + f.name + " " + escape_help(f.help) + "\n";
        out += "# TYPE " + f.name + " " + type_names[static_cast<int>(f.type)] + "\n";
        for (const auto& s : f.series) {
            switch (f.type) {
            case Type::counter:
                out += f.name + render_labels(s.labels) + " " +
                       (s.counter ? std::to_string(s.counter->value()) : render_number(s.read())) + "\n";
                break;
            case Type::gauge: {
                double v = s.gauge ? s.gauge->value() : s.read();
                out += f.name + render_labels(s.labels) + " " + render_number(v) + "\n";
                break;
            }
            case Type::histogram: {
                auto snap = s.histogram->snapshot();
                for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
                    std::string le = i < snap.upper_bounds.size() ? render_number(snap.upper_bounds[i]) : "+Inf";
                    out += f.name + "_bucket" + render_labels(s.labels, "le", le) + " " +
                           std::to_string(snap.cumulative[i]) + "\n";
                }
                out += f.name + "_sum" + render_labels(s.labels) + " " + render_number(snap.sum) + "\n";
                out += f.name + "_count" + render_labels(s.labels) + " " + std::to_string(snap.count) + "\n";
                break;
            }
            }
        }
    }
    return out;
}

MetricsRegistry& metrics_registry()
{
    static MetricsRegistry registry;
    return registry;
}

ServerMetrics& server_metrics()
{
    auto& r = metrics_registry();
    static ServerMetrics m{
        r.counter("waitlistd_stanzas_in_total", "Stanzas read from client streams."),
        r.counter("waitlistd_stanzas_out_total", "Stanzas written to client streams."),
        r.counter("waitlistd_pushes_queued_total", "JID pushes written to the job queue."),
        r.counter("waitlistd_pushes_delivered_total", "JID pushes delivered to a session."),
        r.counter("waitlistd_pushes_parked_total", "JID pushes kept until their user logs in."),
        r.histogram("waitlistd_waitlist_iq_duration_seconds",
                    "Time from receiving a waitinglist IQ to queueing its reply.", Histogram::latency_bounds()),
        r.counter("waitlistd_http_requests_rejected_total",
                  "HTTP requests refused before routing (malformed, too large, timed out)."),
    };
    return m;
}

}  // namespace wl::server
