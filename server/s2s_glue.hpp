#pragma once
// Federation in the process: builds federation::Federation from the configuration
// ([s2s], [tls], [[partners]]) and connects it to the router. Stanzas the router cannot
// deliver here (another domain's 'to') leave through it; stanzas it authenticated come in
// through Router::route, like anything a local session sends.
//
// Construct it after every service registered on the router (their domains are ours to
// send from and to answer dialback for), start() before Server::run, stop() from a stop hook.
#include <utility>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

#include "federation/config.hpp"
#include "federation/federation.hpp"
#include "server/config.hpp"
#include "server/router.hpp"

namespace wl::server {

// The waitlistd_s2s_* families of /metrics, at zero until an S2sGlue starts (whose counters
// they then show). Called by the HTTP side so that every node exports them.
void register_s2s_metric_families();

class S2sGlue {
public:
    // Throws std::runtime_error naming the setting federation cannot use.
    S2sGlue(const Config& config, Router& router, boost::asio::io_context& io);
    ~S2sGlue();
    S2sGlue(const S2sGlue&) = delete;
    S2sGlue& operator=(const S2sGlue&) = delete;

    // Whether this configuration federates at all: s2s.listen or s2s.routes set, or partners
    // to reach through DNS with a dialback secret to prove our name.
    static bool wanted(const Config& config);
    // The configuration mapped onto federation's (pure; for tests too).
    static federation::FederationConfig federation_config(const Config& config, const Router& router);

    // Federation::set_on_peer_up; before start().
    void set_on_peer_up(std::function<void(const std::string& remote)> handler);
    void start();
    void stop();
    federation::FederationStats stats() const;

private:
    Router& router_;
    std::unique_ptr<federation::Federation> fed_;
};

}  // namespace wl::server
