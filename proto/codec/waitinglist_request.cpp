#include "proto/codec/waitinglist_request.hpp"

namespace wl::proto::codec {

std::variant<WaitlistRequest, StanzaError> read_waitlist_request(IqType type, const xml::Element& query)
{
    auto decoded = decode_waitinglist(query);
    if (!decoded) return to_stanza_error(decoded.error());
    if (decoded->root != WaitlistRoot::query)
        return make_stanza_error(StanzaCondition::bad_request, "an IQ carries <query/>, not <waitlist/>");
    WaitlistRequest request;
    if (type == IqType::get) {
        if (!decoded->items.empty())
            return make_stanza_error(StanzaCondition::bad_request, "a retrieve carries an empty <query/>");
        return request;
    }
    if (decoded->items.size() != 1)
        return make_stanza_error(StanzaCondition::bad_request, "a set carries exactly one <item/>");
    request.item = std::move(decoded->items.front());
    if (request.item.remove)
        request.kind = WaitlistRequest::Kind::remove;
    else if (request.item.jid)
        request.kind = WaitlistRequest::Kind::jid_push;
    else
        request.kind = WaitlistRequest::Kind::add;
    return request;
}

}  // namespace wl::proto::codec
