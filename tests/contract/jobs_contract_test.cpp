#include <doctest.h>

#include "helpers.hpp"
#include "store_fixture.hpp"

using namespace wl::storage;
using namespace wl::storage::test;
using namespace std::chrono_literals;

namespace {
// Queues `n` not-found pushes (one item each), the cheapest way to make jobs.
void queue_pushes(Store& s, const std::string& owner, int n)
{
    for (int i = 0; i < n; ++i) s.add_item(item(owner, "tel:+3312345" + std::to_string(1000 + i), ask({})));
}
}  // namespace

TEST_CASE("claimed jobs are not claimed again until their lease expires, and each claim counts")
{
    StoreFixture f;
    auto& s = f.store();
    queue_pushes(s, "alice@sp.example", 3);
    auto first = s.claim_jobs("node-a", 10, 30s);
    REQUIRE(first.size() == 3);
    for (const auto& j : first) CHECK(j.attempts == 1);
    CHECK(s.claim_jobs("node-b", 10, 30s).empty());
    f.clock.advance(29s);
    CHECK(s.claim_jobs("node-b", 10, 30s).empty());
    f.clock.advance(1s);
    auto again = s.claim_jobs("node-b", 10, 30s);
    REQUIRE(again.size() == 3);
    CHECK(again[0].id == first[0].id);
    CHECK(again[0].attempts == 2);
}

TEST_CASE("a claim takes at most the limit, oldest first")
{
    StoreFixture f;
    auto& s = f.store();
    queue_pushes(s, "alice@sp.example", 5);
    auto all = s.list_jobs();
    auto a = s.claim_jobs("node-a", 2, 30s);
    REQUIRE(a.size() == 2);
    CHECK(a[0].id == all[0].id);
    CHECK(a[1].id == all[1].id);
    CHECK(s.claim_jobs("node-a", 10, 30s).size() == 3);
}

TEST_CASE("a failed job runs again at its next run time and keeps the error")
{
    StoreFixture f;
    auto& s = f.store();
    queue_pushes(s, "alice@sp.example", 1);
    auto j = s.claim_jobs("node-a", 1, 30s).at(0);
    CHECK(s.record_job_outcomes(
              {{j.id, JobOutcomeRecord::Action::retry, f.clock.now() + 60s, "remote-server-timeout"}}) == 1);
    CHECK(s.claim_jobs("node-a", 1, 30s).empty());
    f.clock.advance(60s);
    auto again = s.claim_jobs("node-a", 1, 30s);
    REQUIRE(again.size() == 1);
    CHECK(again[0].id == j.id);
    CHECK(again[0].attempts == 2);
    CHECK(again[0].last_error == "remote-server-timeout");
    CHECK(s.record_job_outcomes({{987654321, JobOutcomeRecord::Action::retry, f.clock.now(), "no such job"}}) == 0);
}

TEST_CASE("a completed job is gone for good")
{
    StoreFixture f;
    auto& s = f.store();
    queue_pushes(s, "alice@sp.example", 1);
    auto j = s.claim_jobs("node-a", 1, 30s).at(0);
    CHECK(s.complete_job(j.id));
    CHECK_FALSE(s.complete_job(j.id));
    f.clock.advance(1h);
    CHECK(s.claim_jobs("node-a", 10, 30s).empty());
    CHECK(s.list_jobs().empty());
}

TEST_CASE("a push parked for an offline user waits, unclaimed, until the user logs in and takes it")
{
    StoreFixture f;
    auto& s = f.store();
    queue_pushes(s, "alice@sp.example", 2);
    queue_pushes(s, "bob@sp.example", 1);
    for (const auto& j : s.claim_jobs("node-a", 10, 30s))
        if (j.target == "alice@sp.example") CHECK(s.record_job_outcomes({{j.id, JobOutcomeRecord::Action::park}}) == 1);
    f.clock.advance(1h);
    auto due = s.claim_jobs("node-a", 10, 30s);
    REQUIRE(due.size() == 1);  // only Bob's, whose lease expired; Alice's stay parked
    CHECK(due[0].target == "bob@sp.example");
    CHECK(s.stats().jobs_parked == 2);

    auto taken = s.take_parked_pushes("alice@sp.example", "node-b", 30s);
    REQUIRE(taken.size() == 2);
    CHECK(taken[0].id < taken[1].id);
    CHECK(decode_push(taken[0].payload).has_value());
    CHECK(s.take_parked_pushes("alice@sp.example", "node-c", 30s).empty());
    CHECK(s.claim_jobs("node-c", 10, 30s).empty());  // held by node-b's lease
    for (const auto& j : taken) CHECK(s.complete_job(j.id));
    CHECK(jobs_of(s, JobKind::push, "alice@sp.example").empty());
}

