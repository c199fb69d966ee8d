#pragma once
// TCP, plain until STARTTLS, or TLS from the first byte (XEP-0368).
#include <utility>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <optional>

#include "server/c2s/transport.hpp"

namespace wl::server::c2s {

class TcpTransport final : public Transport {
public:
    TcpTransport(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls);

    boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer buffer) override;
    boost::asio::awaitable<void> write(const std::vector<std::string>& pieces) override;
    bool can_start_tls() const override { return !tls_; }
    boost::asio::awaitable<void> start_tls() override;
    bool is_secure() const override { return tls_.has_value(); }
    boost::asio::awaitable<void> shutdown() override;
    void close() override;
    proto::xml::Framing framing() const override { return proto::xml::Framing::stream; }
    const std::string& remote_address() const override { return remote_; }

private:
    boost::asio::ip::tcp::socket socket_;
    boost::asio::ssl::context& tls_context_;
    // Built only at STARTTLS: a TLS stream's buffers are the bulk of a session's memory.
    std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
    std::string remote_;
};

}  // namespace wl::server::c2s
