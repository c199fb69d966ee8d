#include <doctest.h>

#include "helpers.hpp"
#include "store_fixture.hpp"

using namespace wl::storage;
using namespace wl::storage::test;
using namespace std::chrono_literals;

namespace {
const std::string uri = "tel:+33123456789";
const std::string p1 = "wl.p1.example";
const std::string p2 = "wl.p2.example";
}  // namespace

TEST_CASE("a partner's JID push finds every waiting item and withdraws the other partners")
{
    StoreFixture f;
    auto& s = f.store();
    auto a = s.add_item(item("alice@sp.example", uri, ask({p1, p2})));
    auto b = s.add_item(item("bob@sp.example", uri, ask({p1, p2})));
    s.record_partner_ack(uri, p1, "p1-id");
    s.record_partner_ack(uri, p2, "p2-id");
    auto res = s.record_partner_jid(uri, p2, "contact@p2.example");
    CHECK(res.known);
    CHECK(res.items_changed == 2);
    for (const auto& owner : {"alice@sp.example", "bob@sp.example"}) {
        auto items = s.list_items(owner);
        CHECK(items->at(0).state == ItemState::found);
        CHECK(items->at(0).jid == std::optional<std::string>("contact@p2.example"));
        auto pushes = pushes_for(s, owner);
        REQUIRE(pushes.size() == 1);
        CHECK(pushes[0].jid == "contact@p2.example");
    }
    auto q = s.list_partner_queries(uri);
    REQUIRE(q.size() == 2);
    CHECK(q[0].partner == p1);
    CHECK(q[0].state == QueryState::removed);
    CHECK(q[1].state == QueryState::found);
    auto removes = jobs_of(s, JobKind::partner_remove);
    REQUIRE(removes.size() == 1);
    CHECK(removes[0].target == p1);
    CHECK(decode_partner_remove(removes[0].payload)->partner_item_id == "p1-id");
}

TEST_CASE("the waiting items become not found only when every partner has answered cancel")
{
    StoreFixture f;
    auto& s = f.store();
    auto a = s.add_item(item("alice@sp.example", uri, ask({p1, p2})));
    auto r1 = s.record_partner_error(uri, p1, PartnerErrorType::cancel, RetryPolicy{});
    CHECK(r1.known);
    CHECK(r1.items_changed == 0);
    CHECK(s.get_item("alice@sp.example", a.item.id)->state == ItemState::waiting);
    CHECK(pushes_for(s, "alice@sp.example").empty());
    auto r2 = s.record_partner_error(uri, p2, PartnerErrorType::cancel, RetryPolicy{});
    CHECK(r2.items_changed == 1);
    CHECK(s.get_item("alice@sp.example", a.item.id)->state == ItemState::not_found);
    auto pushes = pushes_for(s, "alice@sp.example");
    REQUIRE(pushes.size() == 1);
    CHECK(pushes[0].state == ItemState::not_found);
    // A late repeat changes nothing and queues nothing.
    s.record_partner_error(uri, p2, PartnerErrorType::cancel, RetryPolicy{});
    CHECK(pushes_for(s, "alice@sp.example").size() == 1);
}

TEST_CASE("a timeout is retried with growing back-off until the attempts run out, then the items time out")
{
    StoreFixture f;
    auto& s = f.store();
    RetryPolicy policy{3, std::chrono::hours(1), std::chrono::seconds(10)};
    auto a = s.add_item(item("alice@sp.example", uri, ask({p1, p2})));
    s.record_partner_error(uri, p2, PartnerErrorType::cancel, policy);
    const auto start = f.clock.now();

    auto r1 = s.record_partner_error(uri, p1, PartnerErrorType::timeout, policy);
    CHECK(r1.retry_scheduled);
    auto q = s.list_partner_queries(uri).at(0);
    CHECK(q.attempts == 1);
    CHECK(q.next_attempt == start + 10s);
    auto retries = jobs_of(s, JobKind::partner_query, p1);
    REQUIRE(retries.size() == 2);  // the first question and its retry
    CHECK(retries[1].run_at == start + 10s);

    f.clock.advance(10s);
    auto r2 = s.record_partner_error(uri, p1, PartnerErrorType::timeout, policy);
    CHECK(r2.retry_scheduled);
    CHECK(s.list_partner_queries(uri).at(0).next_attempt == start + 10s + 20s);
    CHECK(s.get_item("alice@sp.example", a.item.id)->state == ItemState::waiting);

    f.clock.advance(20s);
    auto r3 = s.record_partner_error(uri, p1, PartnerErrorType::timeout, policy);
    CHECK_FALSE(r3.retry_scheduled);
    CHECK(r3.items_changed == 1);
    CHECK(s.list_partner_queries(uri).at(0).state == QueryState::timed_out);
    CHECK(s.get_item("alice@sp.example", a.item.id)->state == ItemState::timed_out);
    auto pushes = pushes_for(s, "alice@sp.example");
    REQUIRE(pushes.size() == 1);
    CHECK(pushes[0].state == ItemState::timed_out);

    // The partner answers after all: the user learns the JID anyway.
    auto late = s.record_partner_jid(uri, p1, "contact@p1.example");
    CHECK(late.items_changed == 1);
    CHECK(s.get_item("alice@sp.example", a.item.id)->state == ItemState::found);
    pushes = pushes_for(s, "alice@sp.example");
    REQUIRE(pushes.size() == 2);
    CHECK(pushes[1].jid == "contact@p1.example");
}

