#include "proto/codec/shape.hpp"

#include <vector>

#include "proto/jid.hpp"

namespace wl::proto::codec::shape {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_blank(std::string_view s)
{
    for (char c : s)
        if (!is_space(c)) return false;
    return true;
}

// XML NCName, with every non-ASCII character taken as a name character: the exact Unicode
// classes of XML 1.0 matter less here than refusing ':', spaces and leading digits.
bool is_ncname(std::string_view s)
{
    if (s.empty()) return false;
    auto start = [](unsigned char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
    };
    if (!start(static_cast<unsigned char>(s[0]))) return false;
    for (char ch : s.substr(1)) {
        const auto c = static_cast<unsigned char>(ch);
        if (!(start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
    }
    return true;
}

DecodeError error_at(DecodeError::Kind kind, const xml::Element& el, std::string_view attr = {})
{
    return DecodeError{kind, el.name(), el.ns(), std::string(attr), 0};
}

DecodeError error_for(DecodeError::Kind kind, const Shape& shape)
{
    return DecodeError{kind, std::string(shape.name), std::string(shape.ns), {}, 0};
}

std::optional<DecodeError> check_attrs(const xml::Element& el, const Shape& shape)
{
    for (const Attr& a : shape.attrs) {
        const std::string* v = el.attr(a.name, a.ns);
        if (!v) {
            if (a.required) return error_at(DecodeError::Kind::missing_attribute, el, a.name);
            continue;
        }
        bool ok = true;
        switch (a.value) {
        case Value::any:
            break;
        case Value::ncname:
            ok = is_ncname(*v);
            break;
        case Value::jid:
            ok = Jid::parse(*v).has_value();
            break;
        case Value::one_of:
            ok = false;
            for (std::string_view allowed : a.values) ok = ok || *v == allowed;
            break;
        }
        if (!ok) return error_at(DecodeError::Kind::bad_attribute_value, el, a.name);
    }
    return std::nullopt;
}

std::optional<DecodeError> check_text(const xml::Element& el, const Shape& shape)
{
    if (shape.text == Text::ignored) return std::nullopt;
    if (shape.text == Text::empty) {
        for (const auto& node : el.nodes())
            if (!node.is_element() && !is_blank(node.text)) return error_at(DecodeError::Kind::unexpected_cdata, el);
        return std::nullopt;
    }
    if (shape.max_chars != unbounded && utf8_chars(el.text()) > shape.max_chars) {
        DecodeError e = error_at(DecodeError::Kind::cdata_too_long, el);
        e.limit = shape.max_chars;
        return e;
    }
    return std::nullopt;
}

}  // namespace

std::size_t utf8_chars(std::string_view s)
{
    std::size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

bool matches(const xml::Element& el, const Shape& shape)
{
    return el.name() == shape.name && (el.ns() == shape.ns || (!shape.alt_ns.empty() && el.ns() == shape.alt_ns));
}

std::optional<DecodeError> check(const xml::Element& el, const Shape& shape)
{
    if (!matches(el, shape)) return error_at(DecodeError::Kind::unknown_tag, el);
    if (auto e = check_attrs(el, shape)) return e;
    if (auto e = check_text(el, shape)) return e;

    std::vector<std::size_t> counts(shape.children.size(), 0);
    for (const auto& node : el.nodes()) {
        if (!node.is_element()) continue;
        const xml::Element& child = *node.element;
        std::size_t i = 0;
        while (i < shape.children.size() && !matches(child, *shape.children[i].shape)) ++i;
        if (i == shape.children.size()) {
            if (shape.unknown_children_allowed) continue;
            return error_at(DecodeError::Kind::unknown_tag, child);
        }
        if (++counts[i] > shape.children[i].max) return error_at(DecodeError::Kind::duplicate_tag, child);
        if (auto e = check(child, *shape.children[i].shape)) return e;
    }
    for (std::size_t i = 0; i < shape.children.size(); ++i) {
        const Child& c = shape.children[i];
        if (counts[i] < c.min) return error_for(DecodeError::Kind::missing_tag, *c.shape);
        if (counts[i] > 0 && c.needs) {
            std::size_t k = 0;
            while (k < shape.children.size() && shape.children[k].shape != c.needs) ++k;
            if (k == shape.children.size() || counts[k] == 0)
                return error_for(DecodeError::Kind::missing_tag, *c.needs);
        }
    }
    if (shape.extra) return shape.extra(el);
    return std::nullopt;
}

xml::Element make(const Shape& shape) { return xml::Element(std::string(shape.name), std::string(shape.ns)); }

}  // namespace wl::proto::codec::shape
