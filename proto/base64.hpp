#pragma once
// Base64 (RFC 4648 section 4, the standard alphabet with '=' padding).
//
// SASL (RFC 6120 section 6.4.2) requires receivers to reject anything that is not strict
// base64, so decoding here is strict: no whitespace, no missing or extra padding, no
// characters outside the alphabet, and the unused bits of the last symbol must be zero
// (a non-canonical encoding is an attacker's way to smuggle two spellings of one value).

#include <optional>
#include <string>
#include <string_view>

namespace wl::proto {

std::string base64_encode(std::string_view bytes);

// The decoded bytes, or nullopt for anything that is not the canonical encoding of some
// byte string. The empty string decodes to the empty string.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace wl::proto
