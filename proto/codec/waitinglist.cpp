#include "proto/codec/waitinglist.hpp"

#include <array>

#include "proto/codec/shape.hpp"

namespace wl::proto::codec {

namespace {

// The shapes of XEP-0130 §"XML Schema". The schema's item is a repeated choice of
// (uri, name?, error?) and remove; a second <uri/> would be a second contact in one item,
// which no example or use case has, so each child appears at most once here.

std::optional<DecodeError> error_has_condition(const xml::Element& el)
{
    if (parse_stanza_error(el)) return std::nullopt;
    return DecodeError{DecodeError::Kind::missing_condition, el.name(), el.ns(), {}, 0};
}

constexpr std::array uri_attrs{shape::Attr{"scheme", true, shape::Value::ncname}};
constexpr shape::Shape uri_shape{"uri", ns::waitinglist, {}, uri_attrs, {}, false, shape::Text::any};
constexpr shape::Shape
    name_shape{"name", ns::waitinglist, {}, {}, {}, false, shape::Text::any, WaitlistItem::max_name_chars};
constexpr shape::Shape remove_shape{"remove", ns::waitinglist};
// The schema refers to jabber:client's <error/>; a peer on a server-to-server stream may
// write it in its own default namespace, jabber:server.
constexpr shape::Shape error_shape{
    "error", ns::client, ns::server, {}, {}, true, shape::Text::ignored, shape::unbounded, &error_has_condition};

constexpr std::array<std::string_view, 1> item_types{"error"};
constexpr std::array item_attrs{
    shape::Attr{"id"},
    shape::Attr{"jid", false, shape::Value::jid},
    shape::Attr{"type", false, shape::Value::one_of, item_types},
};
constexpr std::array item_children{
    shape::Child{&uri_shape, 0, 1},
    shape::Child{&name_shape, 0, 1, &uri_shape},
    shape::Child{&error_shape, 0, 1, &uri_shape},
    shape::Child{&remove_shape, 0, 1},
};
constexpr shape::Shape item_shape{"item", ns::waitinglist, {}, item_attrs, item_children};

constexpr std::array list_children{shape::Child{&item_shape}};
constexpr shape::Shape query_shape{"query", ns::waitinglist, {}, {}, list_children};
constexpr shape::Shape waitlist_shape{"waitlist", ns::waitinglist, {}, {}, list_children};

const shape::Shape& root_shape(WaitlistRoot root) { return root == WaitlistRoot::query ? query_shape : waitlist_shape; }

// Reads an item already checked against item_shape.
WaitlistItem read_item(const xml::Element& el)
{
    WaitlistItem item;
    if (const std::string* id = el.attr("id")) item.id = *id;
    if (const std::string* jid = el.attr("jid")) item.jid = Jid::parse(*jid);
    item.is_error = el.attr("type") != nullptr;
    for (const auto& node : el.nodes()) {
        if (!node.is_element()) continue;
        const xml::Element& c = *node.element;
        if (shape::matches(c, uri_shape))
            item.uri = WaitlistUri{c.attr_or("scheme"), c.text()};
        else if (shape::matches(c, name_shape))
            item.name = c.text();
        else if (shape::matches(c, error_shape))
            item.error = parse_stanza_error(c);
        else if (shape::matches(c, remove_shape))
            item.remove = true;
    }
    return item;
}

}  // namespace

bool is_waitinglist(const xml::Element& el)
{
    return shape::matches(el, query_shape) || shape::matches(el, waitlist_shape);
}

Decoded<Waitinglist> decode_waitinglist(const xml::Element& el)
{
    Waitinglist list;
    list.root = shape::matches(el, waitlist_shape) ? WaitlistRoot::waitlist : WaitlistRoot::query;
    if (auto e = shape::check(el, root_shape(list.root))) return *e;
    for (const auto& node : el.nodes())
        if (node.is_element()) list.items.push_back(read_item(*node.element));
    return list;
}

Decoded<WaitlistItem> decode_waitlist_item(const xml::Element& item_el)
{
    if (auto e = shape::check(item_el, item_shape)) return *e;
    return read_item(item_el);
}

xml::Element encode(const WaitlistItem& item)
{
    xml::Element el = shape::make(item_shape);
    if (item.id) el.set_attr("id", *item.id);
    if (item.jid) el.set_attr("jid", item.jid->full());
    if (item.is_error) el.set_attr("type", item_types[0]);
    if (item.uri) {
        xml::Element& uri = el.add_child(shape::make(uri_shape));
        uri.set_attr("scheme", item.uri->scheme);
        if (!item.uri->value.empty()) uri.add_text(item.uri->value);
    }
    if (item.name) {
        xml::Element& name = el.add_child(shape::make(name_shape));
        if (!item.name->empty()) name.add_text(*item.name);
    }
    if (item.error) el.add_child(to_element(*item.error, error_shape.ns));
    if (item.remove) el.add_child(shape::make(remove_shape));
    return el;
}

xml::Element encode(const Waitinglist& list)
{
    xml::Element el = shape::make(root_shape(list.root));
    for (const WaitlistItem& item : list.items) el.add_child(encode(item));
    return el;
}

namespace {

xml::Element push_message(const Jid& from, const Jid& to, const WaitlistItem& item, PushType type,
                          std::string_view body, std::string_view stanza_ns)
{
    xml::Element msg("message", std::string(stanza_ns));
    msg.set_attr("from", from.full());
    msg.set_attr("to", to.full());
    if (type == PushType::headline) msg.set_attr("type", "headline");
    if (!body.empty()) msg.add_child("body", std::string(stanza_ns)).add_text(body);
    msg.add_child(encode(Waitinglist{WaitlistRoot::waitlist, {item}}));
    return msg;
}

}  // namespace

xml::Element make_jid_push(const Jid& from, const Jid& to, const WaitlistItem& item, PushType type,
                           std::string_view body, std::string_view stanza_ns)
{
    return push_message(from, to, item, type, body, stanza_ns);
}

xml::Element make_item_error_push(const Jid& from, const Jid& to, WaitlistItem item, const StanzaError& error,
                                  PushType type, std::string_view body, std::string_view stanza_ns)
{
    item.is_error = true;
    item.error = error;
    return push_message(from, to, item, type, body, stanza_ns);
}

xml::Element make_waitlist_error_message(const Jid& from, const Jid& to, std::string_view id, const WaitlistItem& item,
                                         const StanzaError& error, std::string_view stanza_ns)
{
    xml::Element msg("message", std::string(stanza_ns));
    msg.set_attr("type", "error");
    msg.set_attr("from", from.full());
    msg.set_attr("to", to.full());
    if (!id.empty()) msg.set_attr("id", id);
    msg.add_child(encode(Waitinglist{WaitlistRoot::waitlist, {item}}));
    msg.add_child(to_element(error, stanza_ns));
    return msg;
}

}  // namespace wl::proto::codec
