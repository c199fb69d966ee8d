#include "tests/bench/waitlist/fanout_run.hpp"

#include "proto/ns.hpp"
#include "tests/bench/waitlist/admin_post.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <thread>

namespace wl::bench {

namespace xml = proto::xml;
namespace ns = proto::ns;

namespace {

bool is_push_for(const xml::Element& stanza, const FanoutSettings& s)
{
    if (!stanza.is("message", ns::client) || stanza.attr_or("from") != s.service) return false;
    const auto* list = stanza.child("waitlist", ns::waitinglist);
    const auto* item = list ? list->child("item", ns::waitinglist) : nullptr;
    return item && item->attr_or("jid") == s.contact;
}

}  // namespace

FanoutReport run_fanout(const FanoutSettings& settings)
{
    FanoutReport report;
    report.users = settings.pool.users;
    asio::io_context io{1};
    SessionPool pool(io, settings.pool);
    std::vector<double> arrivals;
    std::thread registrar;

    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            const auto login_start = Clock::now();
            report.logged_in = co_await pool.login_all();
            report.login_seconds = seconds_between(login_start, Clock::now());
            std::fprintf(stderr, "fanout: %ld of %ld users logged in in %.1f s\n", report.logged_in, report.users,
                         report.login_seconds);

            // Let the server finish the initial presences (and their login hooks) first.
            asio::steady_timer settle(io);
            settle.expires_after(
                std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(settings.settle_seconds)));
            co_await settle.async_wait(asio::use_awaitable);

            const long expected = pool.live();
            asio::steady_timer all_in(io, Clock::time_point::max());
            const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(settings.push_timeout));
            long waiting = expected;
            Clock::time_point sent{};
            for (auto& s : pool.sessions()) {
                if (!s) continue;
                s->set_deadline(deadline);
                asio::co_spawn(
                    io,
                    [&, session = &s]() -> asio::awaitable<void> {
                        try {
                            for (;;) {
                                auto stanza = co_await (*session)->receive();
                                if (!is_push_for(stanza, settings)) continue;
                                arrivals.push_back(seconds_between(sent, Clock::now()));
                                (*session)->set_deadline(Clock::time_point::max());
                                break;
                            }
                        } catch (const std::exception& e) {
                            pool.fail(*session, "push", e.what());
                        }
                        if (--waiting == 0) all_in.cancel();
                    },
                    asio::detached);
            }

            sent = Clock::now();
            const std::string body = "{\"jid\":" + json_string(settings.contact) +
                                     ",\"password\":" + json_string(settings.contact_password) + ",\"uris\":[" +
                                     json_string(settings.uri) + "]}";
            registrar = std::thread([&, body] {
                auto answer = post_json(settings.http_host, settings.http_port, "/v1/accounts", settings.token, body);
                const double took = seconds_between(sent, Clock::now());
                asio::post(io, [&, answer, took] {
                    report.http_status = answer.status;
                    report.http_seconds = took;
                    if (answer.status == 201) return;
                    ++report.errors["registration: HTTP " + std::to_string(answer.status) + " " + answer.error +
                                    answer.body];
                    // No push will come: let the watchdog end the wait now.
                    for (auto& s : pool.sessions())
                        if (s) s->set_deadline(Clock::now());
                });
            });
            while (waiting > 0) {
                boost::system::error_code ec;
                co_await all_in.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
            co_await pool.close_all();
        },
        asio::detached);
    io.run();
    if (registrar.joinable()) registrar.join();
    io.restart();
    io.run();  // the registrar's last post

    report.received = static_cast<long>(arrivals.size());
    if (!arrivals.empty()) {
        report.first_push_seconds = *std::min_element(arrivals.begin(), arrivals.end());
        report.last_push_seconds = *std::max_element(arrivals.begin(), arrivals.end());
        report.p50_push_seconds = percentile(arrivals, 0.5);
    }
    for (const auto& [what, n] : pool.errors()) report.errors[what] += n;
    for (const auto& [what, n] : report.errors) report.failures += n;
    return report;
}

void print_fanout(const FanoutReport& r, std::ostream& out)
{
    char line[512];
    std::snprintf(line, sizeof line,
                  "fan-out: %ld users, %ld logged in (%.1f s); %ld pushes read; first %.3f s, "
                  "median %.3f s, last %.3f s after the registration was sent; registration answered %d in %.3f s",
                  r.users, r.logged_in, r.login_seconds, r.received, r.first_push_seconds, r.p50_push_seconds,
                  r.last_push_seconds, r.http_status, r.http_seconds);
    out << line << '\n';
    for (const auto& [what, n] : r.errors) out << "error " << n << " x " << what << '\n';
    std::snprintf(line, sizeof line,
                  "RESULT mode=fanout users=%ld logged_in=%ld login_s=%.2f received=%ld "
                  "first_push_s=%.4f p50_push_s=%.4f last_push_s=%.4f http_status=%d http_s=%.4f failures=%ld",
                  r.users, r.logged_in, r.login_seconds, r.received, r.first_push_seconds, r.p50_push_seconds,
                  r.last_push_seconds, r.http_status, r.http_seconds, r.failures);
    out << line << '\n';
}

}  // namespace wl::bench
