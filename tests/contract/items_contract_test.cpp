#include <doctest.h>

#include <map>
#include <set>

#include "helpers.hpp"
#include "store_fixture.hpp"

using namespace wl::storage;
using namespace wl::storage::test;

TEST_CASE("a user who never had a waiting list has none, and an emptied list is still a list")
{
    StoreFixture f;
    auto& s = f.store();
    CHECK_FALSE(s.list_items("alice@sp.example").has_value());
    auto added = s.add_item(item("alice@sp.example", "tel:+13035550100", served_here()));
    CHECK(s.list_items("alice@sp.example")->size() == 1);
    CHECK(s.remove_item("alice@sp.example", added.item.id) == RemoveStatus::removed);
    auto after = s.list_items("alice@sp.example");
    REQUIRE(after.has_value());
    CHECK(after->empty());
}

TEST_CASE("an item served here whose contact is registered is found at once with a push queued")
{
    StoreFixture f;
    auto& s = f.store();
    s.create_account(account("contact@sp.example", {"tel:+13035550100"}));
    auto res = s.add_item(item("alice@sp.example", "tel:+13035550100", served_here(), "Contact"));
    CHECK(res.created);
    CHECK(res.item.state == ItemState::found);
    CHECK(res.item.jid == std::optional<std::string>("contact@sp.example"));
    CHECK(res.item.name == "Contact");
    CHECK(res.item.given_uri == "+13035550100");
    CHECK(res.item.scheme == "tel");
    auto pushes = pushes_for(s, "alice@sp.example");
    REQUIRE(pushes.size() == 1);
    CHECK(pushes[0].item_id == res.item.id);
    CHECK(pushes[0].jid == "contact@sp.example");
    CHECK(pushes[0].state == ItemState::found);
    CHECK(pushes[0].name == "Contact");
}

TEST_CASE("an item served here waits until its contact registers, then is found with a push")
{
    StoreFixture f;
    auto& s = f.store();
    auto res = s.add_item(item("alice@sp.example", "tel:+13035550100", served_here()));
    CHECK(res.item.state == ItemState::waiting);
    CHECK_FALSE(res.item.jid.has_value());
    CHECK(s.list_jobs().empty());
    s.create_account(account("contact@sp.example"));
    f.clock.advance(std::chrono::seconds(5));
    auto reg = s.add_uri("contact@sp.example", "tel:+13035550100");
    CHECK(reg.status == AddUriStatus::added);
    CHECK(reg.items_found == 1);
    auto items = s.list_items("alice@sp.example");
    REQUIRE(items->size() == 1);
    CHECK(items->at(0).state == ItemState::found);
    CHECK(items->at(0).jid == std::optional<std::string>("contact@sp.example"));
    CHECK(items->at(0).updated == items->at(0).created + std::chrono::seconds(5));
    auto pushes = pushes_for(s, "alice@sp.example");
    REQUIRE(pushes.size() == 1);
    CHECK(pushes[0].item_id == res.item.id);
    CHECK(pushes[0].jid == "contact@sp.example");
}

TEST_CASE("creating an account with URIs finds every waiting item for them, across owners")
{
    StoreFixture f;
    auto& s = f.store();
    s.add_item(item("alice@sp.example", "tel:+13035550100", served_here()));
    s.add_item(item("bob@sp.example", "tel:+13035550100", served_here()));
    s.add_item(item("bob@sp.example", "mailto:c@example.org", served_here()));
    s.add_item(item("dave@sp.example", "tel:+13035550999", served_here()));
    auto res = s.create_account(account("contact@sp.example", {"tel:+13035550100", "mailto:c@example.org"}));
    CHECK(res.status == CreateAccountStatus::created);
    CHECK(res.items_found == 3);
    CHECK(pushes_for(s, "alice@sp.example").size() == 1);
    CHECK(pushes_for(s, "bob@sp.example").size() == 2);
    CHECK(pushes_for(s, "dave@sp.example").empty());
    CHECK(s.list_items("dave@sp.example")->at(0).state == ItemState::waiting);
}

