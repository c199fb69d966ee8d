#include "federation/s2s_in.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "federation/s2s_out.hpp"
#include "federation/stanza_ns.hpp"
#include "proto/base64.hpp"
#include "proto/dialback_key.hpp"
#include "proto/jid.hpp"
#include "proto/ns.hpp"
#include "proto/stanza.hpp"

namespace wl::federation {

namespace xml = proto::xml;
namespace ns = proto::ns;
using Kind = xml::StreamEvent::Kind;
using proto::StreamCondition;

namespace {

std::string random_stream_id()
{
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (auto b : bytes) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

// A peer may not make us open connections without bound.
constexpr std::size_t max_pending_verifications = 16;

}  // namespace

InStream::InStream(std::shared_ptr<Context> ctx, asio::ip::tcp::socket socket, Deliver deliver, bool direct_tls)
    : ctx_(ctx),
      stream_(std::make_shared<XmlStream>(std::move(socket), ctx->tls.server, ctx->config.max_stanza_bytes,
                                          ctx->config.max_write_buffer)),
      deliver_(std::move(deliver)),
      direct_tls_(direct_tls)
{
}

asio::awaitable<void> InStream::run()
{
    ++ctx_->stats.streams_in;
    try {
        co_await negotiate_and_serve();
    } catch (const StreamFailure& f) {
        spdlog::debug("s2s in {} ({}): {}", peer_domain_, stream_->peer(), f.what());
    } catch (const std::exception& e) {
        spdlog::error("s2s in {} ({}): {}", peer_domain_, stream_->peer(), e.what());
    }
    stream_->close();
    --ctx_->stats.streams_in;
}

void InStream::stop() { stream_->send_close(ctx_->config.shutdown_grace); }

xml::Element InStream::features() const
{
    xml::Element f("features", std::string(ns::stream));
    // Without a certificate of our own (allowed only when TLS is optional) we cannot offer TLS.
    if (!stream_->is_tls() && !ctx_->config.tls_cert_file.empty()) {
        auto& tls = f.add_child("starttls", std::string(ns::tls));
        if (ctx_->config.require_tls) {
            tls.add_child("required", std::string(ns::tls));
            return f;
        }
    }
    if (!sasl_done_ && !peer_domain_.empty() && peer_certificate_valid_for(stream_->ssl(), peer_domain_)) {
        auto& mechs = f.add_child("mechanisms", std::string(ns::sasl));
        mechs.add_child("mechanism", std::string(ns::sasl)).add_text("EXTERNAL");
    }
    const bool cert_required = !peer_domain_.empty() && ctx_->config.policy_for(peer_domain_).require_valid_certificate;
    if (!sasl_done_ && !cert_required && !ctx_->config.dialback_secret.empty()) {
        auto& db = f.add_child("dialback", std::string(ns::dialback_feature));
        db.add_child("errors", std::string(ns::dialback_feature));  // XEP-0220 §2.4: we send typed errors
    }
    return f;
}

asio::awaitable<void> InStream::negotiate_and_serve()
{
    auto& s = *stream_;
    const auto& cfg = ctx_->config;
    s.expires_after(cfg.negotiation_timeout);
    if (direct_tls_) co_await s.start_tls(asio::ssl::stream_base::server);
    for (;;) {
        // Stream header, ours, features.
        auto ev = co_await s.read();
        if (ev.kind != Kind::open) {
            co_await s.fail(StreamCondition::not_well_formed, "expected a stream header");
            co_return;
        }
        const auto& header = ev.element;
        const auto default_ns = xml::declared_default_ns(header);
        if (!default_ns || *default_ns != ns::server) {
            co_await s.fail(StreamCondition::invalid_namespace, "s2s streams are jabber:server");
            co_return;
        }
        const auto to = header.attr_or("to");
        if (!ctx_->is_local(to)) {
            // GCC 12 miscompiles some temporaries inside co_await expressions: build them first.
            const std::string text = "this server does not serve '" + to + "'";
            co_await s.fail(StreamCondition::host_unknown, text);
            co_return;
        }
        const auto from = header.attr_or("from");
        if (!local_.empty() && to != local_) {
            co_await s.fail(StreamCondition::invalid_from, "the stream restarted for another domain");
            co_return;
        }
        local_ = to;
        if (!from.empty()) peer_domain_ = from;
        stream_id_ = random_stream_id();
        xml::Element ours("stream", std::string(ns::stream));
        ours.set_attr("from", local_);
        if (!peer_domain_.empty()) ours.set_attr("to", peer_domain_);
        ours.set_attr("id", stream_id_);
        ours.set_attr("version", "1.0");
        s.send_header(ours);
        const bool pre_1_0 = header.attr_or("version") != "1.0";
        if (pre_1_0 && cfg.require_tls) {
            co_await s.fail(StreamCondition::unsupported_version, "TLS is required; it needs version 1.0");
            co_return;
        }
        if (!pre_1_0) s.send(features());

        // Until the next stream restart (STARTTLS, SASL) or the stream's end.
        bool restarted = false;
        while (!restarted) {
            auto ev2 = co_await s.read();
            if (ev2.kind == Kind::close) {
                co_await s.answer_close();
                co_return;
            }
            if (ev2.kind == Kind::open) {
                co_await s.fail(StreamCondition::invalid_xml, "unexpected stream header");
                co_return;
            }
            auto el = std::move(ev2.element);
            if (el.is("starttls", ns::tls) && !s.is_tls()) {
                s.send(xml::Element("proceed", std::string(ns::tls)));
                co_await s.flush();
                co_await s.start_tls(asio::ssl::stream_base::server);
                s.restart();
                restarted = true;
            } else if (!s.is_tls() && cfg.require_tls && !el.is("error", ns::stream)) {
                co_await s.fail(StreamCondition::policy_violation, "STARTTLS is required first");
                co_return;
            } else if (el.is("auth", ns::sasl)) {
                const auto authzid = el.text();
                std::optional<std::string> decoded =
                    authzid.empty() || authzid == "=" ? std::optional<std::string>("") : proto::base64_decode(authzid);
                proto::SaslCondition failure = proto::SaslCondition::not_authorized;
                bool ok = false;
                if (sasl_done_ || el.attr_or("mechanism") != "EXTERNAL") {
                    failure = proto::SaslCondition::invalid_mechanism;
                } else if (!decoded || (!decoded->empty() && *decoded != peer_domain_)) {
                    failure = proto::SaslCondition::invalid_authzid;
                } else {
                    ok = peer_certificate_valid_for(s.ssl(), peer_domain_);
                }
                if (!ok) {
                    s.send(proto::make_sasl_failure(failure));
                    continue;
                }
                s.send(xml::Element("success", std::string(ns::sasl)));
                sasl_done_ = true;
                authorized_.insert({peer_domain_, local_});
                ++ctx_->stats.sasl_external_ok;
                spdlog::info("s2s in {} -> {}: authenticated by certificate (SASL EXTERNAL)", peer_domain_, local_);
                if (ctx_->on_peer_up) ctx_->on_peer_up(peer_domain_);
                s.restart();
                restarted = true;
            } else if (el.is("result", ns::dialback) && !el.attr("type")) {
                co_await on_db_result(std::move(el));
            } else if (el.is("verify", ns::dialback) && !el.attr("type")) {
                on_db_verify(el);
            } else if (el.is("error", ns::stream)) {
                auto err = proto::parse_stream_error(el);
                spdlog::info("s2s in {}: stream error from peer: {}", peer_domain_,
                             err ? proto::name(err->condition) : std::string_view("unknown"));
                co_return;
            } else if (proto::stanza_kind(el)) {
                if (!co_await on_stanza(std::move(el))) co_return;
            } else {
                const std::string text = "unexpected <" + el.name() + "/>";
                co_await s.fail(StreamCondition::unsupported_stanza_type, text);
                co_return;
            }
            // Once authenticated, the deadline is the idle timeout, renewed by every element.
            s.expires_after(is_authenticated() ? cfg.idle_timeout : cfg.negotiation_timeout);
        }
    }
}

asio::awaitable<void> InStream::on_db_result(xml::Element result)
{
    auto& s = *stream_;
    const auto remote = result.attr_or("from");
    const auto local = result.attr_or("to");
    auto reply = [&](const std::string& type) {
        xml::Element r("result", std::string(ns::dialback));
        r.set_attr("from", local);
        r.set_attr("to", remote);
        r.set_attr("type", type);
        return r;
    };
    if (!ctx_->is_local(local)) {
        // XEP-0220 §2.4: with the errors feature, a typed error instead of a stream error.
        auto r = reply("error");
        r.add_child(proto::to_element(proto::make_stanza_error(proto::StanzaCondition::item_not_found), ns::server));
        s.send(r);
        co_return;
    }
    if (remote.empty() || !proto::Jid::parse(remote) || ctx_->config.policy_for(remote).require_valid_certificate) {
        auto r = reply("error");
        r.add_child(proto::to_element(proto::make_stanza_error(proto::StanzaCondition::not_authorized), ns::server));
        s.send(r);
        co_return;
    }
    if (authorized_.count({remote, local})) {
        s.send(reply("valid"));
        co_return;
    }
    if (verifying_.count({remote, local})) co_return;  // the answer to the first one will do
    if (verifying_.size() >= max_pending_verifications) {
        co_await s.fail(StreamCondition::policy_violation, "too many dialback requests");
        throw StreamFailure(FailureKind::protocol, "dialback flood from " + remote);
    }
    verifying_.insert({remote, local});
    // The check goes out over a connection of its own while this stream keeps reading.
    auto self = shared_from_this();
    asio::co_spawn(
        ctx_->executor,
        [self, remote, local, key = result.text()]() -> asio::awaitable<void> {
            const bool valid = co_await dialback_verify(*self->ctx_, local, remote, self->stream_id_, key);
            self->verifying_.erase({remote, local});
            if (!self->stream_->is_open()) co_return;
            xml::Element r("result", std::string(ns::dialback));
            r.set_attr("from", local);
            r.set_attr("to", remote);
            r.set_attr("type", valid ? "valid" : "invalid");
            if (valid) {
                self->authorized_.insert({remote, local});
                ++self->ctx_->stats.dialback_ok;
                self->stream_->expires_after(self->ctx_->config.idle_timeout);
                spdlog::info("s2s in {} -> {}: authenticated by dialback", remote, local);
                if (self->ctx_->on_peer_up) self->ctx_->on_peer_up(remote);
            } else {
                ++self->ctx_->stats.dialback_failed;
                spdlog::info("s2s in {} -> {}: dialback key rejected", remote, local);
            }
            self->stream_->send(r);
        },
        asio::detached);
}

void InStream::on_db_verify(const xml::Element& verify)
{
    // We are the authoritative server: did one of our domains issue this key?
    const auto receiving = verify.attr_or("from");
    const auto originating = verify.attr_or("to");
    const auto id = verify.attr_or("id");
    xml::Element r("verify", std::string(ns::dialback));
    r.set_attr("from", originating);
    r.set_attr("to", receiving);
    r.set_attr("id", id);
    if (!ctx_->is_local(originating)) {
        r.set_attr("type", "error");
        r.add_child(proto::to_element(proto::make_stanza_error(proto::StanzaCondition::item_not_found), ns::server));
    } else {
        const bool valid =
            !ctx_->config.dialback_secret.empty() &&
            proto::verify_dialback_key(ctx_->config.dialback_secret, receiving, originating, id, verify.text());
        r.set_attr("type", valid ? "valid" : "invalid");
    }
    stream_->send(r);
}

asio::awaitable<bool> InStream::on_stanza(xml::Element stanza)
{
    auto& s = *stream_;
    const auto from = proto::Jid::parse(stanza.attr_or("from"));
    const auto to = proto::Jid::parse(stanza.attr_or("to"));
    if (!from || !to) {
        ++ctx_->stats.rejected_in;
        co_await s.fail(StreamCondition::improper_addressing, "stanzas between servers need valid 'from' and 'to'");
        co_return false;
    }
    if (!authorized_.count({from->domain(), to->domain()})) {
        ++ctx_->stats.rejected_in;
        // RFC 6120 §4.9.3.9: a 'from' this stream has not authenticated.
        const bool to_ok = ctx_->is_local(to->domain());
        const auto condition = to_ok ? StreamCondition::invalid_from : StreamCondition::host_unknown;
        std::string text;
        if (to_ok)
            text = "'" + from->domain() + "' is not authenticated on this stream";
        else
            text = "'" + to->domain() + "' is not served here";
        co_await s.fail(condition, text);
        spdlog::warn("s2s in {}: refused a stanza from unauthenticated domain {} to {}", stream_->peer(),
                     from->domain(), to->domain());
        co_return false;
    }
    ++ctx_->stats.stanzas_in;
    deliver_(with_stanza_ns(stanza, ns::server, ns::client));
    co_return true;
}

}  // namespace wl::federation
