#pragma once
// Fan-out: K users wait for one contact (their items are in the database already), all of
// them online with initial presence; the contact registers through the admin API; the
// figure is the time from sending that request until the K-th JID push has been read by
// its client. Each push is checked: from the service, a <waitlist/> item carrying the
// contact's JID; anything else does not count.
#include "tests/bench/waitlist/session_pool.hpp"

#include <ostream>
#include <string>

namespace wl::bench {

struct FanoutSettings {
    PoolSettings pool;
    std::string service;  // the waiting list service's JID (the pushes' sender)
    std::string contact;  // the JID the registration creates
    std::string contact_password;
    std::string uri;  // the contact's URI every user waits for (canonical)
    std::string http_host = "127.0.0.1";
    unsigned short http_port = 0;
    std::string token;
    double settle_seconds = 1;  // after the logins, before the registration
    double push_timeout = 600;  // for the last push
};

struct FanoutReport {
    long users = 0;
    long logged_in = 0;
    double login_seconds = 0;
    long received = 0;              // valid pushes read
    double last_push_seconds = -1;  // registration request sent -> K-th push read
    double p50_push_seconds = -1;
    double first_push_seconds = -1;
    double http_seconds = -1;  // registration request sent -> its answer read
    int http_status = 0;
    long failures = 0;
    std::map<std::string, long> errors;
};

FanoutReport run_fanout(const FanoutSettings& settings);
void print_fanout(const FanoutReport& report, std::ostream& out);

}  // namespace wl::bench
