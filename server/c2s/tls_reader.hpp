#pragma once
// The decisions of the transport's TLS read loop, without the socket, so that the fuzz
// target runs the very loop TcpTransport::read runs: when to wait for the socket, and what
// one pass over the engine gives.
//
// A pass over buffered input that gives nothing means the engine needs bytes: after one,
// the loop waits for the socket whatever the engine reports, so that it can never spin on
// the connection's strand (where it would also starve the session's watchdog).
#include <cstddef>
#include <string_view>

#include "server/c2s/tls_engine.hpp"

namespace wl::server::c2s {

class TlsReader {
public:
    explicit TlsReader(TlsEngine& tls) : tls_(tls) {}

    // Whether the next pass needs bytes from the socket first.
    bool needs_input() const { return must_receive_ || !tls_.has_buffered_input(); }

    // One pass: `input` is what the socket gave (empty when needs_input() was false).
    // bytes > 0 or a status other than ok ends the read; else the loop goes on.
    TlsEngine::ReadResult pass(std::string_view input, char* plaintext, std::size_t size)
    {
        auto result = tls_.read(input, plaintext, size);
        must_receive_ = result.bytes == 0 && result.status == TlsEngine::Status::ok;
        return result;
    }

private:
    TlsEngine& tls_;
    bool must_receive_ = false;
};

}  // namespace wl::server::c2s
