#include <doctest.h>

#include "helpers.hpp"
#include "store_fixture.hpp"

using namespace wl::storage;
using namespace wl::storage::test;

TEST_CASE("an account is created with both SCRAM credentials and they read back byte for byte")
{
    StoreFixture f;
    auto& s = f.store();
    auto res = s.create_account(account("alice@sp.example", {"tel:+13035550100"}));
    CHECK(res.status == CreateAccountStatus::created);
    CHECK(s.account_exists("alice@sp.example"));
    CHECK_FALSE(s.account_exists("bob@sp.example"));
    for (auto [m, seed] : {std::pair{ScramMechanism::sha1, 1}, std::pair{ScramMechanism::sha256, 2}}) {
        auto got = s.get_credential("alice@sp.example", m);
        REQUIRE(got.has_value());
        auto want = credential(m, static_cast<std::uint8_t>(seed));
        CHECK(got->mechanism == m);
        CHECK(got->iterations == want.iterations);
        CHECK(got->salt == want.salt);
        CHECK(got->stored_key == want.stored_key);
        CHECK(got->server_key == want.server_key);
    }
    CHECK_FALSE(s.get_credential("bob@sp.example", ScramMechanism::sha256).has_value());
    CHECK(s.lookup_uri("tel:+13035550100") == std::optional<std::string>("alice@sp.example"));
}

TEST_CASE("creating an account twice reports already_exists and changes nothing")
{
    StoreFixture f;
    auto& s = f.store();
    REQUIRE(s.create_account(account("alice@sp.example")).status == CreateAccountStatus::created);
    auto again = account("alice@sp.example", {"tel:+13035550100"});
    again.credentials = {credential(ScramMechanism::sha256, 9)};
    CHECK(s.create_account(again).status == CreateAccountStatus::already_exists);
    CHECK(s.get_credential("alice@sp.example", ScramMechanism::sha256)->salt ==
          credential(ScramMechanism::sha256, 2).salt);
    CHECK_FALSE(s.lookup_uri("tel:+13035550100").has_value());
}

TEST_CASE("creating an account with a URI owned by another account writes nothing")
{
    StoreFixture f;
    auto& s = f.store();
    REQUIRE(s.create_account(account("alice@sp.example", {"tel:+13035550100"})).status == CreateAccountStatus::created);
    auto res = s.create_account(account("bob@sp.example", {"mailto:bob@example.org", "tel:+13035550100"}));
    CHECK(res.status == CreateAccountStatus::uri_taken);
    CHECK(res.conflicting_uri == "tel:+13035550100");
    CHECK_FALSE(s.account_exists("bob@sp.example"));
    CHECK_FALSE(s.lookup_uri("mailto:bob@example.org").has_value());
}

TEST_CASE("a transaction failing midway leaves no partial state")
{
    StoreFixture f;
    auto& s = f.store();
    // Someone waits for the URI, so the failed transaction would also have found that item.
    s.add_item(item("carol@sp.example", "tel:+13035550100", served_here()));
    const auto jobs_before = s.list_jobs().size();
    // Two credentials for one mechanism: the second insert violates the key, after the
    // account row, the first credential and nothing else were written.
    auto bad = account("alice@sp.example", {"tel:+13035550100"});
    bad.credentials.push_back(credential(ScramMechanism::sha1, 5));
    try {
        s.create_account(bad);
        FAIL("a duplicate credential was accepted");
    } catch (const StorageError& e) {
        CHECK(e.kind() == ErrorKind::fatal);
        // Error texts reach logs: they must not quote the JID or the phone number.
        CHECK(std::string(e.what()).find("alice") == std::string::npos);
        CHECK(std::string(e.what()).find("3035550100") == std::string::npos);
    }
    CHECK_FALSE(s.account_exists("alice@sp.example"));
    CHECK_FALSE(s.get_credential("alice@sp.example", ScramMechanism::sha1).has_value());
    CHECK_FALSE(s.lookup_uri("tel:+13035550100").has_value());
    CHECK(s.list_items("carol@sp.example")->at(0).state == ItemState::waiting);
    CHECK(s.list_jobs().size() == jobs_before);
    // The store is still usable after the failure.
    CHECK(s.create_account(account("alice@sp.example", {"tel:+13035550100"})).items_found == 1);
}

