#pragma once
// DNS for federation on c-ares, driven by Asio: SRV lookups for _xmpps-server/_xmpp-server
// and address lookups for their targets. SRV records come from DNS only (the nameserver set,
// else the system's); a target is looked up as the system would (the hosts file, then the
// same DNS) unless hosts_file is off, and "localhost" is the loopback address either way
// (see fixed_addresses.hpp). Nothing is cached here, so a failed lookup is
// retried from scratch the next time a stream to that domain is wanted: failures never
// outlive their TTL (streams are pooled, so lookups are rare anyway).
//
// All calls must come from the executor given at construction (a strand), which is also
// where c-ares' sockets are polled.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "federation/async/asio.hpp"
#include "federation/targets.hpp"

namespace wl::federation {

enum class DnsStatus {
    ok,
    no_records,  // NXDOMAIN or NODATA: the name exists without such records, or not at all
    failed,      // SERVFAIL, REFUSED, unreachable server, malformed answer
    timeout,     // no answer within the configured tries
};

struct SrvLookup {
    DnsStatus status = DnsStatus::failed;
    std::vector<SrvRecord> records;
};

struct AddressLookup {
    DnsStatus status = DnsStatus::failed;
    std::vector<asio::ip::tcp::endpoint> endpoints;  // IPv6 and IPv4 as the resolver ordered them
};

struct TargetsLookup {
    std::vector<Target> targets;       // empty: no service, or DNS failed (see status)
    DnsStatus status = DnsStatus::ok;  // the worst SRV status seen, for error reporting
};

struct ResolverOptions {
    std::string nameserver;                   // "ip:port" (or "[v6]:port"), comma-separated list; empty = system
    std::chrono::milliseconds timeout{1500};  // per try
    int tries = 2;
    // Targets are looked up in the hosts file before DNS: /etc/hosts, or the file named by
    // c-ares' CARES_HOSTS variable. Off: DNS only, for a private nameserver that must not be
    // overridden by the machine's names.
    bool hosts_file = true;
};

class Resolver {
public:
    // Throws std::runtime_error if c-ares cannot start or the nameserver list is malformed.
    Resolver(asio::any_io_executor executor, ResolverOptions options);
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    asio::awaitable<SrvLookup> srv(std::string name);
    asio::awaitable<AddressLookup> addresses(std::string host, std::uint16_t port);
    // Both SRV lookups of RFC 6120 §3.2.1 / XEP-0368, then make_targets().
    asio::awaitable<TargetsLookup> targets(std::string domain);

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
    RandomUpTo random_;
};

}  // namespace wl::federation
