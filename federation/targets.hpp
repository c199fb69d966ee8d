#pragma once
// Where to connect for a remote domain (RFC 6120 §3.2, XEP-0368), from what DNS answered.
// Pure: the resolver fills in the SRV answers, this decides the order and the fallback.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "federation/srv_order.hpp"

namespace wl::federation {

inline constexpr std::uint16_t default_s2s_port = 5269;

struct Target {
    std::string host;  // a name to resolve (A/AAAA) or an IP literal
    std::uint16_t port = default_s2s_port;
    bool direct_tls = false;  // XEP-0368: TLS from the first byte, no STARTTLS

    friend bool operator==(const Target&, const Target&) = default;
};

// The answer to one SRV question: nullopt when the name has no such records (NXDOMAIN,
// NODATA, or the lookup failed), else the records as received.
using SrvAnswer = std::optional<std::vector<SrvRecord>>;

// xmpps: the answer for _xmpps-server._tcp.<domain>; xmpp: for _xmpp-server._tcp.<domain>.
// Both sets are merged and ordered together by RFC 2782 (XEP-0368 §3); where the priority
// is equal the weights decide. A lone "." target (RFC 2782) says the service is decidedly
// not offered by that record set. With no records at all, the domain itself on 5269 is
// the fallback. An empty result means: the domain offers no XMPP server-to-server service.
std::vector<Target> make_targets(const std::string& domain, const SrvAnswer& xmpps, const SrvAnswer& xmpp,
                                 const RandomUpTo& random_up_to);

// A static route "host:port" or "[v6]:port" (port defaults to 5269); nullopt if malformed.
std::optional<Target> parse_route(const std::string& route);

}  // namespace wl::federation
