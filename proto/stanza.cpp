#include "proto/stanza.hpp"

#include "proto/ns.hpp"

namespace wl::proto {

namespace {

// A reply goes back the way the request came: its from becomes our to and vice versa.
// Attributes the request lacks stay absent (a client's stanza has no from until the
// session stamps it; a reply to the server itself has no to).
void swap_addresses(const xml::Element& request, xml::Element& reply)
{
    if (const std::string* from = request.attr("from")) reply.set_attr("to", *from);
    if (const std::string* to = request.attr("to")) reply.set_attr("from", *to);
    if (const std::string* id = request.attr("id")) reply.set_attr("id", *id);
}

}  // namespace

bool is_stanza_ns(std::string_view n) { return n == ns::client || n == ns::server; }

std::optional<StanzaKind> stanza_kind(const xml::Element& el)
{
    if (!is_stanza_ns(el.ns())) return std::nullopt;
    if (el.name() == "message") return StanzaKind::message;
    if (el.name() == "presence") return StanzaKind::presence;
    if (el.name() == "iq") return StanzaKind::iq;
    return std::nullopt;
}

std::optional<IqType> parse_iq_type(std::string_view type)
{
    if (type == "get") return IqType::get;
    if (type == "set") return IqType::set;
    if (type == "result") return IqType::result;
    if (type == "error") return IqType::error;
    return std::nullopt;
}

std::string_view name(IqType type)
{
    switch (type) {
    case IqType::get:
        return "get";
    case IqType::set:
        return "set";
    case IqType::result:
        return "result";
    case IqType::error:
        return "error";
    }
    return "error";
}

std::optional<IqType> iq_type(const xml::Element& iq)
{
    if (stanza_kind(iq) != StanzaKind::iq) return std::nullopt;
    const std::string* t = iq.attr("type");
    if (!t) return std::nullopt;
    return parse_iq_type(*t);
}

bool is_valid_iq(const xml::Element& iq)
{
    const auto type = iq_type(iq);
    if (!type) return false;
    const std::string* id = iq.attr("id");
    if (!id || id->empty()) return false;
    const std::size_t children = iq.child_element_count();
    switch (*type) {
    case IqType::get:
    case IqType::set:
        return children == 1;
    case IqType::result:
        return children <= 1;
    // §8.3.1: an error stanza carries an <error/> (it may also echo the request's payload).
    case IqType::error:
        return iq.child("error", iq.ns()) != nullptr;
    }
    return false;
}

const xml::Element* iq_payload(const xml::Element& iq) { return iq.first_child_element(); }

xml::Element make_result(const xml::Element& iq)
{
    xml::Element reply("iq", iq.ns());
    swap_addresses(iq, reply);
    reply.set_attr("type", "result");
    return reply;
}

xml::Element make_error_reply(const xml::Element& request, const StanzaError& error, bool echo_payload)
{
    xml::Element reply(request.name(), request.ns());
    swap_addresses(request, reply);
    reply.set_attr("type", "error");
    if (echo_payload) {
        for (const auto& node : request.nodes()) {
            if (!node.is_element()) continue;  // whitespace between children is not payload
            // An <error/> the request carried is not echoed: the reply has exactly one.
            if (node.element->is("error", request.ns())) continue;
            reply.add_child(*node.element);
        }
    }
    reply.add_child(to_element(error, request.ns()));
    return reply;
}

bool may_answer_with_error(const xml::Element& stanza)
{
    const std::string type = stanza.attr_or("type");
    if (type == "error") return false;
    if (stanza_kind(stanza) == StanzaKind::iq && type == "result") return false;
    return true;
}

}  // namespace wl::proto
