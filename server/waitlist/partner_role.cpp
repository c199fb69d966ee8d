#include "server/waitlist/partner_role.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>
#include <random>

#include "proto/codec/decode_error.hpp"
#include "proto/codec/waitinglist_request.hpp"
#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "server/db_await.hpp"
#include "server/log.hpp"
#include "server/spawn.hpp"
#include "server/waitlist/plan.hpp"
#include "storage/job_payload.hpp"

namespace wl::server::waitlist {

namespace asio = boost::asio;
namespace codec = proto::codec;
using proto::ErrorType;
using proto::IqType;
using proto::Jid;
using proto::StanzaCondition;
using proto::xml::Element;
using storage::Store;

namespace {

Element error_reply(const Element& iq, StanzaCondition condition, std::string text = {})
{
    return proto::make_error_reply(iq, proto::make_stanza_error(condition, std::move(text)));
}

// Our database failed: the requester should try again rather than give up on the URI.
Element storage_failure(const Element& iq, const std::exception_ptr& error)
{
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        spdlog::warn("waitlist: database call for a partner failed: {}", e.what());
    }
    auto err = proto::make_stanza_error(StanzaCondition::internal_server_error, "try again later");
    err.type = ErrorType::wait;
    return proto::make_error_reply(iq, err);
}

// "tel:+13035550100" -> <uri scheme='tel'>+13035550100</uri>, as the XEP's examples carry it.
codec::WaitlistUri split_uri(const std::string& canonical)
{
    auto colon = canonical.find(':');
    if (colon == std::string::npos) return {"", canonical};
    return {canonical.substr(0, colon), canonical.substr(colon + 1)};
}

Element waitinglist_iq(const Jid& from, const std::string& to, IqType type, std::vector<codec::WaitlistItem> items)
{
    Element iq("iq", std::string(proto::ns::client));
    iq.set_attr("type", proto::name(type));
    iq.set_attr("from", from.bare_str());
    iq.set_attr("to", to);
    codec::Waitinglist list;
    list.root = codec::WaitlistRoot::query;
    list.items = std::move(items);
    iq.add_child(codec::encode(list));
    return iq;
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

// An error that says "not now" rather than "never": the partner's server is unreachable,
// busy, or failed inside. The query is retried; it must not end in item-not-found.
bool is_transient(const Element& error_iq)
{
    const Element* el = error_iq.child("error", "");
    if (!el) return true;
    auto error = proto::parse_stanza_error(*el);
    if (!error) return true;
    switch (error->condition) {
    case StanzaCondition::remote_server_not_found:
    case StanzaCondition::remote_server_timeout:
    case StanzaCondition::resource_constraint:
    case StanzaCondition::internal_server_error:
        return true;
    default:
        return error->type == ErrorType::wait;
    }
}

std::string describe_error(const Element& error_iq)
{
    const Element* el = error_iq.child("error", "");
    auto error = el ? proto::parse_stanza_error(*el) : std::nullopt;
    return error ? std::string(proto::name(error->condition)) : "an unreadable error";
}

void log_failure(std::string_view what, const std::exception_ptr& error)
{
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        spdlog::warn("waitlist: {} failed: {}", what, e.what());
    }
}

}  // namespace

std::shared_ptr<PartnerRole> PartnerRole::create(const Config& config, Router& router, asio::io_context& io,
                                                 storage::DbExecutor& db, JobDispatcher& dispatcher, Jid service,
                                                 proto::UriPolicy policy)
{
    std::shared_ptr<PartnerRole> role(
        new PartnerRole(config, router, io, db, dispatcher, std::move(service), std::move(policy)));
    role->register_jobs();
    role->start_periodic_reconcile();
    return role;
}

PartnerRole::PartnerRole(const Config& config, Router& router, asio::io_context& io, storage::DbExecutor& db,
                         JobDispatcher& dispatcher, Jid service, proto::UriPolicy policy)
    : config_(config),
      router_(router),
      io_(io),
      db_(db),
      dispatcher_(dispatcher),
      service_(std::move(service)),
      policy_(std::move(policy)),
      directory_(config.partners),
      strand_(asio::make_strand(io))
{
    std::random_device rd;
    id_prefix_ = "wl" + std::to_string(rd() % 1000000) + "-";
}

