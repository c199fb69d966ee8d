#pragma once
// The WaitingListService towards other providers' services (XEP-0130 §4.2), both ways:
//
// - as ServiceProvider: the dispatcher's partner_query and partner_remove jobs become IQ-sets
//   to the partner; its answers (ack, cancel error, JID push, silence) are recorded in the
//   Store, which fans them out to the local users in one transaction;
// - as InteropPartner: a permitted service's add, remove and retrieve requests, recorded per
//   requesting service (implementation note 2), and the partner_push job that pushes a
//   registered contact's JID to that service until it acknowledges.
//
// Only the configured [[partners]] are talked to (DESIGN.md §5): a waitinglist request from
// anyone else, a remote user included, gets not-authorized; a job for a service that left
// the list is dropped without sending.
//
// A partner may be configured by its domain alone: its service is then discovered
// (partner_discovery.cpp) before the first IQ, kept in a PartnerDirectory, and discovered
// again once it stops answering. The Store and the jobs know a partner by its key
// (PartnerConfig::key()), never by a service name derived from its domain.
//
// Reconciliation (partner_reconcile.cpp): after an outage or a restore from backup, on
// either side, the partner's own list of our requests (the IQ-get of §4.2) is compared
// with our queries, and what it lost is asked again. It runs soon after start, every
// waitlist.reconcile_interval, when a stream with the partner comes up, and when an
// operator asks (POST /v1/partners/reconcile).
//
// Our IQs wait for their answers in memory, each with a partner_timeout timer. The job that
// sent one is kept in the Store as a guard that comes due again later: an answer or a
// timeout completes it, and a crash in between makes it send again (at least once; the
// partner's records are idempotent per URI and requester). Federation bounces
// (remote-server-not-found, remote-server-timeout) and wait-type errors count as silence:
// the partner may come back, so they never end in item-not-found.
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proto/codec/waitinglist.hpp"
#include "proto/contact_uri.hpp"
#include "proto/jid.hpp"
#include "proto/xml/element.hpp"
#include "server/config.hpp"
#include "server/jobs/dispatcher.hpp"
#include "server/router.hpp"
#include "server/waitlist/partner_directory.hpp"
#include "storage/db_executor.hpp"
#include "storage/types.hpp"

namespace wl::server::waitlist {

class PartnerRole : public std::enable_shared_from_this<PartnerRole> {
public:
    // Registers the handlers of the three partner job kinds on the dispatcher (before it starts).
    static std::shared_ptr<PartnerRole> create(const Config& config, Router& router, boost::asio::io_context& io,
                                               storage::DbExecutor& db, JobDispatcher& dispatcher,
                                               proto::Jid service, proto::UriPolicy policy);

    // A configured service, or the discovered service of a domain-only partner.
    bool is_permitted(const proto::Jid& service) const;
    // The service of a partner (its jid or domain, as configured): configured, or discovered;
    // nothing while a domain-only partner's service is unknown.
    std::optional<std::string> service_of(const std::string& partner) const { return directory_.service_of(partner); }

    // Reconciles with one partner (its jid or domain, as configured) or, given "", with all;
    // runs in the background. Returns the partners it started for; empty: no such partner.
    std::vector<std::string> start_reconcile(const std::string& partner);
    // A stream with `remote` (a domain) came up: reconciles with the partner whose service
    // (or domain) it is, unless a reconciliation with it started within 3 x partner_timeout
    // (both directions and both of a partner's domains come up together). Off when
    // reconcile_interval is zero.
    void on_peer_up(const std::string& remote);

    // A stanza to our service from another domain (router thread; never blocks). Answers to
    // our own IQs are taken only from the service they were sent to.
    void on_stanza(const proto::xml::Element& stanza, const proto::Jid& from);

    // Waiting answers (for tests and metrics).
    std::size_t outstanding() const;

private:
    enum class Sent { query, remove, push, request };
    struct Pending {
        Sent what;
        std::int64_t job_id;
        std::string peer;     // the address the IQ went to (bare)
        std::string partner;  // its key in the Store: the partner (query, remove), the requester (push)
        std::string uri;      // canonical (query, remove)
        std::string item_id;  // the partner's item id (remove) or ours (push)
        std::shared_ptr<boost::asio::steady_timer> timer;
        // Sent::request: a coroutine on strand_ awaits the answer here (see request()).
        std::shared_ptr<std::optional<proto::xml::Element>> reply = nullptr;
    };

    PartnerRole(const Config& config, Router& router, boost::asio::io_context& io, storage::DbExecutor& db,
                JobDispatcher& dispatcher, proto::Jid service, proto::UriPolicy policy);
    void register_jobs();
    void start_periodic_reconcile();

