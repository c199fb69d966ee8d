#pragma once
// Agent Information (XEP-0094), which XEP-0130 implementations MUST support:
// <query xmlns='jabber:iq:agents'><agent jid='…'><name/><service>waitinglist</service></agent></query>
#include <string>
#include <vector>

#include "proto/codec/decode_error.hpp"
#include "proto/jid.hpp"
#include "proto/xml/element.hpp"

namespace wl::proto::codec {

struct Agent {
    Jid jid;
    std::string name;         // <name/>, optional
    std::string description;  // <description/>, optional
    std::string service;      // <service/>, e.g. "waitinglist"
    std::string transport;    // <transport/>, optional
    bool groupchat = false;   // <groupchat/>
    bool register_ = false;   // <register/>
    bool search = false;      // <search/>
    friend bool operator==(const Agent&, const Agent&) = default;
};

struct Agents {
    std::vector<Agent> agents;
};

inline constexpr std::string_view waitinglist_agent_service = "waitinglist";

Decoded<Agents> decode_agents(const xml::Element& query);
xml::Element encode(const Agents& agents);

}  // namespace wl::proto::codec
