#include "proto/xml/element.hpp"

namespace wl::proto::xml {

namespace {

// An empty name or namespace in a query matches anything, so that child("", ns) finds the
// first payload of a namespace and children() lists every child element.
bool matches(const Element& e, std::string_view name, std::string_view ns)
{
    return (name.empty() || e.name() == name) && (ns.empty() || e.ns() == ns);
}

bool is_xml_space(std::string_view s)
{
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
    return true;
}

}  // namespace

Element::Element(const Element& other) : name_(other.name_), ns_(other.ns_), attrs_(other.attrs_)
{
    nodes_.reserve(other.nodes_.size());
    for (const Node& n : other.nodes_) {
        Node copy;
        if (n.element)
            copy.element = std::make_unique<Element>(*n.element);
        else
            copy.text = n.text;
        nodes_.push_back(std::move(copy));
    }
}

Element& Element::operator=(const Element& other)
{
    if (this != &other) {
        Element copy(other);
        *this = std::move(copy);
    }
    return *this;
}

const std::string* Element::attr(std::string_view name, std::string_view ns) const
{
    for (const Attribute& a : attrs_)
        if (a.name == name && a.ns == ns) return &a.value;
    return nullptr;
}

std::string Element::attr_or(std::string_view name, std::string_view fallback) const
{
    const std::string* v = attr(name);
    return v ? *v : std::string(fallback);
}

Element& Element::set_attr(std::string_view name, std::string_view value, std::string_view ns)
{
    for (Attribute& a : attrs_) {
        if (a.name == name && a.ns == ns) {
            a.value.assign(value);
            return *this;
        }
    }
    attrs_.push_back(Attribute{std::string(name), std::string(ns), std::string(value)});
    return *this;
}

bool Element::remove_attr(std::string_view name, std::string_view ns)
{
    for (auto it = attrs_.begin(); it != attrs_.end(); ++it) {
        if (it->name == name && it->ns == ns) {
            attrs_.erase(it);
            return true;
        }
    }
    return false;
}

void Element::reserve_attrs(std::size_t n) { attrs_.reserve(n); }

Attribute& Element::append_attr_unchecked(std::string name, std::string ns, std::string value)
{
    return attrs_.emplace_back(Attribute{std::move(name), std::move(ns), std::move(value)});
}

Element& Element::add_child(Element child)
{
    Node n;
    n.element = std::make_unique<Element>(std::move(child));
    nodes_.push_back(std::move(n));
    return *nodes_.back().element;
}

Element& Element::add_child(std::string name, std::string ns)
{
    Node n;
    n.element = std::make_unique<Element>(std::move(name), std::move(ns));
    nodes_.push_back(std::move(n));
    return *nodes_.back().element;
}

Element& Element::add_text(std::string_view text)
{
    if (text.empty()) return *this;
    if (!nodes_.empty() && !nodes_.back().is_element()) {
        nodes_.back().text.append(text);
    } else {
        Node n;
        n.text.assign(text);
        nodes_.push_back(std::move(n));
    }
    return *this;
}

std::size_t Element::remove_children(std::string_view name, std::string_view ns)
{
    std::size_t removed = 0;
    std::vector<Node> kept;
    kept.reserve(nodes_.size());
    for (Node& n : nodes_) {
        if (n.element && matches(*n.element, name, ns)) {
            ++removed;
            continue;
        }
        // Removing an element between two text runs leaves them adjacent: join them so
        // that add_text's invariant (no two text nodes in a row) still holds.
        if (!n.element && !kept.empty() && !kept.back().element)
            kept.back().text.append(n.text);
        else
            kept.push_back(std::move(n));
    }
    nodes_ = std::move(kept);
    return removed;
}

const Element* Element::child(std::string_view name, std::string_view ns) const
{
    for (const Node& n : nodes_)
        if (n.element && matches(*n.element, name, ns)) return n.element.get();
    return nullptr;
}

Element* Element::child(std::string_view name, std::string_view ns)
{
    for (Node& n : nodes_)
        if (n.element && matches(*n.element, name, ns)) return n.element.get();
    return nullptr;
}

std::vector<const Element*> Element::children(std::string_view name, std::string_view ns) const
{
    std::vector<const Element*> out;
    for (const Node& n : nodes_)
        if (n.element && matches(*n.element, name, ns)) out.push_back(n.element.get());
    return out;
}

const Element* Element::first_child_element() const
{
    for (const Node& n : nodes_)
        if (n.element) return n.element.get();
    return nullptr;
}

std::size_t Element::child_element_count() const
{
    std::size_t count = 0;
    for (const Node& n : nodes_)
        if (n.element) ++count;
    return count;
}

std::string Element::text() const
{
    // The common case is a single text run: return it without a second copy.
    const std::string* only = nullptr;
    std::size_t runs = 0;
    for (const Node& n : nodes_) {
        if (!n.element) {
            only = &n.text;
            ++runs;
        }
    }
    if (runs == 0) return {};
    if (runs == 1) return *only;
    std::string out;
    for (const Node& n : nodes_)
        if (!n.element) out += n.text;
    return out;
}

std::optional<std::string> Element::child_text(std::string_view name, std::string_view ns) const
{
    const Element* c = child(name, ns);
    if (!c) return std::nullopt;
    return c->text();
}

namespace {

// One significant child after normalisation: an element, or the joined text between two
// elements. Whitespace-only text counts only in an element with no child elements.
struct Item {
    const Element* element = nullptr;
    std::string text;
};

std::vector<Item> normalized(const std::vector<Element::Node>& nodes, bool has_elements)
{
    std::vector<Item> out;
    out.reserve(nodes.size());
    bool text_open = false;
    for (const auto& n : nodes) {
        if (n.element) {
            out.push_back(Item{n.element.get(), {}});
            text_open = false;
        } else if (text_open) {
            out.back().text += n.text;
        } else {
            out.push_back(Item{nullptr, n.text});
            text_open = true;
        }
    }
    if (has_elements) {
        std::erase_if(out, [](const Item& i) { return !i.element && is_xml_space(i.text); });
    }
    return out;
}

}  // namespace

bool operator==(const Element& a, const Element& b)
{
    if (a.name_ != b.name_ || a.ns_ != b.ns_) return false;
    if (a.attrs_.size() != b.attrs_.size()) return false;
    for (const Attribute& x : a.attrs_) {
        const std::string* v = b.attr(x.name, x.ns);
        if (!v || *v != x.value) return false;
    }
    const bool a_elements = a.first_child_element() != nullptr;
    const bool b_elements = b.first_child_element() != nullptr;
    if (a_elements != b_elements) return false;
    // Fast path: the same node sequence needs no normalisation.
    if (a.nodes_.size() == b.nodes_.size()) {
        bool same = true;
        for (std::size_t i = 0; i < a.nodes_.size() && same; ++i) {
            const auto& x = a.nodes_[i];
            const auto& y = b.nodes_[i];
            if (x.is_element() != y.is_element())
                same = false;
            else if (x.is_element()) {
                if (!(*x.element == *y.element)) return false;
            } else if (x.text != y.text)
                same = false;
        }
        if (same) return true;
    }
    const auto na = normalized(a.nodes_, a_elements);
    const auto nb = normalized(b.nodes_, b_elements);
    if (na.size() != nb.size()) return false;
    for (std::size_t i = 0; i < na.size(); ++i) {
        if ((na[i].element != nullptr) != (nb[i].element != nullptr)) return false;
        if (na[i].element ? !(*na[i].element == *nb[i].element) : na[i].text != nb[i].text) return false;
    }
    return true;
}

}  // namespace wl::proto::xml
