// waitlistd: the XMPP server process. Its command line is in `waitlistd --help` and the README.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "server/c2s/websocket_transport.hpp"
#include "server/config.hpp"
#include "server/config_print.hpp"
#include "server/http/http_service.hpp"
#include "server/log.hpp"
#include "server/s2s_glue.hpp"
#include "server/server.hpp"
#include "server/service_notifier.hpp"
#include "server/jobs/dispatcher.hpp"
#include "server/waitlist/service.hpp"
#include "storage/db_executor.hpp"
#include "storage/store.hpp"

namespace {

int usage()
{
    std::fprintf(stderr,
                 "usage: waitlistd --config FILE [--check | --migrate | --print-config]\n"
                 "  --check         validate the configuration, print every error, exit 1 if any\n"
                 "  --migrate       bring the database schema up to date, then exit\n"
                 "  --print-config  print the configuration in force, defaults included, secrets hidden\n");
    return 2;
}

wl::storage::StoreConfig store_config(const wl::server::Config& config)
{
    wl::storage::StoreConfig sc;
    sc.backend =
        config.storage.backend == "postgresql" ? wl::storage::Backend::postgresql : wl::storage::Backend::sqlite;
    if (sc.backend == wl::storage::Backend::sqlite) {
        sc.path = config.resolve_path(config.storage.path);
        auto dir = std::filesystem::path(sc.path).parent_path();
        if (!dir.empty()) std::filesystem::create_directories(dir);
    }
    sc.dsn = config.storage.dsn;
    return sc;
}

}  // namespace

int main(int argc, char** argv)
{
    std::string config_path;
    bool check = false;
    bool migrate_only = false;
    bool print = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[++i];
        else if (std::strcmp(argv[i], "--check") == 0)
            check = true;
        else if (std::strcmp(argv[i], "--migrate") == 0)
            migrate_only = true;
        else if (std::strcmp(argv[i], "--print-config") == 0)
            print = true;
        else
            return usage();
    }
    if (config_path.empty() || int(check) + int(migrate_only) + int(print) > 1) return usage();

    auto loaded = wl::server::load_config_file(config_path);
    if (!loaded.errors.empty()) {
        for (const auto& e : loaded.errors) std::fprintf(stderr, "%s: %s\n", config_path.c_str(), e.c_str());
        std::fprintf(stderr, "%zu configuration error%s\n", loaded.errors.size(), loaded.errors.size() == 1 ? "" : "s");
        return 1;
    }
    if (print) {
        std::fputs(wl::server::print_config(*loaded.config).c_str(), stdout);
        return 0;
    }
    if (check) {
        std::printf("configuration OK\n");
        return 0;
    }
    const wl::server::Config& config = *loaded.config;
    wl::server::init_logging(config.log.level, config.log.format);
    try {
        // Opening the store applies the pending migrations, or refuses a schema newer than
        // this binary knows.
        auto store = wl::storage::open_store(store_config(config));
        const int schema_version = store->schema_version();
        if (migrate_only) {
            std::printf("database schema at version %d\n", schema_version);
            return 0;
        }
        wl::storage::DbExecutor db(*store);
        {
            wl::server::Server server(config, db);
            wl::server::ServiceNotifier notifier(server.io_context());
            server.add_stop_hook([&notifier] { notifier.stopping(); });
            wl::server::JobDispatcher dispatcher(server.io_context(), db);
            wl::server::WaitingListService waitlist(server, dispatcher);
            // After the services registered: their domains are federation's local domains.
            std::unique_ptr<wl::server::S2sGlue> s2s;
            wl::server::register_s2s_metric_families();
            if (wl::server::S2sGlue::wanted(config)) {
                s2s = std::make_unique<wl::server::S2sGlue>(config, server.router(), server.io_context());
                s2s->set_on_peer_up([&waitlist](const std::string& remote) { waitlist.on_peer_up(remote); });
                s2s->start();
                server.add_stop_hook([&s2s] { s2s->stop(); });
            }
            server.add_stop_hook([&dispatcher] { dispatcher.stop(); });
            dispatcher.start();
            wl::server::http::AdminApiOptions admin;
            admin.on_registered = [&dispatcher] { dispatcher.wake(); };
            admin.reconcile = [&waitlist](const std::string& partner) { return waitlist.reconcile(partner); };
            admin.partner_service = [&waitlist](const std::string& partner) {
                return waitlist.partner_service(partner);
            };
            auto http = wl::server::http::make_http_service(server, std::move(admin));
            if (http)
                http->set_upgrade_handler(std::string(wl::server::c2s::websocket_path),
                                          wl::server::c2s::websocket_upgrade_handler(server.session_context()));
            notifier.ready_when_running("serving " + config.domain + ", schema version " +
                                        std::to_string(schema_version));
            server.run();
            // The database threads post their answers to the server's io_context: they must be
            // joined before the Server (and its io_context) goes away, or a late answer signals
            // a destroyed scheduler (ThreadSanitizer saw it at shutdown).
            db.stop();
        }
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    return 0;
}
