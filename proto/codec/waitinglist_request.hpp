#pragma once
// What one waitinglist IQ asks a WaitingListService, from an IM user (§4.1) or from
// another service (§4.2) alike: the decode and the shape checks both roles run first,
// in the order and with the sentences the users of the service see.
#include <variant>

#include "proto/codec/waitinglist.hpp"
#include "proto/error.hpp"
#include "proto/stanza.hpp"
#include "proto/xml/element.hpp"

namespace wl::proto::codec {

struct WaitlistRequest {
    enum class Kind {
        retrieve,  // get, empty <query/>
        add,       // set, one <item/> with no jid and no <remove/>
        remove,    // set, one <item/> with <remove/>
        jid_push,  // set, one <item/> naming a jid (a partner's push, example 32)
    };
    Kind kind = Kind::retrieve;
    WaitlistItem item;  // the one item of a set
};

// `query` is the IQ's payload, already known to be in the waitinglist namespace; `type` is
// get or set. Either the request, or the bad-request error to answer with (echoing the
// request is the caller's make_error_reply).
std::variant<WaitlistRequest, StanzaError> read_waitlist_request(IqType type, const xml::Element& query);

}  // namespace wl::proto::codec
