#include <doctest.h>

#include "proto/codec/agents.hpp"
#include "proto/codec/disco.hpp"
#include "xml_fixture.hpp"

using namespace wl::proto;
using namespace wl::proto::codec;
using wl::test::parse_payload;

TEST_SUITE("codec-disco-agents")
{
    TEST_CASE("the service's disco#info answer is built as XEP-0130 shows it")
    {
        DiscoInfo info;
        info.identities.push_back({"directory", "waitinglist", "", ""});
        info.features = {"http://jabber.org/protocol/waitinglist",
                         "http://jabber.org/protocol/waitinglist/schemes/mailto",
                         "http://jabber.org/protocol/waitinglist/schemes/tel"};
        const auto expected = parse_payload(
            "<query xmlns='http://jabber.org/protocol/disco#info'>"
            "<identity category='directory' type='waitinglist'/>"
            "<feature var='http://jabber.org/protocol/waitinglist'/>"
            "<feature var='http://jabber.org/protocol/waitinglist/schemes/mailto'/>"
            "<feature var='http://jabber.org/protocol/waitinglist/schemes/tel'/>"
            "</query>");
        CHECK(encode(info) == expected);

        auto back = decode_disco_info(expected);
        REQUIRE(back);
        CHECK(back->identities == info.identities);
        CHECK(back->features == info.features);
        CHECK(back->has_feature("http://jabber.org/protocol/waitinglist"));
        CHECK_FALSE(back->has_feature("urn:xmpp:ping"));
    }

    TEST_CASE("disco#info keeps names, languages, node and extensions")
    {
        const auto el = parse_payload(
            "<query xmlns='http://jabber.org/protocol/disco#info' node='n1'>"
            "<identity category='server' type='im' name='Server' xml:lang='en'/>"
            "<feature var='urn:xmpp:ping'/>"
            "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>v</value></field></x>"
            "</query>");
        auto d = decode_disco_info(el);
        REQUIRE(d);
        CHECK(d->node == "n1");
        CHECK(d->identities.at(0).name == "Server");
        CHECK(d->identities.at(0).lang == "en");
        CHECK(d->extensions.size() == 1);
        CHECK(encode(*d) == el);
    }

    TEST_CASE("disco answers without what they must carry are refused")
    {
        auto no_var =
            decode_disco_info(parse_payload("<query xmlns='http://jabber.org/protocol/disco#info'><feature/></query>"));
        REQUIRE_FALSE(no_var);
        CHECK(no_var.error().text() ==
              "Missing attribute 'var' in tag <feature/> qualified by "
              "namespace 'http://jabber.org/protocol/disco#info'");
        CHECK_FALSE(decode_disco_info(
            parse_payload("<query xmlns='http://jabber.org/protocol/disco#info'><identity type='im'/></query>")));
        CHECK_FALSE(decode_disco_info(parse_payload("<query xmlns='http://jabber.org/protocol/disco#items'/>")));
        auto bad_jid = decode_disco_items(
            parse_payload("<query xmlns='http://jabber.org/protocol/disco#items'><item jid='a@b@c'/></query>"));
        REQUIRE_FALSE(bad_jid);
        CHECK(bad_jid.error().kind == DecodeError::Kind::bad_attribute_value);
        CHECK(bad_jid.error().attribute == "jid");
        CHECK_FALSE(decode_disco_items(
            parse_payload("<query xmlns='http://jabber.org/protocol/disco#items'><item name='x'/></query>")));
    }

    TEST_CASE("disco#items round trips, and stray text in a peer's answer is ignored")
    {
        DiscoItems items;
        items.items.push_back({*Jid::parse("waitlist.service-provider.com"), "", "Waiting List Service"});
        items.items.push_back({*Jid::parse("conference.service-provider.com"), "rooms", ""});
        const auto el = encode(items);
        auto back = decode_disco_items(el);
        REQUIRE(back);
        CHECK(back->items == items.items);

        auto with_dots = decode_disco_items(
            parse_payload("<query xmlns='http://jabber.org/protocol/disco#items'>...\n"
                          "<item jid='waitlist.service-provider.com' name='Waiting List Service'/>\n...</query>"));
        REQUIRE(with_dots);
        CHECK(with_dots->items.size() == 1);
    }

    TEST_CASE("the agents answer is built as XEP-0130 shows it and decodes back")
    {
        Agents agents;
        Agent a{*Jid::parse("waitlist.service-provider.com")};
        a.name = "Waiting List Service";
        a.service = std::string(waitinglist_agent_service);
        agents.agents.push_back(a);
        const auto expected = parse_payload(
            "<query xmlns='jabber:iq:agents'>"
            "<agent jid='waitlist.service-provider.com'>"
            "<name>Waiting List Service</name><service>waitinglist</service></agent></query>");
        CHECK(encode(agents) == expected);
        auto back = decode_agents(expected);
        REQUIRE(back);
        CHECK(back->agents == agents.agents);
    }

    TEST_CASE("every XEP-0094 agent field round trips")
    {
        Agent a{*Jid::parse("icq.example.com")};
        a.name = "ICQ";
        a.description = "ICQ gateway";
        a.service = "icq";
        a.transport = "Enter UIN";
        a.groupchat = true;
        a.register_ = true;
        a.search = true;
        auto back = decode_agents(encode(Agents{{a}}));
        REQUIRE(back);
        CHECK(back->agents.at(0) == a);
    }

    TEST_CASE("an agent needs a valid jid")
    {
        CHECK_FALSE(
            decode_agents(parse_payload("<query xmlns='jabber:iq:agents'><agent><name>x</name></agent></query>")));
        CHECK_FALSE(decode_agents(parse_payload("<query xmlns='jabber:iq:agents'><agent jid='bad jid'/></query>")));
        CHECK_FALSE(decode_agents(parse_payload(
            "<query xmlns='jabber:iq:agents'><agent jid='a.example'><name>1</name><name>2</name></agent></query>")));
    }

}  // TEST_SUITE
