#include <doctest.h>

#include <algorithm>

#include "server/config.hpp"
#include "server/config_print.hpp"

using namespace wl::server;

namespace {

bool has_error(const ConfigResult& r, std::string_view prefix)
{
    return std::any_of(r.errors.begin(), r.errors.end(), [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
}

}  // namespace

TEST_CASE("a minimal configuration loads with the documented defaults")
{
    auto r = load_config_string("domain = \"Example.TEST\"\n[c2s]\nlisten = [\"127.0.0.1:5222\"]\n", "/etc/wl");
    REQUIRE(r.errors.empty());
    const Config& c = *r.config;
    CHECK(c.domain == "example.test");
    CHECK(c.waitlist.jid == "waitlist.example.test");
    CHECK(c.c2s.require_tls);
    CHECK_FALSE(c.c2s.allow_plain);
    CHECK_FALSE(c.c2s.allow_registration);
    CHECK(c.c2s.channel_binding);
    CHECK(c.limits.max_stanza_bytes == 65536);
    CHECK(c.storage.backend == "sqlite");
    CHECK(c.resolve_path(c.storage.path) == "/etc/wl/var/waitlistd.db");
    CHECK(c.resolve_path("/abs/x.pem") == "/abs/x.pem");
    REQUIRE(c.c2s.listen.size() == 1);
    CHECK(c.c2s.listen[0].host == "127.0.0.1");
    CHECK(c.c2s.listen[0].port == 5222);
}

TEST_CASE("every problem is reported at once, each with its key")
{
    auto r = load_config_string(R"(
domain = "example.test"
[c2s]
listen = ["127.0.0.1:5222", "abc"]
require_tls = "yes"
[waitlist]
push_type = "loud"
partner_timeout = "ten seconds"
schemes = ["tel", "sms"]
serves = { tel = ["33"], fax = [] }
[limits]
max_stanza_bytes = 10
idle_timeout = "5m"
[log]
level = "chatty"
format = "xml"
)");
    CHECK_FALSE(r.config);
    CHECK(has_error(r, "c2s.listen[1]: 'abc' is not host:port"));
    CHECK(has_error(r, "c2s.require_tls: must be true or false"));
    CHECK(has_error(r, "waitlist.push_type: 'loud'"));
    CHECK(has_error(r, "waitlist.partner_timeout: 'ten seconds' is not a duration"));
    CHECK(has_error(r, "waitlist.schemes[1]: 'sms'"));
    CHECK(has_error(r, "waitlist.serves.tel[0]: '33' is not an E.164 prefix"));
    CHECK(has_error(r, "waitlist.serves.fax: unknown scheme"));
    CHECK(has_error(r, "limits.max_stanza_bytes: 10 is out of range"));
    CHECK(has_error(r, "log.level: 'chatty'"));
    CHECK(has_error(r, "log.format: 'xml' is not one of text, json"));
    CHECK_FALSE(has_error(r, "limits.idle_timeout"));
}

TEST_CASE("unknown keys are errors so that typos do not pass silently")
{
    auto r = load_config_string(
        "domain = \"example.test\"\n[c2s]\nlisten = [\"127.0.0.1:5222\"]\nrequire_tsl = false\n"
        "[limit]\nx = 1\n");
    CHECK(has_error(r, "c2s.require_tsl: unknown key"));
    CHECK(has_error(r, "limit: unknown key"));
}

TEST_CASE("a missing domain and a TOML syntax error are reported")
{
    CHECK(has_error(load_config_string("[c2s]\nlisten = [\"127.0.0.1:5222\"]\n"), "domain: missing"));
    auto bad = load_config_string("domain = \"x\n");
    REQUIRE(bad.errors.size() == 1);
    CHECK(bad.errors[0].rfind("config:1:", 0) == 0);
}

TEST_CASE("s2s needs a dialback secret once it listens, and partners need service JIDs")
{
    auto r = load_config_string(R"(
domain = "example.test"
[c2s]
listen = ["127.0.0.1:5222"]
[s2s]
listen = ["127.0.0.1:5269"]
routes = { "partner.test" = "127.0.0.1:5270", "bad domain" = "x" }
[[partners]]
jid = "user@partner.test"
[[partners]]
serves = { tel = ["+33"] }
)");
    CHECK(has_error(r, "s2s.dialback_secret: required"));
    CHECK(has_error(r, "s2s.routes.bad domain: 'bad domain' is not a domain name"));
    CHECK(has_error(r, "s2s.routes.bad domain: 'x' is not host:port"));
    CHECK(has_error(r, "partners[0].jid: 'user@partner.test' is not a service JID"));
    CHECK(has_error(r, "partners[1].jid: missing"));
}

TEST_CASE("SRV targets are looked up in the hosts file then DNS unless s2s.host_lookup says DNS only")
{
    const std::string base =
        "domain = \"example.test\"\n[c2s]\nlisten = [\"127.0.0.1:5222\"]\n"
        "[s2s]\nnameserver = \"127.0.0.1:5353\"\n";
    auto by_default = load_config_string(base, "/etc/wl");
    REQUIRE(by_default.errors.empty());
    CHECK(by_default.config->s2s.hosts_file);
    auto explicit_default = load_config_string(base + "host_lookup = \"hosts-then-dns\"\n", "/etc/wl");
    REQUIRE(explicit_default.errors.empty());
    CHECK(explicit_default.config->s2s.hosts_file);
    auto dns_only = load_config_string(base + "host_lookup = \"dns-only\"\n", "/etc/wl");
    REQUIRE(dns_only.errors.empty());
    CHECK_FALSE(dns_only.config->s2s.hosts_file);
    auto wrong = load_config_string(base + "host_lookup = \"system\"\n", "/etc/wl");
    CHECK(has_error(wrong, "s2s.host_lookup: 'system' is not \"hosts-then-dns\" or \"dns-only\""));
    auto not_a_string = load_config_string(base + "host_lookup = false\n", "/etc/wl");
    CHECK(has_error(not_a_string, "s2s.host_lookup"));
}

TEST_CASE("durations take ms, s, m, h and d suffixes and nothing else")
{
    using namespace std::chrono;
    CHECK(parse_duration("250ms") == Duration(250));
    CHECK(parse_duration("10s") == duration_cast<Duration>(seconds(10)));
    CHECK(parse_duration("5m") == duration_cast<Duration>(minutes(5)));
    CHECK(parse_duration("1h") == duration_cast<Duration>(hours(1)));
    CHECK(parse_duration("2d") == duration_cast<Duration>(hours(48)));
    CHECK_FALSE(parse_duration("10"));
    CHECK_FALSE(parse_duration("s"));
    CHECK_FALSE(parse_duration("1.5h"));
    CHECK_FALSE(parse_duration("-1s"));
}

TEST_CASE("endpoints are host:port, with brackets around IPv6 literals")
{
    auto v6 = parse_endpoint("[::1]:5222");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->to_string() == "[::1]:5222");
    CHECK(parse_endpoint("localhost:0"));
    CHECK_FALSE(parse_endpoint("::1:5222"));
    CHECK_FALSE(parse_endpoint("127.0.0.1"));
    CHECK_FALSE(parse_endpoint("127.0.0.1:70000"));
    CHECK_FALSE(parse_endpoint(":5222"));
    CHECK_FALSE(parse_endpoint("a b:1"));
}

TEST_CASE("a partner is given by its service jid or by its domain alone, not both")
{
    auto r = load_config_string(R"(
domain = "example.test"
[waitlist]
reconcile_interval = "0s"
[[partners]]
domain = "partner.test"
[[partners]]
jid = "waitlist.other.test"
domain = "other.test"
[[partners]]
domain = "not a domain"
[[partners]]
domain = "strict.test"
require_valid_cert = true
)",
                                "/etc/wl");
    CHECK(has_error(r, "partners[3].require_valid_cert: needs the service's jid"));
    CHECK(has_error(r, "partners[1].domain: give jid or domain, not both"));
    CHECK(has_error(r, "partners[2].domain: 'not a domain' is not a domain"));
    CHECK_FALSE(has_error(r, "partners[0]"));
    CHECK_FALSE(has_error(r, "waitlist.reconcile_interval"));
    auto ok = load_config_string(R"(
domain = "example.test"
[c2s]
listen = ["127.0.0.1:5222"]
[waitlist]
reconcile_interval = "0s"
[[partners]]
domain = "partner.test"
)",
                                 "/etc/wl");
    REQUIRE(ok.config);
    CHECK(ok.config->partners.at(0).key() == "partner.test");
    CHECK(ok.config->waitlist.reconcile_interval.count() == 0);
}

