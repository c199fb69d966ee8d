#pragma once
// The JID push messages of XEP-0130 §4.1, built from a push job's payload: the contact's
// JID when found, "Sorry, we cannot find this contact." with item-not-found when no one
// serves the URI, and remote-server-timeout when the partners kept timing out. Pure.
#include <optional>
#include <string_view>

#include "proto/codec/waitinglist.hpp"
#include "proto/jid.hpp"
#include "proto/xml/element.hpp"
#include "storage/job_payload.hpp"

namespace wl::server::waitlist {

inline constexpr std::string_view timeout_push_body =
    "Sorry, the contact's provider did not answer; we stopped asking.";

// "normal" or "headline" (waitlist.push_type); the configuration loader checked it.
proto::codec::PushType push_type_from_config(std::string_view push_type);

// The <item/> a push or a retrieve shows for one item: id, jid once found, the URI as the
// user gave it, the name when there is one.
proto::codec::WaitlistItem make_item(std::string id, std::optional<std::string> jid, std::string scheme,
                                     std::string given_uri, std::string name);

// The push for `owner` (a bare JID). nullopt for a payload whose state a push cannot carry
// (waiting).
std::optional<proto::xml::Element> make_push_message(const proto::Jid& service, const proto::Jid& owner,
                                                     const storage::PushPayload& push, proto::codec::PushType type);

}  // namespace wl::server::waitlist
