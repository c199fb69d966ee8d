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

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "proto/codec/waitinglist.hpp"
#include "proto/contact_uri.hpp"
#include "proto/jid.hpp"
#include "proto/xml/element.hpp"
#include "server/config.hpp"
#include "server/jobs/dispatcher.hpp"
#include "server/router.hpp"
#include "storage/db_executor.hpp"
#include "storage/types.hpp"

namespace wl::server::waitlist {

class PartnerRole : public std::enable_shared_from_this<PartnerRole> {
public:
    // Registers the handlers of the three partner job kinds on the dispatcher (before it starts).
    static std::shared_ptr<PartnerRole> create(const Config& config, Router& router, boost::asio::io_context& io,
                                               storage::DbExecutor& db, JobDispatcher& dispatcher,
                                               proto::Jid service, proto::UriPolicy policy);

    bool is_permitted(const proto::Jid& service) const;

    // A stanza to our service from another domain (router thread; never blocks). Answers to
    // our own IQs are taken only from the service they were sent to.
    void on_stanza(const proto::xml::Element& stanza, const proto::Jid& from);

    // Waiting answers (for tests and metrics).
    std::size_t outstanding() const;

private:
    enum class Sent { query, remove, push };
    struct Pending {
        Sent what;
        std::int64_t job_id;
        std::string peer;     // the service the IQ went to (bare)
        std::string uri;      // canonical (query, remove)
        std::string item_id;  // the partner's item id (remove) or ours (push)
        std::shared_ptr<boost::asio::steady_timer> timer;
    };

    PartnerRole(const Config& config, Router& router, boost::asio::io_context& io, storage::DbExecutor& db,
                JobDispatcher& dispatcher, proto::Jid service, proto::UriPolicy policy);
    void register_jobs();

    // ---- our IQs and their answers ----
    std::string send_iq(Pending pending, proto::xml::Element query);
    std::optional<Pending> take(const std::string& id);
    void on_answer(const proto::xml::Element& iq, const proto::Jid& from);
    void on_timeout(const std::string& id);
    boost::asio::awaitable<void> settle(Pending pending, std::optional<proto::xml::Element> answer);
    boost::asio::awaitable<void> settle_query(const Pending& p, const std::optional<proto::xml::Element>& answer);
    boost::asio::awaitable<void> complete(std::int64_t job_id);

    // ---- job handlers (dispatcher strand) ----
    boost::asio::awaitable<JobOutcome> run_query(const storage::Job& job);
    boost::asio::awaitable<JobOutcome> run_remove(const storage::Job& job);
    boost::asio::awaitable<JobOutcome> run_push(const storage::Job& job);
    storage::TimePoint guard_time(int attempts) const;

    // ---- requests from partner services ----
    boost::asio::awaitable<void> handle_request(proto::xml::Element iq, std::string service);
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

    mutable std::mutex mutex_;  // guards pending_ and next_id_
    std::unordered_map<std::string, Pending> pending_;
    std::uint64_t next_id_ = 0;
};

}  // namespace wl::server::waitlist
