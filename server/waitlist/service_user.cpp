// The ServiceProvider role towards this domain's IM users (XEP-0130 §4.1): retrieve, add,
// remove. Each request is one Store transaction on a database thread; adds that arrive
// together share theirs (group commit, add_batcher.hpp).
#include <chrono>
#include <exception>

#include "proto/codec/decode_error.hpp"
#include "proto/codec/waitinglist_request.hpp"
#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "server/db_await.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/waitlist/plan.hpp"
#include "server/waitlist/push_message.hpp"
#include "server/waitlist/service.hpp"

namespace wl::server {

namespace asio = boost::asio;
namespace codec = proto::codec;
using proto::IqType;
using proto::Jid;
using proto::StanzaCondition;
using proto::xml::Element;

namespace {

Element error_reply(const Element& iq, StanzaCondition condition, std::string text = {})
{
    // Every error echoes the request's <query/>, with the legacy code, as the XEP shows.
    return proto::make_error_reply(iq, proto::make_stanza_error(condition, std::move(text)));
}

Element storage_failure(const Element& iq, const std::exception_ptr& error)
{
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        spdlog::warn("waitlist: database call failed: {}", e.what());
    }
    return error_reply(iq, StanzaCondition::internal_server_error, "the waiting list is unavailable; try again later");
}

codec::WaitlistItem shown_item(const storage::Item& item)
{
    return waitlist::make_item(item.id, item.jid, item.scheme, item.given_uri, item.name);
}

Element result_with(const Element& iq, std::vector<codec::WaitlistItem> items)
{
    Element result = proto::make_result(iq);
    codec::Waitinglist list;
    list.root = codec::WaitlistRoot::query;
    list.items = std::move(items);
    result.add_child(codec::encode(list));
    return result;
}

}  // namespace

asio::awaitable<void> WaitingListService::handle_user_iq(const Element& iq, const Jid& owner,
                                                         const std::chrono::steady_clock::time_point& received)
{
    Element answer;
    try {
        auto read = codec::read_waitlist_request(*proto::iq_type(iq), *proto::iq_payload(iq));
        if (auto* error = std::get_if<proto::StanzaError>(&read)) {
            answer = proto::make_error_reply(iq, *error);
        } else {
            const auto& request = std::get<codec::WaitlistRequest>(read);
            switch (request.kind) {
            case codec::WaitlistRequest::Kind::retrieve:
                answer = co_await retrieve(iq, owner);
                break;
            case codec::WaitlistRequest::Kind::remove:
                answer = co_await remove(iq, owner, request.item);
                break;
            case codec::WaitlistRequest::Kind::add:
            case codec::WaitlistRequest::Kind::jid_push:  // a user names no JID; any given is ignored
                answer = co_await add(iq, owner, request.item);
                break;
            }
        }
    } catch (const std::exception& e) {
        spdlog::error("waitlist: request failed: {}", e.what());
        answer = error_reply(iq, StanzaCondition::internal_server_error);
    }
    server_metrics().waitlist_iq_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - received).count());
    reply(std::move(answer));
}

asio::awaitable<Element> WaitingListService::retrieve(const Element& iq, const Jid& owner)
{
    auto work = [owner = owner.bare_str()](storage::Store& s) { return s.list_items(owner); };
    auto listed = co_await db_call(db_, work);
    if (!listed.ok()) co_return storage_failure(iq, listed.error);
    // XEP-0130 §3.1 A2: a user who never had a waiting list gets item-not-found.
    if (!*listed.value) co_return error_reply(iq, StanzaCondition::item_not_found);
    std::vector<codec::WaitlistItem> items;
    items.reserve((*listed.value)->size());
    for (const auto& item : **listed.value) items.push_back(shown_item(item));
    co_return result_with(iq, std::move(items));
}

asio::awaitable<Element> WaitingListService::add(const Element& iq, const Jid& owner, const codec::WaitlistItem& item)
{
    // The XEP's checks, in its order; none of them stores anything.
    if (item.jid) co_return error_reply(iq, StanzaCondition::bad_request, "an item to add must not carry a jid");
    if (!item.uri) co_return error_reply(iq, StanzaCondition::bad_request, "an item to add needs a <uri/>");
    auto parsed = proto::parse_contact_uri(item.uri->scheme, item.uri->value, policy_);
    if (!parsed) {
        co_return error_reply(iq,
                              parsed.problem == proto::UriProblem::unsupported_scheme ? StanzaCondition::bad_request
                                                                                        : StanzaCondition::not_acceptable,
                              parsed.reason);
    }
    storage::NewItem fresh;
    fresh.owner = owner.bare_str();
    fresh.uri = parsed.uri->canonical;
    fresh.given_uri = item.uri->value;
    fresh.scheme = std::string(proto::scheme_name(parsed.uri->scheme));
    fresh.name = item.name.value_or("");
    fresh.plan = waitlist::plan_item(config_.waitlist, config_.partners, *parsed.uri);

    auto added = co_await adds_.add(fresh);
    if (!added.ok()) co_return storage_failure(iq, added.error);
    const storage::AddItemResult& r = *added.value;
    // A push (found, or not found by anyone) or partner queries were queued with the item.
    const bool push_queued = r.created && r.item.state != storage::ItemState::waiting;
    if (push_queued) server_metrics().pushes_queued.inc();
    if (push_queued || (r.created && !fresh.plan.partners.empty())) dispatcher_.wake();
    spdlog::debug("waitlist: {} added item {} ({})", fresh.owner, r.item.id, storage::to_string(r.item.state));

    if (r.item.jid) co_return result_with(iq, {shown_item(r.item)});
    codec::WaitlistItem ack;
    ack.id = r.item.id;
    co_return result_with(iq, {ack});
}

asio::awaitable<Element> WaitingListService::remove(const Element& iq, const Jid& owner,
                                                    const codec::WaitlistItem& item)
{
    if (!item.id) co_return error_reply(iq, StanzaCondition::bad_request, "an item to remove needs its id");
    auto work = [owner = owner.bare_str(), id = *item.id](storage::Store& s) { return s.remove_item(owner, id); };
    auto removed = co_await db_call(db_, work);
    if (!removed.ok()) co_return storage_failure(iq, removed.error);
    if (*removed.value == storage::RemoveStatus::not_found) co_return error_reply(iq, StanzaCondition::item_not_found);
    // The last local user waiting for a URI may have left partner_remove jobs behind.
    if (!config_.partners.empty()) dispatcher_.wake();
    co_return proto::make_result(iq);
}

}  // namespace wl::server
