#pragma once
// The process's HTTP side on a Server: binds every http.listen address, adds the admin API,
// /healthz, /readyz and /metrics, the process gauges, and a stop hook; it accepts once
// Server::run() runs the io_context, so more routes (and the /xmpp-websocket upgrade
// handler) may be added to the returned server until then.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/http/admin_api.hpp"
#include "server/http/server.hpp"

namespace wl::server {
class Server;
}

namespace wl::server::http {

// nullptr when http.listen is empty. Throws std::runtime_error when an address cannot be bound.
// `admin` wires the admin API to the process's services (see AdminApiOptions).
std::shared_ptr<HttpServer> make_http_service(Server& server, AdminApiOptions admin);

}  // namespace wl::server::http
