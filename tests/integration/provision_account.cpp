// A test tool, not part of the product: creates an account directly in the Store named by a
// waitlistd configuration file, so that integration tests can log in before the admin API
// (waitlistctl) exists. Usage: wl-test-provision --config FILE JID PASSWORD
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "proto/jid.hpp"
#include "proto/sasl/scram.hpp"
#include "server/config.hpp"
#include "storage/store.hpp"

int main(int argc, char** argv)
{
    if (argc != 5 || std::strcmp(argv[1], "--config") != 0) {
        std::fprintf(stderr, "usage: wl-test-provision --config FILE JID PASSWORD\n");
        return 2;
    }
    auto loaded = wl::server::load_config_file(argv[2]);
    if (!loaded.config) {
        for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
        return 1;
    }
    const auto& config = *loaded.config;
    auto jid = wl::proto::Jid::parse(argv[3]);
    if (!jid || !jid->has_node() || jid->domain() != config.domain) {
        std::fprintf(stderr, "%s is not a bare JID of %s\n", argv[3], config.domain.c_str());
        return 1;
    }
    wl::storage::StoreConfig sc;
    sc.backend = config.storage.backend == "postgresql" ? wl::storage::Backend::postgresql : wl::storage::Backend::sqlite;
    sc.path = config.resolve_path(config.storage.path);
    sc.dsn = config.storage.dsn;
    if (sc.backend == wl::storage::Backend::sqlite) {
        auto dir = std::filesystem::path(sc.path).parent_path();
        if (!dir.empty()) std::filesystem::create_directories(dir);
    }
    auto store = wl::storage::open_store(sc);

    wl::storage::NewAccount account;
    account.jid = jid->bare_str();
    using wl::proto::sasl::ScramHash;
    for (auto [hash, mech] : {std::pair{ScramHash::sha1, wl::storage::ScramMechanism::sha1},
                              std::pair{ScramHash::sha256, wl::storage::ScramMechanism::sha256}}) {
        auto creds = wl::proto::sasl::make_scram_credentials(hash, argv[4]);
        if (!creds) {
            std::fprintf(stderr, "the password is not acceptable (SASLprep)\n");
            return 1;
        }
        wl::storage::ScramCredential c;
        c.mechanism = mech;
        c.salt.assign(creds->salt.begin(), creds->salt.end());
        c.iterations = static_cast<std::uint32_t>(creds->iterations);
        c.stored_key.assign(creds->stored_key.begin(), creds->stored_key.end());
        c.server_key.assign(creds->server_key.begin(), creds->server_key.end());
        account.credentials.push_back(std::move(c));
    }
    auto result = store->create_account(account);
    if (result.status != wl::storage::CreateAccountStatus::created) {
        std::fprintf(stderr, "%s: not created (exists or URI taken)\n", account.jid.c_str());
        return 1;
    }
    std::printf("created %s\n", account.jid.c_str());
    return 0;
}