TEST_CASE("a timeout after the retry period gives up at once")
{
    StoreFixture f;
    auto& s = f.store();
    RetryPolicy policy{100, std::chrono::minutes(5), std::chrono::seconds(10)};
    auto a = s.add_item(item("alice@sp.example", uri, ask({p1})));
    f.clock.advance(std::chrono::minutes(6));
    auto r = s.record_partner_error(uri, p1, PartnerErrorType::timeout, policy);
    CHECK_FALSE(r.retry_scheduled);
    CHECK(s.get_item("alice@sp.example", a.item.id)->state == ItemState::timed_out);
}

TEST_CASE("an answer from a partner that was never asked is reported unknown and changes nothing")
{
    StoreFixture f;
    auto& s = f.store();
    auto a = s.add_item(item("alice@sp.example", uri, ask({p1})));
    CHECK_FALSE(s.record_partner_ack(uri, p2, "x"));
    CHECK_FALSE(s.record_partner_jid(uri, p2, "evil@p2.example").known);
    CHECK_FALSE(s.record_partner_error(uri, p2, PartnerErrorType::cancel, RetryPolicy{}).known);
    CHECK(s.get_item("alice@sp.example", a.item.id)->state == ItemState::waiting);
    CHECK(s.record_partner_ack(uri, p1, "p1-id"));
    CHECK(s.list_partner_queries(uri).at(0).state == QueryState::acked);
    CHECK(s.list_partner_queries(uri).at(0).partner_item_id == "p1-id");
}

TEST_CASE("a partner's request for a registered URI queues a partner push, and only the ack deletes it")
{
    StoreFixture f;
    auto& s = f.store();
    s.create_account(account("contact@sp.example", {"tel:+13035550100"}));
    auto r = s.record_partner_request("wl.sp2.example", "tel:+13035550100");
    CHECK(r.created);
    CHECK(r.registered);
    CHECK(r.request.pushed);
    auto pushes = jobs_of(s, JobKind::partner_push, "wl.sp2.example");
    REQUIRE(pushes.size() == 1);
    auto p = decode_partner_push(pushes[0].payload);
    REQUIRE(p.has_value());
    CHECK(p->request_id == r.request.id);
    CHECK(p->jid == "contact@sp.example");
    CHECK(s.list_partner_requests("wl.sp2.example").size() == 1);
    CHECK(s.ack_partner_push("wl.sp2.example", r.request.id) == RemoveStatus::removed);
    CHECK(s.list_partner_requests("wl.sp2.example").empty());
    CHECK(s.ack_partner_push("wl.sp2.example", r.request.id) == RemoveStatus::not_found);
}

TEST_CASE("a partner's request for an unknown URI waits until the contact registers")
{
    StoreFixture f;
    auto& s = f.store();
    auto r = s.record_partner_request("wl.sp2.example", "tel:+13035550100");
    CHECK(r.created);
    CHECK_FALSE(r.registered);
    CHECK(jobs_of(s, JobKind::partner_push).empty());
    // An ack for a push that was never sent is refused and keeps the record.
    CHECK(s.ack_partner_push("wl.sp2.example", r.request.id) == RemoveStatus::not_found);
    CHECK(s.list_partner_requests("wl.sp2.example").size() == 1);
    auto reg = s.create_account(account("contact@sp.example", {"tel:+13035550100"}));
    CHECK(reg.partners_told == 1);
    auto pushes = jobs_of(s, JobKind::partner_push, "wl.sp2.example");
    REQUIRE(pushes.size() == 1);
    CHECK(decode_partner_push(pushes[0].payload)->request_id == r.request.id);
    CHECK(s.list_partner_requests("wl.sp2.example").at(0).pushed);
}

TEST_CASE("a repeated partner request gets the same id, and removal reports removed then not_found")
{
    StoreFixture f;
    auto& s = f.store();
    auto r1 = s.record_partner_request("wl.sp2.example", "tel:+13035550100");
    auto r2 = s.record_partner_request("wl.sp2.example", "tel:+13035550100");
    auto other = s.record_partner_request("wl.sp3.example", "tel:+13035550100");
    CHECK_FALSE(r2.created);
    CHECK(r2.request.id == r1.request.id);
    CHECK(other.created);
    CHECK(s.list_partner_requests("wl.sp2.example").size() == 1);
    CHECK(s.remove_partner_request("wl.sp2.example", r1.request.id) == RemoveStatus::removed);
    CHECK(s.remove_partner_request("wl.sp2.example", r1.request.id) == RemoveStatus::not_found);
    CHECK(s.list_partner_requests("wl.sp3.example").size() == 1);
}

