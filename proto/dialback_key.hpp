#pragma once
// Dialback keys per XEP-0185 section 2:
//
//     key = HEX( HMAC-SHA256( HEX(SHA256(secret)), receiving + ' ' + originating + ' ' + stream_id ) )
//
// The HMAC key is the lower-case hex text of the secret's digest, as the XEP's worked
// example shows. Every node of a cluster shares the secret, so any node can verify a key
// another node issued.

#include <string>
#include <string_view>

namespace wl::proto {

// 64 lower-case hex characters.
std::string dialback_key(std::string_view secret, std::string_view receiving_domain,
                         std::string_view originating_domain, std::string_view stream_id);

// Compares in constant time. Hex case is ignored (a peer may echo the key upper-case);
// surrounding XML whitespace is not the caller's problem, it is trimmed here.
bool verify_dialback_key(std::string_view secret, std::string_view receiving_domain,
                         std::string_view originating_domain, std::string_view stream_id, std::string_view key);

}  // namespace wl::proto
