#include <doctest.h>

#include "helpers.hpp"
#include "store_fixture.hpp"

using namespace wl::storage;
using namespace wl::storage::test;

TEST_CASE("opening a database again runs no migration twice and keeps its data") {
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

TEST_CASE("a database at schema version 1 upgrades in place and keeps its data") {
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
