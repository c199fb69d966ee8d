#include "server/config_print.hpp"

#include <fmt/format.h>

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

}  // namespace

std::string print_config(const Config& c)
{
    std::string o;
    auto line = [&o](std::string_view key, const std::string& value) { o += fmt::format("{} = {}\n", key, value); };
    line("domain", toml_string(c.domain));
    o += "\n[tls]\n";
    line("cert", toml_string(c.tls.cert));
    line("key", toml_string(c.tls.key));
    line("ca", toml_string(c.tls.ca));
    o += "\n[storage]\n";
    line("backend", toml_string(c.storage.backend));
    line("path", toml_string(c.storage.path));
    line("dsn", toml_string(dsn_without_password(c.storage.dsn)));
    o += "\n[c2s]\n";
    line("listen", toml_endpoints(c.c2s.listen));
    line("direct_tls", toml_endpoints(c.c2s.direct_tls));
    line("require_tls", toml_bool(c.c2s.require_tls));
    line("allow_plain", toml_bool(c.c2s.allow_plain));
    line("allow_registration", toml_bool(c.c2s.allow_registration));
    line("tls_record_layer", toml_string(c.c2s.tls_record_layer));
    line("channel_binding", toml_bool(c.c2s.channel_binding));
    o += "\n[s2s]\n";
    line("listen", toml_endpoints(c.s2s.listen));
    line("dialback_secret", toml_secret(c.s2s.dialback_secret));
    line("nameserver", toml_string(c.s2s.nameserver ? c.s2s.nameserver->to_string() : ""));
    line("host_lookup", toml_string(c.s2s.hosts_file ? "hosts-then-dns" : "dns-only"));
    o += "\n[http]\n";
    line("listen", toml_endpoints(c.http.listen));
    line("admin_token", toml_secret(c.http.admin_token));
    line("websocket_secure", toml_bool(c.http.websocket_secure));
    o += "\n[waitlist]\n";
    line("jid", toml_string(c.waitlist.jid));
    line("schemes", toml_strings(c.waitlist.schemes));
    line("default_region", toml_string(c.waitlist.default_region));
    line("serves", toml_serves(c.waitlist.serves));
    line("push_type", toml_string(c.waitlist.push_type));
    line("partner_timeout", toml_duration(c.waitlist.partner_timeout));
    line("retry_attempts", std::to_string(c.waitlist.retry_attempts));
    line("retry_period", toml_duration(c.waitlist.retry_period));
    line("reconcile_interval", toml_duration(c.waitlist.reconcile_interval));
    o += "\n[limits]\n";
    line("max_stanza_bytes", std::to_string(c.limits.max_stanza_bytes));
    line("auth_timeout", toml_duration(c.limits.auth_timeout));
    line("preauth_stanzas", std::to_string(c.limits.preauth_stanzas));
    line("max_auth_failures", std::to_string(c.limits.max_auth_failures));
    line("rate_bytes", fmt::format("{}", c.limits.rate_bytes));
    line("rate_bytes_burst", fmt::format("{}", c.limits.rate_bytes_burst));
    line("rate_stanzas", fmt::format("{}", c.limits.rate_stanzas));
    line("rate_stanzas_burst", fmt::format("{}", c.limits.rate_stanzas_burst));
    line("max_connections_per_ip", std::to_string(c.limits.max_connections_per_ip));
    line("idle_timeout", toml_duration(c.limits.idle_timeout));
    line("max_send_queue", std::to_string(c.limits.max_send_queue));
    line("shutdown_grace", toml_duration(c.limits.shutdown_grace));
    o += "\n[log]\n";
    line("level", toml_string(c.log.level));
    line("format", toml_string(c.log.format));
    if (!c.s2s.routes.empty()) {
        o += "\n[s2s.routes]\n";
        for (const auto& [domain, endpoint] : c.s2s.routes)
            line(toml_string(domain), toml_string(endpoint.to_string()));
    }
    for (const auto& p : c.partners) {
        o += "\n[[partners]]\n";
        if (!p.jid.empty()) line("jid", toml_string(p.jid));
        if (!p.domain.empty()) line("domain", toml_string(p.domain));
        line("serves", toml_serves(p.serves));
        line("require_valid_cert", toml_bool(p.require_valid_cert));
    }
    return o;
}

}  // namespace wl::server
