#include "server/s2s_glue.hpp"

#include <algorithm>
#include <atomic>

#include "proto/stanza.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"

namespace wl::server {

using proto::xml::Element;

bool S2sGlue::wanted(const Config& config)
{
    return config.s2s.is_enabled() || (!config.partners.empty() && !config.s2s.dialback_secret.empty());
}

federation::FederationConfig S2sGlue::federation_config(const Config& config, const Router& router)
{
    federation::FederationConfig fc;
    fc.local_domains.push_back(config.domain);
    for (const auto& service : router.services()) fc.local_domains.push_back(service.jid.domain());
    fc.dialback_secret = config.s2s.dialback_secret;
    for (const auto& [domain, endpoint] : config.s2s.routes) fc.routes[domain] = endpoint.to_string();
    if (config.s2s.nameserver) fc.nameserver = config.s2s.nameserver->to_string();
    fc.hosts_file = config.s2s.hosts_file;
    fc.tls_cert_file = config.resolve_path(config.tls.cert);
    fc.tls_key_file = config.resolve_path(config.tls.key);
    if (!config.tls.ca.empty()) fc.tls_ca_file = config.resolve_path(config.tls.ca);
    for (const auto& endpoint : config.s2s.listen) fc.listen.push_back(endpoint.to_string());
    // A partner that must prove its name by certificate; other peers may use dialback.
    for (const auto& partner : config.partners)
        if (partner.require_valid_cert) fc.peers[partner.jid].require_valid_certificate = true;
    fc.max_stanza_bytes = config.limits.max_stanza_bytes;
    fc.shutdown_grace = std::min<Duration>(fc.shutdown_grace, config.limits.shutdown_grace);
    return fc;
}

S2sGlue::S2sGlue(const Config& config, Router& router, boost::asio::io_context& io) : router_(router)
{
    fed_ = std::make_unique<federation::Federation>(io.get_executor(), federation_config(config, router),
                                                    [this](Element stanza) { router_.route(std::move(stanza)); });
    router_.set_remote_handler([this](const Element& stanza) {
        if (fed_->send(stanza)) return;
        // Not federation's to send (no usable 'to', or a 'from' outside our domains).
        if (!proto::may_answer_with_error(stanza) || !stanza.attr("from")) return;
        router_.route(
            proto::make_error_reply(stanza, proto::make_stanza_error(proto::StanzaCondition::remote_server_not_found)));
    });
}

namespace {

// The federation whose counters /metrics shows: the registry has no way to drop a series, so
// its callbacks read through this pointer, which the S2sGlue clears when it goes.
std::atomic<const S2sGlue*> metered{nullptr};

federation::FederationStats metered_stats()
{
    const S2sGlue* glue = metered.load();
    return glue ? glue->stats() : federation::FederationStats{};
}

// Every s2s family, registered once; a process without federation shows them at zero, so a
// dashboard or an alert finds them on every node.
void register_s2s_metrics()
{
    static const bool once = [] {
        auto& r = metrics_registry();
        using Stats = federation::FederationStats;
        auto read = [](auto field) { return [field] { return static_cast<double>(metered_stats().*field); }; };
        const std::string streams =
            "Server-to-server streams open: in, accepted from peers; out, authenticated to peers.";
        r.gauge_callback("waitlistd_s2s_streams", streams, {{"direction", "in"}}, read(&Stats::streams_in));
        r.gauge_callback("waitlistd_s2s_streams", streams, {{"direction", "out"}}, read(&Stats::streams_out));
        r.gauge_callback("waitlistd_s2s_queued", "Stanzas waiting for an outgoing stream to a peer.", {},
                         read(&Stats::queued));
        const std::string stanzas =
            "Stanzas over server-to-server streams: in, delivered to the server; out, written to a peer.";
        r.counter_callback("waitlistd_s2s_stanzas_total", stanzas, {{"direction", "in"}}, read(&Stats::stanzas_in));
        r.counter_callback("waitlistd_s2s_stanzas_total", stanzas, {{"direction", "out"}}, read(&Stats::stanzas_out));
        r.counter_callback("waitlistd_s2s_bounced_total",
                           "Error replies made for stanzas that could not be sent to a peer.", {},
                           read(&Stats::bounced));
        r.counter_callback("waitlistd_s2s_rejected_total", "Incoming stanzas refused (spoofed or unauthenticated).", {},
                           read(&Stats::rejected_in));
        const std::string auth = "Peers authenticated, by method and outcome.";
        r.counter_callback("waitlistd_s2s_auth_total", auth, {{"method", "dialback"}, {"outcome", "ok"}},
                           read(&Stats::dialback_ok));
        r.counter_callback("waitlistd_s2s_auth_total", auth, {{"method", "dialback"}, {"outcome", "failed"}},
                           read(&Stats::dialback_failed));
        r.counter_callback("waitlistd_s2s_auth_total", auth, {{"method", "sasl_external"}, {"outcome", "ok"}},
                           read(&Stats::sasl_external_ok));
        r.counter_callback("waitlistd_s2s_connect_failures_total", "Outgoing streams that could not be opened.", {},
                           read(&Stats::connect_failures));
        return true;
    }();
    (void)once;
}

}  // namespace

void register_s2s_metric_families() { register_s2s_metrics(); }

S2sGlue::~S2sGlue()
{
    const S2sGlue* self = this;
    metered.compare_exchange_strong(self, nullptr);
}

void S2sGlue::set_on_peer_up(std::function<void(const std::string& remote)> handler)
{
    fed_->set_on_peer_up(std::move(handler));
}

void S2sGlue::start()
{
    register_s2s_metrics();
    metered.store(this);
    fed_->start();
    for (const auto& endpoint : fed_->listen_endpoints())
        spdlog::info("s2s: listening on {}:{}", endpoint.address().to_string(), endpoint.port());
}

void S2sGlue::stop() { fed_->stop(); }

federation::FederationStats S2sGlue::stats() const { return fed_->stats(); }

}  // namespace wl::server
