#pragma once
// Why a stream could not be opened or ended: what the pool turns into a bounce condition
// (RFC 6120 §8.3.3.15/16: remote-server-timeout for timeouts, remote-server-not-found else).
#include <stdexcept>
#include <string>

namespace wl::federation {

enum class FailureKind {
    unreachable,     // no DNS answer, no target, connection refused
    timeout,         // a deadline passed (DNS, connect, negotiation, dialback)
    closed,          // the peer closed the stream or the connection
    protocol,        // bad XML, an unexpected element, a stream error from the peer
    not_authorized,  // authentication failed or the peer's certificate was required
};

class StreamFailure : public std::runtime_error {
public:
    StreamFailure(FailureKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    FailureKind kind() const { return kind_; }

private:
    FailureKind kind_;
};

}  // namespace wl::federation
