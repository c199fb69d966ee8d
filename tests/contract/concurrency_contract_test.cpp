#include <doctest.h>

#include <mutex>
#include <set>
#include <thread>

#include "helpers.hpp"
#include "store_fixture.hpp"

using namespace wl::storage;
using namespace wl::storage::test;
using namespace std::chrono_literals;

TEST_CASE("two workers claiming at once never get the same job")
{
    StoreFixture f;
    constexpr int jobs = 200;
    for (int i = 0; i < jobs; ++i)
        f.store().add_item(item("alice@sp.example", "tel:+3310000" + std::to_string(1000 + i), ask({})));
    // Two nodes, each with its own Store (its own connections), two threads each.
    auto node_a = f.open();
    auto node_b = f.open();
    std::mutex m;
    std::multiset<std::int64_t> seen;
    auto work = [&](Store& s, const std::string& node) {
        for (;;) {
            auto claimed = s.claim_jobs(node, 5, 10min);
            if (claimed.empty()) return;
            for (const auto& j : claimed) {
                {
                    std::lock_guard lock(m);
                    seen.insert(j.id);
                }
                s.complete_job(j.id);
            }
        }
    };
    std::vector<std::thread> threads;
    threads.emplace_back(work, std::ref(*node_a), "node-a");
    threads.emplace_back(work, std::ref(*node_a), "node-a");
    threads.emplace_back(work, std::ref(*node_b), "node-b");
    threads.emplace_back(work, std::ref(*node_b), "node-b");
    for (auto& t : threads) t.join();
    CHECK(seen.size() == jobs);
    CHECK(std::set<std::int64_t>(seen.begin(), seen.end()).size() == jobs);
    CHECK(f.store().list_jobs().empty());
}

TEST_CASE("concurrent adds of one URI by one owner create one item")
{
    StoreFixture f;
    auto other = f.open();
    std::mutex m;
    std::set<std::string> ids;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            Store& s = t % 2 ? f.store() : *other;
            for (int i = 0; i < 10; ++i) {
                auto r =
                    s.add_item(item("alice@sp.example", "tel:+3310000" + std::to_string(i), ask({"wl.p.example"})));
                std::lock_guard lock(m);
                ids.insert(r.item.id);
            }
        });
    for (auto& t : threads) t.join();
    CHECK(ids.size() == 10);
    CHECK(f.store().list_items("alice@sp.example")->size() == 10);
    CHECK(jobs_of(f.store(), JobKind::partner_query).size() == 10);
}

TEST_CASE("an item added while its contact registers is never left waiting")
{
    StoreFixture f;
    auto other = f.open();
    constexpr int uris = 25;
    constexpr int owners = 4;
    f.store().create_account(account("contact@sp.example"));
    std::vector<std::thread> threads;
    for (int o = 0; o < owners; ++o)
        threads.emplace_back([&, o] {
            for (int i = 0; i < uris; ++i)
                f.store().add_item(item("user" + std::to_string(o) + "@sp.example",
                                        "tel:+1303555" + std::to_string(1000 + i), served_here()));
        });
    threads.emplace_back([&] {
        for (int i = 0; i < uris; ++i) other->add_uri("contact@sp.example", "tel:+1303555" + std::to_string(1000 + i));
    });
    for (auto& t : threads) t.join();
    for (int o = 0; o < owners; ++o) {
        const std::string owner = "user" + std::to_string(o) + "@sp.example";
        auto items = f.store().list_items(owner);
        REQUIRE(items->size() == uris);
        for (const auto& it : *items) {
            CHECK(it.state == ItemState::found);
            CHECK(it.jid == std::optional<std::string>("contact@sp.example"));
        }
        CHECK(pushes_for(f.store(), owner).size() == uris);  // exactly one push per item
    }
}

TEST_CASE("two nodes taking one user's parked pushes at once take each push once")
{
    StoreFixture f;
    for (int i = 0; i < 20; ++i)
        f.store().add_item(item("alice@sp.example", "tel:+3310000" + std::to_string(1000 + i), ask({})));
    for (const auto& j : f.store().claim_jobs("node-a", 100, 30s))
        f.store().record_job_outcomes({{j.id, JobOutcomeRecord::Action::park}});
    auto node_b = f.open();
    std::vector<Job> a, b;
    std::thread ta([&] { a = f.store().take_parked_pushes("alice@sp.example", "node-a", 30s); });
    std::thread tb([&] { b = node_b->take_parked_pushes("alice@sp.example", "node-b", 30s); });
    ta.join();
    tb.join();
    std::set<std::int64_t> ids;
    for (const auto& j : a) ids.insert(j.id);
    for (const auto& j : b) ids.insert(j.id);
    CHECK(a.size() + b.size() == 20);
    CHECK(ids.size() == 20);
}

TEST_CASE("concurrent creations of one account: one is created, the others are told it exists")
{
    StoreFixture f;
    auto other = f.open();
    std::mutex m;
    std::multiset<CreateAccountStatus> outcomes;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            Store& s = t % 2 ? f.store() : *other;
            auto r = s.create_account(account("alice@sp.example", {"tel:+13035550100"}));
            std::lock_guard lock(m);
            outcomes.insert(r.status);
        });
    for (auto& t : threads) t.join();
    CHECK(outcomes.count(CreateAccountStatus::created) == 1);
    CHECK(outcomes.count(CreateAccountStatus::already_exists) == 3);
}