TEST_CASE("c2s.tls_record_layer is \"own\" by default, takes \"openssl\" and refuses anything else by name")
{
    const std::string base = "domain = \"example.test\"\n[c2s]\nlisten = [\"127.0.0.1:5222\"]\n";
    auto r = load_config_string(base);
    REQUIRE(r.config);
    CHECK(r.config->c2s.tls_record_layer == "own");
    r = load_config_string(base + "tls_record_layer = \"openssl\"\n");
    REQUIRE(r.config);
    CHECK(r.config->c2s.tls_record_layer == "openssl");
    r = load_config_string(base + "tls_record_layer = \"kernel\"\n");
    CHECK_FALSE(r.config);
    CHECK(has_error(r, "c2s.tls_record_layer: 'kernel' is not \"own\" or \"openssl\""));
}

TEST_CASE("the printed configuration shows every default, hides the secrets, and loads back to itself")
{
    auto r = load_config_string(R"(domain = "example.test"
[storage]
backend = "postgresql"
dsn = "host=db user=wl password=hunter2 dbname=wl"
[s2s]
dialback_secret = "dialback-hush"
[s2s.routes]
"partner.example" = "127.0.0.1:5269"
[http]
listen = ["127.0.0.1:5280"]
admin_token = "token-hush"
[[partners]]
domain = "partner.example"
serves = { tel = ["+33"] }
)");
    REQUIRE(r.config);
    const std::string printed = wl::server::print_config(*r.config);
    for (const char* line :
         {"push_type = \"normal\"", "partner_timeout = \"10s\"", "retry_period = \"1h\"", "max_stanza_bytes = 65536",
          "idle_timeout = \"10m\"", "format = \"text\"", "require_tls = true", "tls_record_layer = \"own\"",
          "channel_binding = true", "host_lookup = \"hosts-then-dns\"", "admin_token = \"[redacted]\"",
          "dialback_secret = \"[redacted]\"", "dsn = \"host=db user=wl password=[redacted] dbname=wl\"", "[[partners]]",
          "\"partner.example\" = \"127.0.0.1:5269\""}) {
        INFO(line);
        CHECK(printed.find(line) != std::string::npos);
    }
    for (const char* secret : {"hunter2", "dialback-hush", "token-hush"})
        CHECK(printed.find(secret) == std::string::npos);
    auto again = load_config_string(printed);
    INFO(printed);
    REQUIRE(again.errors.empty());
    CHECK(wl::server::print_config(*again.config) == printed);
}
