#include "server/tls.hpp"

#include <filesystem>
#include <memory>
#include <stdexcept>

#include <fcntl.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "server/c2s/tls_engine.hpp"
#include "server/log.hpp"

namespace wl::server {

namespace {

std::string openssl_error(const std::string& what)
{
    unsigned long code = ERR_get_error();
    char buf[256] = "unknown error";
    if (code) ERR_error_string_n(code, buf, sizeof buf);
    ERR_clear_error();
    return what + ": " + buf;
}

template <class T, void (*F)(T*)>
struct Deleter {
    void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using FilePtr = std::unique_ptr<FILE, decltype([](FILE* f) { std::fclose(f); })>;

void add_extension(X509* cert, int nid, const std::string& value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) throw std::runtime_error(openssl_error("certificate extension"));
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

}  // namespace

bool ensure_certificate(const std::string& cert_path, const std::string& key_path, const std::string& domain)
{
    namespace fs = std::filesystem;
    bool have_cert = fs::exists(cert_path);
    bool have_key = fs::exists(key_path);
    if (have_cert && have_key) return false;
    if (have_cert != have_key)
        throw std::runtime_error("tls: " + (have_cert ? key_path : cert_path) + " is missing but " +
                                 (have_cert ? cert_path : key_path) + " exists; provide both or neither");

    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) throw std::runtime_error(openssl_error("EC key generation"));

    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);  // v3, for the extensions
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;  // a positive serial
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(domain.c_str()), -1,
                               -1, 0);
    X509_set_issuer_name(cert.get(), name);
    add_extension(cert.get(), NID_subject_alt_name, "DNS:" + domain + ",DNS:*." + domain);
    add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth");
    if (!X509_sign(cert.get(), key.get(), EVP_sha256())) throw std::runtime_error(openssl_error("certificate signing"));

    for (const auto& p : {cert_path, key_path}) {
        auto dir = fs::path(p).parent_path();
        if (!dir.empty()) fs::create_directories(dir);
    }
    {
        // The key is written readable by the owner only, before any byte of it is in the file.
        int fd = ::open(key_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) throw std::runtime_error("tls: cannot create " + key_path);
        FilePtr f(fdopen(fd, "w"));
        if (!f || !PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
            throw std::runtime_error(openssl_error("tls: writing " + key_path));
    }
    {
        FilePtr f(std::fopen(cert_path.c_str(), "w"));
        if (!f || !PEM_write_X509(f.get(), cert.get()))
            throw std::runtime_error(openssl_error("tls: writing " + cert_path));
    }
    spdlog::warn("tls: no certificate found; generated a self-signed one for {} at {}", domain, cert_path);
    return true;
}

boost::asio::ssl::context make_server_tls_context(const std::string& cert_path, const std::string& key_path)
{
    namespace ssl = boost::asio::ssl;
    ssl::context ctx(ssl::context::tls_server);
    SSL_CTX* native = ctx.native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression | ssl::context::single_dh_use);
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    // Session tickets would make each connection keep encryption state we never use again.
    // TLS 1.3 sends (stateful) tickets even with SSL_OP_NO_TICKET unless told to send none:
    // without a session cache nobody could resume with them. TlsEngine's hand-over to its own
    // record layer also counts on OpenSSL having written no record after the handshake.
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(native, 0);
    // A client-initiated renegotiation costs us a handshake on demand and gains the client
    // nothing XMPP needs.
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
    c2s::TlsEngine::prepare_context(native);
    if (SSL_CTX_use_certificate_chain_file(native, cert_path.c_str()) != 1)
        throw std::runtime_error(openssl_error("tls: certificate " + cert_path));
    if (SSL_CTX_use_PrivateKey_file(native, key_path.c_str(), SSL_FILETYPE_PEM) != 1)
        throw std::runtime_error(openssl_error("tls: key " + key_path));
    if (SSL_CTX_check_private_key(native) != 1)
        throw std::runtime_error(openssl_error("tls: " + key_path + " does not match " + cert_path));
    return ctx;
}

}  // namespace wl::server
