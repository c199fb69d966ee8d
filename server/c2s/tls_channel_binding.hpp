#pragma once
// The channel binding data of a server-side TLS connection, read from OpenSSL once the
// handshake is done: tls-exporter (RFC 9266) and tls-server-end-point (RFC 5929).
//
// What each TLS version gets:
// - TLS 1.3: both.
// - TLS 1.2: tls-server-end-point only. RFC 9266 allows tls-exporter there only with the
//   extended master secret, and TLS 1.2's exporter (RFC 5705) gives different values for "no
//   context" and "empty context", which client libraries do not agree on; in TLS 1.3 the two
//   are the same.
// tls-server-end-point is left out when our certificate's signature has no single hash
// (Ed25519, Ed448), for which RFC 5929 leaves it undefined.
#include <openssl/ssl.h>

#include "proto/sasl/channel_binding.hpp"

namespace wl::server::c2s {

// Call after the handshake finished, while `ssl` still exists.
proto::sasl::ChannelBindings tls_channel_bindings(SSL* ssl);

// RFC 5929 section 4.1: the certificate's hash under its signature's hash function, with
// SHA-256 for MD5 and SHA-1; empty if the signature uses no single hash.
std::string tls_server_end_point(X509* certificate);

}  // namespace wl::server::c2s
