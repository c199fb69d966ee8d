#include "server/waitlist/user_role.hpp"

#include <chrono>
#include <exception>
#include <unordered_set>

#include "federation/async/await_answer.hpp"
#include "federation/async/spawn.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/waitlist/plan.hpp"
#include "server/waitlist/push_message.hpp"

namespace wl::server::waitlist {

namespace {

Element unavailable(const Element& iq, const std::exception_ptr& error)
{
    return storage_failure(iq, error,
                           proto::make_stanza_error(StanzaCondition::internal_server_error,
                                                    "the waiting list is unavailable; try again later"));
}

codec::WaitlistItem shown_item(const storage::Item& item)
{
    return make_item(item.id, item.jid, item.scheme, item.given_uri, item.name);
}

}  // namespace

UserRole::UserRole(const ServiceContext& ctx)
    : ctx_(ctx),
      push_type_(push_type_from_config(ctx.config.waitlist.push_type))
{
    // After initial presence the user can take messages: hand over what waited.
    ctx_.router.add_available_hook([this](const Jid& full_jid) { ctx_.dispatcher.run_parked(full_jid.bare_str()); });
    ctx_.dispatcher.set_handler(storage::JobKind::push, [this](const storage::Job& job) { return run_push(job); });
    ctx_.dispatcher.set_reachable_filter([this](const std::vector<std::string>& targets) {
        std::unordered_set<std::string> online;
        for (const auto& session : ctx_.router.all_sessions())
            if (session->is_available() && session->priority() >= 0) online.insert(session->jid().bare_str());
        std::vector<std::string> reachable;
        for (const auto& t : targets)
            if (online.count(t)) reachable.push_back(t);
        return reachable;
    });
}

void UserRole::on_request(const Element& iq, const Jid& owner)
{
    // On the io_context itself, no strand: a request shares no state with others outside
    // the Store and the thread-safe router, and the database's answers come back through
    // await_answer, which is safe on any executor.
    async::spawn_detached(ctx_.io, "waitlist: a user's request",
                          [this, iq = Element(iq), owner = owner.bare_str(),
                           received = std::chrono::steady_clock::now()]() -> asio::awaitable<void> {
                              co_await handle(iq, owner, received);
                          });
}

asio::awaitable<void> UserRole::handle(const Element& iq, const std::string& owner,
                                       const std::chrono::steady_clock::time_point& received)
{
    auto reply = co_await answer(iq, owner);
    server_metrics().waitlist_iq_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - received).count());
    ctx_.router.route(std::move(reply));
}

asio::awaitable<Element> UserRole::retrieve(const Element& iq, const std::string& owner)
{
    auto work = [owner](storage::Store& s) { return s.list_items(owner); };
    auto listed = co_await async::db_call(ctx_.db, work);
    if (!listed.ok()) co_return unavailable(iq, listed.error);
    // XEP-0130 §3.1 A2: a user who never had a waiting list gets item-not-found.
    if (!*listed.value) co_return error_reply(iq, StanzaCondition::item_not_found);
    std::vector<codec::WaitlistItem> items;
    items.reserve((*listed.value)->size());
    for (const auto& item : **listed.value) items.push_back(shown_item(item));
    co_return result_with(iq, std::move(items));
}

asio::awaitable<Element> UserRole::add(const Element& iq, const std::string& owner, const codec::WaitlistItem& item)
{
    // The XEP's checks, in its order; none of them stores anything.
    if (item.jid) co_return error_reply(iq, StanzaCondition::bad_request, "an item to add must not carry a jid");
    if (!item.uri) co_return error_reply(iq, StanzaCondition::bad_request, "an item to add needs a <uri/>");
    auto parsed = proto::parse_contact_uri(item.uri->scheme, item.uri->value, ctx_.policy);
    if (!parsed) {
        co_return error_reply(iq,
                              parsed.problem == proto::UriProblem::unsupported_scheme ? StanzaCondition::bad_request
                                                                                      : StanzaCondition::not_acceptable,
                              parsed.reason);
    }
    storage::NewItem fresh;
    fresh.owner = owner;
    fresh.uri = parsed.uri->canonical;
    fresh.given_uri = item.uri->value;
    fresh.scheme = std::string(proto::scheme_name(parsed.uri->scheme));
    fresh.name = item.name.value_or("");
    fresh.plan = waitlist::plan_item(ctx_.config.waitlist, ctx_.config.partners, *parsed.uri);

    auto added = co_await adds_.add(fresh);
    if (!added.ok()) co_return unavailable(iq, added.error);
    const storage::AddItemResult& r = *added.value;
    // A push (found, or not found by anyone) or partner queries were queued with the item.
    const bool push_queued = r.created && r.item.state != storage::ItemState::waiting;
    if (push_queued) server_metrics().pushes_queued.inc();
    if (push_queued || (r.created && !fresh.plan.partners.empty())) ctx_.dispatcher.wake();
    spdlog::debug("waitlist: {} added item {} ({})", fresh.owner, r.item.id, storage::to_string(r.item.state));

    if (r.item.jid) co_return result_with(iq, {shown_item(r.item)});
    co_return ack_with_id(iq, r.item.id);
}

asio::awaitable<Element> UserRole::remove(const Element& iq, const std::string& owner, const codec::WaitlistItem& item)
{
    if (!item.id) co_return error_reply(iq, StanzaCondition::bad_request, "an item to remove needs its id");
    auto work = [owner, id = *item.id](storage::Store& s) { return s.remove_item(owner, id); };
    auto removed = co_await async::db_call(ctx_.db, work);
    if (!removed.ok()) co_return unavailable(iq, removed.error);
    if (*removed.value == storage::RemoveStatus::not_found) co_return error_reply(iq, StanzaCondition::item_not_found);
    // The last local user waiting for a URI may have left partner_remove jobs behind.
    if (!ctx_.config.partners.empty()) ctx_.dispatcher.wake();
    co_return proto::make_result(iq);
}

asio::awaitable<JobOutcome> UserRole::run_push(const storage::Job& job)
{
    auto payload = storage::decode_push(job.payload);
    auto owner = Jid::parse(job.target);
    std::optional<Element> message;
    if (payload && owner) message = make_push_message(ctx_.service, owner->bare(), *payload, push_type_);
    if (!message) {
        // Written by a newer version, or damaged: keep it for an operator, out of the way.
        co_return JobOutcome::retry_at(storage::Clock::now() + std::chrono::hours(24), "unreadable push payload");
    }
    auto shared = std::make_shared<const Element>(std::move(*message));
    // A headline goes to every available resource (RFC 6121 §5.2.2); a normal message to
    // those of highest priority.
    if (ctx_.router.deliver_to_user(owner->bare(), shared, push_type_ == proto::codec::PushType::headline)) {
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

}  // namespace wl::server::waitlist
