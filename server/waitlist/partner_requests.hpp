#pragma once
// The service as InteropPartner (XEP-0130 §4.2): a permitted partner service's add, remove
// and retrieve requests, recorded per requesting service (implementation note 2), its JID
// pushes for our queries, and the partner_push job that pushes a registered contact's JID
// to the requester until it acknowledges.
//
// Only the configured [[partners]] are answered (README.md, partners): a waitinglist request from
// anyone else, a remote user included, gets not-authorized; a push for a service that left
// the list is dropped without sending. A request from a service not known now may come from
// a domain-only partner's service: the partners are discovered first (PartnerQueries).
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "proto/codec/waitinglist.hpp"
#include "proto/contact_uri.hpp"
#include "proto/jid.hpp"
#include "proto/xml/element.hpp"
#include "server/config.hpp"
#include "server/jobs/dispatcher.hpp"
#include "server/router.hpp"
#include "server/waitlist/requests.hpp"
#include "storage/db_executor.hpp"

namespace wl::server::waitlist {

class PartnerQueries;

class PartnerRequests : public std::enable_shared_from_this<PartnerRequests>, private RequestHandler {
public:
    // Registers the partner_push job's handler on the dispatcher (before it starts).
    static std::shared_ptr<PartnerRequests> create(const ServiceContext& ctx, std::shared_ptr<PartnerQueries> queries);

    // An IQ-get or -set to our service from another domain (router thread; never blocks).
    void on_request(const proto::xml::Element& iq, const proto::Jid& from);

private:
    struct Push {
        std::int64_t job_id;
        std::string requester;  // its key in the Store: the requesting service (bare)
        std::string item_id;    // our item id, which the requester acknowledges
    };

    PartnerRequests(const ServiceContext& ctx, std::shared_ptr<PartnerQueries> queries);

    boost::asio::awaitable<void> handle(const proto::xml::Element& iq, const std::string& service);
    // From a service not known now: discover the domain-only partners first, then handle
    // or refuse it.
    boost::asio::awaitable<void> admit_after_discovery(const proto::xml::Element& iq, const proto::Jid& from);
    void refuse(const proto::xml::Element& iq, const proto::Jid& from);

    Reply retrieve(const Iq& iq, const std::string& service) override;
    Reply add(const Iq& iq, const std::string& service, const Item& item) override;
    Reply remove(const Iq& iq, const std::string& service, const Item& item) override;
    Reply jid_push(const Iq& iq, const std::string& service, const Item& item) override;
    std::string_view whose() const override { return "a partner's"; }

    // The partner_push job (dispatcher strand), and the requester's answer to its IQ.
    boost::asio::awaitable<JobOutcome> run_push(const storage::Job& job);
    boost::asio::awaitable<void> settle_push(const Push& push, const std::optional<proto::xml::Element>& answer);

    ServiceContext ctx_;
    std::shared_ptr<PartnerQueries> queries_;  // the partners' services, discovery, our IQ tracker
};

}  // namespace wl::server::waitlist