void PartnerRole::register_jobs()
{
    dispatcher_.set_handler(storage::JobKind::partner_query, [this](const storage::Job& job) { return run_query(job); });
    dispatcher_.set_handler(storage::JobKind::partner_remove, [this](const storage::Job& job) { return run_remove(job); });
    dispatcher_.set_handler(storage::JobKind::partner_push, [this](const storage::Job& job) { return run_push(job); });
}

bool PartnerRole::is_permitted(const Jid& service) const
{
    if (service.has_node() || service.has_resource()) return false;  // a user is never a service
    return directory_.key_of(service.bare_str()).has_value();
}

std::size_t PartnerRole::outstanding() const
{
    std::lock_guard lock(mutex_);
    return pending_.size();
}

storage::RetryPolicy PartnerRole::retry_policy() const
{
    storage::RetryPolicy policy;
    policy.max_attempts = config_.waitlist.retry_attempts;
    policy.period = config_.waitlist.retry_period;
    policy.initial_backoff = config_.waitlist.partner_timeout;
    return policy;
}

storage::TimePoint PartnerRole::guard_time(int attempts) const
{
    // Later than the answer can come (partner_timeout), doubling per attempt, at most ten
    // minutes apart unless the timeout itself is longer.
    const auto timeout = config_.waitlist.partner_timeout;
    auto delay = timeout * (std::int64_t{1} << std::clamp(attempts, 1, 10));
    delay = std::min(delay, std::max<Duration>(2 * timeout, std::chrono::minutes(10)));
    return storage::Clock::now() + delay;
}

storage::TimePoint PartnerRole::discovery_wait() const
{
    // agents, then disco#items and a disco#info: up to three partner_timeouts.
    return storage::Clock::now() + 3 * config_.waitlist.partner_timeout + std::chrono::seconds(1);
}

// ---- our IQs and their answers ----

std::string PartnerRole::send_iq(Pending pending, Element iq)
{
    auto timer = std::make_shared<asio::steady_timer>(io_, config_.waitlist.partner_timeout);
    std::string id;
    {
        std::lock_guard lock(mutex_);
        id = id_prefix_ + std::to_string(++next_id_);
        pending.timer = timer;
        pending_.emplace(id, std::move(pending));
    }
    iq.set_attr("id", id);
    timer->async_wait([weak = weak_from_this(), id](const boost::system::error_code& ec) {
        if (ec) return;
        if (auto self = weak.lock()) self->on_timeout(id);
    });
    // Registered before routing: a bounce may come back from inside route().
    router_.route(std::move(iq));
    return id;
}

