// The channel binding data TlsEngine keeps, against what a real OpenSSL client computes on
// its side of the same connection: the exporter of RFC 9266 and the certificate hash of
// RFC 5929, on TLS 1.3 (after the hand-over has freed the server's SSL object) and TLS 1.2.
#include <doctest.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <string>

#include "server/c2s/tls_channel_binding.hpp"
#include "server/c2s/tls_engine.hpp"
#include "server/tls.hpp"

using wl::server::c2s::TlsEngine;

namespace {

SSL_CTX* binding_server_context()
{
    static boost::asio::ssl::context ctx = [] {
        auto dir = std::filesystem::temp_directory_path() / ("wl-cb-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        auto cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
        wl::server::ensure_certificate(cert, key, "example.test");
        auto c = wl::server::make_server_tls_context(cert, key);
        std::filesystem::remove_all(dir);
        return c;
    }();
    return ctx.native_handle();
}

std::string drain(BIO* bio)
{
    std::string out;
    char buf[4096];
    int n;
    while ((n = BIO_read(bio, buf, sizeof buf)) > 0) out.append(buf, std::size_t(n));
    return out;
}

// A real OpenSSL client over memory BIOs, handshaken with a TlsEngine.
struct Connected {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{SSL_CTX_new(TLS_client_method()), SSL_CTX_free};
    std::unique_ptr<SSL, decltype(&SSL_free)> client{nullptr, SSL_free};
    TlsEngine server{binding_server_context()};

    explicit Connected(int version)
    {
        SSL_CTX_set_min_proto_version(ctx.get(), version);
        SSL_CTX_set_max_proto_version(ctx.get(), version);
        client.reset(SSL_new(ctx.get()));
        BIO* in = BIO_new(BIO_s_mem());
        BIO* out = BIO_new(BIO_s_mem());
        SSL_set_bio(client.get(), in, out);
        SSL_set_connect_state(client.get());
        for (int round = 0; round < 20; ++round) {
            const int c = SSL_do_handshake(client.get());
            const auto status = server.handshake(drain(out));
            REQUIRE(status != TlsEngine::Status::failed);
            const std::string records = server.take_output();
            BIO_write(in, records.data(), int(records.size()));
            if (c == 1 && status == TlsEngine::Status::ok) return;
        }
        FAIL("the handshake did not finish");
    }

    std::string client_exporter()
    {
        unsigned char out[32];
        static const char label[] = "EXPORTER-Channel-Binding";
        REQUIRE(SSL_export_keying_material(client.get(), out, sizeof out, label, sizeof label - 1, nullptr, 0, 0) == 1);
        return std::string(reinterpret_cast<char*>(out), sizeof out);
    }

    std::string peer_certificate_sha256()
    {
        X509* cert = SSL_get0_peer_certificate(client.get());
        REQUIRE(cert);
        unsigned char der_hash[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        unsigned char* der = nullptr;
        const int n = i2d_X509(cert, &der);
        REQUIRE(n > 0);
        EVP_Digest(der, std::size_t(n), der_hash, &size, EVP_sha256(), nullptr);
        OPENSSL_free(der);
        return std::string(reinterpret_cast<char*>(der_hash), size);
    }
};

}  // namespace

TEST_CASE("on TLS 1.3 the engine keeps the client's exporter value and the certificate hash past the hand-over")
{
    Connected c(TLS1_3_VERSION);
    REQUIRE(c.server.has_released_ssl());
    const auto* bindings = c.server.channel_bindings();
    REQUIRE(bindings);
    CHECK(bindings->tls_exporter.size() == 32);
    CHECK(bindings->tls_exporter == c.client_exporter());
    CHECK(bindings->tls_server_end_point == c.peer_certificate_sha256());
}

TEST_CASE("on TLS 1.2 the engine offers tls-server-end-point only")
{
    Connected c(TLS1_2_VERSION);
    const auto* bindings = c.server.channel_bindings();
    REQUIRE(bindings);
    CHECK(bindings->tls_exporter.empty());
    CHECK(bindings->tls_server_end_point == c.peer_certificate_sha256());
}

TEST_CASE("two connections have different exporter values, and forgetting frees them")
{
    Connected a(TLS1_3_VERSION), b(TLS1_3_VERSION);
    REQUIRE(a.server.channel_bindings());
    REQUIRE(b.server.channel_bindings());
    CHECK(a.server.channel_bindings()->tls_exporter != b.server.channel_bindings()->tls_exporter);
    a.server.forget_channel_bindings();
    CHECK(a.server.channel_bindings() == nullptr);
}

TEST_CASE("tls-server-end-point hashes with the signature's hash, SHA-256 for SHA-1, and is undefined for Ed25519")
{
    const auto make_cert = [](int key_type, const EVP_MD* md) {
        EVP_PKEY* key = key_type == EVP_PKEY_ED25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        REQUIRE(key);
        X509* cert = X509_new();
        X509_set_version(cert, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), 0);
        X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
        X509_set_pubkey(cert, key);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("example.test"), -1, -1, 0);
        X509_set_issuer_name(cert, X509_get_subject_name(cert));
        REQUIRE(X509_sign(cert, key, md) > 0);
        EVP_PKEY_free(key);
        return std::unique_ptr<X509, decltype(&X509_free)>(cert, X509_free);
    };
    const auto digest = [](X509* cert, const EVP_MD* md) {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        REQUIRE(X509_digest(cert, md, out, &size) == 1);
        return std::string(reinterpret_cast<char*>(out), size);
    };
    using wl::server::c2s::tls_server_end_point;
    auto sha384 = make_cert(EVP_PKEY_EC, EVP_sha384());
    CHECK(tls_server_end_point(sha384.get()) == digest(sha384.get(), EVP_sha384()));
    auto sha512 = make_cert(EVP_PKEY_EC, EVP_sha512());
    CHECK(tls_server_end_point(sha512.get()) == digest(sha512.get(), EVP_sha512()));
    auto sha1 = make_cert(EVP_PKEY_EC, EVP_sha1());
    CHECK(tls_server_end_point(sha1.get()) == digest(sha1.get(), EVP_sha256()));
    auto ed25519 = make_cert(EVP_PKEY_ED25519, nullptr);
    CHECK(tls_server_end_point(ed25519.get()).empty());
}
