#include "server/waitlist/service.hpp"

#include <stdexcept>

#include "proto/codec/disco.hpp"
#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "server/server.hpp"
#include "server/waitlist/partner_queries.hpp"
#include "server/waitlist/partner_requests.hpp"
#include "server/waitlist/plan.hpp"
#include "server/waitlist/requests.hpp"
#include "server/waitlist/user_role.hpp"

namespace wl::server {

namespace asio = boost::asio;
using proto::IqType;
using proto::Jid;
using proto::StanzaCondition;
using proto::xml::Element;

namespace {

Jid parse_service_jid(const Config& config)
{
    auto jid = Jid::parse(config.waitlist.jid);
    if (!jid || jid->has_node() || jid->has_resource())
        throw std::runtime_error("waitlist.jid: '" + config.waitlist.jid + "' is not a service JID");
    return *jid;
}

}  // namespace

WaitingListService::WaitingListService(Server& server, JobDispatcher& dispatcher)
    : WaitingListService(server.config(), server.router(), server.io_context(), server.db(), dispatcher)
{
}

WaitingListService::WaitingListService(const Config& config, Router& router, asio::io_context& io,
                                       storage::DbExecutor& db, JobDispatcher& dispatcher)
    : config_(config),
      router_(router),
      jid_(parse_service_jid(config)),
      policy_(waitlist::uri_policy(config.waitlist)),
      users_(std::make_unique<waitlist::UserRole>(
          waitlist::ServiceContext{config, router, io, db, dispatcher, jid_, policy_})),
      queries_(waitlist::PartnerQueries::create({config, router, io, db, dispatcher, jid_, policy_})),
      requests_(waitlist::PartnerRequests::create({config, router, io, db, dispatcher, jid_, policy_}, queries_))
{
    router_.add_service(
        ServiceInfo{jid_, "Waiting List Service", "waitinglist", [this](const Element& stanza) { on_stanza(stanza); }});
}

WaitingListService::~WaitingListService() = default;

std::vector<std::string> WaitingListService::reconcile(const std::string& partner)
{
    return queries_->start_reconcile(partner);
}

std::optional<std::string> WaitingListService::partner_service(const std::string& partner) const
{
    return queries_->service_of(partner);
}

void WaitingListService::on_peer_up(const std::string& remote) { queries_->on_peer_up(remote); }

void WaitingListService::on_stanza(const Element& stanza)
{
    auto from = Jid::parse(stanza.attr_or("from"));
    if (!from) return;  // the router stamps 'from'; without one nobody could be answered
    if (from->domain() != router_.domain().domain())
        on_partner_stanza(stanza, *from);
    else
        on_user_stanza(stanza, *from);
}

void WaitingListService::on_user_stanza(const Element& stanza, const Jid& from)
{
    if (proto::stanza_kind(stanza) != proto::StanzaKind::iq) return;  // users send us only IQs
    auto type = proto::iq_type(stanza);
    if (!type || *type == IqType::result || *type == IqType::error) return;
    if (auto refusal = waitlist::refuse_malformed(stanza)) {
        router_.route(std::move(*refusal));
        return;
    }
    // Addresses below the service (node@waitlist..., waitlist.../resource) name nothing.
    auto to = Jid::parse(stanza.attr_or("to"));
    if (!to || to->has_node() || to->has_resource()) {
        router_.route(waitlist::error_reply(stanza, StanzaCondition::service_unavailable));
        return;
    }
    const Element* payload = proto::iq_payload(stanza);
    if (payload->is("query", proto::ns::disco_info) && *type == IqType::get) {
        router_.route(disco_info(stanza));
        return;
    }
    if (payload->is("query", proto::ns::disco_items) && *type == IqType::get) {
        // The service has no items of its own (XEP-0030: an empty result, not an error).
        Element result = proto::make_result(stanza);
        proto::codec::DiscoItems items;
        items.node = payload->attr_or("node");
        result.add_child(proto::codec::encode(items));
        router_.route(std::move(result));
        return;
    }
    if (payload->is("query", proto::ns::waitinglist)) {
        users_->on_request(stanza, from.bare());
        return;
    }
    router_.route(waitlist::error_reply(stanza, StanzaCondition::service_unavailable));
}

void WaitingListService::on_partner_stanza(const Element& stanza, const Jid& from)
{
    // A partner discovers our service before using it (§4.2, examples 25-27); anyone may
    // learn what the service is, as with any public service.
    if (proto::stanza_kind(stanza) == proto::StanzaKind::iq && proto::iq_type(stanza) == IqType::get &&
        proto::is_valid_iq(stanza) && proto::iq_payload(stanza)->is("query", proto::ns::disco_info)) {
        router_.route(disco_info(stanza));
        return;
    }
    if (proto::stanza_kind(stanza) != proto::StanzaKind::iq) return;
    auto type = proto::iq_type(stanza);
    if (!type) return;
    // Answers to our own IQs are taken only from the address they were sent to.
    if (*type == IqType::result || *type == IqType::error)
        queries_->on_answer(stanza, from);
    else
        requests_->on_request(stanza, from);
}

Element WaitingListService::disco_info(const Element& iq) const
{
    const Element* query = proto::iq_payload(iq);
    if (query->attr("node")) return waitlist::error_reply(iq, StanzaCondition::item_not_found);
    proto::codec::DiscoInfo info;
    info.identities.push_back({"directory", "waitinglist", "", ""});
    info.features.emplace_back(proto::ns::waitinglist);
    // Both spellings: the XEP's examples and its registry disagree, and clients read either.
    for (const auto& scheme : config_.waitlist.schemes) {
        info.features.push_back(std::string(proto::ns::waitinglist_schemes_example) + scheme);
        info.features.push_back(std::string(proto::ns::waitinglist_schemes_registered) + scheme);
    }
    Element result = proto::make_result(iq);
    result.add_child(proto::codec::encode(info));
    return result;
}

}  // namespace wl::server