TEST_CASE("a parked push taken but never delivered comes back when its lease ends")
{
    StoreFixture f;
    auto& s = f.store();
    queue_pushes(s, "alice@sp.example", 1);
    auto j = s.claim_jobs("node-a", 1, 30s).at(0);
    s.record_job_outcomes({{j.id, JobOutcomeRecord::Action::park}});
    auto taken = s.take_parked_pushes("alice@sp.example", "node-b", 30s);
    REQUIRE(taken.size() == 1);
    // node-b dies before completing it.
    f.clock.advance(31s);
    auto again = s.claim_jobs("node-c", 1, 30s);
    REQUIRE(again.size() == 1);
    CHECK(again[0].id == j.id);
    CHECK(again[0].attempts == 3);
}

TEST_CASE(
    "outcomes recorded together land as each would alone: done is gone, parked waits, a retry keeps its time and error")
{
    StoreFixture f;
    auto& s = f.store();
    queue_pushes(s, "alice@sp.example", 2);
    queue_pushes(s, "bob@sp.example", 2);
    queue_pushes(s, "carol@sp.example", 1);
    auto claimed = s.claim_jobs("node-a", 10, 30s);
    REQUIRE(claimed.size() == 5);
    std::vector<JobOutcomeRecord> outcomes;
    for (const auto& j : claimed) {
        if (j.target == "alice@sp.example") outcomes.push_back({j.id, JobOutcomeRecord::Action::complete, {}, {}});
        if (j.target == "bob@sp.example") outcomes.push_back({j.id, JobOutcomeRecord::Action::park, {}, {}});
        if (j.target == "carol@sp.example")
            outcomes.push_back({j.id, JobOutcomeRecord::Action::retry, f.clock.now() + 60s, "remote-server-timeout"});
    }
    outcomes.push_back({987654321, JobOutcomeRecord::Action::complete, {}, {}});  // gone already: skipped
    CHECK(s.record_job_outcomes(outcomes) == 5);

    CHECK(jobs_of(s, JobKind::push, "alice@sp.example").empty());
    CHECK(s.stats().jobs_parked == 2);
    CHECK(s.claim_jobs("node-b", 10, 30s).empty());  // Bob's are parked, Carol's not due yet
    f.clock.advance(60s);
    auto again = s.claim_jobs("node-b", 10, 30s);
    REQUIRE(again.size() == 1);
    CHECK(again[0].target == "carol@sp.example");
    CHECK(again[0].attempts == 2);
    CHECK(again[0].last_error == "remote-server-timeout");
    CHECK(s.take_parked_pushes("bob@sp.example", "node-b", 30s).size() == 2);
    CHECK(s.record_job_outcomes({}) == 0);
}

TEST_CASE("a fan-out's worth of outcomes, more than one statement holds, is recorded in full")
{
    StoreFixture f;
    auto& s = f.store();
    constexpr std::size_t n = 150;  // two full id lists of 64 and a padded one
    queue_pushes(s, "alice@sp.example", static_cast<int>(n));
    auto claimed = s.claim_jobs("node-a", n, 30s);
    REQUIRE(claimed.size() == n);
    std::vector<JobOutcomeRecord> outcomes;
    for (std::size_t i = 0; i < n; ++i)
        outcomes.push_back(
            {claimed[i].id, i % 3 ? JobOutcomeRecord::Action::complete : JobOutcomeRecord::Action::park, {}, {}});
    outcomes.push_back(outcomes.front());  // a repeat counts once
    CHECK(s.record_job_outcomes(outcomes) == n);
    CHECK(s.stats().jobs_total == 50);
    CHECK(s.stats().jobs_parked == 50);
    CHECK(s.record_job_outcomes(outcomes) == 50);  // the parked ones exist still; the done ones are gone
}
