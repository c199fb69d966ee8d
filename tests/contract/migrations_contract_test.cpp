#include <doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "helpers.hpp"
#include "raw_sql.hpp"
#include "storage/migrations.hpp"
#include "store_fixture.hpp"

using namespace wl::storage;
using namespace wl::storage::test;

TEST_CASE("opening a database again runs no migration twice and keeps its data")
{
    StoreFixture f;
    const int version = f.store().schema_version();
    CHECK(version >= 2);
    f.store().create_account(account("alice@sp.example", {"tel:+13035550100"}));
    f.close();
    f.reopen();
    f.reopen();
    CHECK(f.store().schema_version() == version);
    CHECK(f.store().lookup_uri("tel:+13035550100") == std::optional<std::string>("alice@sp.example"));
}

TEST_CASE("a database at schema version 1 upgrades in place and keeps its data")
{
    StoreFixture f(/*initial_version=*/1);
    {
        auto& v1 = f.store();
        CHECK(v1.schema_version() == 1);
        // What version 1 knows: accounts, credentials, waiting lists, jobs.
        REQUIRE(v1.create_account(account("contact@sp.example")).status == CreateAccountStatus::created);
        auto added = v1.add_item(item("alice@sp.example", "tel:+13035550100", served_here(), "C"));
        REQUIRE(added.item.state == ItemState::waiting);
        // Version 2's tables do not exist yet.
        CHECK_THROWS_AS(v1.register_session("alice@sp.example/a", "node-a"), StorageError);
    }
    f.close();
    f.reopen();
    auto& s = f.store();
    CHECK(s.schema_version() >= 2);
    CHECK(s.account_exists("contact@sp.example"));
    CHECK(s.get_credential("contact@sp.example", ScramMechanism::sha256)->stored_key ==
          credential(ScramMechanism::sha256, 2).stored_key);
    auto items = s.list_items("alice@sp.example");
    REQUIRE(items->size() == 1);
    CHECK(items->at(0).name == "C");
    // And version 2 works on the upgraded data: the contact registers, a partner waits.
    s.record_partner_request("wl.sp2.example", "tel:+13035550100");
    auto reg = s.add_uri("contact@sp.example", "tel:+13035550100");
    CHECK(reg.items_found == 1);
    CHECK(reg.partners_told == 1);
    s.register_session("alice@sp.example/a", "node-a");
    CHECK(s.list_sessions("alice@sp.example").size() == 1);
}

namespace {

// tests/contract/migration_seeds/<backend>/NNNN.sql: rows for the tables migration NNNN
// adds, written against that version's schema. Every migration needs one (checked below),
// so each new schema version brings the rows the next upgrade test starts from.
std::filesystem::path seed_file(Backend backend, int version)
{
    char name[16];
    std::snprintf(name, sizeof name, "%04d.sql", version);
    return std::filesystem::path(WL_MIGRATION_SEEDS) / (backend == Backend::sqlite ? "sqlite" : "postgresql") / name;
}

std::string read_file(const std::filesystem::path& path)
{
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot read " << path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

int latest_version(Backend backend) { return static_cast<int>(migrations_for(backend).size()); }

std::map<std::string, TableDump> dump_all(StoreFixture& f)
{
    std::map<std::string, TableDump> out;
    for (const auto& t : table_names(f)) out[t] = dump_table(f, t, column_names(f, t));
    return out;
}

}  // namespace

TEST_CASE("every schema version has rows to seed the upgrade test with")
{
    const Backend backend = backend_under_test();
    for (int v = 1; v <= latest_version(backend); ++v) {
        CAPTURE(v);
        CHECK_MESSAGE(std::filesystem::is_regular_file(seed_file(backend, v)),
                      "migration " << v << " has no seed " << seed_file(backend, v));
    }
}

TEST_CASE(
    "a database at each earlier schema version, with rows in every table, migrates to the latest and loses nothing")
{
    const Backend backend = backend_under_test();
    const int latest = latest_version(backend);
    REQUIRE(latest >= 2);
    // `start == latest` migrates nothing: it checks that the seeds fill every table of today's schema.
    for (int start = 1; start <= latest; ++start) {
        CAPTURE(start);
        StoreFixture f(start);
        REQUIRE(f.store().schema_version() == start);
        for (int v = 1; v <= start; ++v) exec_raw(f, read_file(seed_file(backend, v)));
        const auto before = dump_all(f);
        REQUIRE(before.count("schema_migrations") == 1);
        CHECK(before.at("schema_migrations").rows.size() == static_cast<std::size_t>(start));
        for (const auto& [table, dump] : before) {
            CAPTURE(table);
            CHECK_MESSAGE(!dump.rows.empty(), "table " << table << " has no rows at version " << start);
        }

        f.close();
        f.reopen();
        CHECK(f.store().schema_version() == latest);
        // Every row of every table that existed, in every column that existed, is still there.
        for (const auto& [table, old] : before) {
            CAPTURE(table);
            const auto now = dump_table(f, table, old.columns);
            if (table == "schema_migrations") {
                CHECK(now.rows.size() == static_cast<std::size_t>(latest));
                CHECK(std::includes(now.rows.begin(), now.rows.end(), old.rows.begin(), old.rows.end()));
            } else {
                CHECK(now.rows == old.rows);
            }
        }

        // And the latest code reads what the old versions wrote.
        auto& s = f.store();
        CHECK(s.account_exists("alice@sp.example"));
        auto cred = s.get_credential("alice@sp.example", ScramMechanism::sha1);
        REQUIRE(cred.has_value());
        CHECK(cred->salt == bytes_of({0x00, 0xff, 0x10}));
        CHECK(cred->iterations == 4096);
        CHECK(s.lookup_uri("tel:+13035550100") == std::optional<std::string>("contact@sp.example"));
        auto items = s.list_items("alice@sp.example");
        REQUIRE(items.has_value());
        REQUIRE(items->size() == 4);
        CHECK(items->at(0).id == "i1");
        CHECK(items->at(0).state == ItemState::found);
        CHECK(items->at(0).jid == std::optional<std::string>("contact@sp.example"));
        CHECK(items->at(1).state == ItemState::waiting);
        if (start >= 2) CHECK(s.list_sessions("alice@sp.example").size() == 1);
    }
}

TEST_CASE("a database migrated by a newer program is refused, naming both versions, and left untouched")
{
    StoreFixture f;
    const int latest = f.store().schema_version();
    f.store().create_account(account("kept@sp.example"));
    exec_raw(f, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (" + std::to_string(latest + 1) +
                    ", 'from_a_newer_program', 0)");
    f.close();
    std::string message;
    try {
        f.open();
    } catch (const StorageError& e) {
        message = e.what();
    }
    CHECK(message.find("schema version " + std::to_string(latest + 1) + " is newer than this program knows (" +
                       std::to_string(latest) + ")") != std::string::npos);
    const auto rows = dump_table(f, "accounts", {"jid"});
    REQUIRE(rows.rows.size() == 1);
    CHECK(rows.rows[0][0] == std::optional<std::string>("kept@sp.example"));
}