TEST_CASE("add_uri reports added, already_yours, owned_by_other and unknown_account")
{
    StoreFixture f;
    auto& s = f.store();
    s.create_account(account("alice@sp.example"));
    s.create_account(account("bob@sp.example"));
    CHECK(s.add_uri("alice@sp.example", "tel:+13035550100").status == AddUriStatus::added);
    CHECK(s.add_uri("alice@sp.example", "tel:+13035550100").status == AddUriStatus::already_yours);
    CHECK(s.add_uri("bob@sp.example", "tel:+13035550100").status == AddUriStatus::owned_by_other);
    CHECK(s.add_uri("nobody@sp.example", "tel:+13035550199").status == AddUriStatus::unknown_account);
    CHECK_FALSE(s.lookup_uri("tel:+13035550199").has_value());
    CHECK(s.lookup_uri("tel:+13035550100") == std::optional<std::string>("alice@sp.example"));
}

TEST_CASE("removing a URI frees it for another account")
{
    StoreFixture f;
    auto& s = f.store();
    s.create_account(account("alice@sp.example", {"tel:+13035550100"}));
    s.create_account(account("bob@sp.example"));
    CHECK(s.remove_uri("bob@sp.example", "tel:+13035550100") == RemoveStatus::not_found);
    CHECK(s.remove_uri("alice@sp.example", "tel:+13035550100") == RemoveStatus::removed);
    CHECK(s.remove_uri("alice@sp.example", "tel:+13035550100") == RemoveStatus::not_found);
    CHECK(s.add_uri("bob@sp.example", "tel:+13035550100").status == AddUriStatus::added);
}

TEST_CASE("list_accounts lists every account with its URIs sorted")
{
    StoreFixture f;
    auto& s = f.store();
    s.create_account(account("bob@sp.example", {"tel:+13035550101", "mailto:bob@example.org"}));
    s.create_account(account("alice@sp.example"));
    auto all = s.list_accounts();
    REQUIRE(all.size() == 2);
    CHECK(all[0].jid == "alice@sp.example");
    CHECK(all[0].uris.empty());
    CHECK(all[1].jid == "bob@sp.example");
    CHECK(all[1].uris == std::vector<std::string>{"mailto:bob@example.org", "tel:+13035550101"});
    CHECK(all[1].created == f.clock.now());
}

TEST_CASE("set_credential replaces one mechanism and refuses an unknown account")
{
    StoreFixture f;
    auto& s = f.store();
    s.create_account(account("alice@sp.example"));
    auto fresh = credential(ScramMechanism::sha256, 77);
    CHECK(s.set_credential("alice@sp.example", fresh));
    CHECK(s.get_credential("alice@sp.example", ScramMechanism::sha256)->stored_key == fresh.stored_key);
    CHECK(s.get_credential("alice@sp.example", ScramMechanism::sha1)->stored_key ==
          credential(ScramMechanism::sha1, 1).stored_key);
    CHECK_FALSE(s.set_credential("nobody@sp.example", fresh));
}

TEST_CASE("deleting an account removes its credentials, URIs, waiting list and queued pushes")
{
    StoreFixture f;
    auto& s = f.store();
    s.create_account(account("alice@sp.example", {"tel:+13035550100"}));
    s.create_account(account("bob@sp.example"));
    s.add_item(item("alice@sp.example", "tel:+13035550100", served_here()));  // found: a push
    s.add_item(item("bob@sp.example", "tel:+13035550100", served_here()));
    CHECK(s.delete_account("alice@sp.example") == RemoveStatus::removed);
    CHECK(s.delete_account("alice@sp.example") == RemoveStatus::not_found);
    CHECK_FALSE(s.account_exists("alice@sp.example"));
    CHECK_FALSE(s.get_credential("alice@sp.example", ScramMechanism::sha1).has_value());
    CHECK_FALSE(s.lookup_uri("tel:+13035550100").has_value());
    CHECK_FALSE(s.list_items("alice@sp.example").has_value());
    CHECK(jobs_of(s, JobKind::push, "alice@sp.example").empty());
    // Bob's item and push stay: he learned the JID before the account went away.
    CHECK(s.list_items("bob@sp.example")->size() == 1);
    CHECK(jobs_of(s, JobKind::push, "bob@sp.example").size() == 1);
}
