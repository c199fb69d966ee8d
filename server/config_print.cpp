#include "server/config_print.hpp"

#include <fmt/format.h>

#include <concepts>
#include <regex>

namespace wl::server {

namespace {

std::string toml_string(std::string_view s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
            continue;
        }
        out += c;
    }
    return out + "\"";
}

std::string toml_secret(std::string_view s) { return toml_string(s.empty() ? "" : "[redacted]"); }

// A libpq DSN may hold a password, as password=... or as user:password@ in a URL.
std::string dsn_without_password(const std::string& dsn)
{
    static const std::regex keyword(R"((password\s*=\s*)('[^']*'|\S+))", std::regex::icase);
    static const std::regex url(R"(^([a-z]+://[^:/@]*:)[^@]*@)", std::regex::icase);
    return std::regex_replace(std::regex_replace(dsn, keyword, "$1[redacted]"), url, "$1[redacted]@");
}

std::string toml_strings(const std::vector<std::string>& list)
{
    std::string out = "[";
    for (std::size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + toml_string(list[i]);
    return out + "]";
}

std::string toml_endpoints(const std::vector<Endpoint>& list)
{
    std::vector<std::string> text;
    for (const auto& e : list) text.push_back(e.to_string());
    return toml_strings(text);
}

// The largest unit that divides the value exactly, in the loader's own syntax.
std::string toml_duration(Duration d)
{
    const auto ms = d.count();
    for (auto [unit, size] : {std::pair{"d", 86'400'000LL}, {"h", 3'600'000LL}, {"m", 60'000LL}, {"s", 1000LL}})
        if (ms != 0 && ms % size == 0) return toml_string(fmt::format("{}{}", ms / size, unit));
    return toml_string(fmt::format("{}ms", ms));
}

std::string toml_serves(const Serves& s)
{
    std::string out = "{";
    bool first = true;
    for (const auto& [scheme, list] : s) {
        out += (first ? " " : ", ") + scheme + " = " + toml_strings(list);
        first = false;
    }
    return out + (first ? "}" : " }");
}

std::string toml_bool(bool b) { return b ? "true" : "false"; }

// A value already in TOML syntax: a redacted secret, a derived setting.
struct Toml {
    std::string text;
};

// The TOML syntax of a value follows from its C++ type alone.
std::string toml_value(const Toml& v) { return v.text; }
std::string toml_value(const std::string& v) { return toml_string(v); }
std::string toml_value(bool v) { return toml_bool(v); }
std::string toml_value(double v) { return fmt::format("{}", v); }
std::string toml_value(Duration v) { return toml_duration(v); }
std::string toml_value(const std::vector<std::string>& v) { return toml_strings(v); }
std::string toml_value(const std::vector<Endpoint>& v) { return toml_endpoints(v); }
std::string toml_value(const Serves& v) { return toml_serves(v); }
template <std::integral I>
std::string toml_value(I v)
{
    return std::to_string(v);
}

void key_values(std::string&) {}

// Arguments alternate: key, value, key, value ...
template <typename Value, typename... Rest>
void key_values(std::string& o, std::string_view key, const Value& value, const Rest&... rest)
{
    o += fmt::format("{} = {}\n", key, toml_value(value));
    key_values(o, rest...);
}

template <typename... KeysAndValues>
void table(std::string& o, std::string_view name, const KeysAndValues&... kv)
{
    o += fmt::format("\n[{}]\n", name);
    key_values(o, kv...);
}

}  // namespace

std::string print_config(const Config& c)
{
    std::string o;
    key_values(o, "domain", c.domain);
    table(o, "tls", "cert", c.tls.cert, "key", c.tls.key, "ca", c.tls.ca);
    table(o, "storage", "backend", c.storage.backend, "path", c.storage.path, "dsn",
          dsn_without_password(c.storage.dsn));
    table(o, "c2s", "listen", c.c2s.listen, "direct_tls", c.c2s.direct_tls, "require_tls", c.c2s.require_tls,
          "allow_plain", c.c2s.allow_plain, "allow_registration", c.c2s.allow_registration, "tls_record_layer",
          c.c2s.tls_record_layer, "channel_binding", c.c2s.channel_binding);
    table(o, "s2s", "listen", c.s2s.listen, "dialback_secret", Toml{toml_secret(c.s2s.dialback_secret)}, "nameserver",
          c.s2s.nameserver ? c.s2s.nameserver->to_string() : "", "host_lookup",
          std::string(c.s2s.hosts_file ? "hosts-then-dns" : "dns-only"));
    table(o, "http", "listen", c.http.listen, "admin_token", Toml{toml_secret(c.http.admin_token)}, "websocket_secure",
          c.http.websocket_secure);
    table(o, "waitlist", "jid", c.waitlist.jid, "schemes", c.waitlist.schemes, "default_region",
          c.waitlist.default_region, "serves", c.waitlist.serves, "push_type", c.waitlist.push_type, "partner_timeout",
          c.waitlist.partner_timeout, "retry_attempts", c.waitlist.retry_attempts, "retry_period",
          c.waitlist.retry_period, "reconcile_interval", c.waitlist.reconcile_interval);
    const auto& l = c.limits;
    table(o, "limits", "max_stanza_bytes", l.max_stanza_bytes, "auth_timeout", l.auth_timeout, "preauth_stanzas",
          l.preauth_stanzas, "max_auth_failures", l.max_auth_failures, "rate_bytes", l.rate_bytes, "rate_bytes_burst",
          l.rate_bytes_burst, "rate_stanzas", l.rate_stanzas, "rate_stanzas_burst", l.rate_stanzas_burst,
          "max_connections_per_ip", l.max_connections_per_ip, "idle_timeout", l.idle_timeout, "max_send_queue",
          l.max_send_queue, "shutdown_grace", l.shutdown_grace);
    table(o, "log", "level", c.log.level, "format", c.log.format);
    if (!c.s2s.routes.empty()) {
        o += "\n[s2s.routes]\n";
        for (const auto& [domain, endpoint] : c.s2s.routes) key_values(o, toml_string(domain), endpoint.to_string());
    }
    for (const auto& p : c.partners) {
        o += "\n[[partners]]\n";
        if (!p.jid.empty()) key_values(o, "jid", p.jid);
        if (!p.domain.empty()) key_values(o, "domain", p.domain);
        key_values(o, "serves", p.serves, "require_valid_cert", p.require_valid_cert);
    }
    return o;
}

}  // namespace wl::server
