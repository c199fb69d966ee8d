#include "server/waitlist/push_message.hpp"

namespace wl::server::waitlist {

using proto::codec::PushType;
using proto::codec::WaitlistItem;
using storage::ItemState;

PushType push_type_from_config(std::string_view push_type)
{
    return push_type == "headline" ? PushType::headline : PushType::normal;
}

WaitlistItem make_item(std::string id, std::optional<std::string> jid, std::string scheme, std::string given_uri,
                       std::string name)
{
    WaitlistItem item;
    item.id = std::move(id);
    // The Store only holds JIDs it was given as bare JIDs of accounts or partners' answers;
    // one that does not parse any more is left out rather than sent malformed.
    if (jid) item.jid = proto::Jid::parse(*jid);
    item.uri = proto::codec::WaitlistUri{std::move(scheme), std::move(given_uri)};
    if (!name.empty()) item.name = std::move(name);
    return item;
}

std::optional<proto::xml::Element> make_push_message(const proto::Jid& service, const proto::Jid& owner,
                                                     const storage::PushPayload& push, PushType type)
{
    switch (push.state) {
    case ItemState::found: {
        auto item = make_item(push.item_id, push.jid, push.scheme, push.given_uri, push.name);
        if (!item.jid) return std::nullopt;
        return proto::codec::make_jid_push(service, owner, item, type);
    }
    case ItemState::not_found:
        return proto::codec::make_item_error_push(service, owner,
                                                  make_item(push.item_id, std::nullopt, push.scheme, push.given_uri,
                                                            push.name),
                                                  proto::make_stanza_error(proto::StanzaCondition::item_not_found),
                                                  type);
    case ItemState::timed_out:
        return proto::codec::make_item_error_push(service, owner,
                                                  make_item(push.item_id, std::nullopt, push.scheme, push.given_uri,
                                                            push.name),
                                                  proto::make_stanza_error(
                                                      proto::StanzaCondition::remote_server_timeout),
                                                  type, timeout_push_body);
    case ItemState::waiting:
        break;
    }
    return std::nullopt;
}

}  // namespace wl::server::waitlist
