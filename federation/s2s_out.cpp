#include "federation/s2s_out.hpp"

#include <spdlog/spdlog.h>

#include "proto/base64.hpp"
#include "proto/dialback_key.hpp"
#include "proto/ns.hpp"

namespace wl::federation {

namespace xml = proto::xml;
namespace ns = proto::ns;
using Kind = xml::StreamEvent::Kind;

namespace {

xml::Element make_header(const std::string& from, const std::string& to)
{
    xml::Element h("stream", std::string(ns::stream));
    h.set_attr("from", from);
    h.set_attr("to", to);
    h.set_attr("version", "1.0");
    return h;
}

// The next event, which must be an element; a stream error or the stream's end is a failure.
asio::awaitable<xml::Element> read_element(XmlStream& s)
{
    auto ev = co_await s.read();
    if (ev.kind == Kind::close) throw StreamFailure(FailureKind::closed, s.peer() + " closed the stream");
    if (ev.kind == Kind::open) {
        co_await s.fail(proto::StreamCondition::invalid_xml, "unexpected stream header");
        throw StreamFailure(FailureKind::protocol, s.peer() + " sent a second stream header");
    }
    if (ev.element.is("error", ns::stream)) {
        auto err = proto::parse_stream_error(ev.element);
        s.close();
        const auto cond = err ? std::string(proto::name(err->condition)) : std::string("unknown");
        throw StreamFailure(FailureKind::protocol, s.peer() + " sent stream error " + cond);
    }
    co_return std::move(ev.element);
}

bool offers_mechanism(const xml::Element& features, std::string_view mechanism)
{
    const auto* mechs = features.child("mechanisms", ns::sasl);
    if (!mechs) return false;
    for (const auto* m : mechs->children("mechanism", ns::sasl))
        if (m->text() == mechanism) return true;
    return false;
}

struct Negotiated {
    std::string stream_id;
    AuthMethod method = AuthMethod::none;
};

// One connected socket, from the first byte to an authenticated stream (or, for
// verify_only, to the point where db:verify may be sent).
asio::awaitable<Negotiated> negotiate(Context& ctx, XmlStream& s, const std::string& local, const std::string& remote,
                                      bool direct_tls, OutPurpose purpose)
{
    const auto& cfg = ctx.config;
    if (direct_tls) co_await s.start_tls(asio::ssl::stream_base::client, remote);
    bool sasl_done = false;
    for (;;) {
        s.send_header(make_header(local, remote));
        auto ev = co_await s.read();
        if (ev.kind != Kind::open) throw StreamFailure(FailureKind::protocol, s.peer() + ": no stream header");
        const auto default_ns = xml::declared_default_ns(ev.element);
        if (!default_ns || *default_ns != ns::server) {
            co_await s.fail(proto::StreamCondition::invalid_namespace);
            throw StreamFailure(FailureKind::protocol, s.peer() + ": stream is not jabber:server");
        }
        Negotiated out{ev.element.attr_or("id"), AuthMethod::none};
        // Pre-1.0 peers send no features (RFC 6120 §4.7.5); they cannot do TLS.
        const bool has_features = ev.element.attr_or("version") == "1.0";
        xml::Element features;
        if (has_features) {
            features = co_await read_element(s);
            if (!features.is("features", ns::stream))
                throw StreamFailure(FailureKind::protocol, s.peer() + ": expected stream features");
        }
        if (!s.is_tls()) {
            if (features.child("starttls", ns::tls)) {
                s.send(xml::Element("starttls", std::string(ns::tls)));
                auto answer = co_await read_element(s);
                if (!answer.is("proceed", ns::tls))
                    throw StreamFailure(FailureKind::protocol, s.peer() + " refused STARTTLS");
                co_await s.start_tls(asio::ssl::stream_base::client, remote);
                s.restart();
                continue;
            }
            if (cfg.require_tls) {
                co_await s.fail(proto::StreamCondition::policy_violation, "TLS is required");
                throw StreamFailure(FailureKind::protocol, remote + " (" + s.peer() + ") offers no TLS");
            }
        }
        if (purpose == OutPurpose::verify_only) co_return out;
        if (sasl_done) {
            out.method = AuthMethod::sasl_external;
            co_return out;
        }

        const bool cert_ok = peer_certificate_valid_for(s.ssl(), remote);
        if (!cert_ok && cfg.policy_for(remote).require_valid_certificate) {
            co_await s.fail(proto::StreamCondition::policy_violation, "a valid certificate is required");
            throw StreamFailure(FailureKind::not_authorized,
                                remote + ": certificate not valid (" + peer_certificate_status(s.ssl()) + ")");
        }
        // XEP-0178: EXTERNAL only when the peer is authenticated by its certificate too.
        if (cert_ok && offers_mechanism(features, "EXTERNAL")) {
            xml::Element auth("auth", std::string(ns::sasl));
            auth.set_attr("mechanism", "EXTERNAL");
            auth.add_text(proto::base64_encode(local));
            s.send(auth);
            auto answer = co_await read_element(s);
            if (answer.is("success", ns::sasl)) {
                sasl_done = true;
                s.restart();
                continue;
            }
            // COMPAT: a peer that offers EXTERNAL but then refuses our certificate may still
            // accept dialback on the same stream.
            spdlog::debug("s2s out {} -> {}: SASL EXTERNAL refused, trying dialback", local, remote);
        }

        // XEP-0220 §2.1 with the XEP-0185 key.
        if (cfg.dialback_secret.empty())
            throw StreamFailure(FailureKind::not_authorized, "no dialback secret, and no certificate authentication");
        xml::Element result("result", std::string(ns::dialback));
        result.set_attr("from", local);
        result.set_attr("to", remote);
        result.add_text(proto::dialback_key(cfg.dialback_secret, remote, local, out.stream_id));
        s.send(result);
        for (;;) {
            auto answer = co_await read_element(s);
            if (!answer.is("result", ns::dialback)) continue;  // e.g. a db:verify answer for another stream
            if (answer.attr_or("from") != remote || answer.attr_or("to") != local) continue;
            const auto type = answer.attr_or("type");
            if (type == "valid") {
                out.method = AuthMethod::dialback;
                co_return out;
            }
            throw StreamFailure(FailureKind::not_authorized, remote + " rejected our dialback key (" + type + ")");
        }
    }
}

}  // namespace

asio::awaitable<OutStream> open_outgoing(Context& ctx, std::string local, std::string remote, OutPurpose purpose)
{
    const auto& cfg = ctx.config;
    std::vector<Target> targets;
    auto route = cfg.routes.find(remote);
    if (route != cfg.routes.end()) {
        auto t = parse_route(route->second);
        if (!t) throw StreamFailure(FailureKind::unreachable, "s2s.routes: malformed route for " + remote);
        targets.push_back(*t);
    } else {
        auto lookup = co_await ctx.resolver.targets(remote);
        if (lookup.targets.empty())
            throw StreamFailure(lookup.status == DnsStatus::timeout ? FailureKind::timeout : FailureKind::unreachable,
                                remote + ": no s2s service in DNS");
        targets = std::move(lookup.targets);
    }

    std::optional<StreamFailure> last;
    bool any_timeout = false;
    auto note = [&](const StreamFailure& f) {
        spdlog::debug("s2s out {} -> {}: {}", local, remote, f.what());
        if (f.kind() == FailureKind::timeout) any_timeout = true;
        last = f;
    };
    for (const auto& target : targets) {
        auto addresses = co_await ctx.resolver.addresses(target.host, target.port);
        if (addresses.endpoints.empty()) {
            note(StreamFailure(addresses.status == DnsStatus::timeout ? FailureKind::timeout : FailureKind::unreachable,
                               target.host + ": no address"));
            continue;
        }
        for (const auto& endpoint : addresses.endpoints) {
            auto s =
                std::make_shared<XmlStream>(ctx.executor, ctx.tls.client, cfg.max_stanza_bytes, cfg.max_write_buffer);
            try {
                s->expires_after(cfg.connect_timeout);
                co_await s->connect(endpoint);
                s->expires_after(cfg.negotiation_timeout);
                auto n = co_await negotiate(ctx, *s, local, remote, target.direct_tls, purpose);
                s->expires_never();
                co_return OutStream{s, n.stream_id, n.method};
            } catch (const StreamFailure& f) {
                s->close();
                note(f);
                if (f.kind() == FailureKind::not_authorized) throw;
            }
        }
    }
    if (!last) throw StreamFailure(FailureKind::unreachable, remote + ": nothing to connect to");
    if (any_timeout) throw StreamFailure(FailureKind::timeout, last->what());
    throw *last;
}

asio::awaitable<bool> dialback_verify(Context& ctx, std::string receiving, std::string originating,
                                      std::string stream_id, std::string key)
{
    std::shared_ptr<XmlStream> s;
    try {
        auto out = co_await open_outgoing(ctx, receiving, originating, OutPurpose::verify_only);
        s = out.stream;
        s->expires_after(ctx.config.dialback_timeout);
        xml::Element verify("verify", std::string(ns::dialback));
        verify.set_attr("from", receiving);
        verify.set_attr("to", originating);
        verify.set_attr("id", stream_id);
        verify.add_text(key);
        s->send(verify);
        for (;;) {
            auto answer = co_await read_element(*s);
            if (!answer.is("verify", ns::dialback) || answer.attr_or("id") != stream_id) continue;
            const bool valid = answer.attr_or("type") == "valid" && answer.attr_or("from") == originating;
            co_await s->close_gracefully(std::chrono::milliseconds(500));
            co_return valid;
        }
    } catch (const StreamFailure& f) {
        spdlog::info("s2s dialback verify {} -> {} failed: {}", receiving, originating, f.what());
        if (s) s->close();
    }
    co_return false;
}

}  // namespace wl::federation
