#include <doctest.h>

#include <thread>

#include "helpers.hpp"
#include "store_fixture.hpp"

using namespace wl::storage;
using namespace wl::storage::test;

namespace {

std::string tel(int i) { return "tel:+1303555" + std::to_string(1000 + i); }

std::vector<ImportRowStatus> statuses(const DirectoryImportResult& r)
{
    std::vector<ImportRowStatus> out;
    for (const auto& row : r.rows) out.push_back(row.status);
    return out;
}

std::size_t count(const DirectoryImportResult& r, ImportRowStatus s)
{
    std::size_t n = 0;
    for (const auto& row : r.rows) n += row.status == s;
    return n;
}

}  // namespace

TEST_CASE("an import creates missing accounts without credentials and registers their URIs")
{
    StoreFixture f;
    auto& s = f.store();
    REQUIRE(s.create_account(account("alice@sp.example")).status == CreateAccountStatus::created);
    auto r = s.import_directory(
        {{"alice@sp.example", tel(1)}, {"bob@sp.example", tel(2)}, {"bob@sp.example", "mailto:bob@example.org"}});
    CHECK(statuses(r) == std::vector{ImportRowStatus::added, ImportRowStatus::added, ImportRowStatus::added});
    CHECK(r.accounts_created == 1);
    CHECK(s.account_exists("bob@sp.example"));
    CHECK_FALSE(s.get_credential("bob@sp.example", ScramMechanism::sha256).has_value());
    CHECK(s.get_credential("alice@sp.example", ScramMechanism::sha256).has_value());
    CHECK(s.lookup_uri(tel(1)) == std::optional<std::string>("alice@sp.example"));
    CHECK(s.lookup_uri("mailto:bob@example.org") == std::optional<std::string>("bob@sp.example"));
}

TEST_CASE("importing the same batch twice reports every row unchanged the second time")
{
    StoreFixture f;
    auto& s = f.store();
    std::vector<DirectoryRow> rows;
    for (int i = 0; i < 300; ++i) rows.push_back({"user" + std::to_string(i % 70) + "@sp.example", tel(i)});
    auto first = s.import_directory(rows);
    CHECK(count(first, ImportRowStatus::added) == 300);
    CHECK(first.accounts_created == 70);
    const auto jobs = s.list_jobs().size();
    auto second = s.import_directory(rows);
    CHECK(count(second, ImportRowStatus::unchanged) == 300);
    CHECK(second.accounts_created == 0);
    CHECK(s.list_jobs().size() == jobs);
    CHECK(s.list_directory("", 1000).size() == 300);
}

TEST_CASE("a URI of another account moves to the imported one and is reported changed")
{
    StoreFixture f;
    auto& s = f.store();
    REQUIRE(s.create_account(account("alice@sp.example", {tel(1)})).status == CreateAccountStatus::created);
    auto r = s.import_directory({{"bob@sp.example", tel(1)}});
    CHECK(statuses(r) == std::vector{ImportRowStatus::changed});
    CHECK(s.lookup_uri(tel(1)) == std::optional<std::string>("bob@sp.example"));
    CHECK(s.account_exists("alice@sp.example"));
}

TEST_CASE("within a batch a repeated row is unchanged and a URI given to a second account is refused")
{
    StoreFixture f;
    auto& s = f.store();
    auto r = s.import_directory({{"alice@sp.example", tel(1)},
                                 {"alice@sp.example", tel(1)},
                                 {"bob@sp.example", tel(1)},
                                 {"bob@sp.example", tel(2)}});
    CHECK(statuses(r) == std::vector{ImportRowStatus::added, ImportRowStatus::unchanged, ImportRowStatus::refused,
                                     ImportRowStatus::added});
    CHECK(r.rows[2].same_as == 0);
    CHECK(s.lookup_uri(tel(1)) == std::optional<std::string>("alice@sp.example"));
    CHECK(s.lookup_uri(tel(2)) == std::optional<std::string>("bob@sp.example"));
}

