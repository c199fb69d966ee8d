#include "tests/bench/c2s/load_run.hpp"

#include "tests/bench/c2s/proc_stats.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace wl::bench {

namespace {

using namespace std::chrono_literals;

// One io thread: its io_context, its share of the sessions and what it measured.
struct Worker {
    explicit Worker(std::size_t i) : index(i) {}
    std::size_t index;
    asio::io_context io{1};
    std::vector<long> user_numbers;
    std::vector<std::unique_ptr<ClientSession>> sessions;  // null once a session failed
    std::vector<double> samples;                           // latencies of the current phase
    std::map<std::string, long> errors;
    // Successes and failures of the current phase; atomic because the progress line reads them.
    std::atomic<long> count{0};
    std::atomic<long> failed{0};
    bool phase_done = false;
    std::exception_ptr failure;
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double process_cpu_seconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double percentile(std::vector<double>& values, double p)
{
    if (values.empty()) return 0;
    auto k = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    std::nth_element(values.begin(), values.begin() + static_cast<long>(k), values.end());
    return values[k];
}

void record_failure(Worker& w, std::unique_ptr<ClientSession>& session, const char* step, const std::exception& e)
{
    std::string what = session && session->timed_out() ? "timed out" : e.what();
    if (what.size() > 120) what.resize(120);
    ++w.errors[std::string(step) + ": " + what];
    ++w.failed;
    if (session) session->abort();
    session.reset();
}

// Closes the connections whose current step is overdue; Asio 1.74 has no per-operation
// timeouts, and one timer for all sessions is cheaper than one per session.
asio::awaitable<void> watchdog(Worker& w)
{
    asio::steady_timer timer(w.io);
    while (!w.phase_done) {
        timer.expires_after(200ms);
        co_await timer.async_wait(asio::use_awaitable);
        auto now = Clock::now();
        for (auto& s : w.sessions)
            if (s) s->expire_if_due(now);
    }
}

// Runs body(index) for index in [0, count) with at most `concurrency` running at once.
asio::awaitable<void> for_each_concurrently(Worker& w, std::size_t count, int concurrency,
                                            std::function<asio::awaitable<void>(std::size_t)> body)
{
    if (count == 0 || concurrency <= 0) co_return;
    auto next = std::make_shared<std::size_t>(0);
    auto running = std::make_shared<int>(0);
    asio::steady_timer all_done(w.io, Clock::time_point::max());
    int lanes = static_cast<int>(std::min<std::size_t>(count, static_cast<std::size_t>(concurrency)));
    for (int lane = 0; lane < lanes; ++lane) {
        ++*running;
        asio::co_spawn(
            w.io,
            [&, next, running]() -> asio::awaitable<void> {
                while (*next < count) co_await body((*next)++);
                if (--*running == 0) all_done.cancel();
            },
            asio::detached);
    }
    while (*running > 0) {
        try {
            co_await all_done.async_wait(asio::use_awaitable);
        } catch (const boost::system::system_error&) {
        }
    }
}

// Runs one phase on every worker thread and returns when all are done; a phase that lasts
// shows a progress line on stderr every 5 s, so a run with 10 000 users is not silent.
void run_phase(std::vector<std::unique_ptr<Worker>>& workers, const char* name,
               const std::function<asio::awaitable<void>(Worker&)>& phase)
{
    std::vector<std::thread> threads;
    std::atomic<std::size_t> finished{0};
    for (auto& wp : workers) {
        Worker& w = *wp;
        w.samples.clear();
        w.count = 0;
        w.failed = 0;
        w.phase_done = false;
        w.io.restart();
        asio::co_spawn(
            w.io,
            [&w, &phase]() -> asio::awaitable<void> {
                try {
                    co_await phase(w);
                } catch (...) {
                    w.failure = std::current_exception();
                }
                w.phase_done = true;
            },
            asio::detached);
        asio::co_spawn(w.io, watchdog(w), asio::detached);
        threads.emplace_back([&w, &finished] {
            w.io.run();
            ++finished;
        });
    }
    const auto start = Clock::now();
    auto next_report = start + 5s;
    while (finished < workers.size()) {
        std::this_thread::sleep_for(50ms);
        if (Clock::now() < next_report) continue;
        next_report += 5s;
        long ok = 0, failed = 0;
        for (auto& w : workers) {
            ok += w->count;
            failed += w->failed;
        }
        std::fprintf(stderr, "progress: %s %ld ok, %ld failed after %.0f s\n", name, ok, failed, seconds_since(start));
    }
    for (auto& t : threads) t.join();
    for (auto& w : workers)
        if (w->failure) std::rethrow_exception(w->failure);
}

int share(int total, std::size_t index, std::size_t parts)
{
    return static_cast<int>(total / static_cast<long>(parts) +
                            (static_cast<long>(index) < total % static_cast<long>(parts) ? 1 : 0));
}

std::vector<double> gather_samples(std::vector<std::unique_ptr<Worker>>& workers)
{
    std::vector<double> all;
    for (auto& w : workers) all.insert(all.end(), w->samples.begin(), w->samples.end());
    return all;
}

long gather_count(std::vector<std::unique_ptr<Worker>>& workers)
{
    long n = 0;
    for (auto& w : workers) n += w->count;
    return n;
}

}  // namespace

double LoadReport::server_rss_per_session_kib() const
{
    if (server_rss_before_kib < 0 || server_rss_idle_kib < 0 || held <= 0) return -1;
    return static_cast<double>(server_rss_idle_kib - server_rss_before_kib) / static_cast<double>(held);
}

LoadReport run_load(const LoadSettings& settings)
{
    LoadReport report;
    report.label = settings.label;
    report.users = settings.users;
    report.login_concurrency = settings.login_concurrency;
    const auto step_timeout =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(settings.step_timeout));

