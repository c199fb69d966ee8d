#include "proto/codec/disco.hpp"
#include "proto/ns.hpp"
#include "server/iq/handlers.hpp"

namespace wl::server::iq {

using proto::xml::Element;

void register_disco(Router& router, const Config& config)
{
    const bool registration = config.c2s.allow_registration;
    router.add_iq_handler(IqTarget::domain, std::string(proto::ns::disco_info), "query", proto::IqType::get,
                          [&router, registration](const Element& iq) {
                              if (!proto::iq_payload(iq)->attr_or("node").empty()) {
                                  router.route(
                                      proto::make_error_reply(iq, proto::make_stanza_error(
                                                                      proto::StanzaCondition::item_not_found)));
                                  return;
                              }
                              proto::codec::DiscoInfo info;
                              info.identities.push_back({"server", "im", "waitlistd", ""});
                              for (auto ns : {proto::ns::disco_info, proto::ns::disco_items, proto::ns::agents,
                                              proto::ns::ping, proto::ns::version})
                                  info.features.emplace_back(ns);
                              if (registration) info.features.emplace_back(proto::ns::register_);
                              Element result = proto::make_result(iq);
                              result.add_child(proto::codec::encode(info));
                              router.route(std::move(result));
                          });
    auto items_answer = [&router](const Element& iq) {
        proto::codec::DiscoItems items;
        items.node = proto::iq_payload(iq)->attr_or("node");
        if (items.node.empty())
            for (const auto& service : router.services()) items.items.push_back({service.jid, "", service.name});
        Element result = proto::make_result(iq);
        result.add_child(proto::codec::encode(items));
        router.route(std::move(result));
    };
    router.add_iq_handler(IqTarget::domain, std::string(proto::ns::disco_items), "query", proto::IqType::get,
                          items_answer);
    // COMPAT(XEP-0130 example 3): the client's disco#items carries no 'to', so it arrives
    // addressed to the account; an account here has no items of its own, and the XEP expects
    // the server's list, which names the waiting list service.
    router.add_iq_handler(IqTarget::account, std::string(proto::ns::disco_items), "query", proto::IqType::get,
                          items_answer);
}

void register_core_handlers(Router& router, const Config& config)
{
    register_disco(router, config);
    register_agents(router);
    register_ping(router);
    register_version(router);
}

}  // namespace wl::server::iq
