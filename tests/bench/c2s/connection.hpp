#pragma once
// One client connection that starts as plain TCP and is upgraded to TLS in place (STARTTLS).
//
// Why not asio::ssl::stream: in Boost 1.74 every ssl::stream carries two 17 KiB record
// buffers plus a BIO pair of its own, about 70 KiB per idle connection. Holding 10 000
// sessions on the machine that also runs the server under test would then cost the client
// ~700 MiB. Here OpenSSL works directly on the non-blocking socket (SSL_MODE_RELEASE_BUFFERS
// frees its record buffers between records) and Asio only reports readiness.
//
// Thread rule: a Connection belongs to one io_context run by exactly one thread, and at most
// one operation is outstanding on it at a time (the session coroutine is sequential).
#include <utility>  // Boost 1.74's Asio misses this include; must come before it.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace wl::bench {

namespace asio = boost::asio;

// A client TLS context shared by every connection: no certificate verification (loopback
// benchmark against a self-signed certificate), no session resumption (each login is a
// new client and pays a full handshake, as a real one would).
// max_version: TLS1_2_VERSION or TLS1_3_VERSION; 0 for the newest both sides have.
std::shared_ptr<SSL_CTX> make_client_tls_context(int max_version = 0);

class Connection {
public:
    explicit Connection(asio::io_context& io);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    asio::awaitable<void> connect(const asio::ip::tcp::endpoint& server);
    // TLS client handshake on the connected socket; sni is the XMPP domain.
    asio::awaitable<void> start_tls(SSL_CTX* ctx, const std::string& sni);

    // Reads what is available (at least one byte); 0 means the peer closed the stream.
    asio::awaitable<std::size_t> read_some(char* data, std::size_t size);
    asio::awaitable<void> write(std::string_view data);

    // Closes the socket at once; an operation in progress fails with operation_aborted.
    // Safe to call from the watchdog of the same io_context at any time.
    void abort() noexcept;
    bool is_open() const noexcept { return socket_.is_open(); }
    bool is_tls() const noexcept { return ssl_ != nullptr; }

private:
    struct SslFree {
        void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
    };
    // Suspends until the socket is ready for what OpenSSL asked; throws on other errors.
    asio::awaitable<void> wait_for(int ssl_error, int ssl_result, const char* what);

    asio::ip::tcp::socket socket_;
    std::unique_ptr<SSL, SslFree> ssl_;
};

}  // namespace wl::bench
