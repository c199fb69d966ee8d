#pragma once
// server/'s name for federation/spawn.hpp's spawn_detached, so that code in server/ says
// spawn_detached(...) as before the helper moved down a layer for federation/'s use.
#include "federation/spawn.hpp"

namespace wl::server {
using federation::spawn_detached;
}  // namespace wl::server
