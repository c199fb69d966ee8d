#pragma once
// One direction of TLS 1.3 record protection (RFC 8446 §5.2, §5.3, §7.1-7.3): a traffic
// secret, the key and IV derived from it, the record sequence number, and KeyUpdate's step
// to the next secret. Pure computation on libcrypto; no SSL object.
//
// Why this exists: an OpenSSL 3 SSL object costs about 13 KB for as long as the connection
// lives, which for an idle XMPP session is most of its memory. After a TLS 1.3 handshake
// everything the connection still needs is this: under 200 bytes per direction.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wl::server::c2s {

enum class Tls13Suite {
    aes_128_gcm_sha256,
    aes_256_gcm_sha384,
    chacha20_poly1305_sha256
};

// The suite of an IANA cipher suite number (SSL_CIPHER_get_protocol_id), if we implement it.
std::optional<Tls13Suite> tls13_suite(std::uint16_t iana_id);

class Tls13TrafficKeys {
public:
    static constexpr std::size_t tag_size = 16;
    static constexpr std::size_t max_secret_size = 48;

    // `secret` is the application traffic secret of this direction (the hash's length).
    // Throws std::invalid_argument on a secret of the wrong length.
    Tls13TrafficKeys(Tls13Suite suite, std::string_view secret);
    ~Tls13TrafficKeys();
    Tls13TrafficKeys(const Tls13TrafficKeys&) = delete;
    Tls13TrafficKeys& operator=(const Tls13TrafficKeys&) = delete;

    // Appends the record carrying `content` of inner type `type` (RFC 8446 §5.2, no padding)
    // to `out`: 5 bytes of header, then content, type and tag encrypted. The record may be
    // as long as a TLS 1.3 record can be (2^14 + 256 bytes); keeping content to 2^14 is the
    // caller's part (RFC 8446 §5.2). False (nothing appended) if the record would be longer,
    // the sequence number is exhausted or the cipher fails.
    bool seal(std::uint8_t type, std::string_view content, std::string& out);

    // Decrypts one record: `header` its 5 bytes, `body` the rest (ciphertext and tag),
    // into `out`, which has room for body.size() - tag_size bytes. Returns that length, or
    // nothing if the record does not authenticate (the sequence number then stays).
    std::optional<std::size_t> open(std::string_view header, std::string_view body, char* out);

    // KeyUpdate: application_traffic_secret_N+1 and its key and IV, sequence number 0.
    void update();

    std::uint64_t sequence() const { return sequence_; }

private:
    void derive_key_and_iv();
    void nonce(unsigned char* out) const;

    Tls13Suite suite_;
    std::uint64_t sequence_ = 0;
    std::size_t secret_size_;
    std::size_t key_size_;
    unsigned char secret_[max_secret_size];
    unsigned char key_[32];
    unsigned char iv_[12];
};

// HKDF-Expand-Label(secret, label, context, length) for length up to the hash's size
// (RFC 8446 §7.1), the only lengths TLS 1.3 record protection needs. Exposed for tests
// against RFC 8448's traces.
std::string tls13_expand_label(Tls13Suite suite, std::string_view secret, std::string_view label,
                               std::string_view context, std::size_t length);

}  // namespace wl::server::c2s
