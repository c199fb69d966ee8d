#pragma once
// SASL failures as values. SaslFailure is proto's SaslCondition (RFC 6120 section 6.5,
// proto/error.hpp), so a failure from SCRAM or PLAIN goes straight into make_sasl_failure.

#include <string_view>

#include "proto/error.hpp"

namespace wl::proto::sasl {

using SaslFailure = wl::proto::SaslCondition;

// The element name of the condition: "malformed-request", "not-authorized", ...
inline std::string_view failure_condition(SaslFailure failure) { return wl::proto::name(failure); }

}  // namespace wl::proto::sasl
