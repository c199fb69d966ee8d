#include <doctest.h>

#include "helpers.hpp"
#include "store_fixture.hpp"

using namespace wl::storage;
using namespace wl::storage::test;
using namespace std::chrono_literals;

TEST_CASE("sessions are listed per bare JID and dropped per node")
{
    StoreFixture f;
    auto& s = f.store();
    s.register_session("alice@sp.example/phone", "node-a");
    s.register_session("alice@sp.example/desk", "node-b");
    s.register_session("bob@sp.example/x", "node-a");
    auto alice = s.list_sessions("alice@sp.example");
    REQUIRE(alice.size() == 2);
    CHECK(alice[0].full_jid == "alice@sp.example/desk");
    CHECK(alice[0].node_id == "node-b");
    CHECK(alice[1].full_jid == "alice@sp.example/phone");
    CHECK(alice[1].since == f.clock.now());
    CHECK(s.drop_node_sessions("node-a") == 2);
    CHECK(s.list_sessions("alice@sp.example").size() == 1);
    CHECK(s.list_sessions("bob@sp.example").empty());
    CHECK(s.unregister_session("alice@sp.example/desk") == RemoveStatus::removed);
    CHECK(s.unregister_session("alice@sp.example/desk") == RemoveStatus::not_found);
}

TEST_CASE("registering the same full JID again moves it to the new node")
{
    StoreFixture f;
    auto& s = f.store();
    s.register_session("alice@sp.example/phone", "node-a");
    f.clock.advance(5s);
    s.register_session("alice@sp.example/phone", "node-b");
    auto alice = s.list_sessions("alice@sp.example");
    REQUIRE(alice.size() == 1);
    CHECK(alice[0].node_id == "node-b");
    CHECK(alice[0].since == f.clock.now());
}

TEST_CASE("stats count items by state and jobs by due, parked and claimed")
{
    StoreFixture f;
    auto& s = f.store();
    s.create_account(account("contact@sp.example", {"tel:+13035550100"}));
    s.add_item(item("alice@sp.example", "tel:+13035550100", served_here()));          // found, 1 push
    s.add_item(item("alice@sp.example", "tel:+13035550101", served_here()));          // waiting
    s.add_item(item("alice@sp.example", "tel:+33100000001", ask({})));                // not found, 1 push
    s.add_item(item("alice@sp.example", "tel:+33100000002", ask({"wl.p.example"})));  // 1 query job
    s.register_session("alice@sp.example/a", "node-a");
    auto st = s.stats();
    CHECK(st.items_found == 1);
    CHECK(st.items_waiting == 2);
    CHECK(st.items_not_found == 1);
    CHECK(st.items_timed_out == 0);
    CHECK(st.jobs_total == 3);
    CHECK(st.jobs_due == 3);
    CHECK(st.accounts == 1);
    CHECK(st.sessions == 1);
    auto claimed = s.claim_jobs("node-a", 2, 30s);
    REQUIRE(claimed.size() == 2);
    s.record_job_outcomes({{claimed[0].id, JobOutcomeRecord::Action::park}});
    st = s.stats();
    CHECK(st.jobs_due == 1);
    CHECK(st.jobs_parked == 1);
    CHECK(st.jobs_claimed == 1);
    CHECK(st.jobs_total == 3);
}
