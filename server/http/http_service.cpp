#include "server/http/http_service.hpp"

#include "server/http/admin_api.hpp"
#include "server/http/ops_routes.hpp"
#include "server/server.hpp"

namespace wl::server::http {

std::shared_ptr<HttpServer> make_http_service(Server& server, AdminApiOptions admin)
{
    const Config& config = server.config();
    register_process_gauges(server.router(), server.db());
    if (config.http.listen.empty()) return nullptr;

    auto http = std::make_shared<HttpServer>(server.io_context(), config.http.listen);
    register_admin_api(*http, config, server.db(), std::move(admin));
    OpsOptions ops;
    std::weak_ptr<HttpServer> weak = http;
    ops.is_ready = [weak]() {
        auto h = weak.lock();
        return h && h->is_listening() && !h->is_stopping();
    };
    register_ops_routes(*http, server.db(), std::move(ops));
    server.add_stop_hook([weak]() {
        if (auto h = weak.lock()) h->stop();
    });
    http->start();
    return http;
}

}  // namespace wl::server::http
