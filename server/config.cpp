#include "server/config.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include <toml++/toml.h>

#include "proto/jid.hpp"

namespace wl::server {

namespace {

std::string key_of(std::string_view prefix, std::string_view key)
{
    if (prefix.empty()) return std::string(key);
    return std::string(prefix) + "." + std::string(key);
}

std::string type_name(const toml::node& node)
{
    static constexpr std::pair<toml::node_type, const char*> names[] = {
        {toml::node_type::string, "a string"},         {toml::node_type::integer, "an integer"},
        {toml::node_type::floating_point, "a number"}, {toml::node_type::boolean, "a boolean"},
        {toml::node_type::array, "an array"},          {toml::node_type::table, "a table"},
    };
    for (const auto& [type, name] : names)
        if (node.type() == type) return name;
    return "a date or time";
}

// Reads typed values out of tables and records each problem under its dotted key.
class Reader {
public:
    explicit Reader(std::vector<std::string>& errors) : errors_(errors) {}

    void error(const std::string& key, const std::string& problem) { errors_.push_back(key + ": " + problem); }

    void reject_unknown(const toml::table& table, std::string_view prefix,
                        std::initializer_list<std::string_view> known)
    {
        for (auto&& [k, v] : table) {
            (void)v;
            if (std::find(known.begin(), known.end(), k.str()) == known.end())
                error(key_of(prefix, k.str()), "unknown key");
        }
    }

    const toml::table* table(const toml::table& parent, std::string_view prefix, std::string_view key)
    {
        const toml::node* node = parent.get(key);
        if (!node) return nullptr;
        if (!node->is_table()) {
            error(key_of(prefix, key), "must be a table, not " + type_name(*node));
            return nullptr;
        }
        return node->as_table();
    }

    void string(const toml::table& t, std::string_view prefix, std::string_view key, std::string& out)
    {
        const toml::node* node = t.get(key);
        if (!node) return;
        if (auto s = node->value<std::string>(); s && node->is_string())
            out = *s;
        else
            error(key_of(prefix, key), "must be a string, not " + type_name(*node));
    }

    void boolean(const toml::table& t, std::string_view prefix, std::string_view key, bool& out)
    {
        const toml::node* node = t.get(key);
        if (!node) return;
        if (node->is_boolean())
            out = *node->value<bool>();
        else
            error(key_of(prefix, key), "must be true or false, not " + type_name(*node));
    }

    void integer(const toml::table& t, std::string_view prefix, std::string_view key, std::int64_t min,
                 std::int64_t max, auto& out)
    {
        const toml::node* node = t.get(key);
        if (!node) return;
        if (!node->is_integer()) {
            error(key_of(prefix, key), "must be an integer, not " + type_name(*node));
            return;
        }
        std::int64_t v = *node->value<std::int64_t>();
        if (v < min || v > max) {
            error(key_of(prefix, key),
                  std::to_string(v) + " is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
            return;
        }
        out = static_cast<std::remove_reference_t<decltype(out)>>(v);
    }

    void number(const toml::table& t, std::string_view prefix, std::string_view key, double min, double& out)
    {
        const toml::node* node = t.get(key);
        if (!node) return;
        if (!node->is_number()) {
            error(key_of(prefix, key), "must be a number, not " + type_name(*node));
            return;
        }
        double v = node->is_integer() ? double(*node->value<std::int64_t>()) : *node->value<double>();
        if (v < min) {
            error(key_of(prefix, key), "must be at least " + std::to_string(min));
            return;
        }
        out = v;
    }

    void duration(const toml::table& t, std::string_view prefix, std::string_view key, Duration& out,
                  bool allow_zero = false)
    {
        const toml::node* node = t.get(key);
        if (!node) return;
        if (!node->is_string()) {
            error(key_of(prefix, key), "must be a duration string like \"10s\", not " + type_name(*node));
            return;
        }
        auto text = *node->value<std::string>();
        auto d = parse_duration(text);
        if (!d || d->count() < 0 || (d->count() == 0 && !allow_zero))
            error(key_of(prefix, key), "'" + text + "' is not a duration like \"10s\", \"5m\", \"1h\"");
        else
            out = *d;
    }

    void strings(const toml::table& t, std::string_view prefix, std::string_view key, std::vector<std::string>& out)
    {
        const toml::node* node = t.get(key);
        if (!node) return;
        strings_of(*node, key_of(prefix, key), out);
    }

    void strings_of(const toml::node& node, const std::string& full_key, std::vector<std::string>& out)
    {
        const toml::array* arr = node.as_array();
        if (!arr) {
            error(full_key, "must be an array of strings, not " + type_name(node));
            return;
        }
        out.clear();
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const toml::node& el = *arr->get(i);
            if (el.is_string())
                out.push_back(*el.value<std::string>());
            else
                error(full_key + "[" + std::to_string(i) + "]", "must be a string, not " + type_name(el));
        }
    }

