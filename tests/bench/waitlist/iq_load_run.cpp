#include "tests/bench/waitlist/iq_load_run.hpp"

#include "proto/ns.hpp"
#include "proto/xml/writer.hpp"
#include "tests/bench/c2s/proc_stats.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <sys/resource.h>

#include <cstdio>

namespace wl::bench {

namespace xml = proto::xml;

namespace {

double process_cpu_seconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

xml::Element make_request(const IqLoadSettings& s)
{
    xml::Element iq("iq", std::string(proto::ns::client));
    iq.set_attr("type", "get");
    if (!s.to.empty()) iq.set_attr("to", s.to);
    iq.add_child("query", s.query_ns);
    return iq;
}

}  // namespace

IqLoadReport run_iq_load(const IqLoadSettings& settings)
{
    IqLoadReport report;
    report.label = settings.label;
    report.users = settings.pool.users;
    asio::io_context io{1};
    SessionPool pool(io, settings.pool);
    std::vector<double> samples;

    // One phase: every lane asks back to back until `end`; counted only when `measure`.
    auto phase = [&](Clock::time_point end, bool measure) -> asio::awaitable<void> {
        auto& sessions = pool.sessions();
        const std::size_t lanes =
            std::min<std::size_t>(static_cast<std::size_t>(settings.concurrency), sessions.size());
        const auto timeout =
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(settings.pool.step_timeout));
        co_await for_each_concurrently(io, lanes, lanes, [&](std::size_t lane) -> asio::awaitable<void> {
            xml::Element iq = make_request(settings);
            std::size_t k = lane;
            std::size_t idle = 0;  // consecutive dead sessions met: all of this lane's are dead
            while (Clock::now() < end && idle * lanes < sessions.size() + lanes) {
                auto& s = sessions[k];
                k += lanes;
                if (k >= sessions.size()) k = lane;
                if (!s) {
                    ++idle;
                    continue;
                }
                idle = 0;
                const auto start = Clock::now();
                s->set_deadline(start + timeout);
                try {
                    auto reply = co_await s->request(iq);
                    s->set_deadline(Clock::time_point::max());
                    const auto* query = reply.child("query", settings.query_ns);
                    const long items =
                        query ? static_cast<long>(query->children("item", settings.query_ns).size()) : -1;
                    if (settings.expect_items >= 0 && items != settings.expect_items) {
                        pool.fail(s, "answer",
                                  "expected " + std::to_string(settings.expect_items) + " items, got " +
                                      std::to_string(items));
                        continue;
                    }
                    if (report.answer_bytes < 0 && query) {
                        report.answer_bytes = static_cast<long>(xml::serialize(*query).size());
                        report.items_per_answer = items;
                    }
                    if (measure) samples.push_back(seconds_between(start, Clock::now()) * 1e6);
                } catch (const std::exception& e) {
                    pool.fail(s, "request", e.what());
                }
            }
        });
    };

    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            report.logged_in = co_await pool.login_all();
            std::fprintf(stderr, "%s: %ld of %ld users logged in\n", settings.label.c_str(), report.logged_in,
                         report.users);
            auto secs = [](double s) {
                return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
            };
            co_await phase(Clock::now() + secs(settings.warmup_seconds), false);
            const double server_cpu_0 = settings.server_pid > 0 ? cpu_seconds(settings.server_pid).value_or(-1) : -1;
            const double client_cpu_0 = process_cpu_seconds();
            const auto start = Clock::now();
            co_await phase(start + secs(settings.seconds), true);
            report.seconds = seconds_between(start, Clock::now());
            report.requests = static_cast<long>(samples.size());
            if (report.requests > 0) {
                report.client_cpu_us_per_request =
                    (process_cpu_seconds() - client_cpu_0) * 1e6 / static_cast<double>(report.requests);
                if (server_cpu_0 >= 0)
                    if (auto c = cpu_seconds(settings.server_pid))
                        report.server_cpu_us_per_request =
                            (*c - server_cpu_0) * 1e6 / static_cast<double>(report.requests);
            }
            co_await pool.close_all();
        },
        asio::detached);
    io.run();

    report.concurrency = static_cast<int>(std::min<long>(settings.concurrency, settings.pool.users));
    report.p50_us = percentile(samples, 0.50);
    report.p99_us = percentile(samples, 0.99);
    report.errors = pool.errors();
    report.failures = pool.failures();
    return report;
}

void print_iq_load(const IqLoadReport& r, std::ostream& out)
{
    char line[640];
    std::snprintf(line, sizeof line,
                  "%s: %ld users (%ld logged in), concurrency %d: %ld answers in %.2f s = %.0f/s "
                  "(p50 %.0f us, p99 %.0f us); %ld items, %ld bytes per answer; server CPU %.1f us, client CPU %.1f us "
                  "per request",
                  r.label.c_str(), r.users, r.logged_in, r.concurrency, r.requests, r.seconds, r.per_second(), r.p50_us,
                  r.p99_us, r.items_per_answer, r.answer_bytes, r.server_cpu_us_per_request,
                  r.client_cpu_us_per_request);
    out << line << '\n';
    for (const auto& [what, n] : r.errors) out << "error " << n << " x " << what << '\n';
    std::snprintf(line, sizeof line,
                  "RESULT mode=iq label=%s users=%ld logged_in=%ld concurrency=%d requests=%ld seconds=%.3f "
                  "per_s=%.1f p50_us=%.0f p99_us=%.0f items=%ld answer_bytes=%ld server_cpu_us=%.2f client_cpu_us=%.2f "
                  "failures=%ld",
                  r.label.c_str(), r.users, r.logged_in, r.concurrency, r.requests, r.seconds, r.per_second(), r.p50_us,
                  r.p99_us, r.items_per_answer, r.answer_bytes, r.server_cpu_us_per_request,
                  r.client_cpu_us_per_request, r.failures);
    out << line << '\n';
}

}  // namespace wl::bench
