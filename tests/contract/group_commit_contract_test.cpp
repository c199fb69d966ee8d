// Store::add_items, the group commit of concurrent adds: each item answered as add_item
// would answer it alone, one item's failure kept to itself, batches that lock in one order.
#include <doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "helpers.hpp"
#include "store_fixture.hpp"

using namespace wl::storage;
using namespace wl::storage::test;

namespace {

const AddItemResult& ok(const AddItemOutcome& o)
{
    if (o.error) std::rethrow_exception(o.error);
    REQUIRE(o.result.has_value());
    return *o.result;
}

}  // namespace

TEST_CASE("a batch of adds answers each item as add_item would: found, waiting, not found, duplicates")
{
    StoreFixture f;
    auto& s = f.store();
    s.create_account(account("contact@sp.example", {"tel:+13035550100"}));
    auto earlier = s.add_item(item("alice@sp.example", "tel:+13035550103", served_here()));

    auto out = s.add_items({
        item("alice@sp.example", "tel:+13035550100", served_here(), "Found"),  // registered: found, push
        item("bob@sp.example", "tel:+13035550101", served_here()),             // waiting, no push
        item("carol@sp.example", "tel:+33123456789", ask({})),                 // no one serves it: not found, push
        item("alice@sp.example", "tel:+13035550103", served_here()),           // on her list already
        item("bob@sp.example", "tel:+13035550101", served_here()),             // twice in one batch
    });
    REQUIRE(out.size() == 5);
    CHECK(ok(out[0]).created);
    CHECK(ok(out[0]).item.state == ItemState::found);
    CHECK(ok(out[0]).item.jid == std::optional<std::string>("contact@sp.example"));
    CHECK(ok(out[1]).created);
    CHECK(ok(out[1]).item.state == ItemState::waiting);
    CHECK(ok(out[2]).item.state == ItemState::not_found);
    CHECK_FALSE(ok(out[3]).created);
    CHECK(ok(out[3]).item.id == earlier.item.id);
    CHECK_FALSE(ok(out[4]).created);
    CHECK(ok(out[4]).item.id == ok(out[1]).item.id);

    CHECK(s.list_items("alice@sp.example")->size() == 2);
    CHECK(s.list_items("bob@sp.example")->size() == 1);
    auto alice = pushes_for(s, "alice@sp.example");
    REQUIRE(alice.size() == 1);
    CHECK(alice[0].item_id == ok(out[0]).item.id);
    CHECK(pushes_for(s, "bob@sp.example").empty());
    CHECK(pushes_for(s, "carol@sp.example").size() == 1);
    // Items of one owner keep the order of the batch, after what was there.
    auto listed = *s.list_items("alice@sp.example");
    CHECK(listed[0].id == earlier.item.id);
    CHECK(listed[1].id == ok(out[0]).item.id);
}

TEST_CASE("an empty batch writes nothing")
{
    StoreFixture f;
    CHECK(f.store().add_items({}).empty());
    CHECK(f.store().list_jobs().empty());
}

TEST_CASE("an item the database refuses fails alone: its batch-mates are committed, it leaves no trace")
{
    StoreFixture f;
    auto& s = f.store();
    // Not UTF-8: PostgreSQL refuses the text (SQLSTATE 22021) in the middle of the item's
    // work, after its waiting list row was written; SQLite stores bytes as given.
    auto bad = item("mallory@sp.example", "tel:+13035550110", served_here(), "\xff\xfe name");
    auto out = s.add_items({item("alice@sp.example", "tel:+13035550111", served_here()), bad,
                            item("bob@sp.example", "tel:+13035550112", served_here())});
    REQUIRE(out.size() == 3);
    CHECK(ok(out[0]).created);
    CHECK(ok(out[2]).created);
    CHECK(s.list_items("alice@sp.example")->size() == 1);
    CHECK(s.list_items("bob@sp.example")->size() == 1);
    if (f.backend() == Backend::postgresql) {
        REQUIRE(out[1].error);
        CHECK_FALSE(out[1].result.has_value());
        CHECK_THROWS_AS(std::rethrow_exception(out[1].error), StorageError);
        CHECK_FALSE(s.list_items("mallory@sp.example").has_value());
    } else {
        CHECK(ok(out[1]).created);
    }
}

TEST_CASE("concurrent batches over the same owners and URIs neither deadlock nor lose an item")
{
    StoreFixture f;
    auto store = f.open(0, 4);
    // Each batch names the owners and URIs in another order; the sorted up-front locks are
    // what keeps two of them from waiting on each other.
    std::atomic<int> created{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int round = 0; round < 5; ++round) {
                std::vector<NewItem> batch;
                for (int k = 0; k < 6; ++k) {
                    const int o = (t % 2 == 0) ? k : 5 - k;
                    batch.push_back(item("owner" + std::to_string(o) + "@sp.example",
                                         "tel:+1303555" + std::to_string(1000 + round * 10 + (o + t) % 6),
                                         served_here()));
                }
                for (const auto& o : store->add_items(batch)) {
                    if (o.error)
                        ++failed;
                    else if (o.result->created)
                        ++created;
                }
            }
        });
    for (auto& th : threads) th.join();
    CHECK(failed == 0);
    std::set<std::string> distinct;
    std::size_t listed = 0;
    for (int o = 0; o < 6; ++o) {
        auto items = store->list_items("owner" + std::to_string(o) + "@sp.example");
        REQUIRE(items.has_value());
        listed += items->size();
        for (const auto& it : *items) distinct.insert(it.owner + " " + it.uri);
    }
    CHECK(listed == distinct.size());
    CHECK(static_cast<std::size_t>(created.load()) == listed);
}
