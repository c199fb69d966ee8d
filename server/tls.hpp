#pragma once
// The server's TLS context (OpenSSL through asio::ssl) for client and (later) server streams.
#include <utility>  // Boost 1.74's Asio needs it first
#include <boost/asio/ssl/context.hpp>

#include <string>

#include "server/config.hpp"

namespace wl::server {

// If neither the certificate nor the key file exists, writes a self-signed EC P-256 pair
// for `domain` (SAN DNS:domain and DNS:*.domain, one year) and returns true. If exactly
// one exists, throws: completing a half-present pair would hide an operator's mistake.
bool ensure_certificate(const std::string& cert_path, const std::string& key_path, const std::string& domain);

// TLS 1.2 and newer, the certificate chain and key from the files; buffers released when
// a connection is idle (SSL_MODE_RELEASE_BUFFERS), which is most of an XMPP session's life.
// Throws std::runtime_error naming the file on failure.
boost::asio::ssl::context make_server_tls_context(const std::string& cert_path, const std::string& key_path);

}  // namespace wl::server
