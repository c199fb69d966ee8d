#pragma once
// TCP, plain until STARTTLS, or TLS from the first byte (XEP-0368). TLS is a TlsEngine
// driven here over the socket; reads land in buffers of the I/O thread, so that an idle
// connection owns neither a read buffer nor TLS record buffers.
#include <utility>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <array>
#include <memory>

#include "server/c2s/tls_engine.hpp"
#include "server/c2s/transport.hpp"

namespace wl::server::c2s {

class TcpTransport final : public Transport {
public:
    TcpTransport(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
                 TlsEngine::RecordLayer record_layer = TlsEngine::RecordLayer::own);

    boost::asio::awaitable<std::string_view> read() override;
    boost::asio::awaitable<void> write(const std::vector<std::string>& pieces) override;
    bool can_start_tls() const override { return !tls_; }
    boost::asio::awaitable<void> start_tls() override;
    bool is_secure() const override { return tls_ != nullptr; }
    const proto::sasl::ChannelBindings* channel_bindings() const override
    {
        return tls_ ? tls_->channel_bindings() : nullptr;
    }
    void forget_channel_bindings() override
    {
        if (tls_) tls_->forget_channel_bindings();
    }
    boost::asio::awaitable<void> shutdown() override;
    void close() override;
    proto::xml::Framing framing() const override { return proto::xml::Framing::stream; }
    const std::string& remote_address() const override { return remote_; }

private:
    // What the socket holds, in this thread's buffer; empty at the peer's end.
    boost::asio::awaitable<std::string_view> receive();
    // Sends every pending TLS record; the writer's and the handshake's way, never both at once.
    boost::asio::awaitable<void> send_output();
    // Sends what TLS records reading produced (alerts, KeyUpdate answers) if the socket
    // takes them now; else they wait for the next write or read.
    void try_send_output();

    boost::asio::ip::tcp::socket socket_;
    boost::asio::ssl::context& tls_context_;
    TlsEngine::RecordLayer record_layer_;
    std::unique_ptr<TlsEngine> tls_;  // from STARTTLS or the first byte of direct TLS
    bool sending_ = false;            // send_output() is under way
    // The first bytes of each read. Asio's reactor fills it, on any thread, when the socket
    // becomes readable, so it cannot be a shared buffer; the rest of what is waiting is then
    // read without blocking into the thread's buffer. Small, as it stays with the
    // connection: a typical stanza or TLS record fits, and a larger one costs one more
    // system call.
    std::array<char, 128> head_;
    std::string remote_;
};

}  // namespace wl::server::c2s
