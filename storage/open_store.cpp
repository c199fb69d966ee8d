#include "storage/migrations.hpp"
#include "storage/postgresql/pg_database.hpp"
#include "storage/sql/common.hpp"
#include "storage/sql/sql_store.hpp"
#include "storage/sqlite/sqlite_database.hpp"

namespace wl::storage {

std::unique_ptr<Store> open_store(const StoreConfig& config)
{
    std::unique_ptr<sql::Database> db;
    switch (config.backend) {
    case Backend::sqlite:
        if (config.path.empty()) throw StorageError(ErrorKind::fatal, "storage.path is empty");
        db = std::make_unique<sqlite::SqliteDatabase>(config.path, config.busy_timeout_ms);
        break;
    case Backend::postgresql:
        if (config.dsn.empty()) throw StorageError(ErrorKind::fatal, "storage.dsn is empty");
        db = std::make_unique<postgresql::PgDatabase>(config.dsn, config.pool_size);
        break;
    }
    auto clock = config.clock ? config.clock : [] { return Clock::now(); };
    sql::migrate(*db, migrations_for(config.backend), config.target_version, sql::to_ms(clock()));
    return std::make_unique<sql::SqlStore>(std::move(db), std::move(clock));
}

}  // namespace wl::storage
