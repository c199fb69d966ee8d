// PartnerQueries: finding the WaitingListService of a partner configured by its domain alone
// (XEP-0130 §4.2, examples 22-27). jabber:iq:agents first, which implementations MUST
// support (implementation note 5) and which names the service in one answer; then
// disco#items on the domain and disco#info on each item. The service found may be on any
// domain (implementation note 3).
#include "server/waitlist/partner_queries.hpp"

#include <boost/asio/steady_timer.hpp>

#include "proto/codec/agents.hpp"
#include "proto/codec/disco.hpp"
#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "server/log.hpp"
#include "federation/async/spawn.hpp"
#include "federation/async/timer.hpp"

namespace wl::server::waitlist {

namespace {

// Items of one disco#items answer asked about, at most: a domain lists a handful of services.
constexpr std::size_t max_disco_items = 16;

Element get_iq(const Jid& from, const std::string& to, std::string_view ns)
{
    Element iq("iq", std::string(proto::ns::client));
    iq.set_attr("type", "get");
    iq.set_attr("from", from.bare_str());
    iq.set_attr("to", to);
    iq.add_child(Element("query", std::string(ns)));
    return iq;
}

const Element* result_query(const std::optional<Element>& answer, std::string_view ns)
{
    if (!answer || answer->attr_or("type") != "result") return nullptr;
    return answer->child("query", ns);
}

bool is_waitlist_service(const codec::DiscoInfo& info)
{
    for (const auto& identity : info.identities)
        if (identity.category == "directory" && identity.type == "waitinglist") return true;
    return info.has_feature(proto::ns::waitinglist);
}

}  // namespace

asio::awaitable<std::optional<std::string>> PartnerQueries::discover(const std::string& domain)
{
    Element agents_iq = get_iq(ctx_.service, domain, proto::ns::agents);
    auto answer = co_await request(domain, agents_iq);
    if (const Element* query = result_query(answer, proto::ns::agents)) {
        auto agents = codec::decode_agents(*query);
        if (agents) {
            for (const auto& agent : agents->agents)
                if (agent.service == codec::waitinglist_agent_service && !agent.jid.has_node())
                    co_return agent.jid.bare_str();
        }
    }
    Element items_iq = get_iq(ctx_.service, domain, proto::ns::disco_items);
    answer = co_await request(domain, items_iq);
    const Element* query = result_query(answer, proto::ns::disco_items);
    if (!query) co_return std::nullopt;
    auto items = codec::decode_disco_items(*query);
    if (!items) co_return std::nullopt;
    std::size_t asked = 0;
    for (const auto& item : items->items) {
        if (item.jid.has_node() || !item.node.empty()) continue;  // users and nodes are not services
        if (++asked > max_disco_items) break;
        const std::string candidate = item.jid.bare_str();
        Element info_iq = get_iq(ctx_.service, candidate, proto::ns::disco_info);
        auto info_answer = co_await request(candidate, info_iq);
        if (const Element* info_query = result_query(info_answer, proto::ns::disco_info)) {
            auto info = codec::decode_disco_info(*info_query);
            if (info && is_waitlist_service(*info)) co_return candidate;
        }
    }
    co_return std::nullopt;
}

asio::awaitable<void> PartnerQueries::discover_partner(const std::string& key)
{
    if (!directory_.begin_discovery(key, ctx_.config.waitlist.partner_timeout)) co_return;
    std::optional<std::string> service;
    try {
        // A domain-only partner's key is its domain.
        service = co_await discover(key);
    } catch (const std::exception& e) {
        spdlog::warn("waitlist: discovering the service of {} failed: {}", key, e.what());
    }
    if (service) {
        spdlog::info("waitlist: the waiting list service of partner {} is {}", key, *service);
        directory_.discovered(key, *service);
    } else {
        spdlog::warn("waitlist: no waiting list service found at {} (agents, disco#items)", key);
        directory_.discovery_failed(key);
    }
}

void PartnerQueries::start_discovery(const std::vector<std::string>& keys)
{
    for (const auto& key : keys) {
        if (directory_.state(key) == PartnerDirectory::Discovery::discovering) continue;
        async::spawn_detached(strand_, "waitlist: discovery",
                              [self = shared_from_this(), key]() -> asio::awaitable<void> {
                                  co_await self->discover_partner(key);
                              });
    }
}

asio::awaitable<std::optional<std::string>> PartnerQueries::resolve(const std::string& key)
{
    if (auto service = directory_.service_of(key)) co_return service;
    if (directory_.state(key) == PartnerDirectory::Discovery::discovering) {
        // Another coroutine is asking: wait for its outcome rather than asking twice.
        asio::steady_timer tick(ctx_.io);
        const auto give_up =
            std::chrono::steady_clock::now() + 3 * ctx_.config.waitlist.partner_timeout + std::chrono::seconds(1);
        while (directory_.state(key) == PartnerDirectory::Discovery::discovering &&
               std::chrono::steady_clock::now() < give_up) {
            if (!co_await async::sleep_for(tick, std::chrono::milliseconds(50))) co_return std::nullopt;
        }
        co_return directory_.service_of(key);
    }
    co_await discover_partner(key);
    co_return directory_.service_of(key);
}

asio::awaitable<void> PartnerQueries::discover_undiscovered()
{
    for (const auto& key : directory_.undiscovered()) co_await discover_partner(key);
}

}  // namespace wl::server::waitlist
