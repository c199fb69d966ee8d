#include <doctest.h>

#include "proto/stanza.hpp"
#include "xml_fixture.hpp"

using namespace wl::proto;
using wl::test::parse_one;

namespace {

constexpr const char* add_request =
    "<iq type='set' from='user@service-provider.com/resource' to='waitlist.service-provider.com'"
    " id='waitinglist1'>"
    "<query xmlns='http://jabber.org/protocol/waitinglist'><item>"
    "<uri scheme='tag'>shakespeare.lit,2005-08:waitlist1</uri><name>contact-name</name>"
    "</item></query></iq>";

}  // namespace

TEST_SUITE("stanza")
{
    TEST_CASE("stanza kinds are message, presence and iq in a stanza namespace")
    {
        CHECK(stanza_kind(parse_one("<message/>")) == StanzaKind::message);
        CHECK(stanza_kind(parse_one("<presence/>")) == StanzaKind::presence);
        CHECK(stanza_kind(parse_one("<iq/>", ns::server)) == StanzaKind::iq);
        CHECK_FALSE(stanza_kind(parse_one("<iq xmlns='urn:other'/>")));
        CHECK_FALSE(stanza_kind(parse_one("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")));
    }

    TEST_CASE("iq types parse and print")
    {
        for (auto t : {IqType::get, IqType::set, IqType::result, IqType::error}) CHECK(parse_iq_type(name(t)) == t);
        CHECK_FALSE(parse_iq_type("GET"));
        CHECK_FALSE(parse_iq_type(""));
        CHECK(iq_type(parse_one("<iq type='set' id='1'><q xmlns='x'/></iq>")) == IqType::set);
        CHECK_FALSE(iq_type(parse_one("<message type='set'/>")));
    }

    TEST_CASE("an iq is valid only with an id, a type and the payload count RFC 6120 allows")
    {
        CHECK(is_valid_iq(parse_one("<iq type='get' id='a'><query xmlns='jabber:iq:agents'/></iq>")));
        CHECK(is_valid_iq(parse_one("<iq type='result' id='a'/>")));
        CHECK(is_valid_iq(parse_one("<iq type='result' id='a'><q xmlns='x'/></iq>")));
        CHECK(
            is_valid_iq(parse_one("<iq type='error' id='a'><q xmlns='x'/><error type='cancel'>"
                                  "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")));

        CHECK_FALSE(is_valid_iq(parse_one("<iq type='get'><q xmlns='x'/></iq>")));
        CHECK_FALSE(is_valid_iq(parse_one("<iq type='get' id=''><q xmlns='x'/></iq>")));
        CHECK_FALSE(is_valid_iq(parse_one("<iq id='a'><q xmlns='x'/></iq>")));
        CHECK_FALSE(is_valid_iq(parse_one("<iq type='fetch' id='a'><q xmlns='x'/></iq>")));
        CHECK_FALSE(is_valid_iq(parse_one("<iq type='get' id='a'/>")));
        CHECK_FALSE(is_valid_iq(parse_one("<iq type='set' id='a'> text only </iq>")));
        CHECK_FALSE(is_valid_iq(parse_one("<iq type='set' id='a'><q xmlns='x'/><r xmlns='y'/></iq>")));
        CHECK_FALSE(is_valid_iq(parse_one("<iq type='result' id='a'><q xmlns='x'/><r xmlns='y'/></iq>")));
        CHECK_FALSE(is_valid_iq(parse_one("<iq type='error' id='a'><q xmlns='x'/></iq>")));
        CHECK_FALSE(is_valid_iq(parse_one("<message type='get' id='a'><q xmlns='x'/></message>")));
    }

    TEST_CASE("make_result swaps the addresses, keeps the id and drops the payload")
    {
        const auto request = parse_one(
            "<iq type='set' from='user@service-provider.com/resource'"
            " to='waitlist.service-provider.com' id='remove1'>"
            "<query xmlns='http://jabber.org/protocol/waitinglist'><item id='34567'><remove/></item>"
            "</query></iq>");
        // XEP-0130 "WaitingListService Returns Result to IM User".
        const auto expected = parse_one(
            "<iq type='result' from='waitlist.service-provider.com'"
            " to='user@service-provider.com/resource' id='remove1'/>");
        CHECK(make_result(request) == expected);

        const auto s2s = make_result(parse_one("<iq type='get' id='x'><q xmlns='y'/></iq>", ns::server));
        CHECK(s2s.ns() == ns::server);
        CHECK_FALSE(s2s.attr("to"));
        CHECK_FALSE(s2s.attr("from"));
    }

    TEST_CASE("make_error_reply echoes the request's payload and appends the error")
    {
        // XEP-0130 "WaitingListService Returns <bad-request/> Error to IM User".
        const auto expected = parse_one(
            "<iq type='error' from='waitlist.service-provider.com'"
            " to='user@service-provider.com/resource' id='waitinglist1'>"
            "<query xmlns='http://jabber.org/protocol/waitinglist'><item>"
            "<uri scheme='tag'>shakespeare.lit,2005-08:waitlist1</uri><name>contact-name</name>"
            "</item></query>"
            "<error code='400' type='modify'>"
            "<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
        const auto request = parse_one(add_request);
        const auto reply = make_error_reply(request, make_stanza_error(StanzaCondition::bad_request));
        CHECK(reply == expected);
        CHECK(is_valid_iq(reply));
    }

    TEST_CASE("make_error_reply can leave the payload out and keeps the stream's namespace")
    {
        const auto request = parse_one(add_request, ns::server);
        const auto reply = make_error_reply(request, make_stanza_error(StanzaCondition::service_unavailable), false);
        CHECK(reply.ns() == ns::server);
        CHECK(reply.child_element_count() == 1);
        const xml::Element* err = reply.child("error", ns::server);
        REQUIRE(err);
        CHECK(err->attr_or("code") == "503");
    }

    TEST_CASE("errors answer messages too, but never errors")
    {
        const auto msg = parse_one(
            "<message to='a@example.com' from='b@example.com/r' type='chat' id='m1'>"
            "<body>hi</body></message>");
        const auto reply = make_error_reply(msg, make_stanza_error(StanzaCondition::recipient_unavailable));
        CHECK(reply.name() == "message");
        CHECK(reply.attr_or("type") == "error");
        CHECK(reply.attr_or("to") == "b@example.com/r");
        CHECK(reply.child("body", ns::client));
        CHECK(may_answer_with_error(msg));
        CHECK_FALSE(may_answer_with_error(reply));
        CHECK_FALSE(may_answer_with_error(parse_one("<iq type='result' id='1'/>")));
        CHECK(may_answer_with_error(parse_one("<presence/>")));
    }

}  // TEST_SUITE
