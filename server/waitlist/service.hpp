#pragma once
// The WaitingListService (XEP-0130) at waitlist.<domain>: the thin front that routes each
// stanza to the role that handles it, split along the XEP's roles:
//
// - waitlist::UserRole (user_role.hpp): the ServiceProvider towards this domain's IM users
//   (§4.1): retrieve, add, remove, and the JID pushes to them;
// - waitlist::PartnerQueries (partner_queries.hpp): the ServiceProvider's queries to the
//   partner services of other domains (§4.2): query and remove jobs and their settlement,
//   discovery, reconciliation; the answers to our IQs go there;
// - waitlist::PartnerRequests (partner_requests.hpp): the InteropPartner side: requests
//   from partners, the JID pushes to them and their acks. Anyone not on the [[partners]]
//   list gets not-authorized.
//
// Here: disco#info and disco#items of the service itself, and the checks every IQ to the
// service passes first. The way of one add request is described in server/README.md.
#include <utility>
#include <boost/asio/io_context.hpp>

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
#include "storage/db_executor.hpp"

namespace wl::server {

class Server;
namespace waitlist {
class PartnerQueries;
class PartnerRequests;
class UserRole;
}  // namespace waitlist

class WaitingListService {
public:
    // Registers the service on the router (disco#items and agents list it), the login hook
    // that delivers parked pushes, and the push handler of the dispatcher. Call before the
    // server runs; the service must outlive the io_context's work.
    WaitingListService(const Config& config, Router& router, boost::asio::io_context& io, storage::DbExecutor& db,
                       JobDispatcher& dispatcher);
    WaitingListService(Server& server, JobDispatcher& dispatcher);
    ~WaitingListService();
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
    void on_user_stanza(const proto::xml::Element& stanza, const proto::Jid& from);
    void on_partner_stanza(const proto::xml::Element& stanza, const proto::Jid& from);
    proto::xml::Element disco_info(const proto::xml::Element& iq) const;

    const Config& config_;
    Router& router_;
    proto::Jid jid_;
    proto::UriPolicy policy_;
    std::unique_ptr<waitlist::UserRole> users_;
    std::shared_ptr<waitlist::PartnerQueries> queries_;
    std::shared_ptr<waitlist::PartnerRequests> requests_;
};

}  // namespace wl::server