std::optional<PartnerRole::Pending> PartnerRole::take(const std::string& id)
{
    std::lock_guard lock(mutex_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return std::nullopt;
    Pending p = std::move(it->second);
    pending_.erase(it);
    return p;
}

void PartnerRole::on_timeout(const std::string& id)
{
    auto p = take(id);
    if (!p) return;
    spdlog::info("waitlist: no answer from {} within {} ms", p->peer, config_.waitlist.partner_timeout.count());
    spawn_settle(std::move(*p), std::nullopt);
}

void PartnerRole::send_after_discovery(Pending pending, codec::WaitlistItem item)
{
    // The job stays the guard meanwhile: if this process dies, it comes due again.
    spawn_detached(strand_, "waitlist: an IQ after discovery",
                   [self = shared_from_this(), p = std::move(pending), item = std::move(item)]() mutable
                   -> asio::awaitable<void> {
                       auto service = co_await self->resolve(p.partner);
                       if (!service) {
                           // Nobody answered for the partner's domain: as if its service had
                           // not answered (a query is retried with back-off, then times out).
                           p.peer = p.partner;
                           self->spawn_settle(std::move(p), std::nullopt);
                           co_return;
                       }
                       p.peer = *service;
                       self->send_iq(std::move(p),
                                     waitinglist_iq(self->service_, *service, IqType::set, {std::move(item)}));
                   });
}

void PartnerRole::spawn_settle(Pending pending, std::optional<Element> answer)
{
    spawn_detached(io_, "waitlist: settling a partner's answer",
                   [self = shared_from_this(), p = std::move(pending), a = std::move(answer)]() -> asio::awaitable<void> {
                       co_await self->settle(p, a);
                   });
}

void PartnerRole::on_answer(const Element& iq, const Jid& from)
{
    std::optional<Pending> p;
    {
        std::lock_guard lock(mutex_);
        auto it = pending_.find(iq.attr_or("id"));
        // Only the service we asked answers for itself (or its server's bounce, which comes
        // from the same address).
        if (it == pending_.end() || it->second.peer != from.bare_str()) return;
        if (it->second.reply) {
            // Awaited by request() on strand_, which removes the entry; the cancel goes
            // through the strand so that it never races the wait.
            *it->second.reply = iq;
            asio::post(strand_, [timer = it->second.timer] { timer->cancel(); });
            return;
        }
        p = std::move(it->second);
        pending_.erase(it);
    }
    p->timer->cancel();
    spawn_settle(std::move(*p), iq);
}

asio::awaitable<std::optional<Element>> PartnerRole::request(const std::string& peer, Element& iq)
{
    auto timer = std::make_shared<asio::steady_timer>(io_, config_.waitlist.partner_timeout);
    auto reply = std::make_shared<std::optional<Element>>();
    std::string id;
    {
        std::lock_guard lock(mutex_);
        id = id_prefix_ + std::to_string(++next_id_);
        pending_.emplace(id, Pending{Sent::request, 0, peer, {}, {}, {}, timer, reply});
    }
    iq.set_attr("id", id);
    router_.route(std::move(iq));
    bool answered = false;
    {
        std::lock_guard lock(mutex_);
        answered = reply->has_value();  // a bounce may have come back from inside route()
    }
    if (!answered) {
        boost::system::error_code ec;
        co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    std::lock_guard lock(mutex_);
    pending_.erase(id);
    co_return std::move(*reply);
}

asio::awaitable<void> PartnerRole::complete(std::int64_t job_id)
{
    auto complete_it = [job_id](Store& s) { return s.complete_job(job_id); };
    auto done = co_await db_call(db_, complete_it);
    if (!done.ok()) log_failure("completing a partner job", done.error);
}

void PartnerRole::forget_if_silent(const Pending& p, const std::optional<Element>& answer)
{
    if (answer && (answer->attr_or("type") == "result" || !is_transient(*answer))) return;
    if (directory_.state(p.partner) != PartnerDirectory::Discovery::known) return;
    spdlog::info("waitlist: the discovered service of {} does not answer; it is discovered again", p.partner);
    directory_.forget(p.partner);
}

asio::awaitable<void> PartnerRole::settle(const Pending& p, const std::optional<Element>& answer)
{
    forget_if_silent(p, answer);
    const bool is_result = answer && answer->attr_or("type") == "result";
    const bool is_final_error = answer && !is_result && !is_transient(*answer);
    switch (p.what) {
    case Sent::request:
        break;  // awaited by request(), never settled here
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
        if (gone) co_await complete(p.job_id);
        else
            spdlog::info("waitlist: remove at {} not confirmed ({}); it is sent again later", p.peer,
                         answer ? describe_error(*answer) : "no answer");
        break;
    }
    case Sent::push: {
        if (is_result) {
            // XEP-0130 §4.2: the record goes only now that the requester acknowledged.
            auto ack_push = [peer = p.partner, id = p.item_id](Store& s) {
                return s.ack_partner_push(peer, id);
            };
            auto acked = co_await db_call(db_, ack_push);
            if (!acked.ok()) {
                log_failure("recording a partner's acknowledgement", acked.error);
                break;
            }
            spdlog::info("waitlist: {} acknowledged the JID push of item {}", p.peer, p.item_id);
            co_await complete(p.job_id);
        } else if (is_final_error) {
            // The requester refuses the push for good (it forgot the request, or stopped
            // trusting us): pushing again forever would help no one.
            spdlog::warn("waitlist: {} refused the JID push of item {} ({}); dropping the request", p.peer,
                         p.item_id, describe_error(*answer));
            auto drop_request = [peer = p.partner, id = p.item_id](Store& s) {
                return s.remove_partner_request(peer, id);
            };
            auto removed = co_await db_call(db_, drop_request);
            if (removed.ok()) co_await complete(p.job_id);
            else log_failure("dropping a refused partner request", removed.error);
        } else {
            spdlog::info("waitlist: JID push to {} not acknowledged ({}); it is sent again later", p.peer,
                         answer ? describe_error(*answer) : "no answer");
        }
        break;
    }
    }
}

asio::awaitable<void> PartnerRole::settle_query(const Pending& p, const std::optional<Element>& answer)
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
            recorded = co_await db_call(db_, record_jid);
        } else {
            auto record_ack = [uri = p.uri, peer = p.partner, id = item && item->id ? *item->id : std::string()](Store& s) {
                return s.record_partner_ack(uri, peer, id);
            };
            auto acked = co_await db_call(db_, record_ack);
            if (!acked.ok()) {
                log_failure("recording a partner's ack", acked.error);
                co_return;  // the guard job asks again
            }
            spdlog::debug("waitlist: {} acknowledged a query", p.peer);
            co_await complete(p.job_id);
            co_return;
        }
        answered = true;
    } else if (answer && !is_transient(*answer)) {
        spdlog::info("waitlist: {} cannot help with a query ({})", p.peer, describe_error(*answer));
        auto record_cancel = [uri = p.uri, peer = p.partner, policy = retry_policy()](Store& s) {
            return s.record_partner_error(uri, peer, storage::PartnerErrorType::cancel, policy);
        };
        recorded = co_await db_call(db_, record_cancel);
        answered = true;
    }
    if (!answered) {
        if (answer) spdlog::info("waitlist: query to {} failed for now ({})", p.peer, describe_error(*answer));
        auto record_timeout = [uri = p.uri, peer = p.partner, policy = retry_policy()](Store& s) {
            return s.record_partner_error(uri, peer, storage::PartnerErrorType::timeout, policy);
        };
        recorded = co_await db_call(db_, record_timeout);
    }
    if (!recorded.ok()) {
        log_failure("recording a partner's answer", recorded.error);
        co_return;
    }
    if (recorded.value->items_changed > 0 || recorded.value->retry_scheduled) dispatcher_.wake();
    co_await complete(p.job_id);
}

