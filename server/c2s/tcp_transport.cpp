#include "server/c2s/tcp_transport.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstring>

#include "server/c2s/tls_reader.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"

namespace wl::server::c2s {

namespace asio = boost::asio;

namespace {

// Buffers of one I/O thread, shared by all its connections: each is filled and consumed
// without a suspension in between (see Transport::read).
struct ThreadBuffers {
    std::array<char, 32 * 1024> received;  // from the socket: ciphertext, or plaintext before TLS
    std::array<char, Tls13Records::max_inner_plaintext> plaintext;  // decrypted: a whole record fits
    std::array<char, 16 * 1024> staging;                            // small pieces joined into one TLS record
};

// Not inlined, and never kept across a co_await: a coroutine may resume on another thread,
// and the compiler must look the thread's buffers up again after each resumption.
[[gnu::noinline]] ThreadBuffers& thread_buffers()
{
    thread_local std::unique_ptr<ThreadBuffers> buffers = std::make_unique<ThreadBuffers>();
    return *buffers;
}

// Records queued beyond this are sent before more is encrypted, so that a long batch
// does not become one large buffer.
constexpr std::size_t max_unsent_records = 64 * 1024;

boost::system::system_error tls_error(const TlsEngine& tls)
{
    return boost::system::system_error(boost::system::error_code(static_cast<int>(tls.error_code()),
                                                                 asio::error::get_ssl_category()),
                                       tls.error());
}

// Each established connection, by TLS version and by who runs its records: operators and
// the interop tests see whether the hand-over happens where it should.
void count_connection(const TlsEngine& tls, const std::string& remote)
{
    const char* version = tls.protocol_version() == TLS1_3_VERSION ? "1.3" : "1.2";
    const char* layer = tls.has_released_ssl() ? "own" : "openssl";
    metrics_registry()
        .counter("waitlistd_c2s_tls_connections_total", "c2s TLS connections established, by version and record layer",
                 {{"version", version}, {"record_layer", layer}})
        .inc();
    spdlog::debug("c2s {}: TLS {} established; record layer: {}{}", remote, version, layer,
                  tls.record_size_limit_negotiated() ? " (record_size_limit negotiated)"
                  : tls.record_size_limit_offered()  ? " (record_size_limit offered, not negotiated)"
                                                     : "");
}

}  // namespace

TcpTransport::TcpTransport(asio::ip::tcp::socket socket, asio::ssl::context& tls, TlsEngine::RecordLayer record_layer)
    : socket_(std::move(socket)),
      tls_context_(tls),
      record_layer_(record_layer)
{
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    remote_ = ec ? std::string("?") : ep.address().to_string();
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    // receive() and try_send_output() call the socket synchronously and must never block.
    socket_.non_blocking(true, ec);
}

asio::awaitable<std::string_view> TcpTransport::receive()
{
    boost::system::error_code ec;
    std::size_t n =
        co_await socket_.async_read_some(asio::buffer(head_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof) co_return std::string_view();
    if (ec) throw boost::system::system_error(ec);
    auto& buffer = thread_buffers().received;
    std::memcpy(buffer.data(), head_.data(), n);
    if (n == head_.size()) {
        // More may be waiting. An end of stream or a failure here is left to the next
        // receive(), which meets it again, so that these bytes are delivered first.
        std::size_t more = socket_.read_some(asio::buffer(buffer.data() + n, buffer.size() - n), ec);
        if (!ec) n += more;
    }
    co_return std::string_view(buffer.data(), n);
}

asio::awaitable<std::string_view> TcpTransport::read()
{
    if (!tls_) co_return co_await receive();
    try_send_output();
    TlsReader reader(*tls_);
    for (;;) {
        std::string_view input;
        if (reader.needs_input()) {
            input = co_await receive();
            // The TCP stream ended without close_notify: for XMPP the stream is over either
            // way (truncation matters only where length is implied by the end).
            if (input.empty()) co_return input;
        }
        auto& plaintext = thread_buffers().plaintext;
        auto result = reader.pass(input, plaintext.data(), plaintext.size());
        try_send_output();
        if (result.status == TlsEngine::Status::failed) throw tls_error(*tls_);
        if (result.bytes > 0) co_return std::string_view(plaintext.data(), result.bytes);
        if (result.status == TlsEngine::Status::closed) co_return std::string_view();
    }
}

asio::awaitable<void> TcpTransport::write(const std::vector<std::string>& pieces)
{
    if (!tls_) {
        // One gathered write per batch: fewer system calls under load.
        std::vector<asio::const_buffer> buffers;
        buffers.reserve(pieces.size());
        for (const auto& p : pieces) buffers.push_back(asio::buffer(p));
        co_await asio::async_write(socket_, buffers, asio::use_awaitable);
        co_return;
    }
    std::size_t next = 0;
    while (next < pieces.size()) {
        {
            // Small pieces (a stanza, a closing tag) joined into one record: fewer records,
            // less framing and cipher work. The staging buffer is used up before any co_await.
            auto& staging = thread_buffers().staging;
            std::size_t staged = 0;
            while (next < pieces.size() && staged < staging.size()) {
                const std::string& piece = pieces[next];
                if (piece.size() > staging.size() - staged) {
                    if (staged == 0) {
                        if (!tls_->write(piece)) throw tls_error(*tls_);
                        ++next;
                    }
                    break;
                }
                std::memcpy(staging.data() + staged, piece.data(), piece.size());
                staged += piece.size();
                ++next;
            }
            if (staged > 0 && !tls_->write(std::string_view(staging.data(), staged))) throw tls_error(*tls_);
        }
        if (tls_->output_size() >= max_unsent_records) co_await send_output();
    }
    co_await send_output();
}

asio::awaitable<void> TcpTransport::send_output()
{
    sending_ = true;
    try {
        while (tls_->has_output()) {
            std::string records = tls_->take_output();
            co_await asio::async_write(socket_, asio::buffer(records), asio::use_awaitable);
        }
    } catch (...) {
        sending_ = false;
        throw;
    }
    sending_ = false;
}

void TcpTransport::try_send_output()
{
    if (sending_ || !tls_->has_output()) return;
    std::string records = tls_->take_output();
    boost::system::error_code ec;
    std::size_t n = socket_.write_some(asio::buffer(records), ec);
    if (ec) n = 0;  // would block; or a failure, which the next operation meets and reports
    tls_->give_back_output(std::string_view(records).substr(n));
}

asio::awaitable<void> TcpTransport::start_tls()
{
    tls_ = std::make_unique<TlsEngine>(tls_context_.native_handle(), record_layer_);
    std::string_view input;
    for (;;) {
        auto status = tls_->handshake(input);
        input = {};
        if (tls_->has_output()) co_await send_output();
        if (status == TlsEngine::Status::ok) break;
        if (status == TlsEngine::Status::failed) throw tls_error(*tls_);
        input = co_await receive();
        if (input.empty()) throw boost::system::system_error(asio::error::eof);
    }
    count_connection(*tls_, remote_);
}

asio::awaitable<void> TcpTransport::shutdown()
{
    if (tls_ && tls_->is_established() && !sending_) {
        tls_->shutdown();
        try {
            co_await send_output();
        } catch (const boost::system::system_error&) {
            // The peer is gone; the TCP shutdown below and the close after it still apply.
        }
    }
    boost::system::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

void TcpTransport::close()
{
    boost::system::error_code ec;
    socket_.close(ec);
}

}  // namespace wl::server::c2s
