#include "federation/stanza_ns.hpp"

namespace wl::federation {

proto::xml::Element with_stanza_ns(const proto::xml::Element& stanza, std::string_view from_ns, std::string_view to_ns)
{
    if (stanza.ns() != from_ns) return stanza;
    proto::xml::Element out(stanza.name(), std::string(to_ns));
    for (const auto& a : stanza.attrs()) out.set_attr(a.name, a.value, a.ns);
    for (const auto& node : stanza.nodes()) {
        if (node.is_element())
            out.add_child(with_stanza_ns(*node.element, from_ns, to_ns));
        else
            out.add_text(node.text);
    }
    return out;
}

}  // namespace wl::federation
