#pragma once
// Opening a stream to a remote domain (RFC 6120 §3-6, XEP-0220, XEP-0178, XEP-0368):
// resolve, connect to each target in turn, TLS (STARTTLS or direct), then authenticate us
// to the peer. The peer is authenticated to us by its certificate, or — for dialback — by
// the DNS that led us to it.
#include <memory>
#include <string>

#include "federation/async/asio.hpp"
#include "federation/context.hpp"
#include "federation/xml_stream.hpp"

namespace wl::federation {

enum class OutPurpose {
    authenticate,  // a stream we will send stanzas on
    verify_only,   // a connection to an authoritative server to send one db:verify
};

enum class AuthMethod {
    none,
    sasl_external,
    dialback
};

struct OutStream {
    std::shared_ptr<XmlStream> stream;
    std::string stream_id;  // the id the receiving server gave its stream header
    AuthMethod method = AuthMethod::none;
};

// Throws StreamFailure; when every target failed, the kind is timeout if any one timed
// out, else the kind of the last failure (not_authorized stops at once).
asio::awaitable<OutStream> open_outgoing(Context& ctx, std::string local, std::string remote, OutPurpose purpose);

// XEP-0220 §2.3: ask `originating`'s authoritative server whether `key` is the key it gave
// for a stream it opened to us (`receiving`) with this stream id. False on any failure.
asio::awaitable<bool> dialback_verify(Context& ctx, std::string receiving, std::string originating,
                                      std::string stream_id, std::string key);

}  // namespace wl::federation
