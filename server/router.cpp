#include "server/router.hpp"

#include <algorithm>

#include "server/log.hpp"

namespace wl::server {

using proto::IqType;
using proto::Jid;
using proto::StanzaCondition;
using proto::StanzaKind;
using proto::xml::Element;

Router::Router(Jid domain) : domain_(std::move(domain)) {}

void Router::add_iq_handler(IqTarget target, std::string ns, std::string element, IqType type, IqHandler handler)
{
    iq_handlers_[HandlerKey{target, std::move(ns), std::move(element), type}] = std::move(handler);
}

void Router::add_service(ServiceInfo service) { services_.push_back(std::move(service)); }

std::vector<ServiceInfo> Router::services() const { return services_; }

void Router::add_available_hook(std::function<void(const Jid&)> hook) { available_hooks_.push_back(std::move(hook)); }

void Router::set_remote_handler(std::function<void(const Element&)> handler) { remote_handler_ = std::move(handler); }

std::shared_ptr<LocalSession> Router::bind(const std::shared_ptr<LocalSession>& session)
{
    std::shared_ptr<LocalSession> replaced;
    std::lock_guard lock(mutex_);
    auto& list = sessions_[session->jid().bare_str()];
    for (auto& s : list) {
        if (s->jid() == session->jid()) {
            replaced = std::move(s);
            s = session;
            return replaced;
        }
    }
    list.push_back(session);
    return replaced;
}

void Router::unbind(const LocalSession& session)
{
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(session.jid().bare_str());
    if (it == sessions_.end()) return;
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(), [&](const auto& s) { return s.get() == &session; }),
               list.end());
    if (list.empty()) sessions_.erase(it);
}

std::vector<std::shared_ptr<LocalSession>> Router::all_sessions() const
{
    std::vector<std::shared_ptr<LocalSession>> out;
    std::lock_guard lock(mutex_);
    for (const auto& [bare, list] : sessions_) out.insert(out.end(), list.begin(), list.end());
    return out;
}

RouteStats Router::stats() const
{
    RouteStats st;
    std::lock_guard lock(mutex_);
    st.users = sessions_.size();
    for (const auto& [bare, list] : sessions_) st.sessions += list.size();
    return st;
}

std::vector<std::shared_ptr<LocalSession>> Router::sessions_of(const std::string& bare) const
{
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(bare);
    if (it == sessions_.end()) return {};
    return it->second;
}

void Router::session_available(const Jid& full_jid)
{
    for (const auto& hook : available_hooks_) hook(full_jid);
}

bool Router::is_local_domain(std::string_view domain) const
{
    if (domain == domain_.domain()) return true;
    return std::any_of(services_.begin(), services_.end(),
                       [&](const ServiceInfo& s) { return s.jid.domain() == domain; });
}

bool Router::deliver_to_user(const Jid& to, const ElementPtr& stanza, bool all_resources)
{
    auto sessions = sessions_of(to.bare_str());
    if (to.has_resource()) {
        for (const auto& s : sessions)
            if (s->jid() == to) return s->deliver(stanza);
        return false;
    }
    bool is_message = stanza->name() == "message";
    std::vector<std::shared_ptr<LocalSession>> targets;
    if (is_message && !all_resources) {
        // RFC 6121 §8.5.2.1: the available resources of highest non-negative priority.
        int best = -1;
        for (const auto& s : sessions)
            if (s->is_available() && s->priority() >= 0) best = std::max(best, s->priority());
        for (const auto& s : sessions)
            if (s->is_available() && s->priority() >= 0 && s->priority() == best) targets.push_back(s);
    } else {
        for (const auto& s : sessions)
            if (s->is_available() && (!is_message || s->priority() >= 0)) targets.push_back(s);
    }
    bool delivered = false;
    for (const auto& s : targets) delivered = s->deliver(stanza) || delivered;
    return delivered;
}

void Router::bounce(const Element& stanza, StanzaCondition condition, std::string text)
{
    if (!proto::may_answer_with_error(stanza) || !stanza.attr("from")) return;
    route(proto::make_error_reply(stanza, proto::make_stanza_error(condition, std::move(text))));
}

