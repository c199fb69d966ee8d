#pragma once
// The effective configuration as TOML (`waitlistd --print-config`): every key with the value
// in force, defaults included, in the loader's own syntax so that the output loads again.
// Secrets (http.admin_token, s2s.dialback_secret, a password in storage.dsn) read
// "[redacted]".
#include <string>

#include "server/config.hpp"

namespace wl::server {

std::string print_config(const Config& config);

}  // namespace wl::server
