// bench_c2s: the client-to-server load generator. The same binary measures any
// XMPP server that offers STARTTLS and SCRAM, so waitlistd and Prosody are compared by one
// client in one run; see bench_vs_prosody.sh.
#include "tests/bench/c2s/account_files.hpp"
#include "tests/bench/c2s/load_run.hpp"
#include "tests/bench/c2s/options.hpp"

#include <csignal>
#include <exception>
#include <iostream>

namespace {

using namespace wl::bench;

constexpr const char* usage = R"(usage:
  bench_c2s run --port P --domain D --users N --password PW [--host 127.0.0.1]
      [--prefix bench] [--first 1] [--login-concurrency 50] [--ping-concurrency 50]
      [--ping-seconds 10] [--hold-seconds 5] [--timeout 60] [--threads 1]
      [--server-pid PID] [--label NAME] [--mechanism SCRAM-SHA-1|SCRAM-SHA-256]
      [--resource bench] [--presence] [--tls 1.2|1.3]
    Logs in users PREFIX<first>..PREFIX<first+N-1>, holds them, reads the server's VmRSS
    (with --server-pid) before the logins and after the idle period, checks every session
    with a ping, then pings at the given concurrency. Prints a report and a RESULT line.
    Exit status 1 if any session failed.
  bench_c2s prosody-accounts --dir ACCOUNTS_DIR --count N --password PW
      [--prefix bench] [--first 1] [--iterations 4096] [--threads 2]
    Writes Prosody 0.12 internal_hashed account files (SCRAM-SHA-1).
  bench_c2s credentials --count N --password PW [--prefix bench] [--first 1]
      [--iterations 4096] [--threads 2] [--mechanism SCRAM-SHA-1|SCRAM-SHA-256]
    Prints "user salt iterations StoredKey ServerKey" (base64, tab-separated) per user.
)";

wl::proto::sasl::ScramHash mechanism(const Options& o)
{
    auto name = o.text("mechanism", "SCRAM-SHA-1");
    auto hash = wl::proto::sasl::scram_hash_from_mechanism(name);
    if (!hash) throw std::invalid_argument("--mechanism must be SCRAM-SHA-1 or SCRAM-SHA-256");
    return *hash;
}

AccountBatch account_batch(const Options& o)
{
    AccountBatch batch;
    batch.prefix = o.text("prefix", "bench");
    batch.first = o.integer("first", 1, 0, 1'000'000'000);
    batch.count = o.integer("count", 0, 1, 10'000'000);
    batch.password = o.required("password");
    batch.iterations = static_cast<int>(o.integer("iterations", batch.iterations, 1, 10'000'000));
    batch.threads = static_cast<int>(o.integer("threads", 2, 1, 64));
    batch.hash = mechanism(o);
    return batch;
}

int run(int argc, char** argv)
{
    Options o(argc, argv, 2,
              {"host", "port", "domain", "users", "password", "prefix", "first", "login-concurrency",
               "ping-concurrency", "ping-seconds", "hold-seconds", "timeout", "threads", "server-pid", "label",
               "mechanism", "resource", "tls"},
              {"presence"});
    const std::string version = o.text("tls", "1.3");
    if (version != "1.2" && version != "1.3") throw std::invalid_argument("--tls must be 1.2 or 1.3");
    auto tls = make_client_tls_context(version == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION);
    LoadSettings s;
    s.session.server = {boost::asio::ip::make_address(o.text("host", "127.0.0.1")),
                        static_cast<unsigned short>(o.integer("port", 0, 1, 65535))};
    if (!o.has("port")) throw std::invalid_argument("--port is required");
    s.session.domain = o.required("domain");
    s.session.password = o.required("password");
    s.session.resource = o.text("resource", "bench");
    s.session.mechanism = mechanism(o);
    s.session.send_presence = o.has("presence");
    s.session.tls = tls.get();
    s.label = o.text("label", s.session.domain);
    s.user_prefix = o.text("prefix", "bench");
    s.first_user = o.integer("first", 1, 0, 1'000'000'000);
    s.users = o.integer("users", 0, 1, 1'000'000);
    if (!o.has("users")) throw std::invalid_argument("--users is required");
    s.login_concurrency = static_cast<int>(o.integer("login-concurrency", 50, 1, 100'000));
    s.ping_concurrency = static_cast<int>(o.integer("ping-concurrency", 50, 1, 100'000));
    s.ping_seconds = o.seconds("ping-seconds", 10);
    s.hold_seconds = o.seconds("hold-seconds", 5);
    s.step_timeout = o.seconds("timeout", 60);
    s.threads = static_cast<int>(o.integer("threads", 1, 1, 64));
    s.server_pid = static_cast<int>(o.integer("server-pid", 0, 0, 1 << 30));

    auto report = run_load(s);
    print_report(report, std::cout);
    const bool clean = report.errors.empty() && report.logins_ok == s.users && report.held == s.users;
    return clean ? 0 : 1;
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
        if (mode == "run") return run(argc, argv);
        if (mode == "prosody-accounts") {
            Options o(argc, argv, 2, {"dir", "count", "password", "prefix", "first", "iterations", "threads"}, {});
            write_prosody_accounts(account_batch(o), o.required("dir"));
            return 0;
        }
        if (mode == "credentials") {
            Options o(argc, argv, 2, {"count", "password", "prefix", "first", "iterations", "threads", "mechanism"},
                      {});
            write_credentials_tsv(account_batch(o), std::cout);
            return 0;
        }
        std::cerr << usage;
        return 2;
    } catch (const std::invalid_argument& e) {
        std::cerr << "bench_c2s: " << e.what() << "\n" << usage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "bench_c2s: " << e.what() << "\n";
        return 1;
    }
}
