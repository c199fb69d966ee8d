#include "server/c2s/tls13_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace wl::server::c2s {

namespace {

constexpr std::uint8_t header_size = 5;

const EVP_MD* hash_of(Tls13Suite suite)
{
    return suite == Tls13Suite::aes_256_gcm_sha384 ? EVP_sha384() : EVP_sha256();
}

std::size_t key_size_of(Tls13Suite suite) { return suite == Tls13Suite::aes_128_gcm_sha256 ? 16 : 32; }

// Cipher contexts of the I/O thread, one per suite, shared by its connections: a context
// with its key schedule is several hundred bytes, and a record is sealed or opened without
// a suspension in between, so a connection needs one only for that moment. Re-keying costs
// a key expansion per record, small next to the record's own cipher work. A context keeps
// the last record's key schedule until the thread's next record, as the thread's buffers
// keep the last plaintext: within one process, which holds every key anyway.
EVP_CIPHER_CTX* thread_context(Tls13Suite suite)
{
    struct Contexts {
        std::array<EVP_CIPHER_CTX*, 3> ctx{};
        ~Contexts()
        {
            for (auto* c : ctx) EVP_CIPHER_CTX_free(c);
        }
    };
    thread_local Contexts contexts;
    auto index = static_cast<std::size_t>(suite);
    EVP_CIPHER_CTX*& ctx = contexts.ctx[index];
    if (!ctx) {
        static const std::array<const EVP_CIPHER*, 3> ciphers = {
            EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr),
            EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr),
            EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr),
        };
        if (!ciphers[index]) throw std::runtime_error("tls: the TLS 1.3 cipher is not available");
        // Kept only once set up: a slot with a context but no cipher would fail every record.
        EVP_CIPHER_CTX* fresh = EVP_CIPHER_CTX_new();
        if (!fresh || EVP_CipherInit_ex(fresh, ciphers[index], nullptr, nullptr, nullptr, 1) != 1) {
            EVP_CIPHER_CTX_free(fresh);
            throw std::runtime_error("tls: cannot set up the TLS 1.3 cipher");
        }
        ctx = fresh;
    }
    return ctx;
}

}  // namespace

std::optional<Tls13Suite> tls13_suite(std::uint16_t iana_id)
{
    switch (iana_id) {
    case 0x1301:
        return Tls13Suite::aes_128_gcm_sha256;
    case 0x1302:
        return Tls13Suite::aes_256_gcm_sha384;
    case 0x1303:
        return Tls13Suite::chacha20_poly1305_sha256;
    default:
        return std::nullopt;  // the CCM suites, off in OpenSSL's defaults
    }
}

std::string tls13_expand_label(Tls13Suite suite, std::string_view secret, std::string_view label,
                               std::string_view context, std::size_t length)
{
    const EVP_MD* md = hash_of(suite);
    const auto hash_size = static_cast<std::size_t>(EVP_MD_get_size(md));
    if (length > hash_size || label.size() > 249 || context.size() > 255)
        throw std::invalid_argument("tls13_expand_label: length beyond one HKDF block");
    // HkdfLabel, then HKDF-Expand's counter: one block, T(1) = HMAC(secret, info || 0x01).
    std::string info;
    info.push_back(static_cast<char>(length >> 8));
    info.push_back(static_cast<char>(length & 0xff));
    info.push_back(static_cast<char>(6 + label.size()));
    info.append("tls13 ").append(label);
    info.push_back(static_cast<char>(context.size()));
    info.append(context);
    info.push_back('\x01');
    unsigned char block[EVP_MAX_MD_SIZE];
    unsigned int block_size = 0;
    if (!HMAC(md, secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(info.data()),
              info.size(), block, &block_size))
        throw std::runtime_error("tls: HMAC failed");
    std::string out(reinterpret_cast<const char*>(block), length);
    OPENSSL_cleanse(block, sizeof block);
    return out;
}

Tls13TrafficKeys::Tls13TrafficKeys(Tls13Suite suite, std::string_view secret)
    : suite_(suite),
      secret_size_(static_cast<std::size_t>(EVP_MD_get_size(hash_of(suite)))),
      key_size_(key_size_of(suite))
{
    if (secret.size() != secret_size_) throw std::invalid_argument("tls: traffic secret of the wrong length");
    std::memcpy(secret_, secret.data(), secret_size_);
    derive_key_and_iv();
}

Tls13TrafficKeys::~Tls13TrafficKeys()
{
    OPENSSL_cleanse(secret_, sizeof secret_);
    OPENSSL_cleanse(key_, sizeof key_);
    OPENSSL_cleanse(iv_, sizeof iv_);
}

