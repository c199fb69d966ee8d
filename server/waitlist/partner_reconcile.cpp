// PartnerQueries: reconciliation with a partner (durability across providers).
//
// Each side's database is durable, but a partner may restore its database from a backup,
// or lose a request in an outage: it would then never push the contact's JID, and our user
// would wait forever. XEP-0130 §4.2 lets a ServiceProvider's service retrieve its current
// WaitingList at a partner; we compare that list with our queries the partner acknowledged
// and ask again for what it lost (Store::reconcile_partner_queries decides, in one
// transaction). What the partner holds for nobody here is removed there.
#include "server/waitlist/partner_queries.hpp"

#include <boost/asio/steady_timer.hpp>

#include "proto/codec/waitinglist.hpp"
#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "federation/async/await_answer.hpp"
#include "server/log.hpp"
#include "federation/async/spawn.hpp"
#include "federation/async/timer.hpp"
#include "server/waitlist/requests.hpp"

namespace wl::server::waitlist {

using storage::Store;

namespace {

// The partner's items as canonical URIs; an item we cannot read is left out (it is then
// neither counted as held nor removed).
std::vector<storage::HeldRequest> held_requests(const codec::Waitinglist& list, const proto::UriPolicy& policy)
{
    std::vector<storage::HeldRequest> held;
    for (const auto& item : list.items) {
        if (!item.uri) continue;
        auto parsed = proto::parse_contact_uri(item.uri->scheme, item.uri->value, policy);
        if (!parsed) continue;
        held.push_back({item.id.value_or(std::string()), parsed.uri->canonical});
    }
    return held;
}

}  // namespace

std::vector<std::string> PartnerQueries::start_reconcile(const std::string& partner)
{
    std::vector<std::string> keys;
    for (const auto& p : ctx_.config.partners)
        if (partner.empty() || p.key() == partner) keys.push_back(p.key());
    for (const auto& key : keys) {
        async::spawn_detached(strand_, "waitlist: reconciliation",
                              [self = shared_from_this(), key]() -> asio::awaitable<void> {
                                  co_await self->reconcile(key);
                              });
    }
    return keys;
}

void PartnerQueries::on_peer_up(const std::string& remote)
{
    if (ctx_.config.waitlist.reconcile_interval.count() <= 0) return;
    for (const auto& p : ctx_.config.partners) {
        const std::string& key = p.key();
        const auto service = directory_.service_of(key);
        if (remote != key && (!service || remote != *service)) continue;
        {
            std::lock_guard lock(mutex_);
            auto it = last_reconcile_.find(key);
            const auto now = std::chrono::steady_clock::now();
            if (it != last_reconcile_.end() && now - it->second < 3 * ctx_.config.waitlist.partner_timeout) continue;
            last_reconcile_[key] = now;  // before the coroutine starts: the next event is close behind
        }
        spdlog::debug("waitlist: a stream with {} came up; reconciling with {}", remote, key);
        start_reconcile(key);
    }
}

void PartnerQueries::start_periodic_reconcile()
{
    const auto interval = ctx_.config.waitlist.reconcile_interval;
    if (ctx_.config.partners.empty() || interval.count() <= 0) return;
    async::spawn_detached(strand_, "waitlist: periodic reconciliation",
                          [self = shared_from_this(), interval]() -> asio::awaitable<void> {
                              // Soon after start (federation is up by then), then every interval. The timer
                              // lives in this frame; io_context::stop() ends the wait at shutdown.
                              asio::steady_timer timer(self->ctx_.io);
                              auto delay = std::min<Duration>(interval, std::chrono::seconds(5));
                              for (;;) {
                                  if (!co_await async::sleep_for(timer, delay)) co_return;
                                  for (const auto& p : self->ctx_.config.partners) co_await self->reconcile(p.key());
                                  delay = interval;
                              }
                          });
}

asio::awaitable<void> PartnerQueries::reconcile(const std::string& key)
{
    {
        std::lock_guard lock(mutex_);
        last_reconcile_[key] = std::chrono::steady_clock::now();
    }
    try {
        auto service = co_await resolve(key);
        if (!service) {
            spdlog::warn("waitlist: reconciliation with {} skipped: its service is not known", key);
            co_return;
        }
        // Before the IQ: a query acked after this instant may be missing from the list.
        const auto asked_at = storage::Clock::now();
        Element iq = waitinglist_iq(ctx_.service, *service, proto::IqType::get, {});
        auto answer = co_await request(*service, iq);
        if (!answer || answer->attr_or("type") != "result") {
            spdlog::warn("waitlist: reconciliation with {}: {} did not return its list ({})", key, *service,
                         answer ? "an error" : "no answer");
            co_return;
        }
        const Element* query = answer->child("query", proto::ns::waitinglist);
        auto list =
            query ? codec::decode_waitinglist(*query) : codec::Decoded<codec::Waitinglist>(codec::Waitinglist{});
        if (!list) {
            spdlog::warn("waitlist: reconciliation with {}: its list is unreadable", key);
            co_return;
        }
        auto compare = [key, held = held_requests(*list, ctx_.policy), asked_at](Store& s) {
            return s.reconcile_partner_queries(key, held, asked_at);
        };
        auto result = co_await async::db_call(ctx_.db, compare);
        if (!result.ok()) {
            std::rethrow_exception(result.error);
        }
        const auto& r = *result.value;
        spdlog::info(
            "waitlist: reconciled with {}: it holds {} request(s); of {} it acknowledged, {} asked again; "
            "{} removed there, {} adopted",
            key, list->items.size(), r.expected, r.resent, r.orphans, r.adopted);
        if (r.resent > 0 || r.orphans > 0) ctx_.dispatcher.wake();
    } catch (const std::exception& e) {
        spdlog::warn("waitlist: reconciliation with {} failed: {}", key, e.what());
    }
}

}  // namespace wl::server::waitlist
