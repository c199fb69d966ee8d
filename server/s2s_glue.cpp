#include "server/s2s_glue.hpp"

#include <algorithm>

#include "proto/stanza.hpp"
#include "server/log.hpp"

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
        router_.route(proto::make_error_reply(
            stanza, proto::make_stanza_error(proto::StanzaCondition::remote_server_not_found)));
    });
}

S2sGlue::~S2sGlue() = default;

void S2sGlue::set_on_peer_up(std::function<void(const std::string& remote)> handler)
{
    fed_->set_on_peer_up(std::move(handler));
}

void S2sGlue::start()
{
    fed_->start();
    for (const auto& endpoint : fed_->listen_endpoints())
        spdlog::info("s2s: listening on {}:{}", endpoint.address().to_string(), endpoint.port());
}

void S2sGlue::stop() { fed_->stop(); }

federation::FederationStats S2sGlue::stats() const { return fed_->stats(); }

}  // namespace wl::server
