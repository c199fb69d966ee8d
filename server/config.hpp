#pragma once
// The configuration file (every key in docs/configuration.md) as plain data, and its loader. Loading validates
// everything and collects every problem with the key it concerns, so an operator fixes a
// broken file in one round; unknown keys are problems too, because a typo in a key would
// otherwise silently fall back to a default.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wl::server {

using Duration = std::chrono::milliseconds;

struct Endpoint {
    std::string host;  // an IP literal or a host name, without brackets
    std::uint16_t port = 0;
    std::string to_string() const;
};

struct TlsConfig {
    std::string cert = "var/cert.pem";  // resolved against the config file's directory
    std::string key = "var/key.pem";
    std::string ca;  // empty: the system store
};

struct StorageConfig {
    std::string backend = "sqlite";  // "sqlite" | "postgresql"
    std::string path = "var/waitlistd.db";
    std::string dsn;
};

struct C2sConfig {
    std::vector<Endpoint> listen;      // STARTTLS
    std::vector<Endpoint> direct_tls;  // XEP-0368
    bool require_tls = true;
    bool allow_plain = false;         // SASL PLAIN, and then only over TLS
    bool allow_registration = false;  // XEP-0077 in-band registration
    // "own": after a TLS 1.3 handshake the engine frees OpenSSL's connection and runs the
    // record layer itself; "openssl": every connection stays with OpenSSL (no rebuild needed
    // to turn the hand-over off).
    std::string tls_record_layer = "own";
    bool channel_binding = true;  // SCRAM-*-PLUS over our own TLS (README: channel binding)
};

struct S2sConfig {
    std::vector<Endpoint> listen;
    std::string dialback_secret;
    std::map<std::string, Endpoint> routes;  // domain -> address, bypassing DNS
    std::optional<Endpoint> nameserver;
    // s2s.host_lookup: "hosts-then-dns" (true) or "dns-only" (false), for SRV targets.
    bool hosts_file = true;
    bool is_enabled() const { return !listen.empty() || !routes.empty(); }
};

struct HttpConfig {
    std::vector<Endpoint> listen;
    std::string admin_token;
    // /xmpp-websocket streams count as encrypted (SASL PLAIN, c2s.require_tls satisfied):
    // for a listener reached only through a TLS-terminating proxy.
    bool websocket_secure = false;
};

// Scheme ("tel" | "mailto") -> E.164 prefixes or mail domains.
using Serves = std::map<std::string, std::vector<std::string>>;

struct WaitlistConfig {
    std::string jid;  // defaults to "waitlist." + domain
    std::vector<std::string> schemes{"tel", "mailto"};
    std::string default_region = "US";
    Serves serves;
    std::string push_type = "normal";  // "normal" | "headline"
    Duration partner_timeout = std::chrono::seconds(10);
    int retry_attempts = 5;
    Duration retry_period = std::chrono::hours(1);
    // How often our queries are compared with each partner's own list of them (also soon
    // after start, and when a stream with a partner comes up); zero: only when an operator
    // asks (POST /v1/partners/reconcile).
    Duration reconcile_interval = std::chrono::hours(1);
};

struct PartnerConfig {
    std::string jid;  // the partner's WaitingListService, when known
    // Or only the partner's domain: its service is discovered there (jabber:iq:agents, then
    // disco#items; XEP-0130 §4.2), and may live on another domain (implementation note 3).
    std::string domain;
    Serves serves;                    // empty: ask about any URI not served here
    bool require_valid_cert = false;  // no dialback: its certificate must validate (XEP-0178)

    // What the partner is called in the database and in jobs: its jid, else its domain.
    const std::string& key() const { return jid.empty() ? domain : jid; }
};

struct LimitsConfig {
    std::size_t max_stanza_bytes = 65536;
    Duration auth_timeout = std::chrono::seconds(30);  // from connect until bound
    int preauth_stanzas = 30;                          // stanzas/elements accepted before authentication
    int max_auth_failures = 3;                         // SASL retries before the stream is closed
    double rate_bytes = 64 * 1024;                     // bytes/s, sustained
    double rate_bytes_burst = 256 * 1024;
    double rate_stanzas = 100;  // stanzas/s, sustained
    double rate_stanzas_burst = 400;
    int max_connections_per_ip = 100;
    Duration idle_timeout = std::chrono::minutes(10);  // no byte from the peer
    std::size_t max_send_queue = 1000;                 // stanzas queued for a slow reader
    Duration shutdown_grace = std::chrono::seconds(5);
};

struct LogConfig {
    std::string level = "info";   // trace debug info warn error critical off
    std::string format = "text";  // text: one plain line per event; json: one JSON object per line
};

struct Config {
    std::string domain;
    std::string config_dir;  // directory of the file, for relative paths
    TlsConfig tls;
    StorageConfig storage;
    C2sConfig c2s;
    S2sConfig s2s;
    HttpConfig http;
    WaitlistConfig waitlist;
    std::vector<PartnerConfig> partners;
    LimitsConfig limits;
    LogConfig log;

    // A path from the file, made absolute against the file's directory.
    std::string resolve_path(std::string_view path) const;
};

struct ConfigResult {
    std::optional<Config> config;     // set only when errors is empty
    std::vector<std::string> errors;  // "key: problem", in file order where possible
};

ConfigResult load_config_file(const std::string& path);
// For tests: parse TOML text; config_dir is used for relative paths.
ConfigResult load_config_string(std::string_view toml_text, std::string config_dir = ".");

// "10s", "250ms", "5m", "1h", "2d"; nullopt for anything else.
std::optional<Duration> parse_duration(std::string_view text);
// "127.0.0.1:5222", "[::1]:5222", "localhost:5222"; nullopt for anything else.
std::optional<Endpoint> parse_endpoint(std::string_view text);

}  // namespace wl::server