    // ---- our IQs and their answers ----
    std::string send_iq(Pending pending, proto::xml::Element query);
    std::optional<Pending> take(const std::string& id);
    void on_answer(const proto::xml::Element& iq, const proto::Jid& from);
    void on_timeout(const std::string& id);
    boost::asio::awaitable<void> settle(const Pending& pending, const std::optional<proto::xml::Element>& answer);
    // Runs settle() detached, keeping its arguments in the spawning lambda's captures.
    void spawn_settle(Pending pending, std::optional<proto::xml::Element> answer);
    // A partner job whose partner's service is not known yet: discovers it (on strand_),
    // then sends; no service found counts as no answer.
    void send_after_discovery(Pending pending, proto::codec::WaitlistItem item);
    // A query or remove job's IQ to the partner's service: now if the service is known, else
    // after discovery; the job comes back after the answer's guard time either way.
    JobOutcome send_to_partner(Pending pending, proto::codec::WaitlistItem item, int attempts);
    boost::asio::awaitable<void> settle_query(const Pending& p, const std::optional<proto::xml::Element>& answer);
    boost::asio::awaitable<void> complete(std::int64_t job_id);
    // The service went silent or its server bounced: a discovered one is looked up again.
    void forget_if_silent(const Pending& p, const std::optional<proto::xml::Element>& answer);

    // ---- IQs whose answer a coroutine awaits (on strand_ only) ----
    // Sends `iq` (given an id here) to `peer`; its answer, or nullopt after partner_timeout.
    boost::asio::awaitable<std::optional<proto::xml::Element>> request(const std::string& peer,
                                                                        proto::xml::Element& iq);

    // ---- discovery (partner_discovery.cpp; on strand_) ----
    // The service of `key`, discovering it when needed; nullopt when it cannot be found now.
    boost::asio::awaitable<std::optional<std::string>> resolve(const std::string& key);
    boost::asio::awaitable<std::optional<std::string>> discover(const std::string& domain);
    // Starts the discovery of each partner in `keys` (those not already under way).
    void start_discovery(const std::vector<std::string>& keys);
    boost::asio::awaitable<void> discover_partner(const std::string& key);
    // A waitinglist request from a service not known now: discover the domain-only
    // partners first, then handle or refuse it.
    boost::asio::awaitable<void> admit_after_discovery(const proto::xml::Element& iq, const proto::Jid& from);
    void refuse(const proto::xml::Element& iq, const proto::Jid& from);

    // ---- reconciliation (partner_reconcile.cpp; on strand_) ----
    boost::asio::awaitable<void> reconcile(const std::string& key);

    // ---- job handlers (dispatcher strand) ----
    boost::asio::awaitable<JobOutcome> run_query(const storage::Job& job);
    boost::asio::awaitable<JobOutcome> run_remove(const storage::Job& job);
    boost::asio::awaitable<JobOutcome> run_push(const storage::Job& job);
    storage::TimePoint guard_time(int attempts) const;
    // When a job waiting for a discovery looks again: after the two IQs it may take.
    storage::TimePoint discovery_wait() const;

    // ---- requests from partner services ----
    boost::asio::awaitable<void> handle_request(const proto::xml::Element& iq, const std::string& service);
    boost::asio::awaitable<proto::xml::Element> add_request(const proto::xml::Element& iq, const std::string& service,
                                                            const proto::codec::WaitlistItem& item);
    boost::asio::awaitable<proto::xml::Element> remove_request(const proto::xml::Element& iq,
                                                               const std::string& service,
                                                               const proto::codec::WaitlistItem& item);
    boost::asio::awaitable<proto::xml::Element> list_request(const proto::xml::Element& iq,
                                                             const std::string& service);
    boost::asio::awaitable<proto::xml::Element> jid_push(const proto::xml::Element& iq, const std::string& service,
                                                         const proto::codec::WaitlistItem& item);

    storage::RetryPolicy retry_policy() const;

    const Config& config_;
    Router& router_;
    boost::asio::io_context& io_;
    storage::DbExecutor& db_;
    JobDispatcher& dispatcher_;
    proto::Jid service_;
    proto::UriPolicy policy_;
    std::string id_prefix_;  // differs per process: answers to a previous run's IQs match nothing
    PartnerDirectory directory_;
    // Discovery and reconciliation run here, so that an answer's wake-up of request() never
    // races its wait on the timer.
    boost::asio::strand<boost::asio::io_context::executor_type> strand_;

    mutable std::mutex mutex_;  // guards pending_, next_id_ and last_reconcile_
    std::unordered_map<std::string, Pending> pending_;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_reconcile_;  // by key
    std::uint64_t next_id_ = 0;
};

}  // namespace wl::server::waitlist
