#pragma once
// What every stream of one Federation shares: configuration, TLS, DNS, counters, and the
// strand all of it runs on (so none of it needs locks).
#include <algorithm>
#include <memory>
#include <string>

#include "federation/asio.hpp"
#include "federation/config.hpp"
#include "federation/resolver.hpp"
#include "federation/stats.hpp"
#include "federation/tls.hpp"

namespace wl::federation {

struct Context {
    Context(asio::any_io_executor strand_executor, FederationConfig cfg)
        : executor(strand_executor), config(std::move(cfg)), tls(make_tls_contexts(config)),
          resolver(strand_executor, ResolverOptions{config.nameserver, config.dns_timeout, 2}) {}

    asio::any_io_executor executor;   // a strand
    FederationConfig config;
    TlsContexts tls;
    Resolver resolver;
    FederationStats stats;

    bool is_local(const std::string& domain) const {
        return std::find(config.local_domains.begin(), config.local_domains.end(), domain) !=
               config.local_domains.end();
    }
};

}  // namespace wl::federation
