#include <doctest.h>

#include <string>

#include "proto/codec/waitinglist.hpp"
#include "xml_fixture.hpp"

using namespace wl::proto;
using namespace wl::proto::codec;
using wl::test::parse_one;
using wl::test::parse_payload;

namespace {

const std::string wl_ns = "http://jabber.org/protocol/waitinglist";

xml::Element query(const std::string& inner)
{
    return parse_payload("<query xmlns='" + wl_ns + "'>" + inner + "</query>");
}

Decoded<Waitinglist> decode_query(const std::string& inner) { return decode_waitinglist(query(inner)); }

std::string error_text(const std::string& inner)
{
    const auto d = decode_query(inner);
    REQUIRE_FALSE(d);
    return d.error().text();
}

std::string repeat(std::string_view s, int n)
{
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

}  // namespace

TEST_SUITE("codec-waitinglist")
{
    TEST_CASE("an empty query and an empty waitlist decode to no items")
    {
        auto q = decode_query("");
        REQUIRE(q);
        CHECK(q->root == WaitlistRoot::query);
        CHECK(q->items.empty());
        auto w = decode_waitinglist(parse_payload("<waitlist xmlns='" + wl_ns + "'/>"));
        REQUIRE(w);
        CHECK(w->root == WaitlistRoot::waitlist);
        CHECK(encode(*w) == parse_payload("<waitlist xmlns='" + wl_ns + "'/>"));
    }

    TEST_CASE("every shape of item the schema allows decodes and re-encodes to the same tree")
    {
        const std::string shapes[] = {
            "<item/>",
            "<item id='34567'/>",
            "<item id='34567' jid='contact@service-provider.com'/>",
            "<item><uri scheme='tel'>+13033083282</uri></item>",
            "<item><uri scheme='mailto'>editor@xmpp.org</uri><name>XMPP Extensions Editor</name></item>",
            "<item><uri scheme='tel'></uri></item>",
            "<item><uri scheme='tel'>1</uri><name/></item>",
            "<item id='1'><remove/></item>",
            "<item id='1'><uri scheme='tel'>1</uri><remove/></item>",
            "<item id='1' jid='c@example.com' type='error'><uri scheme='tel'>1</uri><name>n</name>"
            "<error xmlns='jabber:client' code='404' type='cancel'>"
            "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></item>",
            "<item type='error'><uri scheme='tel'>1</uri>"
            "<error xmlns='jabber:client' code='504' type='wait'>"
            "<remote-server-timeout xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></item>",
            "<item id='John Smith (mobile)'><uri scheme='x-custom.scheme_2'>v</uri></item>",
        };
        for (const std::string& s : shapes) {
            CAPTURE(s);
            const auto el = query(s);
            const auto d = decode_waitinglist(el);
            INFO((d ? std::string() : d.error().text()));
            REQUIRE(d);
            REQUIRE(d->items.size() == 1);
            CHECK(encode(*d) == el);
        }
    }

    TEST_CASE("an item's fields are read into the struct")
    {
        auto d = decode_query(
            "<item id='34567' jid='Contact@Service-Provider.com' type='error'>"
            "<uri scheme='tel'>contact-number</uri><name>contact-name</name>"
            "<error code='404' type='cancel' xmlns='jabber:client'>"
            "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></item>");
        REQUIRE(d);
        const WaitlistItem& item = d->items.at(0);
        CHECK(item.id == "34567");
        REQUIRE(item.jid);
        CHECK(item.jid->full() == "contact@service-provider.com");
        CHECK(item.is_error);
        CHECK(item.uri == WaitlistUri{"tel", "contact-number"});
        CHECK(item.name == "contact-name");
        REQUIRE(item.error);
        CHECK(item.error->condition == StanzaCondition::item_not_found);
        CHECK_FALSE(item.remove);

        auto r = decode_query("<item id='9'><remove/></item>");
        REQUIRE(r);
        CHECK(r->items[0].remove);
        CHECK_FALSE(r->items[0].uri);
        CHECK_FALSE(r->items[0].jid);
    }

    TEST_CASE("items keep their order")
    {
        std::string inner;
        for (int i = 0; i < 20; ++i) inner += "<item id='" + std::to_string((i * 7) % 20) + "'/>";
        auto d = decode_query(inner);
        REQUIRE(d);
        REQUIRE(d->items.size() == 20);
        for (int i = 0; i < 20; ++i) CHECK(*d->items[i].id == std::to_string((i * 7) % 20));
    }

    TEST_CASE("an <error/> in the item may come in jabber:server from a peer server")
    {
        auto d = decode_query(
            "<item type='error'><uri scheme='tel'>1</uri><error xmlns='jabber:server' type='cancel'>"
            "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></item>");
        REQUIRE(d);
        CHECK(d->items[0].error->condition == StanzaCondition::item_not_found);
    }

    TEST_CASE("a name is limited to 1023 characters, not bytes")
    {
        const std::string ok = repeat("\xC3\xA9", 1023);  // 2046 bytes
        auto d = decode_query("<item><uri scheme='tel'>1</uri><name>" + ok + "</name></item>");
        REQUIRE(d);
        CHECK(d->items[0].name == ok);
        CHECK(decode_query("<item><uri scheme='tel'>1</uri><name>" + std::string(1023, 'a') + "</name></item>"));

        const auto too_long =
            decode_query("<item><uri scheme='tel'>1</uri><name>" + repeat("\xC3\xA9", 1024) + "</name></item>");
        REQUIRE_FALSE(too_long);
        CHECK(too_long.error().kind == DecodeError::Kind::cdata_too_long);
        CHECK(too_long.error().text() ==
              "Too long cdata (more than 1023 characters) in tag <name/> qualified by namespace '" + wl_ns + "'");
    }

    TEST_CASE("shapes outside the schema are decode errors that name the tag")
    {
        struct Case {
            std::string inner;
            std::string text;
        };
        const std::string in_ns = " qualified by namespace '" + wl_ns + "'";
        const Case cases[] = {
            {"<item><uri>1</uri></item>", "Missing attribute 'scheme' in tag <uri/>" + in_ns},
            {"<item><uri scheme='1tel'>1</uri></item>", "Bad value of attribute 'scheme' in tag <uri/>" + in_ns},
            {"<item><uri scheme='te l'>1</uri></item>", "Bad value of attribute 'scheme' in tag <uri/>" + in_ns},
            {"<item><uri scheme='tel'>1</uri><uri scheme='tel'>2</uri></item>", "Duplicate tag <uri/>" + in_ns},
            {"<item><uri scheme='tel'>1</uri><name>a</name><name>b</name></item>", "Duplicate tag <name/>" + in_ns},
            {"<item id='1'><remove/><remove/></item>", "Duplicate tag <remove/>" + in_ns},
            {"<item><foo/></item>", "Unknown tag <foo/>" + in_ns},
            {"<item><uri scheme='tel'>1</uri><x xmlns='jabber:x:data'/></item>",
             "Unknown tag <x/> qualified by namespace 'jabber:x:data'"},
            {"<item type='result'/>", "Bad value of attribute 'type' in tag <item/>" + in_ns},
            {"<item type=''/>", "Bad value of attribute 'type' in tag <item/>" + in_ns},
            {"<item jid='@example.com'/>", "Bad value of attribute 'jid' in tag <item/>" + in_ns},
            {"<item><name>n</name></item>", "Missing tag <uri/>" + in_ns},
            {"<item><error type='cancel' xmlns='jabber:client'>"
             "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></item>",
             "Missing tag <uri/>" + in_ns},
            {"<item><uri scheme='tel'>1</uri><error type='cancel'>"
             "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></item>",
             "Unknown tag <error/>" + in_ns},
            {"<item><uri scheme='tel'>1</uri><error xmlns='jabber:client' code='404'/></item>",
             "Missing error condition in tag <error/> qualified by namespace 'jabber:client'"},
            {"<item>loose text</item>", "Unexpected cdata in tag <item/>" + in_ns},
            {"<item id='1'><remove>now</remove></item>", "Unexpected cdata in tag <remove/>" + in_ns},
            {"<item id='1'><remove><x/></remove></item>", "Unknown tag <x/>" + in_ns},
            {"<item><uri scheme='tel'>1<b/></uri></item>", "Unknown tag <b/>" + in_ns},
            {"<entry/>", "Unknown tag <entry/>" + in_ns},
            {"<item xmlns='urn:other'/>", "Unknown tag <item/> qualified by namespace 'urn:other'"},
            {"text", "Unexpected cdata in tag <query/>" + in_ns},
        };
        for (const Case& c : cases) {
            CAPTURE(c.inner);
            CHECK(error_text(c.inner) == c.text);
        }
    }

    TEST_CASE("a root other than query or waitlist is refused")
    {
        auto d = decode_waitinglist(parse_payload("<list xmlns='" + wl_ns + "'/>"));
        REQUIRE_FALSE(d);
        CHECK(d.error().kind == DecodeError::Kind::unknown_tag);
        CHECK_FALSE(decode_waitinglist(parse_payload("<query xmlns='jabber:iq:agents'/>")));
        CHECK(is_waitinglist(parse_payload("<waitlist xmlns='" + wl_ns + "'/>")));
        CHECK_FALSE(is_waitinglist(parse_payload("<query xmlns='jabber:iq:agents'/>")));
    }

    TEST_CASE("decode errors become bad-request with the codec's sentence")
    {
        auto d = decode_query("<item><uri>1</uri></item>");
        REQUIRE_FALSE(d);
        const StanzaError e = to_stanza_error(d.error());
        CHECK(e.condition == StanzaCondition::bad_request);
        CHECK(e.type == ErrorType::modify);
        CHECK(e.text == "Missing attribute 'scheme' in tag <uri/> qualified by namespace '" + wl_ns + "'");
        CHECK(legacy_code(e.condition) == 400);
    }

    TEST_CASE("decode error texts never carry the offending value")
    {
        auto d = decode_query("<item><uri scheme='tel'>1</uri><name>" + std::string(1030, '5') + "</name></item>");
        REQUIRE_FALSE(d);
        CHECK(d.error().text().find("5555") == std::string::npos);
    }

    TEST_CASE("decode_waitlist_item decodes one item")
    {
        auto d = decode_waitlist_item(parse_payload("<item xmlns='" + wl_ns + "' id='7'/>"));
        REQUIRE(d);
        CHECK(d->id == "7");
        CHECK_FALSE(decode_waitlist_item(parse_payload("<item xmlns='" + wl_ns + "' type='x'/>")));
    }

    namespace {

    WaitlistItem example_item()
    {
        WaitlistItem item;
        item.id = "34567";
        item.jid = Jid::parse("contact@service-provider.com");
        item.uri = WaitlistUri{"tel", "contact-number"};
        item.name = "contact-name";
        return item;
    }

    const Jid service = *Jid::parse("waitlist.service-provider.com");

    }  // namespace

    TEST_CASE("the JID push is built as XEP-0130 shows it")
    {
        const auto expected = parse_one(
            "<message from='waitlist.service-provider.com' to='user@service-provider.com'>"
            "<body>This message contains a WaitingList item.</body>"
            "<waitlist xmlns='http://jabber.org/protocol/waitinglist'>"
            "<item id='34567' jid='contact@service-provider.com'>"
            "<uri scheme='tel'>contact-number</uri><name>contact-name</name></item>"
            "</waitlist></message>");
        CHECK(make_jid_push(service, *Jid::parse("user@service-provider.com"), example_item()) == expected);

        const auto headline =
            make_jid_push(service, *Jid::parse("user@service-provider.com"), example_item(), PushType::headline);
        CHECK(headline.attr_or("type") == "headline");
    }

    TEST_CASE("the not-found push marks the item as an error and carries the condition")
    {
        const auto expected = parse_one(
            "<message from='waitlist.service-provider.com' to='user@service-provider.com'>"
            "<body>Sorry, we cannot find this contact.</body>"
            "<waitlist xmlns='http://jabber.org/protocol/waitinglist'>"
            "<item id='34567' jid='contact@service-provider.com' type='error'>"
            "<uri scheme='tel'>contact-number</uri><name>contact-name</name>"
            "<error code='404' type='cancel' xmlns='jabber:client'>"
            "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
            "</item></waitlist></message>");
        CHECK(make_item_error_push(service, *Jid::parse("user@service-provider.com"), example_item(),
                                   make_stanza_error(StanzaCondition::item_not_found)) == expected);
    }

    TEST_CASE("the message-type error is built as XEP-0130 shows it")
    {
        const auto expected = parse_one(
            "<message type='error' from='waitlist.service-provider.com'"
            " to='user@service-provider.com/resource' id='waitinglist1'>"
            "<waitlist xmlns='http://jabber.org/protocol/waitinglist'>"
            "<item><uri scheme='tel'>+1234563033083283</uri><name>contact-name</name></item>"
            "</waitlist>"
            "<error code='404' type='cancel'>"
            "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
        WaitlistItem item;
        item.uri = WaitlistUri{"tel", "+1234563033083283"};
        item.name = "contact-name";
        CHECK(make_waitlist_error_message(service, *Jid::parse("user@service-provider.com/resource"), "waitinglist1",
                                          item, make_stanza_error(StanzaCondition::item_not_found)) == expected);
    }

}  // TEST_SUITE
