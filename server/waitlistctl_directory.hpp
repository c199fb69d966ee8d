#pragma once
// waitlistctl directory import|export: bulk provisioning through the admin API
// (POST /v1/directory:import in batches on one keep-alive connection, GET /v1/directory
// page by page).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/percent_encoding.hpp"
#include "server/waitlistctl_client.hpp"

namespace wl::ctl {

using proto::percent_encode;

// Returns the process exit status; prints its own errors.
int directory_command(const ApiAddress& api, const std::vector<std::string>& args);

}  // namespace wl::ctl
