#include "server/c2s/tcp_transport.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace wl::server::c2s {

namespace asio = boost::asio;

TcpTransport::TcpTransport(asio::ip::tcp::socket socket, asio::ssl::context& tls)
    : socket_(std::move(socket)), tls_context_(tls)
{
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    remote_ = ec ? std::string("?") : ep.address().to_string();
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

asio::awaitable<std::size_t> TcpTransport::read_some(asio::mutable_buffer buffer)
{
    boost::system::error_code ec;
    // Two statements, not a conditional expression: g++ 12 mishandles co_await inside ?:.
    std::size_t n = 0;
    if (tls_) n = co_await tls_->async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
    else n = co_await socket_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) co_return 0;
    if (ec) throw boost::system::system_error(ec);
    co_return n;
}

asio::awaitable<void> TcpTransport::write(const std::vector<std::string>& pieces)
{
    // One gathered write per batch: fewer TLS records and system calls under load.
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(pieces.size());
    for (const auto& p : pieces) buffers.push_back(asio::buffer(p));
    if (tls_) co_await asio::async_write(*tls_, buffers, asio::use_awaitable);
    else co_await asio::async_write(socket_, buffers, asio::use_awaitable);
}

asio::awaitable<void> TcpTransport::start_tls()
{
    tls_.emplace(socket_, tls_context_);
    co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
}

asio::awaitable<void> TcpTransport::shutdown()
{
    boost::system::error_code ec;
    if (tls_) co_await tls_->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

void TcpTransport::close()
{
    boost::system::error_code ec;
    socket_.close(ec);
}

}  // namespace wl::server::c2s
