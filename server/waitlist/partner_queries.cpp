#include "server/waitlist/partner_queries.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>

#include "proto/codec/decode_error.hpp"
#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "federation/async/await_answer.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "federation/async/spawn.hpp"
#include "server/waitlist/partner_jobs.hpp"
#include "server/waitlist/plan.hpp"
#include "server/waitlist/requests.hpp"
#include "storage/job_payload.hpp"

namespace wl::server::waitlist {

using proto::ErrorType;
using storage::Store;

std::shared_ptr<PartnerQueries> PartnerQueries::create(const ServiceContext& ctx)
{
    std::shared_ptr<PartnerQueries> role(new PartnerQueries(ctx));
    role->register_jobs();
    role->start_periodic_reconcile();
    return role;
}

PartnerQueries::PartnerQueries(const ServiceContext& ctx)
    : ctx_(ctx),
      directory_(ctx.config.partners),
      strand_(asio::make_strand(ctx.io)),
      tracker_(IqTracker::create(ctx.io, ctx.config.waitlist.partner_timeout,
                                 [&router = ctx.router](Element stanza) { router.route(std::move(stanza)); }))
{
}

void PartnerQueries::register_jobs()
{
    ctx_.dispatcher.set_handler(storage::JobKind::partner_query,
                                [this](const storage::Job& job) { return run_query(job); });
    ctx_.dispatcher.set_handler(storage::JobKind::partner_remove,
                                [this](const storage::Job& job) { return run_remove(job); });
}

bool PartnerQueries::is_permitted(const Jid& service) const
{
    if (service.has_node() || service.has_resource()) return false;  // a user is never a service
    return directory_.key_of(service.bare_str()).has_value();
}

// ---- our IQs and their answers ----

void PartnerQueries::send_iq(Pending pending, Element iq)
{
    const std::string peer = pending.peer;
    tracker_->send(peer, std::move(iq), [weak = weak_from_this(), p = std::move(pending)](IqTracker::Answer answer) {
        if (auto self = weak.lock()) self->spawn_settle(p, std::move(answer));
    });
}

void PartnerQueries::send_after_discovery(Pending pending, codec::WaitlistItem item)
{
    // The job stays the guard meanwhile: if this process dies, it comes due again.
    async::spawn_detached(strand_, "waitlist: an IQ after discovery",
                          [self = shared_from_this(), p = std::move(pending),
                           item = std::move(item)]() mutable -> asio::awaitable<void> {
                              auto service = co_await self->resolve(p.partner);
                              if (!service) {
                                  // Nobody answered for the partner's domain: as if its service had
                                  // not answered (a query is retried with back-off, then times out).
                                  p.peer = p.partner;
                                  self->spawn_settle(std::move(p), std::nullopt);
                                  co_return;
                              }
                              p.peer = *service;
                              self->send_iq(std::move(p), waitinglist_iq(self->ctx_.service, *service, IqType::set,
                                                                         {std::move(item)}));
                          });
}

void PartnerQueries::spawn_settle(Pending pending, std::optional<Element> answer)
{
    async::spawn_detached(ctx_.io, "waitlist: settling a partner's answer",
                          [self = shared_from_this(), p = std::move(pending),
                           a = std::move(answer)]() -> asio::awaitable<void> { co_await self->settle(p, a); });
}

void PartnerQueries::forget_if_silent(const Pending& p, const std::optional<Element>& answer)
{
    if (answer && (answer->attr_or("type") == "result" || !is_transient(*answer))) return;
    if (directory_.state(p.partner) != PartnerDirectory::Discovery::known) return;
    spdlog::info("waitlist: the discovered service of {} does not answer; it is discovered again", p.partner);
    directory_.forget(p.partner);
}

asio::awaitable<void> PartnerQueries::settle(const Pending& p, const std::optional<Element>& answer)
{
    forget_if_silent(p, answer);
    const bool is_result = answer && answer->attr_or("type") == "result";
    switch (p.what) {
    case Sent::query:
        co_await settle_query(p, answer);
        break;
    case Sent::remove: {
        // item-not-found: the partner holds nothing for us any more, which is what we asked.
        bool gone = is_result;
        if (answer && !is_result && answer->child("error", "")) {
            auto err = proto::parse_stanza_error(*answer->child("error", ""));
            gone = err && err->condition == StanzaCondition::item_not_found;
        }
        if (gone)
            co_await complete_job(ctx_.db, p.job_id);
        else
            spdlog::info("waitlist: remove at {} not confirmed ({}); it is sent again later", p.peer,
                         answer ? describe_error(*answer) : "no answer");
        break;
    }
    }
}

asio::awaitable<void> PartnerQueries::settle_query(const Pending& p, const std::optional<Element>& answer)
{
    storage::DbResult<storage::PartnerAnswerResult> recorded;
    bool answered = false;
    if (answer && answer->attr_or("type") == "result") {
        // The ack (example 31) carries the partner's item id; a partner may also answer with
        // the JID at once (implementation note 6).
        std::optional<codec::WaitlistItem> item;
        if (const Element* query = answer->child("query", proto::ns::waitinglist)) {
            auto decoded = codec::decode_waitinglist(*query);
            if (decoded && !decoded->items.empty()) item = decoded->items.front();
        }
        if (item && item->jid) {
            auto record_jid = [uri = p.uri, peer = p.partner, jid = item->jid->bare_str()](Store& s) {
                return s.record_partner_jid(uri, peer, jid);
            };
            recorded = co_await async::db_call(ctx_.db, record_jid);
        } else {
            auto record_ack = [uri = p.uri, peer = p.partner, id = item && item->id ? *item->id : std::string()](
                                  Store& s) { return s.record_partner_ack(uri, peer, id); };
            auto acked = co_await async::db_call(ctx_.db, record_ack);
            if (!acked.ok()) {
                log_failure("recording a partner's ack", acked.error);
                co_return;  // the guard job asks again
            }
            spdlog::debug("waitlist: {} acknowledged a query", p.peer);
            co_await complete_job(ctx_.db, p.job_id);
            co_return;
        }
        answered = true;
    } else if (answer && !is_transient(*answer)) {
        spdlog::info("waitlist: {} cannot help with a query ({})", p.peer, describe_error(*answer));
        auto record_cancel = [uri = p.uri, peer = p.partner, policy = retry_policy(ctx_.config.waitlist)](Store& s) {
            return s.record_partner_error(uri, peer, storage::PartnerErrorType::cancel, policy);
        };
        recorded = co_await async::db_call(ctx_.db, record_cancel);
        answered = true;
    }
    if (!answered) {
        if (answer) spdlog::info("waitlist: query to {} failed for now ({})", p.peer, describe_error(*answer));
        auto record_timeout = [uri = p.uri, peer = p.partner, policy = retry_policy(ctx_.config.waitlist)](Store& s) {
            return s.record_partner_error(uri, peer, storage::PartnerErrorType::timeout, policy);
        };
        recorded = co_await async::db_call(ctx_.db, record_timeout);
    }
    if (!recorded.ok()) {
        log_failure("recording a partner's answer", recorded.error);
        co_return;
    }
    count_pushes(*recorded.value);
    if (recorded.value->items_changed > 0 || recorded.value->retry_scheduled) ctx_.dispatcher.wake();
    co_await complete_job(ctx_.db, p.job_id);
}

bool PartnerQueries::on_answer(const Element& iq, const Jid& from) { return tracker_->on_answer(iq, from); }

// ---- job handlers ----

asio::awaitable<JobOutcome> PartnerQueries::run_query(const storage::Job& job)
{
    auto payload = storage::decode_partner_query(job.payload);
    if (!payload) co_return unreadable_payload();
    if (!directory_.is_partner(job.target)) {
        // The partner left the list since the item was added: it is never asked, and its
        // query ends as a refusal would.
        spdlog::warn("waitlist: not asking {}, which is no longer a permitted partner", job.target);
        auto record_refusal = [uri = payload->uri, target = job.target,
                               policy = retry_policy(ctx_.config.waitlist)](Store& s) {
            return s.record_partner_error(uri, target, storage::PartnerErrorType::cancel, policy);
        };
        auto r = co_await async::db_call(ctx_.db, record_refusal);
        if (!r.ok()) co_return JobOutcome::retry_at(storage::Clock::now() + std::chrono::seconds(30), "database");
        count_pushes(*r.value);
        if (r.value->items_changed > 0) ctx_.dispatcher.wake();
        co_return JobOutcome::done();
    }
    codec::WaitlistItem item;
    item.uri = split_uri(payload->uri);
    Pending pending{Sent::query, job.id, {}, job.target, payload->uri, {}};
    co_return send_to_partner(std::move(pending), std::move(item), job.attempts);
}

JobOutcome PartnerQueries::send_to_partner(Pending pending, codec::WaitlistItem item, int attempts)
{
    if (auto service = directory_.service_of(pending.partner)) {
        pending.peer = *service;
        send_iq(std::move(pending), waitinglist_iq(ctx_.service, *service, IqType::set, {std::move(item)}));
        return JobOutcome::retry_at(guard_time(ctx_.config.waitlist, attempts), "waiting for the partner's answer");
    }
    send_after_discovery(std::move(pending), std::move(item));
    return JobOutcome::retry_at(discovery_wait(ctx_.config.waitlist) +
                                    (guard_time(ctx_.config.waitlist, attempts) - storage::Clock::now()),
                                "discovering the partner's service");
}

asio::awaitable<JobOutcome> PartnerQueries::run_remove(const storage::Job& job)
{
    auto payload = storage::decode_partner_remove(job.payload);
    if (!payload) co_return unreadable_payload();
    if (!directory_.is_partner(job.target)) {
        spdlog::warn("waitlist: not sending a remove to {}, which is no longer a permitted partner", job.target);
        co_return JobOutcome::done();
    }
    if (job.attempts > std::max(1, ctx_.config.waitlist.retry_attempts)) {
        // The partner keeps a record for nobody; it only costs it a push that we ack.
        spdlog::warn("waitlist: giving up removing item {} at {}", payload->partner_item_id, job.target);
        co_return JobOutcome::done();
    }
    codec::WaitlistItem item;
    item.id = payload->partner_item_id;
    item.remove = true;
    Pending pending{Sent::remove, job.id, {}, job.target, payload->uri, payload->partner_item_id};
    co_return send_to_partner(std::move(pending), std::move(item), job.attempts);
}

}  // namespace wl::server::waitlist
