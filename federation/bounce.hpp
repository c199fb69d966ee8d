#pragma once
// RFC 6120 §8.3.1/§10.4.3: a stanza that cannot be delivered to a remote domain is answered
// with an error — IQ get/set and messages — while errors, IQ results and presence are
// dropped (answering them could loop).
#include <optional>

#include "federation/failure.hpp"
#include "proto/error.hpp"
#include "proto/xml/element.hpp"

namespace wl::federation {

// remote-server-timeout for a timeout, remote-server-not-found for everything else.
proto::StanzaCondition bounce_condition(FailureKind kind);

// The error reply to send back to the stanza's sender, or nullopt when none is due.
std::optional<proto::xml::Element> make_bounce(const proto::xml::Element& stanza, proto::StanzaCondition condition,
                                               std::string text = {});

}  // namespace wl::federation
