#include "federation/tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace wl::federation {
namespace {

std::shared_ptr<asio::ssl::context> make_context(asio::ssl::context::method method, const FederationConfig& config)
{
    auto ctx = std::make_shared<asio::ssl::context>(method);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    if (!config.tls_cert_file.empty()) {
        boost::system::error_code ec;
        ctx->use_certificate_chain_file(config.tls_cert_file, ec);
        if (ec) throw std::runtime_error("tls.cert: cannot load " + config.tls_cert_file + ": " + ec.message());
        ctx->use_private_key_file(config.tls_key_file, asio::ssl::context::pem, ec);
        if (ec) throw std::runtime_error("tls.key: cannot load " + config.tls_key_file + ": " + ec.message());
    }
    if (config.use_system_ca) ctx->set_default_verify_paths();
    if (!config.tls_ca_file.empty()) {
        boost::system::error_code ec;
        ctx->load_verify_file(config.tls_ca_file, ec);
        if (ec) throw std::runtime_error("tls.ca: cannot load " + config.tls_ca_file + ": " + ec.message());
    }
    // Ask for the peer's certificate but never fail the handshake on it: dialback may still
    // authenticate a peer whose certificate does not validate. OpenSSL keeps the verdict
    // (SSL_get_verify_result) for peer_certificate_valid_for().
    ctx->set_verify_mode(asio::ssl::verify_peer);
    SSL_CTX_set_verify(ctx->native_handle(), SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
    return ctx;
}

}  // namespace

TlsContexts make_tls_contexts(const FederationConfig& config)
{
    TlsContexts out;
    out.server = make_context(asio::ssl::context::tls_server, config);
    out.client = make_context(asio::ssl::context::tls_client, config);
    // Session ids must be scoped for a server asking for client certificates.
    static const unsigned char sid[] = "wl-s2s";
    SSL_CTX_set_session_id_context(out.server->native_handle(), sid, sizeof sid - 1);
    return out;
}

bool peer_certificate_valid_for(SSL* ssl, const std::string& domain)
{
    if (!ssl || domain.empty()) return false;
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert) return false;
    bool ok = SSL_get_verify_result(ssl) == X509_V_OK &&
              // RFC 6125 §6.4: single leftmost-label wildcards only, CN only without DNS-IDs.
              X509_check_host(cert, domain.data(), domain.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr) == 1;
    X509_free(cert);
    return ok;
}

std::string peer_certificate_status(SSL* ssl)
{
    if (!ssl) return "no TLS";
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert) return "no certificate";
    X509_free(cert);
    return X509_verify_cert_error_string(SSL_get_verify_result(ssl));
}

}  // namespace wl::federation
