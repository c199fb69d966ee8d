#pragma once
// The service towards this domain's IM users (XEP-0130 §4.1, ServiceProvider role):
// retrieve, add and remove, and the JID pushes to them (a job kind of the dispatcher:
// delivered at once, or parked and delivered after the user's next initial presence).
//
// Each request is one Store transaction on a database thread; adds that arrive together
// share theirs (group commit, add_batcher.hpp). A user only ever sees their own items (the
// owner is the stamped sender's bare JID); URIs are never logged at info level.
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <string>

#include "proto/codec/waitinglist.hpp"
#include "proto/contact_uri.hpp"
#include "proto/jid.hpp"
#include "proto/xml/element.hpp"
#include "server/config.hpp"
#include "server/jobs/dispatcher.hpp"
#include "server/router.hpp"
#include "server/waitlist/add_batcher.hpp"
#include "server/waitlist/requests.hpp"
#include "storage/db_executor.hpp"

namespace wl::server::waitlist {

class UserRole : private RequestHandler {
public:
    // Registers the push handler and the reachable filter on the dispatcher, and the login
    // hook that delivers parked pushes; before the server runs.
    explicit UserRole(const ServiceContext& ctx);
    UserRole(const UserRole&) = delete;
    UserRole& operator=(const UserRole&) = delete;

    // A waitinglist IQ-get or -set of the local user `owner` (bare), checked by
    // refuse_malformed; answered in the background (router thread; never blocks).
    void on_request(const proto::xml::Element& iq, const proto::Jid& owner);

private:
    // Answers and routes the reply; feeds the waitlist IQ latency histogram just before the
    // reply is routed (so a client that has its answer also sees it counted).
    boost::asio::awaitable<void> handle(const proto::xml::Element& iq, const std::string& owner,
                                        const std::chrono::steady_clock::time_point& received);
    Reply retrieve(const Iq& iq, const std::string& owner) override;
    Reply add(const Iq& iq, const std::string& owner, const Item& item) override;
    Reply remove(const Iq& iq, const std::string& owner, const Item& item) override;
    // A user names no JID; the item is added (and one naming a JID refused there).
    Reply jid_push(const Iq& iq, const std::string& owner, const Item& item) override { return add(iq, owner, item); }
    std::string_view whose() const override { return "a user's"; }

    // The push job (dispatcher strand).
    boost::asio::awaitable<JobOutcome> run_push(const storage::Job& job);

    ServiceContext ctx_;
    proto::codec::PushType push_type_;
    AddBatcher adds_{ctx_.db};  // users' adds, group-committed
};

}  // namespace wl::server::waitlist
