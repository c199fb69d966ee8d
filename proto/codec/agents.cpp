#include "proto/codec/agents.hpp"

#include <array>

#include "proto/codec/shape.hpp"
#include "proto/ns.hpp"

namespace wl::proto::codec {

namespace {

// XEP-0094's <agent/>: the jid is what a partner's answer must give; the rest is optional
// and read leniently (the XEP-0130 examples put "..." text around the agents).
constexpr shape::Shape name_shape{"name", ns::agents, {}, {}, {}, true, shape::Text::any};
constexpr shape::Shape description_shape{"description", ns::agents, {}, {}, {}, true, shape::Text::any};
constexpr shape::Shape service_shape{"service", ns::agents, {}, {}, {}, true, shape::Text::any};
constexpr shape::Shape transport_shape{"transport", ns::agents, {}, {}, {}, true, shape::Text::any};
constexpr shape::Shape groupchat_shape{"groupchat", ns::agents, {}, {}, {}, true, shape::Text::ignored};
constexpr shape::Shape register_shape{"register", ns::agents, {}, {}, {}, true, shape::Text::ignored};
constexpr shape::Shape search_shape{"search", ns::agents, {}, {}, {}, true, shape::Text::ignored};

constexpr std::array agent_attrs{shape::Attr{"jid", true, shape::Value::jid}};
constexpr std::array agent_children{
    shape::Child{&name_shape, 0, 1},      shape::Child{&description_shape, 0, 1}, shape::Child{&service_shape, 0, 1},
    shape::Child{&transport_shape, 0, 1}, shape::Child{&groupchat_shape, 0, 1},   shape::Child{&register_shape, 0, 1},
    shape::Child{&search_shape, 0, 1},
};
constexpr shape::Shape agent_shape{"agent", ns::agents, {}, agent_attrs, agent_children, true, shape::Text::ignored};
constexpr std::array query_children{shape::Child{&agent_shape}};
constexpr shape::Shape query_shape{"query", ns::agents, {}, {}, query_children, true, shape::Text::ignored};

void add_text_child(xml::Element& parent, const shape::Shape& s, const std::string& text)
{
    if (!text.empty()) parent.add_child(shape::make(s)).add_text(text);
}

void add_flag(xml::Element& parent, const shape::Shape& s, bool on)
{
    if (on) parent.add_child(shape::make(s));
}

}  // namespace

Decoded<Agents> decode_agents(const xml::Element& query)
{
    if (auto e = shape::check(query, query_shape)) return *e;
    Agents out;
    for (const xml::Element* a : query.children(agent_shape.name, agent_shape.ns)) {
        Agent agent{*Jid::parse(a->attr_or("jid"))};
        auto text_of = [&](const shape::Shape& s) { return a->child_text(s.name, s.ns).value_or(std::string()); };
        agent.name = text_of(name_shape);
        agent.description = text_of(description_shape);
        agent.service = text_of(service_shape);
        agent.transport = text_of(transport_shape);
        agent.groupchat = a->child(groupchat_shape.name, groupchat_shape.ns) != nullptr;
        agent.register_ = a->child(register_shape.name, register_shape.ns) != nullptr;
        agent.search = a->child(search_shape.name, search_shape.ns) != nullptr;
        out.agents.push_back(std::move(agent));
    }
    return out;
}

xml::Element encode(const Agents& agents)
{
    xml::Element q = shape::make(query_shape);
    for (const Agent& agent : agents.agents) {
        xml::Element& a = q.add_child(shape::make(agent_shape));
        a.set_attr("jid", agent.jid.full());
        add_text_child(a, name_shape, agent.name);
        add_text_child(a, description_shape, agent.description);
        add_text_child(a, service_shape, agent.service);
        add_text_child(a, transport_shape, agent.transport);
        add_flag(a, groupchat_shape, agent.groupchat);
        add_flag(a, register_shape, agent.register_);
        add_flag(a, search_shape, agent.search);
    }
    return q;
}

}  // namespace wl::proto::codec
