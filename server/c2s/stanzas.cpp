// What a client sends once the stream is up: the elements allowed at each stage, and the
// stamping of bound stanzas before they go to the router.
#include <utility>  // Boost 1.74's Asio needs it first
#include <boost/asio/use_awaitable.hpp>

#include <charconv>

#include "proto/ns.hpp"
#include "proto/sasl/scram.hpp"
#include "proto/stanza.hpp"
#include "server/c2s/session.hpp"
#include "federation/async/await_answer.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"

namespace wl::server::c2s {

namespace asio = boost::asio;
using proto::IqType;
using proto::Jid;
using proto::StanzaCondition;
using proto::StanzaKind;
using proto::StreamCondition;
using proto::xml::Element;

namespace {

bool is_iq_set_of(const Element& el, std::string_view name, std::string_view ns)
{
    if (proto::stanza_kind(el) != StanzaKind::iq || proto::iq_type(el) != IqType::set) return false;
    const Element* payload = proto::iq_payload(el);
    return payload && payload->is(name, ns);
}

bool is_subscription(std::string_view type)
{
    return type == "subscribe" || type == "subscribed" || type == "unsubscribe" || type == "unsubscribed";
}

}  // namespace

void Session::reply(const Element& reply) { send(reply); }

asio::awaitable<void> Session::on_element(Element& element)
{
    if (stage_ == Stage::initial && ++preauth_elements_ > ctx_.config.limits.preauth_stanzas) {
        fail(StreamCondition::policy_violation, "too many elements before authentication");
        co_return;
    }
    if (element.is("starttls", proto::ns::tls)) {
        co_await on_starttls();
        co_return;
    }
    if (element.ns() == proto::ns::sasl) {
        co_await on_sasl(element);
        co_return;
    }
    auto kind = proto::stanza_kind(element);
    if (!kind || element.ns() != proto::ns::client) {
        fail(StreamCondition::unsupported_stanza_type, "<" + element.name() + "/> is not a client stanza");
        co_return;
    }
    server_metrics().stanzas_in.inc();
    switch (stage_) {
    case Stage::initial:
        if (*kind == StanzaKind::iq && ctx_.config.c2s.allow_registration && proto::iq_payload(element) &&
            proto::iq_payload(element)->ns() == proto::ns::register_) {
            co_await on_register(element);
            co_return;
        }
        fail(StreamCondition::not_authorized, "authenticate first");
        co_return;
    case Stage::authenticated:
        if (is_iq_set_of(element, "bind", proto::ns::bind))
            on_bind(element);
        else if (is_iq_set_of(element, "session", proto::ns::session))
            reply(proto::make_result(element));
        else
            fail(StreamCondition::not_authorized, "bind a resource first");
        co_return;
    case Stage::bound:
        if (is_iq_set_of(element, "bind", proto::ns::bind))
            reply(proto::make_error_reply(element, proto::make_stanza_error(StanzaCondition::not_allowed,
                                                                            "a resource is already bound")));
        else if (is_iq_set_of(element, "session", proto::ns::session))
            reply(proto::make_result(element));
        else
            on_bound_stanza(std::move(element));
        co_return;
    }
}

void Session::on_bound_stanza(Element stanza)
{
    // RFC 6120 §8.1.2.1 and §4.9.3.9: a client may name itself only by its own full or
    // bare JID; anything else is <invalid-from/>, a stream error (as Prosody does).
    if (const std::string* from = stanza.attr("from")) {
        auto claimed = Jid::parse(*from);
        if (!claimed || (*claimed != *jid_ && *claimed != jid_->bare())) {
            fail(StreamCondition::invalid_from, "the 'from' address is not yours");
            return;
        }
    }
    auto kind = *proto::stanza_kind(stanza);
    std::string type = stanza.attr_or("type");
    if (kind == StanzaKind::iq && !proto::is_valid_iq(stanza)) {
        if (proto::may_answer_with_error(stanza) && stanza.attr("id"))
            reply(proto::make_error_reply(stanza, proto::make_stanza_error(StanzaCondition::bad_request,
                                                                           "an IQ needs an id, a type and one child")));
        return;
    }
    const bool presence = kind == StanzaKind::presence;
    stanza.set_attr("from", presence && is_subscription(type) ? jid_->bare_str() : jid_->full());

    bool first_available = false;
    if (presence && !stanza.attr("to")) {
        if (type.empty()) {
            int prio = 0;
            if (auto p = stanza.child_text("priority", proto::ns::client)) {
                std::from_chars(p->data(), p->data() + p->size(), prio);
                prio = std::clamp(prio, -128, 127);
            }
            priority_.store(prio);
            available_.store(true);
            first_available = !announced_available_;
            announced_available_ = true;
        } else if (type == "unavailable") {
            available_.store(false);
        }
    }
    spdlog::debug("c2s {} {}: stanza <{}/> to {}", who_, jid_->full(), stanza.name(),
                  stanza.attr_or("to", "(account)"));
    ctx_.router.route(std::move(stanza));
    if (first_available) ctx_.router.session_available(*jid_);
}

asio::awaitable<void> Session::on_register(const Element& iq)
{
    // XEP-0077 in-band registration, offered only when c2s.allow_registration is set, and
    // like SASL only over TLS unless TLS is optional.
    if (!transport_->is_secure() && ctx_.config.c2s.require_tls) {
        reply(proto::make_error_reply(iq,
                                      proto::make_stanza_error(StanzaCondition::not_authorized, "use STARTTLS first")));
        co_return;
    }
    auto type = proto::iq_type(iq);
    const Element* query = proto::iq_payload(iq);
    if (type == IqType::get) {
        Element result = proto::make_result(iq);
        auto& q = result.add_child("query", std::string(proto::ns::register_));
        q.add_child("instructions", std::string(proto::ns::register_)).add_text("Choose a user name and password.");
        q.add_child("username", std::string(proto::ns::register_));
        q.add_child("password", std::string(proto::ns::register_));
        reply(result);
        co_return;
    }
    if (type != IqType::set || !query) co_return;
    if (query->child("remove", proto::ns::register_)) {
        reply(proto::make_error_reply(iq, proto::make_stanza_error(StanzaCondition::not_allowed)));
        co_return;
    }
    std::string username = query->child_text("username", proto::ns::register_).value_or("");
    std::string password = query->child_text("password", proto::ns::register_).value_or("");
    auto jid = Jid::make(username, ctx_.router.domain().domain());
    if (username.empty() || password.empty() || !jid) {
        reply(proto::make_error_reply(iq, proto::make_stanza_error(StanzaCondition::not_acceptable,
                                                                   "a valid user name and a password are required")));
        co_return;
    }
    // Deriving the keys costs thousands of hash rounds: done on the database thread.
    auto work = [bare = jid->bare_str(), password](storage::Store& store) {
        storage::NewAccount account;
        account.jid = bare;
        for (auto [hash, mech] : {std::pair{proto::sasl::ScramHash::sha1, storage::ScramMechanism::sha1},
                                  std::pair{proto::sasl::ScramHash::sha256, storage::ScramMechanism::sha256}}) {
            auto creds = proto::sasl::make_scram_credentials(hash, password);
            if (!creds) return std::optional<storage::CreateAccountStatus>();
            storage::ScramCredential c;
            c.mechanism = mech;
            c.salt.assign(creds->salt.begin(), creds->salt.end());
            c.iterations = std::uint32_t(creds->iterations);
            c.stored_key.assign(creds->stored_key.begin(), creds->stored_key.end());
            c.server_key.assign(creds->server_key.begin(), creds->server_key.end());
            account.credentials.push_back(std::move(c));
        }
        return std::optional<storage::CreateAccountStatus>(store.create_account(account).status);
    };
    auto result = co_await async::db_call(ctx_.db, work);
    if (closing_.load()) co_return;
    if (!result.ok()) {
        reply(proto::make_error_reply(iq, proto::make_stanza_error(StanzaCondition::internal_server_error)));
        co_return;
    }
    auto status = *result.value;
    if (!status)
        reply(proto::make_error_reply(iq, proto::make_stanza_error(StanzaCondition::not_acceptable,
                                                                   "the password is not acceptable")));
    else if (*status == storage::CreateAccountStatus::created) {
        spdlog::info("c2s {}: registered {}", who_, jid->bare_str());
        reply(proto::make_result(iq));
    } else {
        reply(proto::make_error_reply(iq, proto::make_stanza_error(StanzaCondition::conflict)));
    }
}

}  // namespace wl::server::c2s
