#pragma once
// Addresses a host name has without asking anyone. An IP literal is itself. "localhost" and
// every name below it are the loopback addresses: RFC 6761 §6.3 has name resolution
// libraries answer them themselves and never send them to a DNS server, which may well not
// know them (a private one serving SRV records that point at localhost does not). Pure.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "federation/async/asio.hpp"

namespace wl::federation {

// "localhost", "LocalHost.", "node1.localhost"; not "localhost.example" or "mylocalhost".
bool is_localhost_name(std::string_view host);

// The endpoints for host:port when they need no lookup (IPv4 loopback first, the address
// local servers most often listen on; both are tried), nullopt when the name must be looked up.
std::optional<std::vector<asio::ip::tcp::endpoint>> fixed_addresses(std::string_view host, std::uint16_t port);

}  // namespace wl::federation
