#pragma once
// XEP-0130 payloads: <query xmlns='http://jabber.org/protocol/waitinglist'/> inside IQs and
// <waitlist/> (same namespace) inside messages, each with zero or more <item/>s.
// Every shape the XEP's schema allows decodes; anything else is a DecodeError naming the
// tag. URIs are kept as given: canonicalising and validating them is contact_uri's job.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/codec/decode_error.hpp"
#include "proto/error.hpp"
#include "proto/jid.hpp"
#include "proto/ns.hpp"
#include "proto/xml/element.hpp"

namespace wl::proto::codec {

struct WaitlistUri {
    std::string scheme;  // an XML NCName, e.g. "tel", "mailto"
    std::string value;   // the text as given, e.g. "3033083282"
    friend bool operator==(const WaitlistUri&, const WaitlistUri&) = default;
};

// One <item/>. The schema lets an item carry <uri/> with an optional <name/> and <error/>,
// and/or <remove/>; each appears at most once here, and <name/>/<error/> need a <uri/>.
struct WaitlistItem {
    static constexpr std::size_t max_name_chars = 1023;

    std::optional<std::string> id;  // opaque ItemID
    std::optional<Jid> jid;         // the contact's JID once known
    bool is_error = false;          // type='error': a push reporting a failure
    std::optional<WaitlistUri> uri;
    std::optional<std::string> name;   // at most 1023 characters (not bytes)
    std::optional<StanzaError> error;  // <error xmlns='jabber:client'/> inside the item
    bool remove = false;               // <remove/>
};

// <query/> is the IQ payload; <waitlist/> the message payload (XEP-0130 §"JID push" note).
enum class WaitlistRoot {
    query,
    waitlist
};

struct Waitinglist {
    WaitlistRoot root = WaitlistRoot::query;
    std::vector<WaitlistItem> items;  // in document order
};

// True for <query/> or <waitlist/> in the waitinglist namespace.
bool is_waitinglist(const xml::Element& el);

Decoded<Waitinglist> decode_waitinglist(const xml::Element& el);
Decoded<WaitlistItem> decode_waitlist_item(const xml::Element& item_el);

xml::Element encode(const Waitinglist& list);
xml::Element encode(const WaitlistItem& item);

// ---- the XEP's messages ----

// Implementation note 9: a push may be 'headline' so that it is not stored offline;
// 'normal' omits the type attribute, as the XEP's examples do.
enum class PushType {
    normal,
    headline
};

inline constexpr std::string_view jid_push_body = "This message contains a WaitingList item.";
inline constexpr std::string_view not_found_push_body = "Sorry, we cannot find this contact.";

// "WaitingListService Pushes Contact's JID to IM User": a message with a body and a
// <waitlist/> holding `item`.
xml::Element make_jid_push(const Jid& from, const Jid& to, const WaitlistItem& item, PushType type = PushType::normal,
                           std::string_view body = jid_push_body, std::string_view stanza_ns = ns::client);

// "... Informs IM User that No InteropPartner Handles Contact's URI": the item marked
// type='error' carrying `error` (item-not-found there; remote-server-timeout after the
// partners kept timing out).
xml::Element make_item_error_push(const Jid& from, const Jid& to, WaitlistItem item, const StanzaError& error,
                                  PushType type = PushType::normal, std::string_view body = not_found_push_body,
                                  std::string_view stanza_ns = ns::client);

// "WaitingListService Returns <item-not-found/> Error to IM User": a message of type
// 'error' with the id of the user's add request, the <waitlist/> item and the <error/>.
xml::Element make_waitlist_error_message(const Jid& from, const Jid& to, std::string_view id, const WaitlistItem& item,
                                         const StanzaError& error, std::string_view stanza_ns = ns::client);

}  // namespace wl::proto::codec