    const auto thread_count = static_cast<std::size_t>(std::max(1, settings.threads));
    std::vector<std::unique_ptr<Worker>> workers;
    for (std::size_t t = 0; t < thread_count; ++t) workers.push_back(std::make_unique<Worker>(t));
    for (long i = 0; i < settings.users; ++i)
        workers[static_cast<std::size_t>(i) % thread_count]->user_numbers.push_back(settings.first_user + i);

    auto server_cpu = [&]() -> double {
        if (settings.server_pid <= 0) return -1;
        return cpu_seconds(settings.server_pid).value_or(-1);
    };
    auto server_rss = [&]() -> long {
        if (settings.server_pid <= 0) return -1;
        return vm_rss_kib(settings.server_pid).value_or(-1);
    };

    // Login: every user, `login_concurrency` at a time.
    report.client_rss_before_kib = vm_rss_kib(static_cast<int>(getpid())).value_or(-1);
    report.server_rss_before_kib = server_rss();
    const double server_cpu_0 = server_cpu();
    const double client_cpu_0 = process_cpu_seconds();
    const auto login_start = Clock::now();
    run_phase(workers, "login", [&](Worker& w) -> asio::awaitable<void> {
        w.sessions.resize(w.user_numbers.size());
        co_await for_each_concurrently(w, w.user_numbers.size(),
                                       share(settings.login_concurrency, w.index, workers.size()),
                                       [&](std::size_t i) -> asio::awaitable<void> {
                                           auto& s = w.sessions[i];
                                           s = std::make_unique<ClientSession>(w.io, settings.session,
                                                                               settings.user_prefix +
                                                                                   std::to_string(w.user_numbers[i]));
                                           const auto start = Clock::now();
                                           s->set_deadline(start + step_timeout);
                                           try {
                                               co_await s->login();
                                               s->set_deadline(Clock::time_point::max());
                                               w.samples.push_back(seconds_since(start) * 1e3);
                                               ++w.count;
                                           } catch (const std::exception& e) {
                                               record_failure(w, s, "login", e);
                                           }
                                       });
    });
    report.login_seconds = seconds_since(login_start);
    report.logins_ok = gather_count(workers);
    {
        auto samples = gather_samples(workers);
        report.login_p50_ms = percentile(samples, 0.50);
        report.login_p99_ms = percentile(samples, 0.99);
    }
    if (report.logins_ok > 0) {
        report.client_cpu_per_login_ms = (process_cpu_seconds() - client_cpu_0) * 1e3 / report.logins_ok;
        if (double c = server_cpu(); c >= 0 && server_cpu_0 >= 0)
            report.server_cpu_per_login_ms = (c - server_cpu_0) * 1e3 / report.logins_ok;
    }
    report.client_rss_kib = vm_rss_kib(static_cast<int>(getpid())).value_or(-1);

    // Idle: nothing is sent for hold_seconds, then the server's memory is read.
    std::this_thread::sleep_for(std::chrono::duration<double>(settings.hold_seconds));
    report.server_rss_idle_kib = server_rss();

    // Held: a session counts only if it still answers a ping.
    run_phase(workers, "held check", [&](Worker& w) -> asio::awaitable<void> {
        co_await for_each_concurrently(w, w.sessions.size(), share(settings.login_concurrency, w.index, workers.size()),
                                       [&](std::size_t i) -> asio::awaitable<void> {
                                           auto& s = w.sessions[i];
                                           if (!s) co_return;
                                           s->set_deadline(Clock::now() + step_timeout);
                                           try {
                                               co_await s->ping();
                                               s->set_deadline(Clock::time_point::max());
                                               ++w.count;
                                           } catch (const std::exception& e) {
                                               record_failure(w, s, "held check", e);
                                           }
                                       });
    });
    report.held = gather_count(workers);

