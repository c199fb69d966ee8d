#pragma once
// Every XML namespace waitlistd speaks, written once.
#include <string_view>

namespace wl::proto::ns {

inline constexpr std::string_view stream = "http://etherx.jabber.org/streams";
inline constexpr std::string_view client = "jabber:client";
inline constexpr std::string_view server = "jabber:server";
inline constexpr std::string_view dialback = "jabber:server:dialback";  // db: prefix
inline constexpr std::string_view dialback_feature = "urn:xmpp:features:dialback";
inline constexpr std::string_view streams_err = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view stanzas_err = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view tls = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view sasl_cb = "urn:xmpp:sasl-cb:0";  // XEP-0440
inline constexpr std::string_view bind = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view session = "urn:ietf:params:xml:ns:xmpp-session";
inline constexpr std::string_view framing = "urn:ietf:params:xml:ns:xmpp-framing";  // RFC 7395
inline constexpr std::string_view xml = "http://www.w3.org/XML/1998/namespace";

inline constexpr std::string_view disco_info = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view disco_items = "http://jabber.org/protocol/disco#items";
inline constexpr std::string_view agents = "jabber:iq:agents";       // XEP-0094
inline constexpr std::string_view ping = "urn:xmpp:ping";            // XEP-0199
inline constexpr std::string_view version = "jabber:iq:version";     // XEP-0092
inline constexpr std::string_view register_ = "jabber:iq:register";  // XEP-0077
inline constexpr std::string_view register_feature = "http://jabber.org/features/iq-register";

// XEP-0130. The examples spell the scheme features ".../waitinglist/schemes/tel"; the
// registrar section registers ".../waitlist/schemes/tel". We advertise both.
inline constexpr std::string_view waitinglist = "http://jabber.org/protocol/waitinglist";
inline constexpr std::string_view waitinglist_schemes_example = "http://jabber.org/protocol/waitinglist/schemes/";
inline constexpr std::string_view waitinglist_schemes_registered = "http://jabber.org/protocol/waitlist/schemes/";

}  // namespace wl::proto::ns
