#include "store_fixture.hpp"

#include <pqxx/pqxx>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace wl::storage::test {
namespace {

std::string env(const char* name)
{
    const char* v = std::getenv(name);
    if (!v || !*v) throw std::runtime_error(std::string(name) + " is not set; run under pg_throwaway.sh run");
    return v;
}

int next_serial()
{
    static std::atomic<int> n{0};
    return ++n;
}

}  // namespace

Backend backend_under_test()
{
    const char* b = std::getenv("WL_TEST_BACKEND");
    if (!b || std::string(b) == "sqlite") return Backend::sqlite;
    if (std::string(b) == "postgresql") return Backend::postgresql;
    throw std::runtime_error(std::string("WL_TEST_BACKEND must be sqlite or postgresql, not ") + b);
}

std::string postgresql_dsn()
{
    return "host=127.0.0.1 port=" + env("PGPORT") + " user=" + env("PGUSER") + " password=" + env("PGPASSWORD") +
           " dbname=" + env("PGDATABASE");
}

StoreFixture::StoreFixture(int initial_version) : backend_(backend_under_test())
{
    const std::string tag = std::to_string(getpid()) + "_" + std::to_string(next_serial());
    if (backend_ == Backend::sqlite) {
        char tmpl[] = "/tmp/wl-store-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
    } else {
        base_dsn_ = postgresql_dsn();
        schema_ = "t_" + tag;
        pqxx::connection c(base_dsn_);
        pqxx::nontransaction w(c);
        w.exec("CREATE SCHEMA " + w.quote_name(schema_));
    }
    store_ = open(initial_version);
}

StoreFixture::~StoreFixture()
{
    store_.reset();
    try {
        if (backend_ == Backend::sqlite) {
            std::filesystem::remove_all(dir_);
        } else {
            pqxx::connection c(base_dsn_);
            pqxx::nontransaction w(c);
            w.exec("DROP SCHEMA " + w.quote_name(schema_) + " CASCADE");
        }
    } catch (...) {
        // Cleanup of a throwaway database; the harness deletes the whole cluster anyway.
    }
}

StoreConfig StoreFixture::config(int target_version, std::size_t pool_size)
{
    StoreConfig c;
    c.backend = backend_;
    c.path = dir_ + "/waitlistd.db";
    if (backend_ == Backend::postgresql) c.dsn = base_dsn_ + " options='-c search_path=" + schema_ + "'";
    c.pool_size = pool_size;
    c.target_version = target_version;
    c.clock = [this] { return clock.now(); };
    return c;
}

std::unique_ptr<Store> StoreFixture::open(int target_version, std::size_t pool_size)
{
    return open_store(config(target_version, pool_size));
}

}  // namespace wl::storage::test
