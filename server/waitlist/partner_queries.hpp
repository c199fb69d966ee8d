#pragma once
// The service as ServiceProvider towards other providers' services (XEP-0130 §4.2): the
// dispatcher's partner_query and partner_remove jobs become IQ-sets to the partner; its
// answers (ack, cancel error, JID, silence) are recorded in the Store, which fans them out
// to the local users in one transaction. Also who the partners are: their services,
// configured or discovered (partner_discovery.cpp), and reconciliation with them
// (partner_reconcile.cpp). The InteropPartner side (PartnerRequests) asks it who is
// permitted and sends its pushes through its IqTracker.
//
// Only the configured [[partners]] are talked to (README.md, partners): a job for a service that
// left the list is settled without sending.
//
// A partner may be configured by its domain alone: its service is then discovered before
// the first IQ, kept in a PartnerDirectory, and discovered again once it stops answering.
// The Store and the jobs know a partner by its key (PartnerConfig::key()), never by a
// service name derived from its domain.
//
// Reconciliation: after an outage or a restore from backup, on either side, the partner's
// own list of our requests (the IQ-get of §4.2) is compared with our queries, and what it
// lost is asked again. It runs soon after start, every waitlist.reconcile_interval, when a
// stream with the partner comes up, and when an operator asks (POST /v1/partners/reconcile).
//
// Our IQs wait for their answers in an IqTracker, each with a partner_timeout timer. The job
// that sent one is kept in the Store as a guard that comes due again later: an answer or a
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
#include "server/waitlist/iq_tracker.hpp"
#include "server/waitlist/partner_directory.hpp"
#include "server/waitlist/requests.hpp"
#include "storage/db_executor.hpp"
#include "storage/types.hpp"

namespace wl::server::waitlist {

class PartnerQueries : public std::enable_shared_from_this<PartnerQueries> {
public:
    // Registers the handlers of the query and remove jobs on the dispatcher (before it starts).
    static std::shared_ptr<PartnerQueries> create(const ServiceContext& ctx);

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

    // An IQ result or error from another domain (router thread; never blocks): the answer
    // to one of our IQs when it comes from the address asked. False: it answers nothing.
    bool on_answer(const proto::xml::Element& iq, const proto::Jid& from);

    const PartnerDirectory& directory() const { return directory_; }
    IqTracker& tracker() { return *tracker_; }
    // Starts the discovery of each partner in `keys` (those not already under way).
    void start_discovery(const std::vector<std::string>& keys);
    // Discovers every domain-only partner whose service is not known now.
    boost::asio::awaitable<void> discover_undiscovered();

private:
    enum class Sent {
        query,
        remove
    };
    struct Pending {
        Sent what;
        std::int64_t job_id;
        std::string peer;     // the address the IQ went to (bare)
        std::string partner;  // its key in the Store
        std::string uri;      // canonical
        std::string item_id;  // the partner's item id (remove)
    };

    explicit PartnerQueries(const ServiceContext& ctx);
    void register_jobs();
    void start_periodic_reconcile();

    // ---- our IQs and their answers ----
    // Sends through the tracker; the answer, or its absence, is settled.
    void send_iq(Pending pending, proto::xml::Element query);
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
    // The service went silent or its server bounced: a discovered one is looked up again.
    void forget_if_silent(const Pending& p, const std::optional<proto::xml::Element>& answer);

    // Sends `iq` to `peer`; its answer, or nullopt after partner_timeout.
    boost::asio::awaitable<std::optional<proto::xml::Element>> request(const std::string& peer, proto::xml::Element& iq)
    {
        return tracker_->request(peer, iq);
    }

    // ---- discovery (partner_discovery.cpp; on strand_) ----
    // The service of `key`, discovering it when needed; nullopt when it cannot be found now.
    boost::asio::awaitable<std::optional<std::string>> resolve(const std::string& key);
    boost::asio::awaitable<std::optional<std::string>> discover(const std::string& domain);
    boost::asio::awaitable<void> discover_partner(const std::string& key);

    // ---- reconciliation (partner_reconcile.cpp; on strand_) ----
    boost::asio::awaitable<void> reconcile(const std::string& key);

    // ---- job handlers (dispatcher strand) ----
    boost::asio::awaitable<JobOutcome> run_query(const storage::Job& job);
    boost::asio::awaitable<JobOutcome> run_remove(const storage::Job& job);

    ServiceContext ctx_;
    PartnerDirectory directory_;
    // Discovery and reconciliation run here, one step at a time.
    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    std::shared_ptr<IqTracker> tracker_;  // our IQs awaiting their answers

    mutable std::mutex mutex_;                                                               // guards last_reconcile_
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_reconcile_;  // by key
};

}  // namespace wl::server::waitlist
