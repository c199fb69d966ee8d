#pragma once
// SASL PLAIN (RFC 4616): message = [authzid] NUL authcid NUL passwd, each part UTF-8 without
// NUL; authcid and passwd non-empty. Used only over TLS (the negotiation enforces that).

#include "proto/secret.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace wl::proto::sasl {

struct PlainMessage {
    std::string authzid;  // empty when absent
    std::string authcid;
    Secret password;
};

// Each part may be at most this many bytes (RFC 4616 asks to accept at least 255).
inline constexpr std::size_t max_plain_part_bytes = 1023;

// nullopt (-> malformed-request) unless the message has exactly two NULs, valid UTF-8 in
// every part, a non-empty authcid and password, and parts within max_plain_part_bytes.
std::optional<PlainMessage> parse_plain(std::string_view message);

}  // namespace wl::proto::sasl
