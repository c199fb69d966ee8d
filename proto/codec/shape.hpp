#pragma once
// Element shapes: each wire element declared once (name, namespace, attributes, children
// with their counts, text), in the manner of ejabberd's xmpp_codec.spec. check() derives
// validation and the DecodeError sentences from a shape; codecs then read the checked tree
// and encode with the same names. Internal to proto/codec.
#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <string_view>

#include "proto/codec/decode_error.hpp"
#include "proto/xml/element.hpp"

namespace wl::proto::codec::shape {

inline constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

enum class Value {
    any,     // any string
    ncname,  // an XML NCName (the schema's xs:NCName)
    jid,     // a JID that Jid::parse accepts
    one_of,  // one of `values`
};

struct Attr {
    std::string_view name;
    bool required = false;
    Value value = Value::any;
    std::span<const std::string_view> values = {};  // for one_of
    std::string_view ns = {};                       // xml:lang has ns::xml
};

enum class Text {
    empty,    // whitespace only (what pretty-printers put between children)
    ignored,  // any text, not read (lenient decoders of a peer's answers)
    any,      // the element's value
};

struct Shape;

struct Child {
    const Shape* shape;
    std::size_t min = 0;
    std::size_t max = unbounded;
    const Shape* needs = nullptr;  // this child is only allowed beside that sibling
};

struct Shape {
    std::string_view name;
    std::string_view ns;
    std::string_view alt_ns = {};  // a second accepted namespace (jabber:server errors)
    std::span<const Attr> attrs = {};
    std::span<const Child> children = {};
    bool unknown_children_allowed = false;  // else an unlisted child is unknown_tag
    Text text = Text::empty;
    std::size_t max_chars = unbounded;  // for Text::any, in characters (code points)
    // Extra check of the whole element (e.g. an <error/> needs a known condition).
    std::optional<DecodeError> (*extra)(const xml::Element&) = nullptr;
};

// True if `el` has this shape's name and one of its namespaces.
bool matches(const xml::Element& el, const Shape& shape);

// Checks `el` and, recursively, every listed child against `shape`.
std::optional<DecodeError> check(const xml::Element& el, const Shape& shape);

// An empty element with the shape's name and (first) namespace, ready to fill in.
xml::Element make(const Shape& shape);

std::size_t utf8_chars(std::string_view s);

}  // namespace wl::proto::codec::shape
