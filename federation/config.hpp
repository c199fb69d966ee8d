#pragma once
// What the server tells federation: which domains are ours, how to reach and trust peers,
// and every bound. Plain data; the server maps its TOML onto it ([s2s] and [tls] in docs/configuration.md).
#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace wl::federation {

struct PeerPolicy {
    // No dialback fallback: the peer must present a certificate that validates for its domain.
    bool require_valid_certificate = false;
};

struct FederationConfig {
    // Domains we send from and answer for (the provider's domain and its service subdomain,
    // e.g. "sp.example" and "waitlist.sp.example"). Dialback verify requests for any of them
    // are answered; incoming streams to any other domain get host-unknown.
    std::vector<std::string> local_domains;
    std::string dialback_secret;  // XEP-0185; the same on every node of a cluster

    std::map<std::string, std::string> routes;  // remote domain -> "host:port", bypasses DNS
    std::string nameserver;                     // "ip:port"[,...]; empty = the system's resolver
    bool hosts_file = true;                     // SRV targets from the hosts file before DNS (ResolverOptions)

    // TLS: our certificate for both directions (peers may authenticate us by it) and where
    // to find the CAs that make a peer's certificate valid.
    std::string tls_cert_file;
    std::string tls_key_file;
    std::string tls_ca_file;    // extra CA bundle, PEM; may be empty
    bool use_system_ca = true;  // the system store as well
    bool require_tls = true;    // refuse streams that do not negotiate TLS

    std::map<std::string, PeerPolicy> peers;  // per remote domain
    PeerPolicy default_policy;

    // Where incoming s2s connections are accepted, "ip:port" each: STARTTLS, and direct TLS
    // from the first byte (XEP-0368, published as _xmpps-server._tcp).
    std::vector<std::string> listen;
    std::vector<std::string> listen_direct_tls;

    std::chrono::milliseconds connect_timeout{5000};                  // one TCP connect
    std::chrono::milliseconds negotiation_timeout{15000};             // connected -> authenticated
    std::chrono::milliseconds dialback_timeout{15000};                // a db:verify round trip
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};  // no stanza either way
    std::chrono::milliseconds backoff_initial{1000};                  // after a failed connection
    std::chrono::milliseconds backoff_max{std::chrono::minutes(2)};
    std::chrono::milliseconds shutdown_grace{2000};  // waiting for peers' </stream:stream>
    std::chrono::milliseconds dns_timeout{1500};     // one DNS try (two tries)

    std::size_t max_queued_per_peer = 1000;  // stanzas waiting for a stream to open
    std::size_t max_stanza_bytes = 65536;
    std::size_t max_write_buffer = 4 * 1024 * 1024;  // a peer that stops reading is dropped
    std::size_t max_incoming_streams = 1000;

    const PeerPolicy& policy_for(const std::string& domain) const
    {
        auto it = peers.find(domain);
        return it == peers.end() ? default_policy : it->second;
    }
};

}  // namespace wl::federation
