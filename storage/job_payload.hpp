#pragma once
// The payload of each job kind. The Store writes these as JSON text in Job::payload;
// the dispatcher decodes them here. Decoding returns nullopt for a payload it cannot read
// (a job written by a newer version), never a half-filled struct.

#include <optional>
#include <string>

#include "storage/types.hpp"

namespace wl::storage {

/// JobKind::push, target = owner. One item's news for its owner; the item id makes a
/// repeated delivery harmless.
struct PushPayload {
    std::string item_id;
    std::string uri;        // canonical
    std::string given_uri;  // as the user gave it (for the <uri/> element)
    std::string scheme;
    std::string name;
    std::string jid;                     // set when state == found
    ItemState state = ItemState::found;  // found, not_found (item-not-found) or timed_out
};

/// JobKind::partner_query, target = partner service JID: ask it about `uri`.
struct PartnerQueryPayload {
    std::string uri;
};

/// JobKind::partner_remove, target = partner service JID: drop the item it gave us.
struct PartnerRemovePayload {
    std::string uri;
    std::string partner_item_id;
};

/// JobKind::partner_push, target = requesting service JID: the contact is ours.
struct PartnerPushPayload {
    std::string request_id;  // our item id, given to the requester in our ack
    std::string uri;
    std::string jid;
};

std::string encode(const PushPayload& p);
std::string encode(const PartnerQueryPayload& p);
std::string encode(const PartnerRemovePayload& p);
std::string encode(const PartnerPushPayload& p);

std::optional<PushPayload> decode_push(const std::string& json);
std::optional<PartnerQueryPayload> decode_partner_query(const std::string& json);
std::optional<PartnerRemovePayload> decode_partner_remove(const std::string& json);
std::optional<PartnerPushPayload> decode_partner_push(const std::string& json);

}  // namespace wl::storage
