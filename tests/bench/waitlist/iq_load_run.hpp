#pragma once
// IQ load: N logged-in users send one kind of IQ get (a waiting list retrieve, a roster
// get) back to back at a given concurrency for a fixed time. Every answer must be a
// result whose <query/> holds the expected number of <item/>s, so two servers compared
// with this load did the same work per request; a short answer counts as a failure.
#include "tests/bench/waitlist/session_pool.hpp"

#include <ostream>
#include <string>

namespace wl::bench {

struct IqLoadSettings {
    PoolSettings pool;
    std::string label = "server";
    std::string to;          // empty: no 'to' (the account itself, as a roster get)
    std::string query_ns;    // <query xmlns=query_ns/>
    long expect_items = -1;  // -1: any number
    int concurrency = 50;    // requests in flight; lane j uses users j, j+C, j+2C, ...
    double seconds = 10;
    double warmup_seconds = 1;  // same load, not counted
    int server_pid = 0;         // 0: no server CPU figure
};

struct IqLoadReport {
    std::string label;
    long users = 0;
    long logged_in = 0;
    long requests = 0;
    double seconds = 0;
    double p50_us = 0, p99_us = 0;
    double server_cpu_us_per_request = -1;
    double client_cpu_us_per_request = -1;
    long items_per_answer = -1;
    long answer_bytes = -1;  // the serialized <query/> of the first answer
    int concurrency = 0;
    long failures = 0;
    std::map<std::string, long> errors;

    double per_second() const { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }
};

IqLoadReport run_iq_load(const IqLoadSettings& settings);
void print_iq_load(const IqLoadReport& report, std::ostream& out);

}  // namespace wl::bench
