#pragma once
// The federation facade: the server's one way to exchange stanzas with other domains.
//
//   Federation fed(io.get_executor(), config, [&](Element stanza) { router.route(stanza); });
//   fed.start();                  // listen for incoming s2s streams
//   fed.send(stanza);             // to the domain of stanza's 'to', from a local domain
//   fed.stop([&] { ... });        // streams closed with </stream:stream>
//
// Stanzas are exchanged in jabber:client on both sides of this API (rewritten to and from
// jabber:server on the wire). Incoming stanzas reach `on_stanza` only when their 'from'
// domain is one the stream authenticated (by certificate or dialback) and their 'to'
// domain is local; spoofed ones end the stream with invalid-from. Stanzas that cannot be
// delivered come back through `on_stanza` as error replies (remote-server-not-found,
// remote-server-timeout, resource-constraint) from the remote address.
//
// Threading: everything runs on a strand of the given executor; send() and stop() may be
// called from any thread; on_stanza is called on that strand and should not block.
// Lifetime: call stop(), let it complete, and destroy the Federation before its io_context.
#include <functional>
#include <memory>
#include <vector>

#include "federation/async/asio.hpp"
#include "federation/config.hpp"
#include "federation/stats.hpp"
#include "proto/xml/element.hpp"

namespace wl::federation {

class Federation {
public:
    using StanzaHandler = std::function<void(proto::xml::Element stanza)>;

    // Throws std::runtime_error for configuration it cannot use (TLS files, nameserver,
    // a malformed route or listen address), naming the setting.
    Federation(asio::any_io_executor executor, FederationConfig config, StanzaHandler on_stanza);
    ~Federation();
    Federation(const Federation&) = delete;
    Federation& operator=(const Federation&) = delete;

    // Told the remote domain each time a stream with it is authenticated (incoming) or opened
    // (outgoing): the peer is reachable again. Before start(); runs on the strand, must not block.
    void set_on_peer_up(std::function<void(const std::string& remote)> handler);

    // Binds the listen addresses; throws std::runtime_error if one cannot be bound.
    void start();
    // The bound listen endpoints, STARTTLS ones first (useful with port 0).
    std::vector<asio::ip::tcp::endpoint> listen_endpoints() const;

    // False, without sending, when the stanza is not federation's to send: 'from' is not in
    // a local domain, or 'to' is missing, malformed or local.
    bool send(proto::xml::Element stanza);

    // Stops accepting, ends every stream with </stream:stream>; `done` runs on the strand
    // once every stream has closed or shutdown_grace has passed.
    void stop(std::function<void()> done = {});

    // A copy of the counters; callable from any thread.
    FederationStats stats() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace wl::federation
