#pragma once
// The WaitingListService (XEP-0130) at waitlist.<domain>: both of its roles live here.
//
// - ServiceProvider, for this domain's IM users (§4.1): disco#info, retrieve, add, remove,
//   and the JID pushes (a job kind of the dispatcher: delivered at once, or parked and
//   delivered after the user's next initial presence).
// - InteropPartner, for the permitted partner services of other domains (§4.2): their
//   requests reach this class as stanzas from remote domains, and our requests to them are
//   stanzas routed to their domains through Router::route (the federation transport carries
//   them). That side lives in waitlist::PartnerRole (partner_role.hpp); anyone not on the
//   [[partners]] list gets not-authorized (DESIGN.md §5).
//
// The way of one add request (STYLE.md): the router hands the stanza over on the session's
// thread; the service decodes <query/> once, runs the XEP's checks in its order (jid
// present, scheme, validity), then one Store transaction on a database thread writes the
// item and its push or partner jobs, the reply is routed back, and the dispatcher is woken
// to send the push. Nothing here blocks an I/O thread.
//
// Privacy: a user only ever sees their own items (the owner is the stamped sender's bare
// JID); URIs are never logged at info level.
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "proto/codec/waitinglist.hpp"
#include "proto/contact_uri.hpp"
#include "proto/jid.hpp"
#include "proto/xml/element.hpp"
#include "server/config.hpp"
#include "server/jobs/dispatcher.hpp"
#include "server/router.hpp"
#include "server/waitlist/add_batcher.hpp"
#include "storage/db_executor.hpp"

namespace wl::server {

class Server;
namespace waitlist {
class PartnerRole;
}

class WaitingListService {
public:
    // Registers the service on the router (disco#items and agents list it), the login hook
    // that delivers parked pushes, and the push handler of the dispatcher. Call before the
    // server runs; the service must outlive the io_context's work.
    WaitingListService(const Config& config, Router& router, boost::asio::io_context& io,
                       storage::DbExecutor& db, JobDispatcher& dispatcher);
    WaitingListService(Server& server, JobDispatcher& dispatcher);
    WaitingListService(const WaitingListService&) = delete;
    WaitingListService& operator=(const WaitingListService&) = delete;

    const proto::Jid& jid() const { return jid_; }

    // Compares our queries with what the partner (its jid or domain, as configured; "" for
    // every partner) holds for us, and asks again what it lost; in the background. Returns
    // the partners it started for; empty when there is no such partner.
    std::vector<std::string> reconcile(const std::string& partner);
    // The service speaking for a partner (its jid or domain): configured, or discovered.
    std::optional<std::string> partner_service(const std::string& partner) const;
    // A stream with `remote` came up (federation's strand; never blocks): if it is a
    // partner's, reconcile with it, since it may be back from an outage or a restore.
    void on_peer_up(const std::string& remote);

private:
    // Every stanza to the service's domain (router thread; must not block).
    void on_stanza(const proto::xml::Element& stanza);

    // ---- ServiceProvider role, for local IM users (service_user.cpp) ----
    // `received` feeds the waitlist IQ latency histogram, observed just before the reply is
    // routed (so a client that has its answer also sees it counted).
    boost::asio::awaitable<void> handle_user_iq(const proto::xml::Element& iq, const proto::Jid& owner,
                                                const std::chrono::steady_clock::time_point& received);
    boost::asio::awaitable<proto::xml::Element> retrieve(const proto::xml::Element& iq, const proto::Jid& owner);
    boost::asio::awaitable<proto::xml::Element> add(const proto::xml::Element& iq, const proto::Jid& owner,
                                                    const proto::codec::WaitlistItem& item);
    boost::asio::awaitable<proto::xml::Element> remove(const proto::xml::Element& iq, const proto::Jid& owner,
                                                       const proto::codec::WaitlistItem& item);
    // The push job (dispatcher strand).
    boost::asio::awaitable<JobOutcome> run_push(const storage::Job& job);

    // ---- InteropPartner role, for partner services of other domains (service_partner.cpp) ----
    void on_partner_stanza(const proto::xml::Element& stanza, const proto::Jid& from);
    bool is_permitted_partner(const proto::Jid& service) const;
    // Builds the partner side (server/waitlist/partner_role.hpp) and registers its job kinds.
    std::shared_ptr<waitlist::PartnerRole> make_partner_role();

    // ---- both ----
    proto::xml::Element disco_info(const proto::xml::Element& iq) const;
    void reply(proto::xml::Element stanza);

    const Config& config_;
    Router& router_;
    boost::asio::io_context& io_;
    storage::DbExecutor& db_;
    JobDispatcher& dispatcher_;
    proto::Jid jid_;
    proto::UriPolicy policy_;
    proto::codec::PushType push_type_;
    waitlist::AddBatcher adds_{db_};  // users' adds, group-committed
    // Last: initialised from the members above, without a line in the constructor.
    std::shared_ptr<waitlist::PartnerRole> partner_ = make_partner_role();
};

}  // namespace wl::server
