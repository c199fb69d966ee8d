#pragma once
// What every stream of one Federation shares: configuration, TLS, DNS, counters, and the
// strand all of it runs on (so none of it needs locks).
#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "federation/async/asio.hpp"
#include "federation/config.hpp"
#include "federation/resolver.hpp"
#include "federation/stats.hpp"
#include "federation/tls.hpp"

namespace wl::federation {

// The live counters: updated on the strand, read from any thread (the metrics endpoint).
struct Counters {
    std::atomic<std::size_t> streams_in{0}, streams_out{0}, queued{0};
    std::atomic<std::uint64_t> stanzas_in{0}, stanzas_out{0}, bounced{0}, rejected_in{0}, dialback_ok{0},
        dialback_failed{0}, sasl_external_ok{0}, connect_failures{0};

    FederationStats snapshot() const
    {
        return FederationStats{streams_in,  streams_out, queued,          stanzas_in,       stanzas_out,     bounced,
                               rejected_in, dialback_ok, dialback_failed, sasl_external_ok, connect_failures};
    }
};

struct Context {
    Context(asio::any_io_executor strand_executor, FederationConfig cfg)
        : executor(strand_executor),
          config(std::move(cfg)),
          tls(make_tls_contexts(config)),
          resolver(strand_executor, ResolverOptions{config.nameserver, config.dns_timeout, 2, config.hosts_file})
    {
    }

    asio::any_io_executor executor;  // a strand
    FederationConfig config;
    TlsContexts tls;
    Resolver resolver;
    Counters stats;
    // A stream with this remote domain was authenticated (incoming) or opened (outgoing): the
    // peer is reachable (again). Set before start; runs on the strand and must not block.
    std::function<void(const std::string& remote)> on_peer_up;

    bool is_local(const std::string& domain) const
    {
        return std::find(config.local_domains.begin(), config.local_domains.end(), domain) !=
               config.local_domains.end();
    }
};

}  // namespace wl::federation
