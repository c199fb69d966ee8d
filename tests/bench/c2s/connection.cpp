#include "tests/bench/c2s/connection.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/err.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace wl::bench {

namespace {

std::string openssl_error_text(const char* what, int ssl_error)
{
    std::string text = std::string(what) + ": TLS error " + std::to_string(ssl_error);
    if (unsigned long e = ERR_get_error(); e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        text += " (";
        text += buf;
        text += ")";
    }
    ERR_clear_error();
    return text;
}

}  // namespace

std::shared_ptr<SSL_CTX> make_client_tls_context(int max_version)
{
    std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    if (!ctx) throw std::runtime_error("SSL_CTX_new failed");
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    if (max_version) SSL_CTX_set_max_proto_version(ctx.get(), max_version);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
    return ctx;
}

Connection::Connection(asio::io_context& io) : socket_(io) {}

Connection::~Connection() = default;

asio::awaitable<void> Connection::connect(const asio::ip::tcp::endpoint& server)
{
    co_await socket_.async_connect(server, asio::use_awaitable);
    socket_.set_option(asio::ip::tcp::no_delay(true));
    socket_.non_blocking(true);
}

asio::awaitable<void> Connection::start_tls(SSL_CTX* ctx, const std::string& sni)
{
    ssl_.reset(SSL_new(ctx));
    if (!ssl_) throw std::runtime_error("SSL_new failed");
    SSL_set_fd(ssl_.get(), static_cast<int>(socket_.native_handle()));
    SSL_set_tlsext_host_name(ssl_.get(), sni.c_str());
    SSL_set_connect_state(ssl_.get());
    for (;;) {
        int r = SSL_do_handshake(ssl_.get());
        if (r == 1) break;
        co_await wait_for(SSL_get_error(ssl_.get(), r), r, "TLS handshake");
    }
}

asio::awaitable<void> Connection::wait_for(int ssl_error, int ssl_result, const char* what)
{
    // One thread per io_context: the readiness edge that follows the EAGAIN OpenSSL just
    // saw is reported by the next epoll_wait, which runs only after this wait is queued.
    switch (ssl_error) {
    case SSL_ERROR_WANT_READ:
        co_await socket_.async_wait(asio::ip::tcp::socket::wait_read, asio::use_awaitable);
        co_return;
    case SSL_ERROR_WANT_WRITE:
        co_await socket_.async_wait(asio::ip::tcp::socket::wait_write, asio::use_awaitable);
        co_return;
    case SSL_ERROR_ZERO_RETURN:
        throw std::runtime_error(std::string(what) + ": peer closed TLS");
    case SSL_ERROR_SYSCALL:
        if (ssl_result == 0 || errno == 0) throw std::runtime_error(std::string(what) + ": connection closed");
        throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
    default:
        throw std::runtime_error(openssl_error_text(what, ssl_error));
    }
}

asio::awaitable<std::size_t> Connection::read_some(char* data, std::size_t size)
{
    if (!ssl_) {
        // Not async_read_some: its bytes land in the buffer when the reactor sees them, not
        // when this coroutine resumes, and the buffer is shared by every session of the thread.
        for (;;) {
            boost::system::error_code ec;
            std::size_t got = socket_.read_some(asio::buffer(data, size), ec);
            if (!ec) co_return got;
            if (ec == asio::error::eof) co_return 0;
            if (ec != asio::error::would_block && ec != asio::error::try_again)
                throw boost::system::system_error(ec, "read");
            co_await socket_.async_wait(asio::ip::tcp::socket::wait_read, asio::use_awaitable);
        }
    }
    for (;;) {
        std::size_t got = 0;
        int r = SSL_read_ex(ssl_.get(), data, size, &got);
        if (r == 1) co_return got;
        int err = SSL_get_error(ssl_.get(), r);
        if (err == SSL_ERROR_ZERO_RETURN) co_return 0;
        if (err == SSL_ERROR_SYSCALL && errno == 0) co_return 0;
        co_await wait_for(err, r, "read");
    }
}

asio::awaitable<void> Connection::write(std::string_view data)
{
    if (!ssl_) {
        co_await asio::async_write(socket_, asio::buffer(data.data(), data.size()), asio::use_awaitable);
        co_return;
    }
    while (!data.empty()) {
        std::size_t put = 0;
        int r = SSL_write_ex(ssl_.get(), data.data(), data.size(), &put);
        if (r == 1) {
            data.remove_prefix(put);
            continue;
        }
        co_await wait_for(SSL_get_error(ssl_.get(), r), r, "write");
    }
}

void Connection::abort() noexcept
{
    boost::system::error_code ignored;
    socket_.close(ignored);
}

}  // namespace wl::bench
