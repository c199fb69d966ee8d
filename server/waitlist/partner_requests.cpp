#include "server/waitlist/partner_requests.hpp"

#include "federation/async/await_answer.hpp"
#include "federation/async/spawn.hpp"
#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "server/log.hpp"
#include "server/waitlist/partner_jobs.hpp"
#include "server/waitlist/partner_queries.hpp"
#include "server/waitlist/plan.hpp"
#include "storage/job_payload.hpp"

namespace wl::server::waitlist {

using proto::ErrorType;
using storage::Store;

namespace {

// Our database failed: the requester should try again rather than give up on the URI.
Element try_again_later(const Element& iq, const std::exception_ptr& error)
{
    auto answer = proto::make_stanza_error(StanzaCondition::internal_server_error, "try again later");
    answer.type = ErrorType::wait;
    return storage_failure(iq, error, std::move(answer));
}

}  // namespace

std::shared_ptr<PartnerRequests> PartnerRequests::create(const ServiceContext& ctx,
                                                         std::shared_ptr<PartnerQueries> queries)
{
    std::shared_ptr<PartnerRequests> role(new PartnerRequests(ctx, std::move(queries)));
    ctx.dispatcher.set_handler(storage::JobKind::partner_push,
                               [raw = role.get()](const storage::Job& job) { return raw->run_push(job); });
    return role;
}

PartnerRequests::PartnerRequests(const ServiceContext& ctx, std::shared_ptr<PartnerQueries> queries)
    : ctx_(ctx),
      queries_(std::move(queries))
{
}

void PartnerRequests::on_request(const Element& stanza, const Jid& from)
{
    if (auto refusal = refuse_malformed(stanza)) {
        ctx_.router.route(std::move(*refusal));
        return;
    }
    const Element* payload = proto::iq_payload(stanza);
    if (!payload->is("query", proto::ns::waitinglist)) {
        ctx_.router.route(error_reply(stanza, StanzaCondition::service_unavailable));
        return;
    }
    if (!queries_->is_permitted(from)) {
        if (!from.has_node() && !from.has_resource() && !queries_->directory().undiscovered().empty()) {
            // Perhaps the service of a partner configured by its domain, not discovered yet.
            async::spawn_detached(ctx_.io, "waitlist: a request from an undiscovered service",
                                  [self = shared_from_this(), iq = Element(stanza), jid = from]()
                                      -> asio::awaitable<void> { co_await self->admit_after_discovery(iq, jid); });
            return;
        }
        refuse(stanza, from);
        return;
    }
    async::spawn_detached(ctx_.io, "waitlist: a partner's request",
                          [self = shared_from_this(), iq = Element(stanza), service = from.bare_str()]()
                              -> asio::awaitable<void> { co_await self->handle(iq, service); });
}

asio::awaitable<void> PartnerRequests::admit_after_discovery(const Element& iq, const Jid& from)
{
    co_await queries_->discover_undiscovered();
    if (!queries_->is_permitted(from)) {
        refuse(iq, from);
        co_return;
    }
    co_await handle(iq, from.bare_str());
}

void PartnerRequests::refuse(const Element& stanza, const Jid& from)
{
    // XEP-0130 example 29; a remote user asking lands here too and learns nothing.
    spdlog::info("waitlist: refused a waitinglist request from {}, which is not a permitted partner", from.domain());
    auto refusal = proto::make_stanza_error(StanzaCondition::not_authorized);
    refusal.type = ErrorType::cancel;  // as the example has it: asking again will not help
    ctx_.router.route(proto::make_error_reply(stanza, refusal));
}

asio::awaitable<void> PartnerRequests::handle(const Element& iq, const std::string& service)
{
    auto reply = co_await answer(iq, service);
    ctx_.router.route(std::move(reply));
}

asio::awaitable<JobOutcome> PartnerRequests::run_push(const storage::Job& job)
{
    auto payload = storage::decode_partner_push(job.payload);
    auto contact = payload ? Jid::parse(payload->jid) : std::nullopt;
    if (!payload || !contact) co_return unreadable_payload();
    auto requester = Jid::parse(job.target);
    if (!requester || !queries_->is_permitted(*requester)) {
        if (requester && !queries_->directory().undiscovered().empty()) {
            // The requester may be the discovered service of a domain-only partner, and
            // this process has not discovered it (yet, or again).
            queries_->start_discovery(queries_->directory().undiscovered());
            co_return JobOutcome::retry_at(discovery_wait(ctx_.config.waitlist), "discovering the partners' services");
        }
        spdlog::warn("waitlist: not pushing to {}, which is no longer a permitted partner", job.target);
        co_return JobOutcome::done();
    }
    // Example 32: our item id, the contact's JID and the URI asked about.
    codec::WaitlistItem item;
    item.id = payload->request_id;
    item.jid = contact->bare();
    item.uri = split_uri(payload->uri);
    const std::string peer = requester->bare_str();
    Push push{job.id, job.target, payload->request_id};
    queries_->tracker().send(peer, waitinglist_iq(ctx_.service, peer, IqType::set, {std::move(item)}),
                             [weak = weak_from_this(), push](IqTracker::Answer answer) {
                                 auto self = weak.lock();
                                 if (!self) return;
                                 async::spawn_detached(self->ctx_.io, "waitlist: settling a JID push",
                                                       [self, push, a = std::move(answer)]() -> asio::awaitable<void> {
                                                           co_await self->settle_push(push, a);
                                                       });
                             });
    // Until the requester acknowledges, the job comes back and pushes again.
    co_return JobOutcome::retry_at(guard_time(ctx_.config.waitlist, job.attempts),
                                   "waiting for the requester's acknowledgement");
}

asio::awaitable<void> PartnerRequests::settle_push(const Push& p, const std::optional<Element>& answer)
{
    const bool is_result = answer && answer->attr_or("type") == "result";
    const bool is_final_error = answer && !is_result && !is_transient(*answer);

    if (is_result) {
        // XEP-0130 §4.2: the record goes only now that the requester acknowledged.
        auto ack_push = [peer = p.requester, id = p.item_id](Store& s) { return s.ack_partner_push(peer, id); };
        auto acked = co_await async::db_call(ctx_.db, ack_push);
        if (!acked.ok()) {
            log_failure("recording a partner's acknowledgement", acked.error);
            co_return;
        }
        spdlog::info("waitlist: {} acknowledged the JID push of item {}", p.requester, p.item_id);
        co_await complete_job(ctx_.db, p.job_id);
    } else if (is_final_error) {
        // The requester refuses the push for good (it forgot the request, or stopped
        // trusting us): pushing again forever would help no one.
        spdlog::warn("waitlist: {} refused the JID push of item {} ({}); dropping the request", p.requester, p.item_id,
                     describe_error(*answer));
        auto drop_request = [peer = p.requester, id = p.item_id](Store& s) {
            return s.remove_partner_request(peer, id);
        };
        auto removed = co_await async::db_call(ctx_.db, drop_request);
        if (removed.ok())
            co_await complete_job(ctx_.db, p.job_id);
        else
            log_failure("dropping a refused partner request", removed.error);
    } else {
        spdlog::info("waitlist: JID push to {} not acknowledged ({}); it is sent again later", p.requester,
                     answer ? describe_error(*answer) : "no answer");
    }
}

asio::awaitable<Element> PartnerRequests::add(const Element& iq, const std::string& service,
                                              const codec::WaitlistItem& item)
{
    if (!item.uri) co_return error_reply(iq, StanzaCondition::bad_request, "an item to add needs a <uri/>");
    auto parsed = proto::parse_contact_uri(item.uri->scheme, item.uri->value, ctx_.policy);
    if (!parsed) {
        // A scheme we do not handle names nobody we serve (example 30); a malformed value is
        // the requester's mistake.
        if (parsed.problem == proto::UriProblem::unsupported_scheme)
            co_return error_reply(iq, StanzaCondition::item_not_found);
        co_return error_reply(iq, StanzaCondition::not_acceptable, parsed.reason);
    }
    if (!is_served_here(ctx_.config.waitlist, *parsed.uri)) co_return error_reply(iq, StanzaCondition::item_not_found);
    auto record_request = [service, uri = parsed.uri->canonical](Store& s) {
        return s.record_partner_request(service, uri);
    };
    auto recorded = co_await async::db_call(ctx_.db, record_request);
    if (!recorded.ok()) co_return try_again_later(iq, recorded.error);
    const storage::InboundResult& r = *recorded.value;
    spdlog::info("waitlist: {} asked about a URI served here (item {}, {}{})", service, r.request.id,
                 r.created ? "new" : "repeated", r.registered ? ", registered" : "");
    if (r.registered) ctx_.dispatcher.wake();
    co_return ack_with_id(iq, r.request.id);
}

asio::awaitable<Element> PartnerRequests::remove(const Element& iq, const std::string& service,
                                                 const codec::WaitlistItem& item)
{
    if (!item.id) co_return error_reply(iq, StanzaCondition::bad_request, "an item to remove needs its id");
    auto remove_it = [service, id = *item.id](Store& s) { return s.remove_partner_request(service, id); };
    auto removed = co_await async::db_call(ctx_.db, remove_it);
    if (!removed.ok()) co_return try_again_later(iq, removed.error);
    if (*removed.value == storage::RemoveStatus::not_found) co_return error_reply(iq, StanzaCondition::item_not_found);
    spdlog::info("waitlist: {} removed item {}", service, *item.id);
    co_return proto::make_result(iq);
}

asio::awaitable<Element> PartnerRequests::retrieve(const Element& iq, const std::string& service)
{
    auto list_them = [service](Store& s) { return s.list_partner_requests(service); };
    auto listed = co_await async::db_call(ctx_.db, list_them);
    if (!listed.ok()) co_return try_again_later(iq, listed.error);
    // Only this service's own requests: partners never see each other's.
    std::vector<codec::WaitlistItem> items;
    for (const auto& r : *listed.value) {
        codec::WaitlistItem item;
        item.id = r.id;
        item.uri = split_uri(r.uri);
        items.push_back(std::move(item));
    }
    co_return result_with(iq, std::move(items));
}

asio::awaitable<Element> PartnerRequests::jid_push(const Element& iq, const std::string& service,
                                                   const codec::WaitlistItem& item)
{
    if (!item.uri) co_return error_reply(iq, StanzaCondition::bad_request, "a JID push needs the <uri/> asked about");
    auto parsed = proto::parse_contact_uri(item.uri->scheme, item.uri->value, ctx_.policy);
    if (!parsed) co_return error_reply(iq, StanzaCondition::bad_request, parsed.reason);
    // Our queries know the partner by its key: its configured jid, or its domain.
    auto partner = queries_->directory().key_of(service).value_or(service);
    auto record_push = [partner, uri = parsed.uri->canonical, jid = item.jid->bare_str()](Store& s) {
        return s.record_partner_jid(uri, partner, jid);
    };
    auto recorded = co_await async::db_call(ctx_.db, record_push);
    if (!recorded.ok()) co_return try_again_later(iq, recorded.error);
    spdlog::info("waitlist: {} pushed a contact's JID ({} local item{} found)", service, recorded.value->items_changed,
                 recorded.value->items_changed == 1 ? "" : "s");
    count_pushes(*recorded.value);
    if (recorded.value->items_changed > 0) ctx_.dispatcher.wake();
    // Acknowledged even when nobody here waits any more (example 33): otherwise the
    // partner would keep pushing a record nobody needs.
    co_return proto::make_result(iq);
}

}  // namespace wl::server::waitlist