void Router::route(Element stanza)
{
    auto kind = proto::stanza_kind(stanza);
    if (!kind) {
        spdlog::debug("router: dropping a non-stanza <{}/>", stanza.name());
        return;
    }
    const std::string* to_attr = stanza.attr("to");
    if (!to_attr) {
        // RFC 6120 §10.3: no 'to' means the sender's own account.
        auto from = Jid::parse(stanza.attr_or("from"));
        if (!from) return;
        switch (*kind) {
        case StanzaKind::iq:
            route_to_server(std::move(stanza), IqTarget::account);
            return;
        case StanzaKind::message:
            route_to_user(std::move(stanza), from->bare());
            return;
        case StanzaKind::presence:
            // A presence broadcast: to every available resource of the user, the sender's
            // included (RFC 6121 §4.2.2). There is no roster yet, so no contacts to tell.
            deliver_to_user(from->bare(), std::make_shared<const Element>(std::move(stanza)), true);
            return;
        }
    }
    auto to = Jid::parse(*to_attr);
    if (!to) {
        bounce(stanza, StanzaCondition::jid_malformed, "the 'to' address is not a valid JID");
        return;
    }
    if (to->domain() == domain_.domain()) {
        if (to->has_node())
            route_to_user(std::move(stanza), *to);
        else if (*kind == StanzaKind::iq)
            route_to_server(std::move(stanza), IqTarget::domain);
        // Messages and presence to the domain itself have no one to read them.
        return;
    }
    for (const auto& service : services_) {
        if (service.jid.domain() == to->domain()) {
            service.handler(stanza);
            return;
        }
    }
    if (remote_handler_) {
        remote_handler_(stanza);
        return;
    }
    bounce(stanza, StanzaCondition::remote_server_not_found, "this server does not federate yet");
}

void Router::route_to_server(Element stanza, IqTarget target)
{
    if (proto::stanza_kind(stanza) != StanzaKind::iq) return;
    if (!proto::is_valid_iq(stanza)) {
        bounce(stanza, StanzaCondition::bad_request, "an IQ needs an id, a type and, for get and set, one child");
        return;
    }
    auto type = *proto::iq_type(stanza);
    if (type == IqType::result || type == IqType::error) return;  // the server asked nothing
    const Element* payload = proto::iq_payload(stanza);
    auto it = iq_handlers_.find(HandlerKey{target, payload->ns(), payload->name(), type});
    if (it == iq_handlers_.end()) {
        // RFC 6120 §8.4: the one place that answers what no handler takes.
        bounce(stanza, StanzaCondition::service_unavailable);
        return;
    }
    it->second(stanza);
}

void Router::route_to_user(Element stanza, const Jid& to)
{
    auto kind = *proto::stanza_kind(stanza);
    std::string type = stanza.attr_or("type");
    if (kind == StanzaKind::iq) {
        if (!to.has_resource()) {
            route_to_server(std::move(stanza), IqTarget::account);
            return;
        }
        auto shared = std::make_shared<const Element>(std::move(stanza));
        if (!deliver_to_user(to, shared) && type != "result" && type != "error")
            bounce(*shared, StanzaCondition::service_unavailable);
        return;
    }
    if (kind == StanzaKind::presence) {
        if (type == "probe") return;  // no roster, so no presence to share
        deliver_to_user(to, std::make_shared<const Element>(std::move(stanza)), true);
        return;
    }
    // message (RFC 6121 §8.5)
    auto shared = std::make_shared<const Element>(std::move(stanza));
    if (to.has_resource() && deliver_to_user(to, shared)) return;
    if (type == "groupchat") {
        bounce(*shared, StanzaCondition::service_unavailable);
        return;
    }
    if (deliver_to_user(to.bare(), shared, type == "headline")) return;
    if (type == "headline" || type == "error") return;
    // No offline storage: RFC 6121 §8.5.2.2.1 asks for service-unavailable.
    bounce(*shared, StanzaCondition::service_unavailable);
}

}  // namespace wl::server
