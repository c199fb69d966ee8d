// Stream negotiation (RFC 6120 §4-§7): the stream header, features, STARTTLS, SASL and
// resource binding.
#include <utility>  // Boost 1.74's Asio needs it first
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <vector>

#include "server/c2s/random_token.hpp"
#include "proto/base64.hpp"
#include "proto/ns.hpp"
#include "proto/sasl/plain.hpp"
#include "proto/stanza.hpp"
#include "server/c2s/session.hpp"
#include "federation/async/await_answer.hpp"
#include "server/log.hpp"

namespace wl::server::c2s {

namespace asio = boost::asio;
namespace sasl = proto::sasl;
using proto::Jid;
using proto::StreamCondition;
using proto::xml::Element;

namespace {

Element sasl_element(std::string_view name, std::string_view data)
{
    Element el{std::string(name), std::string(proto::ns::sasl)};
    // RFC 6120 §6.4.2: empty data is sent as "=" where data is expected.
    if (!data.empty()) el.add_text(proto::base64_encode(data));
    return el;
}

// The channel binding data offered on the connection: none where the operator turned channel
// binding off, which also makes a client's 'y' no downgrade.
const sasl::ChannelBindings* offered_bindings(const Config& config, const Transport& transport)
{
    return config.c2s.channel_binding ? transport.channel_bindings() : nullptr;
}

// The SCRAM mechanisms offered on a connection, best first: the -PLUS ones only where the
// connection has channel binding data, since offering them is what makes a 'y' a downgrade.
std::vector<sasl::ScramMechanism> scram_offered(const sasl::ChannelBindings* bindings)
{
    std::vector<sasl::ScramMechanism> out;
    if (bindings && bindings->any())
        out.insert(out.end(), {{sasl::ScramHash::sha256, true}, {sasl::ScramHash::sha1, true}});
    out.insert(out.end(), {{sasl::ScramHash::sha256, false}, {sasl::ScramHash::sha1, false}});
    return out;
}

storage::ScramMechanism storage_mechanism(sasl::ScramHash hash)
{
    return hash == sasl::ScramHash::sha1 ? storage::ScramMechanism::sha1 : storage::ScramMechanism::sha256;
}

}  // namespace

bool Session::on_stream_open(const Element& header)
{
    awaiting_header_ = false;
    stream_id_ = random_token(12);
    const bool framed = transport_->framing() == proto::xml::Framing::websocket;

    // Our header goes out first, even when an error follows (RFC 6120 §4.9.1.2).
    Element ours =
        framed ? Element("open", std::string(proto::ns::framing)) : Element("stream", std::string(proto::ns::stream));
    ours.set_attr("from", ctx_.router.domain().domain());
    ours.set_attr("id", stream_id_);
    ours.set_attr("version", "1.0");
    ours.set_attr("lang", "en", proto::ns::xml);
    if (const std::string* from = header.attr("from"))
        if (auto j = Jid::parse(*from)) ours.set_attr("to", j->full());
    if (framed)
        send(ours);
    else
        send_raw(proto::xml::open_stream_tag(ours, write_ctx_));
    header_sent_ = true;

    if (framed ? !header.is("open", proto::ns::framing) : !header.is("stream", proto::ns::stream)) {
        fail(StreamCondition::invalid_namespace, "the stream header is not in the streams namespace");
        return false;
    }
    if (!framed && proto::xml::declared_default_ns(header).value_or("") != proto::ns::client) {
        fail(StreamCondition::invalid_namespace, "the default namespace must be jabber:client");
        return false;
    }
    auto to = Jid::parse(header.attr_or("to"));
    if (!to || to->has_node() || to->has_resource() || to->domain() != ctx_.router.domain().domain()) {
        fail(StreamCondition::host_unknown, "this server serves " + ctx_.router.domain().domain());
        return false;
    }
    std::string version = header.attr_or("version");
    auto dot = version.find('.');
    int major = 0;
    try {
        major = std::stoi(version.substr(0, dot));
    } catch (...) {
        major = 0;
    }
    if (version.empty() || major < 1) {
        fail(StreamCondition::unsupported_version, "version='1.0' is required");
        return false;
    }
    send_features();
    return true;
}

void Session::send_features()
{
    const auto& c2s = ctx_.config.c2s;
    Element features("features", std::string(proto::ns::stream));
    if (stage_ == Stage::initial) {
        bool secure = transport_->is_secure();
        if (!secure && transport_->can_start_tls()) {
            auto& starttls = features.add_child("starttls", std::string(proto::ns::tls));
            if (c2s.require_tls) starttls.add_child("required", std::string(proto::ns::tls));
        }
        if (secure || !c2s.require_tls) {
            auto& mechanisms = features.add_child("mechanisms", std::string(proto::ns::sasl));
            const sasl::ChannelBindings* bindings = offered_bindings(ctx_.config, *transport_);
            for (auto mechanism : scram_offered(bindings))
                mechanisms.add_child("mechanism", std::string(proto::ns::sasl))
                    .add_text(std::string(sasl::scram_mechanism_name(mechanism)));
            if (c2s.allow_plain && secure)
                mechanisms.add_child("mechanism", std::string(proto::ns::sasl)).add_text("PLAIN");
            if (bindings && bindings->any()) {
                // XEP-0440: which types to bind with, so that a client need not guess.
                auto& types = features.add_child("sasl-channel-binding", std::string(proto::ns::sasl_cb));
                for (auto type : bindings->types())
                    types.add_child("channel-binding", std::string(proto::ns::sasl_cb))
                        .set_attr("type", std::string(sasl::channel_binding_name(type)));
            }
            if (c2s.allow_registration) features.add_child("register", std::string(proto::ns::register_feature));
        }
    } else if (stage_ == Stage::authenticated) {
        features.add_child("bind", std::string(proto::ns::bind));
        // The legacy session element (RFC 3921), optional as RFC 6121 allows old clients.
        features.add_child("session", std::string(proto::ns::session))
            .add_child("optional", std::string(proto::ns::session));
    }
    send(features);
}

asio::awaitable<void> Session::on_starttls()
{
    if (stage_ != Stage::initial || transport_->is_secure() || !transport_->can_start_tls()) {
        send(Element("failure", std::string(proto::ns::tls)));
        begin_close();
        co_return;
    }
    send(Element("proceed", std::string(proto::ns::tls)));
    co_await flush();
    // Whatever the client sent after <starttls/> in clear text is dropped with the old
    // parser: accepting it would let an attacker inject commands into the TLS stream.
    parser_.reset();
    awaiting_header_ = true;
    header_sent_ = false;
    writer_paused_ = true;
    co_await transport_->start_tls();
    writer_paused_ = false;
    wake_writer();
    spdlog::debug("c2s {}: TLS established", who_);
}

asio::awaitable<void> Session::on_sasl(const Element& element)
{
    if (stage_ != Stage::initial) {
        fail(StreamCondition::policy_violation, "already authenticated");
        co_return;
    }
    if (element.name() == "auth")
        co_await on_sasl_auth(element);
    else if (element.name() == "response")
        co_await on_sasl_response(element);
    else if (element.name() == "abort") {
        scram_.reset();
        sasl_failure(sasl::SaslFailure::aborted, "");
    } else {
        fail(StreamCondition::unsupported_stanza_type, "unknown SASL element <" + element.name() + "/>");
    }
}

asio::awaitable<void> Session::on_sasl_auth(const Element& auth)
{
    scram_.reset();
    const auto& c2s = ctx_.config.c2s;
    const bool secure = transport_->is_secure();
    if (!secure && c2s.require_tls) {
        sasl_failure(sasl::SaslFailure::encryption_required, "use STARTTLS first");
        co_return;
    }
    std::string mechanism = auth.attr_or("mechanism");
    mechanism_ = mechanism;
    std::string text = auth.text();
    std::optional<std::string> message = text == "=" ? std::optional<std::string>("") : proto::base64_decode(text);
    if (!message) {
        sasl_failure(sasl::SaslFailure::incorrect_encoding, "the initial response is not base64");
        co_return;
    }
    const std::string& domain = ctx_.router.domain().domain();

    const sasl::ChannelBindings* bindings = offered_bindings(ctx_.config, *transport_);
    const auto offered = scram_offered(bindings);
    const auto scram = sasl::parse_scram_mechanism(mechanism);
    if (scram && std::find(offered.begin(), offered.end(), *scram) != offered.end()) {
        const sasl::ScramHash hash = scram->hash;
        if (message->empty()) {
            sasl_failure(sasl::SaslFailure::malformed_request, "SCRAM needs an initial response");
            co_return;
        }
        scram_.emplace(*scram, bindings ? *bindings : sasl::ChannelBindings{});
        if (auto f = scram_->receive_client_first(*message)) {
            std::string why(scram_->failure_text());
            scram_.reset();
            sasl_failure(*f, why);
            co_return;
        }
        auto jid = Jid::make(scram_->username(), domain);
        if (!scram_->authzid().empty() && (!jid || scram_->authzid() != jid->bare_str())) {
            scram_.reset();
            sasl_failure(sasl::SaslFailure::invalid_authzid, "you may act only as yourself");
            co_return;
        }
        std::optional<sasl::ScramCredentials> credentials;
        try {
            credentials = co_await lookup_credentials(scram_->username(), hash);
        } catch (const std::exception& e) {
            spdlog::error("c2s {}: credential lookup failed: {}", who_, e.what());
            scram_.reset();
            sasl_failure(sasl::SaslFailure::temporary_auth_failure, "try again later");
            co_return;
        }
        if (closing_.load() || !scram_) co_return;
        send(sasl_element("challenge", scram_->server_first(credentials)));
        co_return;
    }

    if (mechanism == "PLAIN" && c2s.allow_plain && secure) {
        auto plain = sasl::parse_plain(*message);
        if (!plain) {
            sasl_failure(sasl::SaslFailure::malformed_request, "not a PLAIN message");
            co_return;
        }
        auto jid = Jid::make(plain->authcid, domain);
        if (!plain->authzid.empty() && (!jid || plain->authzid != jid->bare_str())) {
            sasl_failure(sasl::SaslFailure::invalid_authzid, "you may act only as yourself");
            co_return;
        }
        bool ok = false;
        try {
            for (auto hash : {sasl::ScramHash::sha256, sasl::ScramHash::sha1}) {
                auto credentials = co_await lookup_credentials(plain->authcid, hash);
                if (credentials) {
                    ok = sasl::verify_scram_password(hash, *credentials, plain->password.view());
                    break;
                }
            }
        } catch (const std::exception& e) {
            spdlog::error("c2s {}: credential lookup failed: {}", who_, e.what());
            sasl_failure(sasl::SaslFailure::temporary_auth_failure, "try again later");
            co_return;
        }
        if (closing_.load()) co_return;
        if (ok)
            sasl_success(jid->node(), "");
        else
            sasl_failure(sasl::SaslFailure::not_authorized, "wrong user name or password");
        co_return;
    }
    std::string names;
    for (auto m : offered) names.append(names.empty() ? "" : ", ").append(sasl::scram_mechanism_name(m));
    if (c2s.allow_plain && secure) names.append(", PLAIN");
    sasl_failure(sasl::SaslFailure::invalid_mechanism, "offered: " + names);
}

asio::awaitable<void> Session::on_sasl_response(const Element& response)
{
    if (!scram_) {
        sasl_failure(sasl::SaslFailure::malformed_request, "no authentication in progress");
        co_return;
    }
    auto message = proto::base64_decode(response.text());
    if (!message) {
        scram_.reset();
        sasl_failure(sasl::SaslFailure::incorrect_encoding, "the response is not base64");
        co_return;
    }
    if (auto f = scram_->receive_client_final(*message)) {
        std::string why(scram_->failure_text());
        scram_.reset();
        sasl_failure(*f, why);
        co_return;
    }
    std::string username = scram_->username();
    std::string final_message = scram_->server_final();
    if (auto type = scram_->channel_binding()) mechanism_.append(" with ").append(sasl::channel_binding_name(*type));
    scram_.reset();
    sasl_success(username, final_message);
    co_return;
}

asio::awaitable<std::optional<sasl::ScramCredentials>> Session::lookup_credentials(const std::string& username,
                                                                                   sasl::ScramHash hash)
{
    auto jid = Jid::make(username, ctx_.router.domain().domain());
    if (!jid) co_return std::nullopt;
    auto work = [bare = jid->bare_str(), mech = storage_mechanism(hash)](storage::Store& store) {
        return store.get_credential(bare, mech);
    };
    auto result = co_await async::db_call(ctx_.db, work);
    auto& stored = result.get();  // rethrows a storage failure
    if (!stored) co_return std::nullopt;
    sasl::ScramCredentials credentials;
    credentials.salt.assign(stored->salt.begin(), stored->salt.end());
    credentials.iterations = int(stored->iterations);
    credentials.stored_key.assign(stored->stored_key.begin(), stored->stored_key.end());
    credentials.server_key.assign(stored->server_key.begin(), stored->server_key.end());
    co_return credentials;
}

void Session::sasl_failure(sasl::SaslFailure failure, std::string_view text)
{
    auto condition = proto::sasl_condition_from_name(sasl::failure_condition(failure));
    send(proto::make_sasl_failure(condition.value_or(proto::SaslCondition::not_authorized), std::string(text)));
    if (failure == sasl::SaslFailure::aborted) return;
    ++auth_failures_;
    spdlog::warn("c2s {}: authentication failed ({}), attempt {} of {}", who_, sasl::failure_condition(failure),
                 auth_failures_, ctx_.config.limits.max_auth_failures);
    if (auth_failures_ >= ctx_.config.limits.max_auth_failures)
        fail(StreamCondition::policy_violation, "too many failed authentication attempts");
}

void Session::sasl_success(const std::string& username, std::string_view additional_data)
{
    auto jid = Jid::make(username, ctx_.router.domain().domain());
    if (!jid) {
        sasl_failure(sasl::SaslFailure::not_authorized, "invalid user name");
        return;
    }
    jid_ = jid->bare();
    stage_ = Stage::authenticated;
    transport_->forget_channel_bindings();
    send(sasl_element("success", additional_data));
    // The client restarts the stream now (RFC 6120 §6.4.6).
    parser_.reset();
    awaiting_header_ = true;
    header_sent_ = false;
    spdlog::info("c2s {}: authenticated as {} ({})", who_, jid_->bare_str(), mechanism_);
}

void Session::on_bind(const Element& iq)
{
    const Element* bind = proto::iq_payload(iq);
    std::string resource = bind ? bind->child_text("resource", proto::ns::bind).value_or("") : "";
    if (resource.empty()) resource = "wl-" + random_token(8);
    auto full = Jid::make(jid_->node(), jid_->domain(), resource);
    if (!full) {
        reply(proto::make_error_reply(iq, proto::make_stanza_error(proto::StanzaCondition::bad_request,
                                                                   "the resource is not valid")));
        return;
    }
    jid_ = *full;
    stage_ = Stage::bound;
    registered_with_router_ = true;
    if (auto replaced = ctx_.router.bind(shared_from_this()))
        replaced->close(StreamCondition::conflict, "replaced by a new connection with the same resource");
    Element result = proto::make_result(iq);
    result.add_child("bind", std::string(proto::ns::bind))
        .add_child("jid", std::string(proto::ns::bind))
        .add_text(jid_->full());
    reply(result);
    spdlog::info("c2s {}: bound {}", who_, jid_->full());
}

}  // namespace wl::server::c2s
