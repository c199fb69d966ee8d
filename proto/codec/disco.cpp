#include "proto/codec/disco.hpp"

#include <array>
#include <algorithm>

#include "proto/codec/shape.hpp"
#include "proto/ns.hpp"

namespace wl::proto::codec {

namespace {

// XEP-0030's shapes, read leniently: a partner's answer may carry stray text (the XEP-0130
// examples even show "..." lines) and extensions; what an answer must have is checked.

constexpr std::array identity_attrs{
    shape::Attr{"category", true},
    shape::Attr{"type", true},
    shape::Attr{"name"},
    shape::Attr{"lang", false, shape::Value::any, {}, ns::xml},
};
constexpr shape::Shape identity_shape{"identity", ns::disco_info, {}, identity_attrs, {}, true, shape::Text::ignored};
constexpr std::array feature_attrs{shape::Attr{"var", true}};
constexpr shape::Shape feature_shape{"feature", ns::disco_info, {}, feature_attrs, {}, true, shape::Text::ignored};
constexpr std::array node_attrs{shape::Attr{"node"}};
constexpr std::array info_children{shape::Child{&identity_shape}, shape::Child{&feature_shape}};
constexpr shape::Shape info_shape{"query", ns::disco_info, {}, node_attrs, info_children, true, shape::Text::ignored};

constexpr std::array disco_item_attrs{
    shape::Attr{"jid", true, shape::Value::jid},
    shape::Attr{"node"},
    shape::Attr{"name"},
};
constexpr shape::Shape disco_item_shape{"item", ns::disco_items, {}, disco_item_attrs, {}, true, shape::Text::ignored};
constexpr std::array disco_items_children{shape::Child{&disco_item_shape}};
constexpr shape::Shape items_shape{"query", ns::disco_items,     {}, node_attrs, disco_items_children,
                                   true,    shape::Text::ignored};

void set_if(xml::Element& el, std::string_view name, const std::string& value, std::string_view ns = {})
{
    if (!value.empty()) el.set_attr(name, value, ns);
}

}  // namespace

bool DiscoInfo::has_feature(std::string_view var) const
{
    return std::find(features.begin(), features.end(), var) != features.end();
}

Decoded<DiscoInfo> decode_disco_info(const xml::Element& query)
{
    if (auto e = shape::check(query, info_shape)) return *e;
    DiscoInfo info;
    info.node = query.attr_or("node");
    for (const auto& node : query.nodes()) {
        if (!node.is_element()) continue;
        const xml::Element& c = *node.element;
        if (shape::matches(c, identity_shape)) {
            const std::string* lang = c.attr("lang", ns::xml);
            info.identities.push_back(
                DiscoIdentity{c.attr_or("category"), c.attr_or("type"), c.attr_or("name"), lang ? *lang : ""});
        } else if (shape::matches(c, feature_shape)) {
            info.features.push_back(c.attr_or("var"));
        } else {
            info.extensions.push_back(c);
        }
    }
    return info;
}

xml::Element encode(const DiscoInfo& info)
{
    xml::Element q = shape::make(info_shape);
    set_if(q, "node", info.node);
    for (const DiscoIdentity& id : info.identities) {
        xml::Element& el = q.add_child(shape::make(identity_shape));
        el.set_attr("category", id.category);
        el.set_attr("type", id.type);
        set_if(el, "name", id.name);
        set_if(el, "lang", id.lang, ns::xml);
    }
    for (const std::string& var : info.features) q.add_child(shape::make(feature_shape)).set_attr("var", var);
    for (const xml::Element& ext : info.extensions) q.add_child(ext);
    return q;
}

Decoded<DiscoItems> decode_disco_items(const xml::Element& query)
{
    if (auto e = shape::check(query, items_shape)) return *e;
    DiscoItems items;
    items.node = query.attr_or("node");
    for (const auto& node : query.nodes()) {
        if (!node.is_element() || !shape::matches(*node.element, disco_item_shape)) continue;
        const xml::Element& c = *node.element;
        items.items.push_back(DiscoItem{*Jid::parse(c.attr_or("jid")), c.attr_or("node"), c.attr_or("name")});
    }
    return items;
}

xml::Element encode(const DiscoItems& items)
{
    xml::Element q = shape::make(items_shape);
    set_if(q, "node", items.node);
    for (const DiscoItem& item : items.items) {
        xml::Element& el = q.add_child(shape::make(disco_item_shape));
        el.set_attr("jid", item.jid.full());
        set_if(el, "node", item.node);
        set_if(el, "name", item.name);
    }
    return q;
}

}  // namespace wl::proto::codec
