// wl_load: the waiting list load generator in C++. Python clients cannot hold ten
// thousand sessions on the two cores that also run the server; this one can (the c2s
// bench's ClientSession: STARTTLS, SCRAM, one thread). The same binary loads Prosody, so the
// retrieve rate is compared with Prosody's roster get by one client in one run.
#include "tests/bench/c2s/options.hpp"
#include "tests/bench/waitlist/fanout_run.hpp"
#include "tests/bench/waitlist/iq_load_run.hpp"

#include <csignal>
#include <exception>
#include <iostream>

namespace {

using namespace wl::bench;

constexpr const char* usage = R"(usage:
  wl_load fanout --port P --domain D --users K --password PW --http-port H --token T
      --contact JID --uri URI [--service waitlist.D] [--prefix bench] [--first 1]
      [--login-concurrency 100] [--settle-seconds 1] [--push-timeout 600] [--timeout 120]
    Logs in users PREFIX<first>.. with initial presence (each already waits for URI), then
    creates the account JID with URI through POST /v1/accounts and waits until every user
    has read its JID push. RESULT line: last_push_s is request sent -> K-th push read.
  wl_load iq --port P --domain D --users N --password PW --query-ns NS [--to JID]
      [--expect-items N] [--concurrency 50] [--seconds 10] [--warmup-seconds 1]
      [--prefix bench] [--first 1] [--login-concurrency 100] [--timeout 60]
      [--server-pid PID] [--label NAME]
    Logs in N users, then sends <iq type='get'><query xmlns=NS/></iq> back to back,
    CONCURRENCY at once, for SECONDS; every answer must hold N items (--expect-items).
Exit status 1 if any user failed a step.
)";

const std::set<std::string> common = {"host",     "port",   "domain", "users",
                                      "password", "prefix", "first",  "login-concurrency",
                                      "timeout"};

std::set<std::string> with(std::set<std::string> more)
{
    more.insert(common.begin(), common.end());
    return more;
}

PoolSettings pool_settings(const Options& o, SSL_CTX* tls, bool presence)
{
    PoolSettings p;
    p.session.server = {boost::asio::ip::make_address(o.text("host", "127.0.0.1")),
                        static_cast<unsigned short>(o.integer("port", 0, 1, 65535))};
    if (!o.has("port")) throw std::invalid_argument("--port is required");
    p.session.domain = o.required("domain");
    p.session.password = o.required("password");
    p.session.send_presence = presence;
    p.session.tls = tls;
    p.prefix = o.text("prefix", "bench");
    p.first = o.integer("first", 1, 0, 1'000'000'000);
    if (!o.has("users")) throw std::invalid_argument("--users is required");
    p.users = o.integer("users", 1, 1, 1'000'000);
    p.login_concurrency = static_cast<int>(o.integer("login-concurrency", 100, 1, 100'000));
    p.step_timeout = o.seconds("timeout", 120);
    return p;
}

int fanout(int argc, char** argv)
{
    Options o(argc, argv, 2,
              with({"http-port", "token", "contact", "uri", "service", "settle-seconds", "push-timeout"}), {});
    auto tls = make_client_tls_context();
    FanoutSettings s;
    s.pool = pool_settings(o, tls.get(), true);
    s.service = o.text("service", "waitlist." + s.pool.session.domain);
    s.contact = o.required("contact");
    s.contact_password = s.pool.session.password;
    s.uri = o.required("uri");
    s.http_port = static_cast<unsigned short>(o.integer("http-port", 0, 1, 65535));
    s.token = o.required("token");
    s.settle_seconds = o.seconds("settle-seconds", 1);
    s.push_timeout = o.seconds("push-timeout", 600);
    auto report = run_fanout(s);
    print_fanout(report, std::cout);
    return report.failures == 0 && report.received == report.users ? 0 : 1;
}

int iq(int argc, char** argv)
{
    Options o(argc, argv, 2,
              with({"query-ns", "to", "expect-items", "concurrency", "seconds", "warmup-seconds", "server-pid",
                    "label"}),
              {});
    auto tls = make_client_tls_context();
    IqLoadSettings s;
    s.pool = pool_settings(o, tls.get(), false);
    s.query_ns = o.required("query-ns");
    s.to = o.text("to", "");
    s.expect_items = o.integer("expect-items", -1, -1, 1'000'000);
    s.concurrency = static_cast<int>(o.integer("concurrency", 50, 1, 100'000));
    s.seconds = o.seconds("seconds", 10);
    s.warmup_seconds = o.seconds("warmup-seconds", 1);
    s.server_pid = static_cast<int>(o.integer("server-pid", 0, 0, 1 << 30));
    s.label = o.text("label", s.pool.session.domain);
    auto report = run_iq_load(s);
    print_iq_load(report, std::cout);
    return report.failures == 0 && report.logged_in == report.users ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv)
{
    // OpenSSL writes to the sockets itself, without MSG_NOSIGNAL: a server that hangs up
    // must cost one session, not the process.
    std::signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        std::cerr << usage;
        return 2;
    }
    const std::string mode = argv[1];
    try {
        if (mode == "fanout") return fanout(argc, argv);
        if (mode == "iq") return iq(argc, argv);
        std::cerr << usage;
        return 2;
    } catch (const std::invalid_argument& e) {
        std::cerr << "wl_load: " << e.what() << "\n" << usage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "wl_load: " << e.what() << "\n";
        return 1;
    }
}
