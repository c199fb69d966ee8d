#include "server/waitlist/service.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <unordered_set>

#include "proto/codec/disco.hpp"
#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/server.hpp"
#include "server/spawn.hpp"
#include "server/waitlist/plan.hpp"
#include "server/waitlist/push_message.hpp"

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
      io_(io),
      db_(db),
      dispatcher_(dispatcher),
      jid_(parse_service_jid(config)),
      policy_(waitlist::uri_policy(config.waitlist)),
      push_type_(waitlist::push_type_from_config(config.waitlist.push_type))
{
    router_.add_service(ServiceInfo{jid_, "Waiting List Service", "waitinglist",
                                    [this](const Element& stanza) { on_stanza(stanza); }});
    // After initial presence the user can take messages: hand over what waited.
    router_.add_available_hook([this](const Jid& full_jid) { dispatcher_.run_parked(full_jid.bare_str()); });

    dispatcher_.set_handler(storage::JobKind::push, [this](const storage::Job& job) { return run_push(job); });
    dispatcher_.set_reachable_filter([this](const std::vector<std::string>& targets) {
        std::unordered_set<std::string> online;
        for (const auto& session : router_.all_sessions())
            if (session->is_available() && session->priority() >= 0) online.insert(session->jid().bare_str());
        std::vector<std::string> reachable;
        for (const auto& t : targets)
            if (online.count(t)) reachable.push_back(t);
        return reachable;
    });
    // Partner jobs belong to the InteropPartner side (issue 7). Without any partner
    // configured nobody can carry them out, so they wait long instead of being retried hot;
    // with partners they come back soon for a node that has the handler.
    const bool has_partners = !config_.partners.empty();
    dispatcher_.set_fallback([has_partners](const storage::Job& job) {
        if (!has_partners)
            return JobOutcome::retry_at(storage::Clock::now() + std::chrono::hours(24), "federation not available");
        (void)job;
        return JobOutcome::retry_at(storage::Clock::now() + std::chrono::minutes(1),
                                    "no handler for this job kind on this node");
    });
}

void WaitingListService::reply(Element stanza) { router_.route(std::move(stanza)); }

void WaitingListService::on_stanza(const Element& stanza)
{
    auto from = Jid::parse(stanza.attr_or("from"));
    if (!from) return;  // the router stamps 'from'; without one nobody could be answered
    if (from->domain() != router_.domain().domain()) {
        on_partner_stanza(stanza, *from);
        return;
    }
    if (proto::stanza_kind(stanza) != proto::StanzaKind::iq) return;  // users send us only IQs
    auto type = proto::iq_type(stanza);
    if (!type || *type == IqType::result || *type == IqType::error) return;
    if (!proto::is_valid_iq(stanza)) {
        reply(proto::make_error_reply(stanza, proto::make_stanza_error(StanzaCondition::bad_request,
                                                                         "an IQ needs an id and exactly one child")));
        return;
    }
    // Addresses below the service (node@waitlist..., waitlist.../resource) name nothing.
    auto to = Jid::parse(stanza.attr_or("to"));
    if (!to || to->has_node() || to->has_resource()) {
        reply(proto::make_error_reply(stanza, proto::make_stanza_error(StanzaCondition::service_unavailable)));
        return;
    }
    const Element* payload = proto::iq_payload(stanza);
    if (payload->is("query", proto::ns::disco_info) && *type == IqType::get) {
        reply(disco_info(stanza));
        return;
    }
    if (payload->is("query", proto::ns::disco_items) && *type == IqType::get) {
        // The service has no items of its own (XEP-0030: an empty result, not an error).
        Element result = proto::make_result(stanza);
        proto::codec::DiscoItems items;
        items.node = payload->attr_or("node");
        result.add_child(proto::codec::encode(items));
        reply(std::move(result));
        return;
    }
    if (payload->is("query", proto::ns::waitinglist)) {
        // On the io_context itself, no strand: a request shares no state with others
        // outside the Store and the thread-safe router, and the database's answers come
        // back through await_answer (db_await.hpp), which is safe on any executor.
        spawn_detached(io_, "waitlist: a user's request",
                       [this, iq = Element(stanza), owner = from->bare(),
                        received = std::chrono::steady_clock::now()]() -> asio::awaitable<void> {
                           co_await handle_user_iq(iq, owner, received);
                       });
        return;
    }
    reply(proto::make_error_reply(stanza, proto::make_stanza_error(StanzaCondition::service_unavailable)));
}

Element WaitingListService::disco_info(const Element& iq) const
{
    const Element* query = proto::iq_payload(iq);
    if (query->attr("node")) {
        return proto::make_error_reply(iq, proto::make_stanza_error(StanzaCondition::item_not_found));
    }
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

asio::awaitable<JobOutcome> WaitingListService::run_push(const storage::Job& job)
{
    auto payload = storage::decode_push(job.payload);
    auto owner = Jid::parse(job.target);
    std::optional<Element> message;
    if (payload && owner) message = waitlist::make_push_message(jid_, owner->bare(), *payload, push_type_);
    if (!message) {
        // Written by a newer version, or damaged: keep it for an operator, out of the way.
        co_return JobOutcome::retry_at(storage::Clock::now() + std::chrono::hours(24), "unreadable push payload");
    }
    auto shared = std::make_shared<const Element>(std::move(*message));
    // A headline goes to every available resource (RFC 6121 §5.2.2); a normal message to
    // those of highest priority.
    if (router_.deliver_to_user(owner->bare(), shared, push_type_ == proto::codec::PushType::headline)) {
        spdlog::debug("waitlist: push of item {} delivered to {}", payload->item_id, job.target);
        server_metrics().pushes_delivered.inc();
        co_return JobOutcome::done();
    }
    // No available session on this node. Cluster: a user whose session sits on
    // another node gets the push at their next login here or there, since parked pushes
    // are taken by whichever node sees the login; relaying it through that node's
    // LISTEN/NOTIFY channel is the cluster issue's work.
    server_metrics().pushes_parked.inc();
    co_return JobOutcome::parked();
}

}  // namespace wl::server
