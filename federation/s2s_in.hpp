#pragma once
// One incoming s2s stream (RFC 6120 as receiving server): STARTTLS, then the peer proves
// its domain by SASL EXTERNAL (a certificate valid for it) or by dialback, which we check
// with the domain's authoritative server. We also answer db:verify for our own domains.
// Stanzas are passed on only for (from-domain, to-domain) pairs this stream authenticated.
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "federation/async/asio.hpp"
#include "federation/context.hpp"
#include "federation/xml_stream.hpp"

namespace wl::federation {

class InStream : public std::enable_shared_from_this<InStream> {
public:
    using Deliver = std::function<void(proto::xml::Element stanza)>;

    // direct_tls: the connection came to a XEP-0368 port; TLS starts before the stream.
    InStream(std::shared_ptr<Context> ctx, asio::ip::tcp::socket socket, Deliver deliver, bool direct_tls = false);

    // Runs the stream to its end; never throws.
    asio::awaitable<void> run();
    // A graceful stop is </stream:stream> (RFC 6120 §4.4); system-shutdown is for errors.
    void stop();
    bool is_authenticated() const { return !authorized_.empty(); }

private:
    asio::awaitable<void> negotiate_and_serve();
    asio::awaitable<void> on_db_result(proto::xml::Element result);
    void on_db_verify(const proto::xml::Element& verify);
    asio::awaitable<bool> on_stanza(proto::xml::Element stanza);
    proto::xml::Element features() const;

    std::shared_ptr<Context> ctx_;
    std::shared_ptr<XmlStream> stream_;
    Deliver deliver_;
    std::string stream_id_;
    std::string local_;        // the 'to' of the stream header
    std::string peer_domain_;  // the 'from' of the stream header, if given
    bool direct_tls_ = false;
    bool sasl_done_ = false;
    std::set<std::pair<std::string, std::string>> authorized_;  // (remote domain, local domain)
    std::set<std::pair<std::string, std::string>> verifying_;
};

}  // namespace wl::federation