TEST_CASE("an imported URI someone waits for is the contact registering: one push per item, once")
{
    StoreFixture f;
    auto& s = f.store();
    s.add_item(item("carol@sp.example", tel(5), served_here()));
    s.add_item(item("dave@sp.example", tel(5), served_here()));
    s.add_item(item("dave@sp.example", tel(6), served_here()));
    REQUIRE(s.record_partner_request("wl.sp2.example", tel(6)).request.id.size() > 0);
    std::vector<DirectoryRow> rows;
    for (int i = 0; i < 50; ++i) rows.push_back({"contact" + std::to_string(i) + "@sp.example", tel(i)});
    auto r = s.import_directory(rows);
    CHECK(r.items_found == 3);
    CHECK(r.partners_told == 1);
    for (const auto& owner : {"carol@sp.example", "dave@sp.example"}) {
        auto items = s.list_items(owner);
        REQUIRE(items.has_value());
        for (const auto& it : *items) {
            CHECK(it.state == ItemState::found);
            CHECK(it.jid ==
                  std::optional<std::string>(it.uri == tel(5) ? "contact5@sp.example" : "contact6@sp.example"));
        }
    }
    auto carol = pushes_for(s, "carol@sp.example");
    REQUIRE(carol.size() == 1);
    CHECK(carol[0].jid == "contact5@sp.example");
    CHECK(pushes_for(s, "dave@sp.example").size() == 2);
    auto partner = jobs_of(s, JobKind::partner_push, "wl.sp2.example");
    REQUIRE(partner.size() == 1);
    CHECK(decode_partner_push(partner[0].payload)->jid == "contact6@sp.example");

    auto again = s.import_directory(rows);
    CHECK(again.items_found == 0);
    CHECK(again.partners_told == 0);
    CHECK(pushes_for(s, "dave@sp.example").size() == 2);
    CHECK(jobs_of(s, JobKind::partner_push).size() == 1);
}

TEST_CASE("an item added while its contact is imported is never left waiting")
{
    StoreFixture f;
    auto other = f.open();
    constexpr int uris = 40;
    std::thread adder([&] {
        for (int i = 0; i < uris; ++i) f.store().add_item(item("user@sp.example", tel(i), served_here()));
    });
    for (int i = 0; i < uris; i += 4) {
        std::vector<DirectoryRow> rows;
        for (int j = i; j < i + 4; ++j) rows.push_back({"contact@sp.example", tel(j)});
        other->import_directory(rows);
    }
    adder.join();
    auto items = f.store().list_items("user@sp.example");
    REQUIRE(items->size() == uris);
    for (const auto& it : *items) CHECK(it.state == ItemState::found);
    CHECK(pushes_for(f.store(), "user@sp.example").size() == uris);
}

TEST_CASE("the directory lists in URI order, a page after a given URI")
{
    StoreFixture f;
    auto& s = f.store();
    std::vector<DirectoryRow> rows;
    for (int i = 9; i >= 0; --i) rows.push_back({"u" + std::to_string(i) + "@sp.example", tel(i)});
    s.import_directory(rows);
    auto page = s.list_directory("", 4);
    REQUIRE(page.size() == 4);
    CHECK(page[0].uri == tel(0));
    CHECK(page[3].uri == tel(3));
    CHECK(page[3].jid == "u3@sp.example");
    auto rest = s.list_directory(page.back().uri, 100);
    REQUIRE(rest.size() == 6);
    CHECK(rest[0].uri == tel(4));
}

TEST_CASE("a sync run removes exactly the URIs it did not see, and its dry run only lists them")
{
    StoreFixture f;
    auto& s = f.store();
    s.import_directory({{"alice@sp.example", tel(1)}, {"alice@sp.example", tel(2)}, {"bob@sp.example", tel(3)}});
    const std::vector<DirectoryRow> file = {{"alice@sp.example", tel(1)}, {"bob@sp.example", tel(4)}};

    ImportOptions dry{"run-dry", true};
    auto would = s.import_directory(file, dry);
    CHECK(statuses(would) == std::vector{ImportRowStatus::unchanged, ImportRowStatus::added});
    CHECK_FALSE(s.lookup_uri(tel(4)).has_value());
    auto listed = s.sync_directory("run-dry", true);
    CHECK(listed.seen == 2);
    REQUIRE(listed.removed.size() == 2);
    CHECK(listed.removed[0].uri == tel(2));
    CHECK(listed.removed[0].jid == "alice@sp.example");
    CHECK(listed.removed[1].uri == tel(3));
    CHECK(s.list_directory("", 100).size() == 3);
    CHECK(s.sync_directory("run-dry", true).seen == 0);  // the run is forgotten

    s.import_directory({file[0]}, ImportOptions{"run-1", false});
    auto second = s.import_directory({file[1]}, ImportOptions{"run-1", false});
    CHECK(statuses(second) == std::vector{ImportRowStatus::added});
    auto done = s.sync_directory("run-1", false);
    CHECK(done.seen == 2);
    REQUIRE(done.removed.size() == 2);
    auto left = s.list_directory("", 100);
    REQUIRE(left.size() == 2);
    CHECK(left[0].uri == tel(1));
    CHECK(left[1].uri == tel(4));
    CHECK(s.account_exists("alice@sp.example"));
}

TEST_CASE("a sync run that saw nothing removes nothing")
{
    StoreFixture f;
    auto& s = f.store();
    s.import_directory({{"alice@sp.example", tel(1)}});
    auto r = s.sync_directory("never-ran", false);
    CHECK(r.seen == 0);
    CHECK(r.removed.empty());
    CHECK(s.lookup_uri(tel(1)).has_value());
}