TEST_CASE("a partner that timed out but acked late is told to drop its item when the user removes theirs")
{
    StoreFixture f;
    auto& s = f.store();
    RetryPolicy policy{1, std::chrono::hours(1), std::chrono::seconds(10)};
    auto a = s.add_item(item("alice@sp.example", uri, ask({p1})));
    s.record_partner_error(uri, p1, PartnerErrorType::timeout, policy);
    REQUIRE(s.get_item("alice@sp.example", a.item.id)->state == ItemState::timed_out);
    CHECK(s.record_partner_ack(uri, p1, "late-7"));
    CHECK(s.list_partner_queries(uri).at(0).state == QueryState::timed_out);
    CHECK(jobs_of(s, JobKind::partner_remove).empty());
    s.remove_item("alice@sp.example", a.item.id);
    auto removes = jobs_of(s, JobKind::partner_remove, p1);
    REQUIRE(removes.size() == 1);
    CHECK(decode_partner_remove(removes[0].payload)->partner_item_id == "late-7");
    CHECK(s.list_partner_queries(uri).at(0).state == QueryState::removed);
}

TEST_CASE("reconciliation asks again what the partner lost, and only what it acked before the list was asked for")
{
    StoreFixture f;
    auto& s = f.store();
    const std::string lost = "tel:+33123450001", kept = "tel:+33123450002", late = "tel:+33123450003";
    for (const auto& u : {lost, kept, late}) s.add_item(item("alice@sp.example", u, ask({p1})));
    for (const auto& j : jobs_of(s, JobKind::partner_query)) s.complete_job(j.id);
    s.record_partner_ack(lost, p1, "id-lost");
    s.record_partner_ack(kept, p1, "id-kept");
    f.clock.advance(1s);
    const auto asked_at = f.clock.now();
    f.clock.advance(1s);
    s.record_partner_ack(late, p1, "id-late");  // acked after the list was asked for
    auto res = s.reconcile_partner_queries(p1, {HeldRequest{"id-kept", kept}}, asked_at);
    CHECK(res.expected == 2);
    CHECK(res.resent == 1);
    CHECK(res.orphans == 0);
    auto queries = jobs_of(s, JobKind::partner_query, p1);
    REQUIRE(queries.size() == 1);
    CHECK(decode_partner_query(queries[0].payload)->uri == lost);
    CHECK(s.list_partner_queries(lost).at(0).state == QueryState::pending);
    CHECK(s.list_partner_queries(lost).at(0).partner_item_id.empty());
    CHECK(s.list_partner_queries(kept).at(0).state == QueryState::acked);
    CHECK(s.list_partner_queries(late).at(0).state == QueryState::acked);
    // Run again on the same list: the lost query is pending now, nothing more is sent.
    auto again = s.reconcile_partner_queries(p1, {HeldRequest{"id-kept", kept}}, asked_at);
    CHECK(again.resent == 0);
    CHECK(jobs_of(s, JobKind::partner_query, p1).size() == 1);
}

TEST_CASE("reconciliation removes what the partner holds for nobody and adopts what only timed out here")
{
    StoreFixture f;
    auto& s = f.store();
    const std::string orphan = "tel:+33123450011", slow = "tel:+33123450012", other = "tel:+33123450013";
    s.add_item(item("alice@sp.example", slow, ask({p1})));
    s.add_item(item("alice@sp.example", other, ask({p2})));  // p2's business, not p1's
    RetryPolicy once;
    once.max_attempts = 1;
    s.record_partner_error(slow, p1, PartnerErrorType::timeout, once);
    REQUIRE(s.list_partner_queries(slow).at(0).state == QueryState::timed_out);
    for (const auto& j : s.list_jobs()) s.complete_job(j.id);
    f.clock.advance(1s);
    auto res = s.reconcile_partner_queries(p1, {HeldRequest{"id-orphan", orphan}, HeldRequest{"id-slow", slow}},
                                           f.clock.now());
    CHECK(res.orphans == 1);
    CHECK(res.adopted == 1);
    CHECK(res.resent == 0);
    auto removes = jobs_of(s, JobKind::partner_remove, p1);
    REQUIRE(removes.size() == 1);
    CHECK(decode_partner_remove(removes[0].payload)->partner_item_id == "id-orphan");
    auto q = s.list_partner_queries(slow).at(0);
    CHECK(q.state == QueryState::acked);
    CHECK(q.partner_item_id == "id-slow");
    // The contact registers there later: the timed-out item still learns the JID.
    CHECK(s.record_partner_jid(slow, p1, "contact@p1.example").items_changed == 1);
    CHECK(s.list_partner_queries(other).at(0).state == QueryState::pending);
}
