#include "proto/dialback_key.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "proto/secret.hpp"

namespace wl::proto {
namespace {

std::string to_hex(const unsigned char* bytes, std::size_t size)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 0x0f];
    }
    return out;
}

std::string_view trim_xml_space(std::string_view s)
{
    constexpr std::string_view space = " \t\r\n";
    const auto first = s.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(space);
    return s.substr(first, last - first + 1);
}

}  // namespace

std::string dialback_key(std::string_view secret, std::string_view receiving_domain,
                         std::string_view originating_domain, std::string_view stream_id)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
    std::string hex_digest = to_hex(digest, sizeof digest);
    // The hex digest is as good as the secret: keep it in wiped memory.
    const Secret hmac_key{hex_digest};
    OPENSSL_cleanse(digest, sizeof digest);
    OPENSSL_cleanse(hex_digest.data(), hex_digest.size());

    std::string text;
    text.reserve(receiving_domain.size() + originating_domain.size() + stream_id.size() + 2);
    text.append(receiving_domain).append(" ").append(originating_domain).append(" ").append(stream_id);

    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    HMAC(EVP_sha256(), hmac_key.data(), static_cast<int>(hmac_key.size()),
         reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &mac_size);
    return to_hex(mac, mac_size);
}

bool verify_dialback_key(std::string_view secret, std::string_view receiving_domain,
                         std::string_view originating_domain, std::string_view stream_id, std::string_view key)
{
    const std::string expected = dialback_key(secret, receiving_domain, originating_domain, stream_id);
    std::string given{trim_xml_space(key)};
    if (given.size() != expected.size()) return false;
    for (char& c : given)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

}  // namespace wl::proto
