#pragma once
// What the router needs from a bound client session, whatever its transport (TCP, TLS,
// WebSocket). Every method may be called from any thread: implementations hand the work
// to the session's own strand.
#include <memory>
#include <string>

#include "proto/error.hpp"
#include "proto/jid.hpp"
#include "proto/xml/element.hpp"

namespace wl::server {

class LocalSession {
public:
    virtual ~LocalSession() = default;

    // The full JID bound to this session; fixed before the session is given to the router.
    virtual const proto::Jid& jid() const = 0;

    // Queues a stanza for the client. False if the session is already closing; the stanza
    // is then lost, as the stream is.
    virtual bool deliver(std::shared_ptr<const proto::xml::Element> stanza) = 0;

    // Ends the stream with a stream error (conflict when replaced, system-shutdown, ...).
    virtual void close(proto::StreamCondition condition, std::string text = {}) = 0;

    // Presence state, as the client last announced it: available after initial presence
    // until unavailable presence; priority from <priority/> (RFC 6121 §4.7.2.3).
    virtual bool is_available() const = 0;
    virtual int priority() const = 0;
};

}  // namespace wl::server