void PartnerRole::on_stanza(const Element& stanza, const Jid& from)
{
    if (proto::stanza_kind(stanza) != proto::StanzaKind::iq) return;
    auto type = proto::iq_type(stanza);
    if (!type) return;
    if (*type == IqType::result || *type == IqType::error) {
        on_answer(stanza, from);
        return;
    }
    if (!proto::is_valid_iq(stanza)) {
        router_.route(error_reply(stanza, StanzaCondition::bad_request, "an IQ needs an id and exactly one child"));
        return;
    }
    const Element* payload = proto::iq_payload(stanza);
    if (!payload->is("query", proto::ns::waitinglist)) {
        router_.route(error_reply(stanza, StanzaCondition::service_unavailable));
        return;
    }
    if (!is_permitted(from)) {
        if (!from.has_node() && !from.has_resource() && !directory_.undiscovered().empty()) {
            // Perhaps the service of a partner configured by its domain, not discovered yet.
            spawn_detached(strand_, "waitlist: a request from an undiscovered service",
                           [self = shared_from_this(), iq = Element(stanza), jid = from]() -> asio::awaitable<void> {
                               co_await self->admit_after_discovery(iq, jid);
                           });
            return;
        }
        refuse(stanza, from);
        return;
    }
    spawn_detached(io_, "waitlist: a partner's request",
                   [self = shared_from_this(), iq = Element(stanza), service = from.bare_str()]() -> asio::awaitable<void> {
                       co_await self->handle_request(iq, service);
                   });
}

void PartnerRole::refuse(const Element& stanza, const Jid& from)
{
    // XEP-0130 example 29; a remote user asking lands here too and learns nothing.
    spdlog::info("waitlist: refused a waitinglist request from {}, which is not a permitted partner", from.domain());
    auto refusal = proto::make_stanza_error(StanzaCondition::not_authorized);
    refusal.type = ErrorType::cancel;  // as the example has it: asking again will not help
    router_.route(proto::make_error_reply(stanza, refusal));
}

// ---- job handlers ----

