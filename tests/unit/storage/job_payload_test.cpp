#include <doctest.h>

#include "storage/job_payload.hpp"

using namespace wl::storage;

TEST_CASE("each job payload kind survives encode and decode")
{
    PushPayload push{"id1", "tel:+13035550100", "303 555 0100", "tel", "Zoë \"Z\"", "z@sp.example", ItemState::found};
    auto p = decode_push(encode(push));
    REQUIRE(p.has_value());
    CHECK(p->item_id == "id1");
    CHECK(p->given_uri == "303 555 0100");
    CHECK(p->name == "Zoë \"Z\"");
    CHECK(p->jid == "z@sp.example");
    CHECK(p->state == ItemState::found);

    auto q = decode_partner_query(encode(PartnerQueryPayload{"mailto:a@example.org"}));
    REQUIRE(q.has_value());
    CHECK(q->uri == "mailto:a@example.org");

    auto r = decode_partner_remove(encode(PartnerRemovePayload{"tel:+33123", "p-7"}));
    REQUIRE(r.has_value());
    CHECK(r->partner_item_id == "p-7");

    auto pp = decode_partner_push(encode(PartnerPushPayload{"req-1", "tel:+33123", "c@sp.example"}));
    REQUIRE(pp.has_value());
    CHECK(pp->request_id == "req-1");
    CHECK(pp->jid == "c@sp.example");
}

TEST_CASE("a payload that is not JSON, lacks a field, or has a wrong type decodes to nothing")
{
    CHECK_FALSE(decode_push("not json").has_value());
    CHECK_FALSE(decode_push("[]").has_value());
    CHECK_FALSE(decode_push(R"({"item_id":"a","uri":"tel:+1","given_uri":"","scheme":"tel","name":""})").has_value());
    CHECK_FALSE(decode_partner_query(R"({"uri":5})").has_value());
    CHECK_FALSE(decode_partner_remove(R"({"uri":"tel:+1"})").has_value());
    CHECK_FALSE(decode_partner_push("").has_value());
}

TEST_CASE("a push payload never carries the waiting state")
{
    PushPayload push{"id1", "tel:+1", "+1", "tel", "", "", ItemState::waiting};
    CHECK_FALSE(decode_push(encode(push)).has_value());
}