TEST_CASE("adding the same canonical URI twice returns the existing item")
{
    StoreFixture f;
    auto& s = f.store();
    auto first = s.add_item(item("alice@sp.example", "tel:+13035550100", served_here(), "one"));
    auto again = item("alice@sp.example", "tel:+13035550100", served_here(), "two");
    again.given_uri = "(303) 555-0100";
    auto second = s.add_item(again);
    CHECK(first.created);
    CHECK_FALSE(second.created);
    CHECK(second.item.id == first.item.id);
    CHECK(second.item.name == "one");
    CHECK(s.list_items("alice@sp.example")->size() == 1);
    // Another owner gets an item of its own for the same URI.
    CHECK(s.add_item(item("bob@sp.example", "tel:+13035550100", served_here())).created);
}

TEST_CASE("an item not served here with no partners is not found and its owner gets a push")
{
    StoreFixture f;
    auto& s = f.store();
    auto res = s.add_item(item("alice@sp.example", "tel:+33123456789", ask({})));
    CHECK(res.item.state == ItemState::not_found);
    auto pushes = pushes_for(s, "alice@sp.example");
    REQUIRE(pushes.size() == 1);
    CHECK(pushes[0].state == ItemState::not_found);
    CHECK(pushes[0].item_id == res.item.id);
    CHECK(pushes[0].jid.empty());
    CHECK(s.list_partner_queries("tel:+33123456789").empty());
}

TEST_CASE("an item for partners asks each partner once, shared by every owner waiting for the URI")
{
    StoreFixture f;
    auto& s = f.store();
    const std::string uri = "tel:+33123456789";
    auto a = s.add_item(item("alice@sp.example", uri, ask({"wl.p2.example", "wl.p1.example", "wl.p1.example"})));
    CHECK(a.item.state == ItemState::waiting);
    s.add_item(item("bob@sp.example", uri, ask({"wl.p1.example", "wl.p2.example"})));
    auto queries = s.list_partner_queries(uri);
    REQUIRE(queries.size() == 2);
    CHECK(queries[0].partner == "wl.p1.example");
    CHECK(queries[0].state == QueryState::pending);
    CHECK(queries[1].partner == "wl.p2.example");
    auto jobs = jobs_of(s, JobKind::partner_query);
    REQUIRE(jobs.size() == 2);
    std::set<std::string> targets;
    for (const auto& j : jobs) {
        targets.insert(j.target);
        auto p = decode_partner_query(j.payload);
        REQUIRE(p.has_value());
        CHECK(p->uri == uri);
    }
    CHECK(targets == std::set<std::string>{"wl.p1.example", "wl.p2.example"});
    CHECK(jobs_of(s, JobKind::push).empty());
}

TEST_CASE("item ids are unique per owner and items list in the order they were added")
{
    StoreFixture f;
    auto& s = f.store();
    std::vector<std::string> ids;
    for (int i = 0; i < 30; ++i) {
        auto r = s.add_item(item("alice@sp.example", "tel:+1303555" + std::to_string(1000 + i), served_here()));
        CHECK(r.item.id.size() >= 6);
        ids.push_back(r.item.id);
    }
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
    auto items = s.list_items("alice@sp.example");
    REQUIRE(items->size() == ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) CHECK(items->at(i).id == ids[i]);
    CHECK(s.get_item("alice@sp.example", ids[3])->uri == "tel:+13035551003");
    CHECK_FALSE(s.get_item("bob@sp.example", ids[3]).has_value());
}

TEST_CASE("removing an item reports removed, then not_found, and leaves other owners alone")
{
    StoreFixture f;
    auto& s = f.store();
    auto a = s.add_item(item("alice@sp.example", "tel:+13035550100", served_here()));
    auto b = s.add_item(item("bob@sp.example", "tel:+13035550100", served_here()));
    CHECK(s.remove_item("bob@sp.example", "no-such-id") == RemoveStatus::not_found);
    CHECK(s.remove_item("alice@sp.example", a.item.id) == RemoveStatus::removed);
    CHECK(s.remove_item("alice@sp.example", a.item.id) == RemoveStatus::not_found);
    CHECK_FALSE(s.get_item("alice@sp.example", a.item.id).has_value());
    CHECK(s.get_item("bob@sp.example", b.item.id).has_value());
}

