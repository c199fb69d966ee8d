#pragma once
// The element tree: one stanza (or stream header) as the parser built it, or as code
// builds it for sending. Namespaces are resolved: every element carries its namespace URI,
// never a prefix. Unknown children are kept so that routers can pass them on untouched and
// error replies can echo them.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wl::proto::xml {

struct Attribute {
    std::string name;  // local name
    std::string ns;    // namespace URI; empty for an unprefixed attribute (the usual case)
    std::string value;
};

class Element {
public:
    Element() = default;
    Element(std::string name, std::string ns) : name_(std::move(name)), ns_(std::move(ns)) {}
    Element(const Element& other);
    Element& operator=(const Element& other);
    Element(Element&&) noexcept = default;
    Element& operator=(Element&&) noexcept = default;
    ~Element() = default;

    const std::string& name() const { return name_; }
    const std::string& ns() const { return ns_; }
    bool is(std::string_view name, std::string_view ns) const { return name_ == name && ns_ == ns; }

    // Unprefixed attributes by local name; a namespaced one (xml:lang) with its namespace.
    const std::string* attr(std::string_view name, std::string_view ns = {}) const;
    std::string attr_or(std::string_view name, std::string_view fallback = {}) const;
    Element& set_attr(std::string_view name, std::string_view value, std::string_view ns = {});
    bool remove_attr(std::string_view name, std::string_view ns = {});
    const std::vector<Attribute>& attrs() const { return attrs_; }
    // For the parser, which knows the attributes are distinct: no lookup per attribute.
    void reserve_attrs(std::size_t n);
    Attribute& append_attr_unchecked(std::string name, std::string ns, std::string value);

    // Children in document order: each node is either an element or a run of text.
    struct Node {
        std::unique_ptr<Element> element;  // set for an element
        std::string text;                  // used when element is null
        bool is_element() const { return element != nullptr; }
    };
    const std::vector<Node>& nodes() const { return nodes_; }

    Element& add_child(Element child);  // returns the stored child
    Element& add_child(std::string name, std::string ns);
    Element& add_text(std::string_view text);  // appends (merging with a text node before it)
    void clear_children() { nodes_.clear(); }
    // Removes every child element with this name and namespace; returns how many.
    std::size_t remove_children(std::string_view name, std::string_view ns);

    // First child element with that name and namespace; an empty name matches any name
    // (and an empty namespace any namespace), likewise for children() and remove_children().
    const Element* child(std::string_view name, std::string_view ns) const;
    Element* child(std::string_view name, std::string_view ns);
    std::vector<const Element*> children(std::string_view name = {}, std::string_view ns = {}) const;
    const Element* first_child_element() const;
    std::size_t child_element_count() const;

    // The concatenated text directly inside this element (not of its descendants).
    std::string text() const;
    // Text of the first matching child, if that child exists.
    std::optional<std::string> child_text(std::string_view name, std::string_view ns) const;

    // Structural equality: name, namespace, attributes as a set, and children in order
    // (text nodes compared after joining adjacent runs; whitespace-only text between
    // elements is ignored).
    friend bool operator==(const Element& a, const Element& b);

private:
    std::string name_;
    std::string ns_;
    std::vector<Attribute> attrs_;
    std::vector<Node> nodes_;
};

}  // namespace wl::proto::xml
