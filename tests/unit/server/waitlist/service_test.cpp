// The WaitingListService's flows, both roles, with a real SQLite Store, the real job
// dispatcher and Router, and no sockets: local users are recording sessions, and the
// partner's side of federation is played here (service_harness.hpp).
#include <doctest.h>

#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "proto/xml/writer.hpp"
#include "server/metrics.hpp"
#include "server/waitlist/push_message.hpp"
#include "service_harness.hpp"

using namespace wl;
using namespace std::chrono_literals;
using proto::StanzaCondition;
using test::Element;
using test::Harness;

namespace {

const std::string service = "waitlist.sp.example";
const std::string partner = "waitlist.partner.example";

bool is_push(const Element& s) { return s.name() == "message"; }

test::Predicate iq_to(const std::string& to)
{
    return [to](const Element& s) { return s.name() == "iq" && s.attr_or("to") == to && s.attr_or("type") == "set"; };
}

test::HarnessOptions with_partner(std::chrono::milliseconds timeout = 2000ms, int attempts = 5)
{
    test::HarnessOptions options;
    server::PartnerConfig p;
    p.jid = partner;
    options.partners = {p};
    options.serves = {{"tel", {"+1"}}};  // mailto: and other countries are the partner's
    options.partner_timeout = timeout;
    options.retry_attempts = attempts;
    return options;
}

Element add_iq(const std::string& from, const std::string& scheme, const std::string& value, const std::string& id)
{
    return Harness::waitlist_iq(from, service, "set", {Harness::uri_item(scheme, value)}, id);
}

Element answer_to(const Element& iq, std::vector<proto::codec::WaitlistItem> items)
{
    Element result = proto::make_result(iq);
    if (!items.empty()) {
        proto::codec::Waitinglist list;
        list.root = proto::codec::WaitlistRoot::query;
        list.items = std::move(items);
        result.add_child(proto::codec::encode(list));
    }
    return result;
}

}  // namespace

TEST_CASE("a user's add of a local contact's URI is answered with the contact's JID, pushed, and counted")
{
    Harness h;
    h.add_account("contact@sp.example", {"tel:+13035550100"});
    auto demo = h.login("demo@sp.example/phone");
    const auto queued = server::server_metrics().pushes_queued.value();
    const auto iqs = server::server_metrics().waitlist_iq_seconds.snapshot().count;

    auto answer = h.ask(demo, add_iq("demo@sp.example/phone", "tel", "+1 (303) 555-0100", "a1"));
    INFO(proto::xml::serialize(answer));
    REQUIRE_FALSE(Harness::error_of(answer));
    auto items = Harness::items_of(answer);
    REQUIRE(items.size() == 1);
    REQUIRE(items[0].jid);
    CHECK(items[0].jid->bare_str() == "contact@sp.example");

    auto push = demo->inbox.take(is_push);
    REQUIRE(push);
    auto pushed = Harness::items_of(*push);
    REQUIRE(pushed.size() == 1);
    CHECK(pushed[0].jid->bare_str() == "contact@sp.example");
    CHECK(server::server_metrics().pushes_queued.value() >= queued + 1);
    CHECK(server::server_metrics().waitlist_iq_seconds.snapshot().count >= iqs + 1);
}

TEST_CASE("a user without a list gets item-not-found on retrieve, then sees the item added")
{
    Harness h;
    auto demo = h.login("demo@sp.example/phone");
    auto first = h.ask(demo, Harness::waitlist_iq("demo@sp.example/phone", service, "get", {}, "r1"));
    CHECK(Harness::error_of(first) == StanzaCondition::item_not_found);

    h.ask(demo, add_iq("demo@sp.example/phone", "mailto", "Someone@Example.org", "a1"));
    auto listed = h.ask(demo, Harness::waitlist_iq("demo@sp.example/phone", service, "get", {}, "r2"));
    INFO(proto::xml::serialize(listed));
    REQUIRE_FALSE(Harness::error_of(listed));
    auto items = Harness::items_of(listed);
    REQUIRE(items.size() == 1);
    CHECK(items[0].uri->value == "Someone@Example.org");

    // Another user sees nothing of demo's list.
    auto other = h.login("other@sp.example/pc");
    auto theirs = h.ask(other, Harness::waitlist_iq("other@sp.example/pc", service, "get", {}, "r3"));
    CHECK(Harness::error_of(theirs) == StanzaCondition::item_not_found);
}

