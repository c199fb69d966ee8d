#pragma once
// Helpers on elements that are stanzas (RFC 6120 §8). Stanzas stay generic elements so
// that routers pass unknown payloads on untouched; these helpers classify them and build
// replies. Replies keep the request's namespace (jabber:client or jabber:server).
#include <optional>
#include <string_view>

#include "proto/error.hpp"
#include "proto/xml/element.hpp"

namespace wl::proto {

enum class StanzaKind {
    message,
    presence,
    iq
};

// message/presence/iq in jabber:client or jabber:server; nullopt for anything else.
std::optional<StanzaKind> stanza_kind(const xml::Element& el);
bool is_stanza_ns(std::string_view ns);  // jabber:client or jabber:server

enum class IqType {
    get,
    set,
    result,
    error
};
std::optional<IqType> parse_iq_type(std::string_view type);
std::string_view name(IqType type);
// The type attribute of an <iq/>, if it is one of the four.
std::optional<IqType> iq_type(const xml::Element& iq);

// RFC 6120 §8.2.3: an <iq/> with an id, a valid type, and exactly one child element for
// get/set, at most one for result; an error carries an <error/> child.
bool is_valid_iq(const xml::Element& iq);

// The payload of an IQ get/set: its one child element (nullptr if none).
const xml::Element* iq_payload(const xml::Element& iq);

// <iq type='result'/> answering `iq`: to/from swapped (only those present), same id,
// same namespace, no payload. The caller adds a payload when the protocol has one.
xml::Element make_result(const xml::Element& iq);

// An error reply of the same kind as `request` (iq, message or presence): to/from swapped,
// same id, type='error', the request's children echoed (as XEP-0130's error examples do)
// when echo_payload is set, then the <error/>. For a message or presence the original
// type is dropped. Never call this for a request that is itself type='error'
// (RFC 6120 §8.3.1: errors are not answered) — see may_answer_with_error().
xml::Element make_error_reply(const xml::Element& request, const StanzaError& error, bool echo_payload = true);

// False for stanzas of type 'error' and IQ results, which must not be answered with an error.
bool may_answer_with_error(const xml::Element& stanza);

}  // namespace wl::proto