    void endpoints(const toml::table& t, std::string_view prefix, std::string_view key, std::vector<Endpoint>& out)
    {
        std::vector<std::string> texts;
        const toml::node* node = t.get(key);
        if (!node) return;
        std::string full = key_of(prefix, key);
        strings_of(*node, full, texts);
        out.clear();
        for (std::size_t i = 0; i < texts.size(); ++i) {
            if (auto ep = parse_endpoint(texts[i]))
                out.push_back(*ep);
            else
                error(full + "[" + std::to_string(i) + "]", "'" + texts[i] + "' is not host:port");
        }
    }

    void serves(const toml::node& node, const std::string& full_key, Serves& out)
    {
        const toml::table* t = node.as_table();
        if (!t) {
            error(full_key,
                  "must be a table like { tel = [\"+1\"], mailto = [\"example.com\"] }, not " + type_name(node));
            return;
        }
        for (auto&& [k, v] : *t) {
            std::string scheme(k.str());
            std::string sub = full_key + "." + scheme;
            if (scheme != "tel" && scheme != "mailto") {
                error(sub, "unknown scheme (tel or mailto)");
                continue;
            }
            std::vector<std::string> values;
            strings_of(v, sub, values);
            for (std::size_t i = 0; i < values.size(); ++i) {
                const std::string& s = values[i];
                bool ok = scheme == "tel"
                              ? (s.size() >= 2 && s[0] == '+' &&
                                 std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; }))
                              : (!s.empty() && s.find('@') == std::string::npos && proto::Jid::parse(s).has_value());
                if (!ok)
                    error(sub + "[" + std::to_string(i) + "]", scheme == "tel"
                                                                   ? "'" + s + "' is not an E.164 prefix like \"+33\""
                                                                   : "'" + s + "' is not a mail domain");
            }
            out[scheme] = std::move(values);
        }
    }

private:
    std::vector<std::string>& errors_;
};

bool is_domain(const std::string& s)
{
    auto jid = proto::Jid::parse(s);
    return jid && !jid->has_node() && !jid->has_resource();
}