TEST_CASE("a user's remove drops the item, and removing it again gets item-not-found")
{
    Harness h;
    auto demo = h.login("demo@sp.example/phone");
    auto added = h.ask(demo, add_iq("demo@sp.example/phone", "mailto", "someone@example.org", "a1"));
    auto items = Harness::items_of(added);
    REQUIRE(items.size() == 1);
    REQUIRE(items[0].id);
    proto::codec::WaitlistItem remove;
    remove.id = items[0].id;
    remove.remove = true;
    auto removed = h.ask(demo, Harness::waitlist_iq("demo@sp.example/phone", service, "set", {remove}, "d1"));
    CHECK(removed.attr_or("type") == "result");
    auto again = h.ask(demo, Harness::waitlist_iq("demo@sp.example/phone", service, "set", {remove}, "d2"));
    CHECK(Harness::error_of(again) == StanzaCondition::item_not_found);
    auto listed = h.ask(demo, Harness::waitlist_iq("demo@sp.example/phone", service, "get", {}, "r1"));
    CHECK(Harness::items_of(listed).empty());
}

TEST_CASE("a malformed URI gets not-acceptable and an unknown scheme bad-request, and neither is stored")
{
    Harness h;
    auto demo = h.login("demo@sp.example/phone");
    auto bad_number = h.ask(demo, add_iq("demo@sp.example/phone", "tel", "12", "a1"));
    CHECK(Harness::error_of(bad_number) == StanzaCondition::not_acceptable);
    CHECK(bad_number.child("query", proto::ns::waitinglist) != nullptr);  // errors echo the query
    auto bad_scheme = h.ask(demo, add_iq("demo@sp.example/phone", "sip", "demo@example.org", "a2"));
    CHECK(Harness::error_of(bad_scheme) == StanzaCondition::bad_request);
    auto listed = h.ask(demo, Harness::waitlist_iq("demo@sp.example/phone", service, "get", {}, "r1"));
    CHECK(Harness::error_of(listed) == StanzaCondition::item_not_found);
}

TEST_CASE("a URI nobody serves ends in an item-not-found push")
{
    Harness h;  // no partners: a URI not served here is nobody's
    auto demo = h.login("demo@sp.example/phone");
    h.ask(demo, add_iq("demo@sp.example/phone", "mailto", "nobody@elsewhere.example", "a1"));
    auto push = demo->inbox.take(is_push);
    REQUIRE(push);
    auto items = Harness::items_of(*push);
    REQUIRE(items.size() == 1);
    CHECK(items[0].is_error);
    REQUIRE(items[0].error);
    CHECK(items[0].error->condition == StanzaCondition::item_not_found);
}

TEST_CASE("a push to a user with no available session is parked and delivered at the next initial presence")
{
    Harness h;
    h.add_account("contact@sp.example", {"tel:+13035550100"});
    auto hidden = h.login("demo@sp.example/phone", false);
    h.ask(hidden, add_iq("demo@sp.example/phone", "tel", "+13035550100", "a1"));
    CHECK_FALSE(hidden->inbox.take(is_push, 500ms));  // parked, not delivered

    auto later = h.login("demo@sp.example/laptop");
    auto push = later->inbox.take(is_push);
    REQUIRE(push);
    REQUIRE(Harness::items_of(*push).size() == 1);
    CHECK(Harness::items_of(*push)[0].jid->bare_str() == "contact@sp.example");
}

TEST_CASE("a query to a partner: its ack completes the job, and its JID push reaches the waiting user and is counted")
{
    Harness h(with_partner());
    auto demo = h.login("demo@sp.example/phone");
    auto ack = h.ask(demo, add_iq("demo@sp.example/phone", "mailto", "bob@partner.example", "a1"));
    REQUIRE_FALSE(Harness::error_of(ack));
    auto items = Harness::items_of(ack);
    REQUIRE(items.size() == 1);
    CHECK_FALSE(items[0].jid);  // not known yet

    auto query = h.remote().take(iq_to(partner));
    REQUIRE(query);
    CHECK(query->attr_or("from") == service);
    auto asked = Harness::items_of(*query);
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].uri->value == "bob@partner.example");
    proto::codec::WaitlistItem partner_item;
    partner_item.id = "p-1";
    Element reply = answer_to(*query, {partner_item});
    reply.set_attr("from", partner);
    h.route(std::move(reply));
    // Acknowledged: the query is not sent again while the partner holds it.
    CHECK_FALSE(h.remote().take(iq_to(partner), 700ms));

    const auto queued = server::server_metrics().pushes_queued.value();
    proto::codec::WaitlistItem found = Harness::uri_item("mailto", "bob@partner.example");
    found.id = "p-1";
    found.jid = proto::Jid::parse("bob@partner.example");
    auto pushed_ack = h.ask_as_partner(Harness::waitlist_iq(partner, service, "set", {found}, "push-1"));
    CHECK(pushed_ack.attr_or("type") == "result");
    auto push = demo->inbox.take(is_push);
    REQUIRE(push);
    REQUIRE(Harness::items_of(*push).size() == 1);
    CHECK(Harness::items_of(*push)[0].jid->bare_str() == "bob@partner.example");
    CHECK(server::server_metrics().pushes_queued.value() >= queued + 1);
}