asio::awaitable<JobOutcome> PartnerRole::run_query(const storage::Job& job)
{
    auto payload = storage::decode_partner_query(job.payload);
    if (!payload)
        co_return JobOutcome::retry_at(storage::Clock::now() + std::chrono::hours(24), "unreadable payload");
    if (!directory_.is_partner(job.target)) {
        // The partner left the list since the item was added: it is never asked, and its
        // query ends as a refusal would.
        spdlog::warn("waitlist: not asking {}, which is no longer a permitted partner", job.target);
        auto record_refusal = [uri = payload->uri, target = job.target, policy = retry_policy()](Store& s) {
            return s.record_partner_error(uri, target, storage::PartnerErrorType::cancel, policy);
        };
        auto r = co_await db_call(db_, record_refusal);
        if (!r.ok()) co_return JobOutcome::retry_at(storage::Clock::now() + std::chrono::seconds(30), "database");
        if (r.value->items_changed > 0) dispatcher_.wake();
        co_return JobOutcome::done();
    }
    codec::WaitlistItem item;
    item.uri = split_uri(payload->uri);
    Pending pending{Sent::query, job.id, {}, job.target, payload->uri, {}, nullptr};
    co_return send_to_partner(std::move(pending), std::move(item), job.attempts);
}

JobOutcome PartnerRole::send_to_partner(Pending pending, codec::WaitlistItem item, int attempts)
{
    if (auto service = directory_.service_of(pending.partner)) {
        pending.peer = *service;
        send_iq(std::move(pending), waitinglist_iq(service_, *service, IqType::set, {std::move(item)}));
        return JobOutcome::retry_at(guard_time(attempts), "waiting for the partner's answer");
    }
    send_after_discovery(std::move(pending), std::move(item));
    return JobOutcome::retry_at(discovery_wait() + (guard_time(attempts) - storage::Clock::now()),
                                "discovering the partner's service");
}

asio::awaitable<JobOutcome> PartnerRole::run_remove(const storage::Job& job)
{
    auto payload = storage::decode_partner_remove(job.payload);
    if (!payload)
        co_return JobOutcome::retry_at(storage::Clock::now() + std::chrono::hours(24), "unreadable payload");
    if (!directory_.is_partner(job.target)) {
        spdlog::warn("waitlist: not sending a remove to {}, which is no longer a permitted partner", job.target);
        co_return JobOutcome::done();
    }
    if (job.attempts > std::max(1, config_.waitlist.retry_attempts)) {
        // The partner keeps a record for nobody; it only costs it a push that we ack.
        spdlog::warn("waitlist: giving up removing item {} at {}", payload->partner_item_id, job.target);
        co_return JobOutcome::done();
    }
    codec::WaitlistItem item;
    item.id = payload->partner_item_id;
    item.remove = true;
    Pending pending{Sent::remove, job.id, {}, job.target, payload->uri, payload->partner_item_id, nullptr};
    co_return send_to_partner(std::move(pending), std::move(item), job.attempts);
}

asio::awaitable<JobOutcome> PartnerRole::run_push(const storage::Job& job)
{
    auto payload = storage::decode_partner_push(job.payload);
    auto contact = payload ? Jid::parse(payload->jid) : std::nullopt;
    if (!payload || !contact)
        co_return JobOutcome::retry_at(storage::Clock::now() + std::chrono::hours(24), "unreadable payload");
    auto requester = Jid::parse(job.target);
    if (!requester || !is_permitted(*requester)) {
        if (requester && !directory_.undiscovered().empty()) {
            // The requester may be the discovered service of a domain-only partner, and
            // this process has not discovered it (yet, or again).
            start_discovery(directory_.undiscovered());
            co_return JobOutcome::retry_at(discovery_wait(), "discovering the partners' services");
        }
        spdlog::warn("waitlist: not pushing to {}, which is no longer a permitted partner", job.target);
        co_return JobOutcome::done();
    }
    // Example 32: our item id, the contact's JID and the URI asked about.
    codec::WaitlistItem item;
    item.id = payload->request_id;
    item.jid = contact->bare();
    item.uri = split_uri(payload->uri);
    send_iq(Pending{Sent::push, job.id, requester->bare_str(), job.target, payload->uri, payload->request_id, nullptr},
            waitinglist_iq(service_, requester->bare_str(), IqType::set, {std::move(item)}));
    // Until the requester acknowledges, the job comes back and pushes again.
    co_return JobOutcome::retry_at(guard_time(job.attempts), "waiting for the requester's acknowledgement");
}

// ---- requests from partner services ----

