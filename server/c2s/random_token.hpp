#pragma once
// Unguessable identifiers (stream ids, generated resources): `bytes` random bytes from
// OpenSSL's generator, in lowercase hex.
#include <openssl/rand.h>

#include <cstddef>
#include <string>

namespace wl::server::c2s {

inline std::string random_token(std::size_t bytes)
{
    std::string raw(bytes, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), int(bytes));
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * bytes);
    for (unsigned char b : raw) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

}  // namespace wl::server::c2s
