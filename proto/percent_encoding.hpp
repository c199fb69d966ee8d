#pragma once
// RFC 3986 percent-encoding, for the admin API's paths and queries (the server decodes them,
// waitlistctl builds them). Pure.
#include <optional>
#include <string>
#include <string_view>

namespace wl::proto {

// "%41b%2F" -> "Ab/"; nullopt for a malformed escape. '+' stays '+' (paths, not forms).
std::optional<std::string> percent_decode(std::string_view text);
// Everything but RFC 3986 unreserved characters escaped.
std::string percent_encode(std::string_view text);

}  // namespace wl::proto