void read_all(const toml::table& root, Reader& r, Config& c)
{
    r.reject_unknown(root, "",
                     {"domain", "tls", "storage", "c2s", "s2s", "http", "waitlist", "partners", "limits", "log"});

    if (const toml::node* d = root.get("domain"); !d) r.error("domain", "missing (the provider's XMPP domain)");
    r.string(root, "", "domain", c.domain);
    if (root.get("domain") && root.get("domain")->is_string()) {
        if (auto jid = proto::Jid::parse(c.domain); jid && !jid->has_node() && !jid->has_resource())
            c.domain = jid->domain();
        else
            r.error("domain", "'" + c.domain + "' is not a domain name");
    }

    if (auto* t = r.table(root, "", "tls")) {
        r.reject_unknown(*t, "tls", {"cert", "key", "ca"});
        r.string(*t, "tls", "cert", c.tls.cert);
        r.string(*t, "tls", "key", c.tls.key);
        r.string(*t, "tls", "ca", c.tls.ca);
        if (c.tls.cert.empty()) r.error("tls.cert", "must not be empty");
        if (c.tls.key.empty()) r.error("tls.key", "must not be empty");
    }

    if (auto* t = r.table(root, "", "storage")) {
        r.reject_unknown(*t, "storage", {"backend", "path", "dsn"});
        r.string(*t, "storage", "backend", c.storage.backend);
        r.string(*t, "storage", "path", c.storage.path);
        r.string(*t, "storage", "dsn", c.storage.dsn);
    }
    if (c.storage.backend == "sqlite") {
        if (c.storage.path.empty()) r.error("storage.path", "required for the sqlite backend");
    } else if (c.storage.backend == "postgresql") {
        if (c.storage.dsn.empty()) r.error("storage.dsn", "required for the postgresql backend");
    } else {
        r.error("storage.backend", "'" + c.storage.backend + "' is not \"sqlite\" or \"postgresql\"");
    }

    if (auto* t = r.table(root, "", "c2s")) {
        r.reject_unknown(*t, "c2s",
                         {"listen", "direct_tls", "require_tls", "allow_plain", "allow_registration",
                          "tls_record_layer", "channel_binding"});
        r.endpoints(*t, "c2s", "listen", c.c2s.listen);
        r.endpoints(*t, "c2s", "direct_tls", c.c2s.direct_tls);
        r.boolean(*t, "c2s", "require_tls", c.c2s.require_tls);
        r.boolean(*t, "c2s", "allow_plain", c.c2s.allow_plain);
        r.boolean(*t, "c2s", "allow_registration", c.c2s.allow_registration);
        r.string(*t, "c2s", "tls_record_layer", c.c2s.tls_record_layer);
        if (c.c2s.tls_record_layer != "own" && c.c2s.tls_record_layer != "openssl")
            r.error("c2s.tls_record_layer", "'" + c.c2s.tls_record_layer + "' is not \"own\" or \"openssl\"");
        r.boolean(*t, "c2s", "channel_binding", c.c2s.channel_binding);
    }

    if (auto* t = r.table(root, "", "s2s")) {
        r.reject_unknown(*t, "s2s", {"listen", "dialback_secret", "routes", "nameserver", "host_lookup"});
        r.endpoints(*t, "s2s", "listen", c.s2s.listen);
        r.string(*t, "s2s", "dialback_secret", c.s2s.dialback_secret);
        if (auto* routes = r.table(*t, "s2s", "routes")) {
            for (auto&& [k, v] : *routes) {
                std::string key = "s2s.routes." + std::string(k.str());
                if (!is_domain(std::string(k.str())))
                    r.error(key, "'" + std::string(k.str()) + "' is not a domain name");
                if (!v.is_string()) {
                    r.error(key, "must be a \"host:port\" string, not " + type_name(v));
                    continue;
                }
                auto text = *v.value<std::string>();
                if (auto ep = parse_endpoint(text))
                    c.s2s.routes[std::string(k.str())] = *ep;
                else
                    r.error(key, "'" + text + "' is not host:port");
            }
        }
        std::string ns;
        r.string(*t, "s2s", "nameserver", ns);
        if (!ns.empty()) {
            if (auto ep = parse_endpoint(ns))
                c.s2s.nameserver = *ep;
            else
                r.error("s2s.nameserver", "'" + ns + "' is not host:port");
        }
        std::string host_lookup = "hosts-then-dns";
        r.string(*t, "s2s", "host_lookup", host_lookup);
        if (host_lookup == "dns-only")
            c.s2s.hosts_file = false;
        else if (host_lookup != "hosts-then-dns")
            r.error("s2s.host_lookup", "'" + host_lookup + "' is not \"hosts-then-dns\" or \"dns-only\"");
        if (c.s2s.is_enabled() && c.s2s.dialback_secret.empty())
            r.error("s2s.dialback_secret", "required when s2s is on (s2s.listen or s2s.routes set)");
    }

    if (auto* t = r.table(root, "", "http")) {
        r.reject_unknown(*t, "http", {"listen", "admin_token", "websocket_secure"});
        r.endpoints(*t, "http", "listen", c.http.listen);
        r.string(*t, "http", "admin_token", c.http.admin_token);
        r.boolean(*t, "http", "websocket_secure", c.http.websocket_secure);
    }

    if (auto* t = r.table(root, "", "waitlist")) {
        r.reject_unknown(*t, "waitlist",
                         {"jid", "schemes", "default_region", "serves", "push_type", "partner_timeout",
                          "retry_attempts", "retry_period", "reconcile_interval"});
        r.string(*t, "waitlist", "jid", c.waitlist.jid);
        if (!c.waitlist.jid.empty() && !is_domain(c.waitlist.jid))
            r.error("waitlist.jid", "'" + c.waitlist.jid + "' is not a service JID (a domain)");
        r.strings(*t, "waitlist", "schemes", c.waitlist.schemes);
        for (std::size_t i = 0; i < c.waitlist.schemes.size(); ++i)
            if (c.waitlist.schemes[i] != "tel" && c.waitlist.schemes[i] != "mailto")
                r.error("waitlist.schemes[" + std::to_string(i) + "]",
                        "'" + c.waitlist.schemes[i] + "' is not \"tel\" or \"mailto\"");
        r.string(*t, "waitlist", "default_region", c.waitlist.default_region);
        if (c.waitlist.default_region.size() != 2 ||
            !std::all_of(c.waitlist.default_region.begin(), c.waitlist.default_region.end(),
                         [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
            r.error("waitlist.default_region", "'" + c.waitlist.default_region + "' is not a region code like \"US\"");
        if (const toml::node* s = t->get("serves")) r.serves(*s, "waitlist.serves", c.waitlist.serves);
        r.string(*t, "waitlist", "push_type", c.waitlist.push_type);
        if (c.waitlist.push_type != "normal" && c.waitlist.push_type != "headline")
            r.error("waitlist.push_type", "'" + c.waitlist.push_type + "' is not \"normal\" or \"headline\"");
        r.duration(*t, "waitlist", "partner_timeout", c.waitlist.partner_timeout);
        r.integer(*t, "waitlist", "retry_attempts", 0, 1000, c.waitlist.retry_attempts);
        r.duration(*t, "waitlist", "retry_period", c.waitlist.retry_period);
        r.duration(*t, "waitlist", "reconcile_interval", c.waitlist.reconcile_interval, true);
    }
    if (c.waitlist.jid.empty() && !c.domain.empty()) c.waitlist.jid = "waitlist." + c.domain;

    if (const toml::node* p = root.get("partners")) {
        const toml::array* arr = p->as_array();
        if (!arr) {
            r.error("partners", "must be an array of tables ([[partners]]), not " + type_name(*p));
        } else {
            for (std::size_t i = 0; i < arr->size(); ++i) {
                std::string key = "partners[" + std::to_string(i) + "]";
                const toml::table* t = arr->get(i)->as_table();
                if (!t) {
                    r.error(key, "must be a table");
                    continue;
                }
                r.reject_unknown(*t, key, {"jid", "domain", "serves", "require_valid_cert"});
                PartnerConfig partner;
                if (!t->get("jid") && !t->get("domain"))
                    r.error(key + ".jid", "missing (give the service's jid, or the partner's domain to discover it)");
                if (t->get("jid") && t->get("domain"))
                    r.error(key + ".domain", "give jid or domain, not both (domain is only for discovering the jid)");
                r.string(*t, key, "jid", partner.jid);
                if (!partner.jid.empty() && !is_domain(partner.jid))
                    r.error(key + ".jid", "'" + partner.jid + "' is not a service JID (a domain)");
                r.string(*t, key, "domain", partner.domain);
                if (!partner.domain.empty() && !is_domain(partner.domain))
                    r.error(key + ".domain", "'" + partner.domain + "' is not a domain");
                if (const toml::node* s = t->get("serves")) r.serves(*s, key + ".serves", partner.serves);
                r.boolean(*t, key, "require_valid_cert", partner.require_valid_cert);
                // The certificate policy names its peer in advance; a discovered service may
                // be on any domain, so it could talk to us uncovered by the policy.
                if (partner.require_valid_cert && partner.jid.empty() && !partner.domain.empty())
                    r.error(key + ".require_valid_cert",
                            "needs the service's jid: a service discovered from a domain may be on any domain");
                c.partners.push_back(std::move(partner));
            }
        }
    }

    if (auto* t = r.table(root, "", "limits")) {
        r.reject_unknown(*t, "limits",
                         {"max_stanza_bytes", "auth_timeout", "preauth_stanzas", "max_auth_failures", "rate_bytes",
                          "rate_bytes_burst", "rate_stanzas", "rate_stanzas_burst", "max_connections_per_ip",
                          "idle_timeout", "max_send_queue", "shutdown_grace"});
        r.integer(*t, "limits", "max_stanza_bytes", 1024, 64 * 1024 * 1024, c.limits.max_stanza_bytes);
        r.duration(*t, "limits", "auth_timeout", c.limits.auth_timeout);
        r.integer(*t, "limits", "preauth_stanzas", 1, 100000, c.limits.preauth_stanzas);
        r.integer(*t, "limits", "max_auth_failures", 1, 100, c.limits.max_auth_failures);
        r.number(*t, "limits", "rate_bytes", 1, c.limits.rate_bytes);
        r.number(*t, "limits", "rate_bytes_burst", 1, c.limits.rate_bytes_burst);
        r.number(*t, "limits", "rate_stanzas", 0.001, c.limits.rate_stanzas);
        r.number(*t, "limits", "rate_stanzas_burst", 1, c.limits.rate_stanzas_burst);
        r.integer(*t, "limits", "max_connections_per_ip", 1, 10000000, c.limits.max_connections_per_ip);
        r.duration(*t, "limits", "idle_timeout", c.limits.idle_timeout);
        r.integer(*t, "limits", "max_send_queue", 1, 10000000, c.limits.max_send_queue);
        r.duration(*t, "limits", "shutdown_grace", c.limits.shutdown_grace);
        // A burst smaller than one stanza would refuse every stanza of the maximum size.
        if (c.limits.rate_bytes_burst < double(c.limits.max_stanza_bytes))
            r.error("limits.rate_bytes_burst",
                    "must be at least limits.max_stanza_bytes (" + std::to_string(c.limits.max_stanza_bytes) + ")");
    }

    if (auto* t = r.table(root, "", "log")) {
        r.reject_unknown(*t, "log", {"level", "format"});
        r.string(*t, "log", "level", c.log.level);
        r.string(*t, "log", "format", c.log.format);
        if (c.log.format != "text" && c.log.format != "json")
            r.error("log.format", "'" + c.log.format + "' is not one of text, json");
        static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "critical", "off"};
        if (!levels.count(c.log.level))
            r.error("log.level", "'" + c.log.level + "' is not one of trace, debug, info, warn, error, critical, off");
    }

    if (c.c2s.listen.empty() && c.c2s.direct_tls.empty() && c.http.listen.empty())
        r.error("c2s.listen", "no client listener configured (c2s.listen, c2s.direct_tls or http.listen)");
}

ConfigResult parse_and_read(std::string_view text, std::string config_dir, const std::string& source)
{
    ConfigResult result;
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        result.errors.push_back(source + ":" + std::to_string(e.source().begin.line) + ":" +
                                std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
        return result;
    }
    Config c;
    c.config_dir = std::move(config_dir);
    Reader r(result.errors);
    read_all(root, r, c);
    if (result.errors.empty()) result.config = std::move(c);
    return result;
}

}  // namespace

std::string Endpoint::to_string() const
{
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

std::string Config::resolve_path(std::string_view path) const
{
    std::filesystem::path p(path);
    if (p.is_absolute() || config_dir.empty()) return p.string();
    return (std::filesystem::path(config_dir) / p).lexically_normal().string();
}

std::optional<Duration> parse_duration(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == 0 || i > 12) return std::nullopt;
    std::int64_t n = 0;
    std::from_chars(text.data(), text.data() + i, n);
    std::string_view unit = text.substr(i);
    using namespace std::chrono;
    if (unit == "ms") return Duration(n);
    if (unit == "s") return duration_cast<Duration>(seconds(n));
    if (unit == "m") return duration_cast<Duration>(minutes(n));
    if (unit == "h") return duration_cast<Duration>(hours(n));
    if (unit == "d") return duration_cast<Duration>(hours(24 * n));
    return std::nullopt;
}

std::optional<Endpoint> parse_endpoint(std::string_view text)
{
    Endpoint ep;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
        ep.host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
        ep.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
    }
    if (ep.host.empty() || port_text.empty() || port_text.size() > 5) return std::nullopt;
    for (char ch : ep.host)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == ':' || ch == '_'))
            return std::nullopt;
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535) return std::nullopt;
    ep.port = static_cast<std::uint16_t>(port);
    return ep;
}

ConfigResult load_config_file(const std::string& path)
{
    ConfigResult result;
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) {
        result.errors.push_back(path + ": cannot read: " + ec.message());
        return result;
    }
    std::string text(size, '\0');
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
        text.resize(std::fread(text.data(), 1, text.size(), f));
        std::fclose(f);
    } else {
        result.errors.push_back(path + ": cannot open");
        return result;
    }
    auto dir = std::filesystem::absolute(std::filesystem::path(path)).parent_path().string();
    return parse_and_read(text, dir, path);
}

ConfigResult load_config_string(std::string_view toml_text, std::string config_dir)
{
    return parse_and_read(toml_text, std::move(config_dir), "config");
}

}  // namespace wl::server
