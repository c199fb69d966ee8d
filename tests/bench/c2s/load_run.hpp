#pragma once
// The measurement: N users log in at a given concurrency and stay connected; the server's
// resident memory is read before and after; every held session must answer one ping; then
// a given number of sessions ping back to back for a fixed time. Client work is spread over
// io threads, each with its own io_context and its own share of the sessions.
#include "tests/bench/c2s/client_session.hpp"

#include <map>
#include <ostream>
#include <string>

namespace wl::bench {

struct LoadSettings {
    SessionSettings session;
    std::string label = "server";       // name in the report
    std::string user_prefix = "bench";  // users are user_prefix + number
    long first_user = 1;
    long users = 100;
    int login_concurrency = 50;
    int ping_concurrency = 50;
    double ping_seconds = 10;
    double hold_seconds = 5;   // idle time between the last login and the RSS reading
    double step_timeout = 60;  // one login, one ping, one close
    int threads = 1;
    int server_pid = 0;  // 0: no server memory or CPU figures
};

struct LoadReport {
    std::string label;
    long users = 0;
    long logins_ok = 0;
    double login_seconds = 0;
    double login_p50_ms = 0, login_p99_ms = 0;
    double client_cpu_per_login_ms = 0;
    double server_cpu_per_login_ms = -1;
    long server_rss_before_kib = -1, server_rss_idle_kib = -1;
    long client_rss_before_kib = -1, client_rss_kib = -1;
    long held = 0;
    long pings = 0;
    double ping_seconds = 0;
    double ping_p50_us = 0, ping_p99_us = 0;
    double server_cpu_per_ping_us = -1;
    int ping_concurrency = 0;
    int login_concurrency = 0;
    std::map<std::string, long> errors;  // message -> count, for every failed step

    double logins_per_second() const { return login_seconds > 0 ? logins_ok / login_seconds : 0; }
    double pings_per_second() const { return ping_seconds > 0 ? pings / ping_seconds : 0; }
    double server_rss_per_session_kib() const;
};

LoadReport run_load(const LoadSettings& settings);

// A readable block, then one "RESULT key=value ..." line for scripts.
void print_report(const LoadReport& report, std::ostream& out);

}  // namespace wl::bench
