#pragma once
// SASLprep (RFC 4013) through libidn's stringprep "SASLprep" profile.

#include "proto/secret.hpp"

#include <optional>
#include <string_view>

namespace wl::proto::sasl {

enum class PrepKind {
    // A string about to be stored (a new password): unassigned code points are refused,
    // because a later Unicode version could give them a mapping and lock the user out.
    stored,
    // A string received for comparison (a login): unassigned code points are allowed.
    query,
};

// The prepared UTF-8 string, or nullopt if the input is not UTF-8, or SASLprep prohibits a
// character in it (controls, non-character code points, bidi violations...), or the result
// is empty.
std::optional<Secret> saslprep(std::string_view utf8, PrepKind kind);

}  // namespace wl::proto::sasl