TEST_CASE("a partner that cannot help (a cancel error) ends the query in an item-not-found push")
{
    Harness h(with_partner());
    auto demo = h.login("demo@sp.example/phone");
    h.ask(demo, add_iq("demo@sp.example/phone", "mailto", "nobody@partner.example", "a1"));
    auto query = h.remote().take(iq_to(partner));
    REQUIRE(query);
    Element refusal = proto::make_error_reply(*query, proto::make_stanza_error(StanzaCondition::item_not_found));
    refusal.set_attr("from", partner);
    h.route(std::move(refusal));
    auto push = demo->inbox.take(is_push);
    REQUIRE(push);
    auto items = Harness::items_of(*push);
    REQUIRE(items.size() == 1);
    REQUIRE(items[0].error);
    CHECK(items[0].error->condition == StanzaCondition::item_not_found);
}

TEST_CASE(
    "a partner that never answers: the query times out, and after the last attempt the user gets the timeout push")
{
    Harness h(with_partner(150ms, 1));
    auto demo = h.login("demo@sp.example/phone");
    h.ask(demo, add_iq("demo@sp.example/phone", "mailto", "silent@partner.example", "a1"));
    REQUIRE(h.remote().take(iq_to(partner)));  // asked once, never answered
    auto push = demo->inbox.take(is_push, 8s);
    REQUIRE(push);
    auto items = Harness::items_of(*push);
    REQUIRE(items.size() == 1);
    REQUIRE(items[0].error);
    CHECK(items[0].error->condition == StanzaCondition::remote_server_timeout);
}

TEST_CASE(
    "a partner's add about a local user's URI is acknowledged, listed, and the JID pushed to it until it acknowledges")
{
    Harness h(with_partner(300ms));
    h.add_account("carol@sp.example", {"tel:+13035550100"});
    auto ack = h.ask_as_partner(
        Harness::waitlist_iq(partner, service, "set", {Harness::uri_item("tel", "+13035550100")}, "in-1"));
    REQUIRE_FALSE(Harness::error_of(ack));
    auto acked = Harness::items_of(ack);
    REQUIRE(acked.size() == 1);
    REQUIRE(acked[0].id);

    auto listed = h.ask_as_partner(Harness::waitlist_iq(partner, service, "get", {}, "in-2"));
    REQUIRE(Harness::items_of(listed).size() == 1);
    CHECK(Harness::items_of(listed)[0].id == acked[0].id);

    // The JID push (example 32), sent again while unacknowledged.
    auto push = h.remote().take(iq_to(partner));
    REQUIRE(push);
    auto pushed = Harness::items_of(*push);
    REQUIRE(pushed.size() == 1);
    CHECK(pushed[0].jid->bare_str() == "carol@sp.example");
    CHECK(pushed[0].id == acked[0].id);
    auto again = h.remote().take(iq_to(partner), 5s);
    REQUIRE(again);
    Element reply = proto::make_result(*again);
    reply.set_attr("from", partner);
    h.route(std::move(reply));

    // Acknowledged: the record is gone from the partner's list, and nothing is pushed again.
    for (int i = 0; i < 50; ++i) {
        auto now = h.ask_as_partner(Harness::waitlist_iq(partner, service, "get", {}, "in-3-" + std::to_string(i)));
        if (Harness::items_of(now).empty()) break;
        std::this_thread::sleep_for(50ms);
    }
    auto after = h.ask_as_partner(Harness::waitlist_iq(partner, service, "get", {}, "in-4"));
    CHECK(Harness::items_of(after).empty());
}

TEST_CASE("a waitinglist request from a service that is not a partner is refused with not-authorized")
{
    Harness h(with_partner());
    auto refused = h.ask_as_partner(Harness::waitlist_iq("waitlist.stranger.example", service, "set",
                                                         {Harness::uri_item("tel", "+13035550100")}, "x1"));
    CHECK(Harness::error_of(refused) == StanzaCondition::not_authorized);
    auto user = h.ask_as_partner(Harness::waitlist_iq("eve@partner.example", service, "get", {}, "x2"));
    CHECK(Harness::error_of(user) == StanzaCondition::not_authorized);
}