    // Pings: ping_concurrency sessions, each one ping after another, for ping_seconds.
    long live = report.held;
    report.ping_concurrency = static_cast<int>(std::min<long>(settings.ping_concurrency, live));
    const double server_cpu_2 = server_cpu();
    const auto ping_start = Clock::now();
    const auto ping_end =
        ping_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(settings.ping_seconds));
    run_phase(workers, "ping", [&](Worker& w) -> asio::awaitable<void> {
        std::vector<std::size_t> pingers;
        const auto wanted = static_cast<std::size_t>(share(report.ping_concurrency, w.index, workers.size()));
        for (std::size_t i = 0; i < w.sessions.size() && pingers.size() < wanted; ++i)
            if (w.sessions[i]) pingers.push_back(i);
        co_await for_each_concurrently(w, pingers.size(), static_cast<int>(pingers.size()),
                                       [&](std::size_t k) -> asio::awaitable<void> {
                                           auto& s = w.sessions[pingers[k]];
                                           while (s && Clock::now() < ping_end) {
                                               const auto start = Clock::now();
                                               s->set_deadline(start + step_timeout);
                                               try {
                                                   co_await s->ping();
                                                   w.samples.push_back(seconds_since(start) * 1e6);
                                                   ++w.count;
                                               } catch (const std::exception& e) {
                                                   record_failure(w, s, "ping", e);
                                               }
                                           }
                                           if (s) s->set_deadline(Clock::time_point::max());
                                       });
    });
    report.ping_seconds = seconds_since(ping_start);
    report.pings = gather_count(workers);
    {
        auto samples = gather_samples(workers);
        report.ping_p50_us = percentile(samples, 0.50);
        report.ping_p99_us = percentile(samples, 0.99);
    }
    if (double c = server_cpu(); c >= 0 && server_cpu_2 >= 0 && report.pings > 0)
        report.server_cpu_per_ping_us = (c - server_cpu_2) * 1e6 / report.pings;

    // Close every stream politely so the server is idle again for the next run.
    run_phase(workers, "close", [&](Worker& w) -> asio::awaitable<void> {
        co_await for_each_concurrently(w, w.sessions.size(), 200, [&](std::size_t i) -> asio::awaitable<void> {
            auto& s = w.sessions[i];
            if (!s) co_return;
            s->set_deadline(Clock::now() + 5s);
            try {
                co_await s->close_stream();
            } catch (const std::exception&) {
                // The measurement is over; a stream that fails to close cleanly changes nothing.
            }
            s.reset();
        });
    });

    for (auto& w : workers)
        for (auto& [what, n] : w->errors) report.errors[what] += n;
    return report;
}

void print_report(const LoadReport& r, std::ostream& out)
{
    char line[512];
    auto emit = [&](const char* fmt, auto... args) {
        std::snprintf(line, sizeof line, fmt, args...);
        out << line << '\n';
    };
    emit("== %s: %ld users", r.label.c_str(), r.users);
    emit("logins        %ld ok in %.2f s at concurrency %d: %.1f logins/s (p50 %.1f ms, p99 %.1f ms)", r.logins_ok,
         r.login_seconds, r.login_concurrency, r.logins_per_second(), r.login_p50_ms, r.login_p99_ms);
    emit("cpu/login     server %.2f ms, client %.2f ms", r.server_cpu_per_login_ms, r.client_cpu_per_login_ms);
    emit("held          %ld sessions answered a ping after the idle period", r.held);
    emit("server RSS    %ld KiB before, %ld KiB idle with sessions: %.1f KiB per session", r.server_rss_before_kib,
         r.server_rss_idle_kib, r.server_rss_per_session_kib());
    emit("client RSS    %ld KiB before, %ld KiB with sessions: %.1f KiB per session", r.client_rss_before_kib,
         r.client_rss_kib,
         r.logins_ok > 0
             ? static_cast<double>(r.client_rss_kib - r.client_rss_before_kib) / static_cast<double>(r.logins_ok)
             : 0.0);
    emit(
        "pings         %ld in %.2f s at concurrency %d: %.0f pings/s (p50 %.0f us, p99 %.0f us), server cpu %.1f "
        "us/ping",
        r.pings, r.ping_seconds, r.ping_concurrency, r.pings_per_second(), r.ping_p50_us, r.ping_p99_us,
        r.server_cpu_per_ping_us);
    long failures = 0;
    for (const auto& [what, n] : r.errors) {
        emit("error         %ld x %s", n, what.c_str());
        failures += n;
    }
    emit(
        "RESULT label=%s users=%ld logins_ok=%ld login_s=%.3f logins_per_s=%.1f login_p50_ms=%.2f login_p99_ms=%.2f "
        "server_cpu_ms_per_login=%.3f client_cpu_ms_per_login=%.3f held=%ld rss_before_kib=%ld rss_idle_kib=%ld "
        "rss_kib_per_session=%.2f pings=%ld pings_per_s=%.1f ping_p50_us=%.0f ping_p99_us=%.0f "
        "server_cpu_us_per_ping=%.2f ping_concurrency=%d failures=%ld",
        r.label.c_str(), r.users, r.logins_ok, r.login_seconds, r.logins_per_second(), r.login_p50_ms, r.login_p99_ms,
        r.server_cpu_per_login_ms, r.client_cpu_per_login_ms, r.held, r.server_rss_before_kib, r.server_rss_idle_kib,
        r.server_rss_per_session_kib(), r.pings, r.pings_per_second(), r.ping_p50_us, r.ping_p99_us,
        r.server_cpu_per_ping_us, r.ping_concurrency, failures);
}

}  // namespace wl::bench
