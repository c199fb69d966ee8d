#pragma once
// TLS for s2s: one context per direction, both presenting our certificate, both asking for
// the peer's. A peer without a valid certificate is not refused at the TLS layer — it may
// still authenticate by dialback — so verification is recorded during the handshake and
// judged afterwards by peer_certificate_valid_for().
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "federation/async/asio.hpp"
#include "federation/config.hpp"

namespace wl::federation {

struct TlsContexts {
    std::shared_ptr<asio::ssl::context> server;  // incoming streams
    std::shared_ptr<asio::ssl::context> client;  // outgoing streams
};

// Throws std::runtime_error naming the file that could not be loaded.
TlsContexts make_tls_contexts(const FederationConfig& config);

// True when the handshake's chain validated against the trusted CAs and the leaf certificate
// names `domain` (RFC 6125: DNS-ID in subjectAltName, wildcard only as the whole leftmost
// label; CN only when the certificate has no DNS-ID).
bool peer_certificate_valid_for(SSL* ssl, const std::string& domain);

// The chain verification result as text, for logs ("ok", "self-signed certificate", ...).
std::string peer_certificate_status(SSL* ssl);

}  // namespace wl::federation
