#pragma once
// The schema migrations of each backend, embedded at build time from
// storage/migrations/<backend>/NNNN_what.sql (see migrations/embed.py).

#include <span>

#include "storage/store.hpp"

namespace wl::storage {

struct Migration {
    int version;       // 1, 2, ... without gaps
    const char* name;  // the "what" of NNNN_what.sql
    const char* sql;   // one or more statements, run in one transaction
};

/// Ordered by version.
std::span<const Migration> migrations_for(Backend backend);

}  // namespace wl::storage
