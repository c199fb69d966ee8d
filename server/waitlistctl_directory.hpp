#pragma once
// waitlistctl directory import|export: bulk provisioning through the admin API
// (POST /v1/directory:import in batches on one keep-alive connection, GET /v1/directory
// page by page).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wl::ctl {

struct ApiAddress {
    std::string host;
    std::uint16_t port = 0;
    std::string token;
};

// Everything but RFC 3986 unreserved characters escaped, for building paths and queries.
std::string percent_encode(std::string_view text);

// Returns the process exit status; prints its own errors.
int directory_command(const ApiAddress& api, const std::vector<std::string>& args);

}  // namespace wl::ctl