TEST_CASE("removing the last waiting item for a URI asks the partners that acked to drop theirs")
{
    StoreFixture f;
    auto& s = f.store();
    const std::string uri = "tel:+33123456789";
    auto a = s.add_item(item("alice@sp.example", uri, ask({"wl.p1.example", "wl.p2.example"})));
    auto b = s.add_item(item("bob@sp.example", uri, ask({"wl.p1.example", "wl.p2.example"})));
    CHECK(s.record_partner_ack(uri, "wl.p1.example", "p1-item-7"));
    CHECK(s.remove_item("alice@sp.example", a.item.id) == RemoveStatus::removed);
    CHECK(jobs_of(s, JobKind::partner_remove).empty());  // Bob still waits
    CHECK(s.remove_item("bob@sp.example", b.item.id) == RemoveStatus::removed);
    auto removes = jobs_of(s, JobKind::partner_remove);
    REQUIRE(removes.size() == 1);
    CHECK(removes[0].target == "wl.p1.example");
    auto p = decode_partner_remove(removes[0].payload);
    REQUIRE(p.has_value());
    CHECK(p->partner_item_id == "p1-item-7");
    CHECK(p->uri == uri);
    for (const auto& q : s.list_partner_queries(uri)) CHECK(q.state == QueryState::removed);
    CHECK(jobs_of(s, JobKind::partner_query).empty());  // unsent questions are withdrawn
}

TEST_CASE("a partner that acks after the last item was removed is told to drop its item")
{
    StoreFixture f;
    auto& s = f.store();
    const std::string uri = "tel:+33123456789";
    auto a = s.add_item(item("alice@sp.example", uri, ask({"wl.p1.example"})));
    s.remove_item("alice@sp.example", a.item.id);
    CHECK(jobs_of(s, JobKind::partner_remove).empty());  // no id to name yet
    CHECK(s.record_partner_ack(uri, "wl.p1.example", "late-1"));
    auto removes = jobs_of(s, JobKind::partner_remove, "wl.p1.example");
    REQUIRE(removes.size() == 1);
    CHECK(decode_partner_remove(removes[0].payload)->partner_item_id == "late-1");
}

TEST_CASE("adding a URI again after its queries closed asks the partners again")
{
    StoreFixture f;
    auto& s = f.store();
    const std::string uri = "tel:+33123456789";
    auto a = s.add_item(item("alice@sp.example", uri, ask({"wl.p1.example"})));
    s.record_partner_error(uri, "wl.p1.example", PartnerErrorType::cancel, RetryPolicy{});
    CHECK(s.get_item("alice@sp.example", a.item.id)->state == ItemState::not_found);
    auto b = s.add_item(item("bob@sp.example", uri, ask({"wl.p1.example"})));
    CHECK(b.item.state == ItemState::waiting);
    auto q = s.list_partner_queries(uri);
    REQUIRE(q.size() == 1);
    CHECK(q[0].state == QueryState::pending);
    CHECK(jobs_of(s, JobKind::partner_query).size() == 2);
}

TEST_CASE("a contact awaited by 150 users finds them all at once, with one push each")
{
    StoreFixture f;
    auto& s = f.store();
    std::map<std::string, std::string> item_of;  // owner -> item id
    for (int i = 0; i < 150; ++i) {
        const std::string owner = "user" + std::to_string(i) + "@sp.example";
        item_of[owner] = s.add_item(item(owner, "mailto:popular@example.org", served_here(), "P")).item.id;
    }
    auto res = s.create_account(account("popular@sp.example", {"mailto:popular@example.org"}));
    CHECK(res.items_found == 150);
    auto pushes = jobs_of(s, JobKind::push);
    REQUIRE(pushes.size() == 150);
    std::set<std::string> owners;
    for (const auto& j : pushes) {
        owners.insert(j.target);
        auto p = decode_push(j.payload);
        REQUIRE(p.has_value());
        CHECK(p->item_id == item_of[j.target]);
        CHECK(p->jid == "popular@sp.example");
        CHECK(p->name == "P");
        CHECK(p->state == ItemState::found);
    }
    CHECK(owners.size() == 150);
}
