#pragma once
// The router: where every stanza goes once its sender is known (routing.md beside this
// file is the table in prose). It holds the bound local sessions, the IQ handlers of the
// server's domain and of accounts, the services (the waiting list service registers its
// JID here), and hooks for presence and for other domains.
//
// Thread-safety: route() and deliver_to_user() may be called from any thread at once.
// Registration (handlers, services, hooks) happens before the listeners start.
// Handlers and hooks run on the caller's thread and must not block: database work goes to
// the DbExecutor and its answer comes back through route().
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "proto/jid.hpp"
#include "proto/stanza.hpp"
#include "proto/xml/element.hpp"
#include "server/local_session.hpp"

namespace wl::server {

using ElementPtr = std::shared_ptr<const proto::xml::Element>;

// An IQ get/set for the server's domain or for an account, from a stamped sender. The
// handler answers by routing a reply (make_result / make_error_reply), now or later.
using IqHandler = std::function<void(const proto::xml::Element& iq)>;

// Whom an IQ is for, among the addresses the server itself answers.
enum class IqTarget {
    domain,   // to='domain' (or domain/resource)
    account,  // no 'to', or a local user's bare JID: the server answers for the account
};

// A component-like service on a sub-domain of ours (waitlist.<domain>).
struct ServiceInfo {
    proto::Jid jid;             // a domain JID
    std::string name;           // disco#items name and agents <name/>
    std::string agent_service;  // XEP-0094 <service/>, e.g. "waitinglist"; empty: not an agent
    // Every stanza addressed to the service's domain (any node or resource) comes here.
    std::function<void(const proto::xml::Element&)> handler;
};

struct RouteStats {
    std::size_t sessions = 0;
    std::size_t users = 0;
};

class Router {
public:
    explicit Router(proto::Jid domain);

    const proto::Jid& domain() const { return domain_; }

    // ---- registration (before the listeners start) ----
    void add_iq_handler(IqTarget target, std::string ns, std::string element, proto::IqType type, IqHandler handler);
    void add_service(ServiceInfo service);
    std::vector<ServiceInfo> services() const;
    // Called after a session's initial presence (the user is reachable now): the waiting
    // list service delivers the user's parked pushes from here.
    void add_available_hook(std::function<void(const proto::Jid& full_jid)> hook);
    // Stanzas to other domains. Without one they bounce with remote-server-not-found.
    void set_remote_handler(std::function<void(const proto::xml::Element&)> handler);

    // ---- sessions ----
    // Makes a bound session reachable. A session already bound to the same full JID is
    // returned: the caller closes it with <conflict/> (the new one replaces it).
    std::shared_ptr<LocalSession> bind(const std::shared_ptr<LocalSession>& session);
    // Forgets this session (no-op when it was replaced or never bound).
    void unbind(const LocalSession& session);
    // Every bound session, e.g. to close them all at shutdown.
    std::vector<std::shared_ptr<LocalSession>> all_sessions() const;
    RouteStats stats() const;

    // The session announced itself available (its first available presence).
    void session_available(const proto::Jid& full_jid);

    // ---- routing ----
    // Routes a stanza whose 'from' is trustworthy (stamped by a session, or set by the
    // server or a service). Stanzas that cannot be delivered are answered with the
    // matching error where RFC 6120 permits an answer.
    void route(proto::xml::Element stanza);

    // Delivers to a local user: a full JID reaches that session; a bare JID reaches the
    // available sessions of highest non-negative priority (messages) or every available one
    // (presence, and everything when all_resources). True if at least one session took it.
    bool deliver_to_user(const proto::Jid& to, const ElementPtr& stanza, bool all_resources = false);

    // True if `domain` is ours or one of our services'.
    bool is_local_domain(std::string_view domain) const;

private:
    using HandlerKey = std::tuple<IqTarget, std::string, std::string, proto::IqType>;

    void route_to_server(proto::xml::Element stanza, IqTarget target);
    void route_to_user(proto::xml::Element stanza, const proto::Jid& to);
    void bounce(const proto::xml::Element& stanza, proto::StanzaCondition condition, std::string text = {});
    std::vector<std::shared_ptr<LocalSession>> sessions_of(const std::string& bare) const;

    proto::Jid domain_;
    std::map<HandlerKey, IqHandler> iq_handlers_;
    std::vector<ServiceInfo> services_;
    std::vector<std::function<void(const proto::Jid&)>> available_hooks_;
    std::function<void(const proto::xml::Element&)> remote_handler_;

    mutable std::mutex mutex_;  // guards sessions_
    // bare JID -> its bound sessions
    std::unordered_map<std::string, std::vector<std::shared_ptr<LocalSession>>> sessions_;
};

}  // namespace wl::server