void Tls13TrafficKeys::derive_key_and_iv()
{
    std::string_view secret(reinterpret_cast<const char*>(secret_), secret_size_);
    std::string key = tls13_expand_label(suite_, secret, "key", {}, key_size_);
    std::string iv = tls13_expand_label(suite_, secret, "iv", {}, sizeof iv_);
    std::memcpy(key_, key.data(), key_size_);
    std::memcpy(iv_, iv.data(), sizeof iv_);
    OPENSSL_cleanse(key.data(), key.size());
    OPENSSL_cleanse(iv.data(), iv.size());
}

void Tls13TrafficKeys::update()
{
    std::string next =
        tls13_expand_label(suite_, std::string_view(reinterpret_cast<const char*>(secret_), secret_size_),
                           "traffic upd", {}, secret_size_);
    std::memcpy(secret_, next.data(), secret_size_);
    OPENSSL_cleanse(next.data(), next.size());
    derive_key_and_iv();
    sequence_ = 0;
}

void Tls13TrafficKeys::nonce(unsigned char* out) const
{
    // The IV XOR the sequence number, big-endian, left-padded to the IV's length (§5.3).
    std::memcpy(out, iv_, sizeof iv_);
    for (int i = 0; i < 8; ++i) out[sizeof iv_ - 1 - i] ^= static_cast<unsigned char>(sequence_ >> (8 * i));
}

bool Tls13TrafficKeys::seal(std::uint8_t type, std::string_view content, std::string& out)
{
    // A wrapped sequence number would reuse a nonce: never, whatever it costs.
    if (sequence_ == UINT64_MAX || content.size() + 1 + tag_size > 16384 + 256) return false;
    const std::size_t length = content.size() + 1 + tag_size;
    const std::size_t start = out.size();
    out.resize(start + header_size + length);
    auto* p = reinterpret_cast<unsigned char*>(out.data() + start);
    p[0] = 23;  // opaque_type: application_data
    p[1] = 0x03;
    p[2] = 0x03;
    p[3] = static_cast<unsigned char>(length >> 8);
    p[4] = static_cast<unsigned char>(length & 0xff);
    unsigned char n[12];
    nonce(n);
    EVP_CIPHER_CTX* ctx = thread_context(suite_);
    int written = 0;
    unsigned char* body = p + header_size;
    const unsigned char inner_type = type;
    bool ok = EVP_CipherInit_ex(ctx, nullptr, nullptr, key_, n, 1) == 1 &&
              EVP_EncryptUpdate(ctx, nullptr, &written, p, header_size) == 1 &&
              EVP_EncryptUpdate(ctx, body, &written, reinterpret_cast<const unsigned char*>(content.data()),
                                static_cast<int>(content.size())) == 1 &&
              EVP_EncryptUpdate(ctx, body + content.size(), &written, &inner_type, 1) == 1 &&
              EVP_EncryptFinal_ex(ctx, body + content.size() + 1, &written) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, tag_size, body + content.size() + 1) == 1;
    if (!ok) {
        out.resize(start);
        return false;
    }
    ++sequence_;
    return true;
}

std::optional<std::size_t> Tls13TrafficKeys::open(std::string_view header, std::string_view body, char* out)
{
    if (body.size() < tag_size || sequence_ == UINT64_MAX) return std::nullopt;
    const std::size_t size = body.size() - tag_size;
    unsigned char n[12];
    nonce(n);
    unsigned char tag[tag_size];
    std::memcpy(tag, body.data() + size, tag_size);
    EVP_CIPHER_CTX* ctx = thread_context(suite_);
    int written = 0, final_written = 0;
    auto* plain = reinterpret_cast<unsigned char*>(out);
    bool ok = EVP_CipherInit_ex(ctx, nullptr, nullptr, key_, n, 0) == 1 &&
              EVP_DecryptUpdate(ctx, nullptr, &written, reinterpret_cast<const unsigned char*>(header.data()),
                                static_cast<int>(header.size())) == 1 &&
              EVP_DecryptUpdate(ctx, plain, &written, reinterpret_cast<const unsigned char*>(body.data()),
                                static_cast<int>(size)) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag_size, tag) == 1 &&
              EVP_DecryptFinal_ex(ctx, plain + written, &final_written) == 1;
    if (!ok) {
        // The caller never sees unauthenticated plaintext: wipe what was decrypted.
        OPENSSL_cleanse(out, size);
        return std::nullopt;
    }
    ++sequence_;
    return size;
}

}  // namespace wl::server::c2s