asio::awaitable<void> PartnerRole::handle_request(const Element& iq, const std::string& service)
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
                answer = co_await list_request(iq, service);
                break;
            case codec::WaitlistRequest::Kind::remove:
                answer = co_await remove_request(iq, service, request.item);
                break;
            case codec::WaitlistRequest::Kind::jid_push:
                answer = co_await jid_push(iq, service, request.item);
                break;
            case codec::WaitlistRequest::Kind::add:
                answer = co_await add_request(iq, service, request.item);
                break;
            }
        }
    } catch (const std::exception& e) {
        spdlog::error("waitlist: partner request failed: {}", e.what());
        answer = error_reply(iq, StanzaCondition::internal_server_error);
    }
    router_.route(std::move(answer));
}

asio::awaitable<Element> PartnerRole::add_request(const Element& iq, const std::string& service,
                                                  const codec::WaitlistItem& item)
{
    if (!item.uri) co_return error_reply(iq, StanzaCondition::bad_request, "an item to add needs a <uri/>");
    auto parsed = proto::parse_contact_uri(item.uri->scheme, item.uri->value, policy_);
    if (!parsed) {
        // A scheme we do not handle names nobody we serve (example 30); a malformed value is
        // the requester's mistake.
        if (parsed.problem == proto::UriProblem::unsupported_scheme)
            co_return error_reply(iq, StanzaCondition::item_not_found);
        co_return error_reply(iq, StanzaCondition::not_acceptable, parsed.reason);
    }
    if (!is_served_here(config_.waitlist, *parsed.uri)) co_return error_reply(iq, StanzaCondition::item_not_found);
    auto record_request = [service, uri = parsed.uri->canonical](Store& s) {
        return s.record_partner_request(service, uri);
    };
    auto recorded = co_await db_call(db_, record_request);
    if (!recorded.ok()) co_return storage_failure(iq, recorded.error);
    const storage::InboundResult& r = *recorded.value;
    spdlog::info("waitlist: {} asked about a URI served here (item {}, {}{})", service, r.request.id,
                 r.created ? "new" : "repeated", r.registered ? ", registered" : "");
    if (r.registered) dispatcher_.wake();
    codec::WaitlistItem ack;
    ack.id = r.request.id;
    co_return result_with(iq, {ack});
}

asio::awaitable<Element> PartnerRole::remove_request(const Element& iq, const std::string& service,
                                                     const codec::WaitlistItem& item)
{
    if (!item.id) co_return error_reply(iq, StanzaCondition::bad_request, "an item to remove needs its id");
    auto remove_it = [service, id = *item.id](Store& s) {
        return s.remove_partner_request(service, id);
    };
    auto removed = co_await db_call(db_, remove_it);
    if (!removed.ok()) co_return storage_failure(iq, removed.error);
    if (*removed.value == storage::RemoveStatus::not_found) co_return error_reply(iq, StanzaCondition::item_not_found);
    spdlog::info("waitlist: {} removed item {}", service, *item.id);
    co_return proto::make_result(iq);
}

asio::awaitable<Element> PartnerRole::list_request(const Element& iq, const std::string& service)
{
    auto list_them = [service](Store& s) { return s.list_partner_requests(service); };
    auto listed = co_await db_call(db_, list_them);
    if (!listed.ok()) co_return storage_failure(iq, listed.error);
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

asio::awaitable<Element> PartnerRole::jid_push(const Element& iq, const std::string& service,
                                               const codec::WaitlistItem& item)
{
    if (!item.uri) co_return error_reply(iq, StanzaCondition::bad_request, "a JID push needs the <uri/> asked about");
    auto parsed = proto::parse_contact_uri(item.uri->scheme, item.uri->value, policy_);
    if (!parsed) co_return error_reply(iq, StanzaCondition::bad_request, parsed.reason);
    // Our queries know the partner by its key: its configured jid, or its domain.
    auto partner = directory_.key_of(service).value_or(service);
    auto record_push = [partner, uri = parsed.uri->canonical, jid = item.jid->bare_str()](Store& s) {
        return s.record_partner_jid(uri, partner, jid);
    };
    auto recorded = co_await db_call(db_, record_push);
    if (!recorded.ok()) co_return storage_failure(iq, recorded.error);
    spdlog::info("waitlist: {} pushed a contact's JID ({} local item{} found)", service,
                 recorded.value->items_changed, recorded.value->items_changed == 1 ? "" : "s");
    if (recorded.value->items_changed > 0) dispatcher_.wake();
    // Acknowledged even when nobody here waits any more (example 33): otherwise the
    // partner would keep pushing a record nobody needs.
    co_return proto::make_result(iq);
}

}  // namespace wl::server::waitlist
