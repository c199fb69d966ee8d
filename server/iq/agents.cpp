#include "proto/codec/agents.hpp"
#include "proto/ns.hpp"
#include "server/iq/handlers.hpp"

namespace wl::server::iq {

void register_agents(Router& router)
{
    auto answer = [&router](const proto::xml::Element& iq) {
        proto::codec::Agents agents;
        for (const auto& service : router.services()) {
            if (service.agent_service.empty()) continue;
            proto::codec::Agent agent{service.jid};
            agent.name = service.name;
            agent.service = service.agent_service;
            agents.agents.push_back(std::move(agent));
        }
        auto result = proto::make_result(iq);
        result.add_child(proto::codec::encode(agents));
        router.route(std::move(result));
    };
    router.add_iq_handler(IqTarget::domain, std::string(proto::ns::agents), "query", proto::IqType::get, answer);
    // COMPAT(XEP-0130 example 1, old clients): the agents request carries no 'to', so it
    // arrives addressed to the user's account; the server's agent list is what is meant.
    router.add_iq_handler(IqTarget::account, std::string(proto::ns::agents), "query", proto::IqType::get, answer);
}

}  // namespace wl::server::iq
