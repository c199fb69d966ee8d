#include <doctest.h>

#include "parse_helpers.hpp"
#include "proto/ns.hpp"
#include "proto/xml/writer.hpp"

using namespace wl::proto::xml;
using namespace wl::proto::xml::testing;
namespace ns = wl::proto::ns;

namespace {
const WriteContext client_ctx{"jabber:client", {{"stream", std::string(ns::stream)}}};
const WriteContext server_ctx{"jabber:server",
                              {{"stream", std::string(ns::stream)}, {"db", std::string(ns::dialback)}}};
}  // namespace

TEST_CASE("xmlns is written only where the namespace changes")
{
    Element iq("iq", std::string(ns::client));
    iq.set_attr("type", "get").set_attr("id", "d1");
    iq.add_child("query", std::string(ns::disco_info))
        .add_child("feature", std::string(ns::disco_info))
        .set_attr("var", "x");
    CHECK(
        serialize(iq, client_ctx) ==
        "<iq type='get' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='x'/></query></iq>");
    // Without a context the top element declares its namespace.
    CHECK(serialize(Element("presence", std::string(ns::client))) == "<presence xmlns='jabber:client'/>");
    // An element in no namespace under a default one undeclares it.
    Element m("message", std::string(ns::client));
    m.add_child("x", "");
    CHECK(serialize(m, client_ctx) == "<message><x xmlns=''/></message>");
}

TEST_CASE("prefixes declared on the stream header are used")
{
    Element features("features", std::string(ns::stream));
    features.add_child("dialback", std::string(ns::dialback_feature));
    CHECK(serialize(features, server_ctx) ==
          "<stream:features><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>");
    Element result("result", std::string(ns::dialback));
    result.set_attr("from", "a.example").set_attr("to", "b.example").add_text("key");
    CHECK(serialize(result, server_ctx) == "<db:result from='a.example' to='b.example'>key</db:result>");
    Element error("error", std::string(ns::stream));
    error.add_child("conflict", std::string(ns::streams_err));
    CHECK(serialize(error, client_ctx) ==
          "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
}

TEST_CASE("xml:lang and other namespaced attributes get a prefix")
{
    Element m("message", std::string(ns::client));
    m.set_attr("lang", "en", ns::xml);
    CHECK(serialize(m, client_ctx) == "<message xml:lang='en'/>");
    Element n("x", "urn:a");
    n.set_attr("k", "v", "urn:b");
    const std::string out = serialize(n, client_ctx);
    CHECK(out == "<x xmlns='urn:a' xmlns:wl0='urn:b' wl0:k='v'/>");
    auto back = parse(std::string(client_header) + out);
    REQUIRE_FALSE(back.error);
    CHECK(back.events[1].element == n);
}

TEST_CASE("text and attributes are escaped")
{
    Element b("body", std::string(ns::client));
    b.set_attr("a", "<&>'\"\t\n\r");
    b.add_text("<a & b> 'q' \"d\"\r\n\t");
    CHECK(serialize(b, client_ctx) ==
          "<body a='&lt;&amp;&gt;&apos;&quot;&#9;&#10;&#13;'>&lt;a &amp; b&gt; 'q' \"d\"&#13;\n\t</body>");
    // And what was escaped comes back exactly.
    auto back = parse(std::string(client_header) + serialize(b, client_ctx));
    REQUIRE_FALSE(back.error);
    CHECK(back.events[1].element == b);
}

TEST_CASE("characters XML forbids are rejected, not emitted")
{
    const char* bad[] =
        {"\x01",         "a\x1f",        "\x00",     "\xC3\x28",        "\xFF", "\xE2\x82", "\xED\xA0\x80",
         "\xEF\xBF\xBE", "\xEF\xBF\xBF", "\xC0\xAF", "\xF4\x90\x80\x80"};
    for (const char* s : bad) {
        const std::string text = s[0] == '\0' ? std::string(1, '\0') : std::string(s);
        INFO("bytes " << text);
        CHECK_FALSE(is_valid_xml_text(text));
        Element t("body", "jabber:client");
        t.add_text(text);
        CHECK_THROWS_AS(serialize(t), XmlWriteError);
        Element a("body", "jabber:client");
        a.set_attr("x", text);
        CHECK_THROWS_AS(serialize(a), XmlWriteError);
    }
    for (const char* s : {"", "plain", "tab\tcr\rlf\n", "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", "\xEF\xBF\xBD", "\x7f"})
        CHECK(is_valid_xml_text(s));
    // A name that could break out of its tag.
    CHECK_THROWS_AS(serialize(Element("a b", "")), XmlWriteError);
    CHECK_THROWS_AS(serialize(Element("", "")), XmlWriteError);
    Element e("x", "");
    e.set_attr("a='1'", "v");
    CHECK_THROWS_AS(serialize(e), XmlWriteError);
}

TEST_CASE("the stream header is opened with its namespaces and closed")
{
    Element header("stream", std::string(ns::stream));
    header.set_attr("from", "example.com")
        .set_attr("id", "s1")
        .set_attr("version", "1.0")
        .set_attr("lang", "en", ns::xml);
    // The namespace declarations the parser keeps on a received header are not repeated.
    header.set_attr("xmlns", "jabber:server", xmlns_ns);
    const std::string open = open_stream_tag(header, client_ctx);
    CHECK(open ==
          "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
          "from='example.com' id='s1' version='1.0' xml:lang='en'>");
    CHECK(close_stream_tag() == "</stream:stream>");
    CHECK(open_stream_tag(Element("stream", std::string(ns::stream)), WriteContext{"jabber:client", {}}) ==
          "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
    auto back = parse(open + std::string(close_stream_tag()));
    REQUIRE_FALSE(back.error);
    REQUIRE(back.events.size() == 2);
    CHECK(back.events[0].element.attr_or("id") == "s1");
    CHECK(*back.events[0].element.attr("lang", ns::xml) == "en");
    CHECK(declared_default_ns(back.events[0].element) == std::optional<std::string>("jabber:client"));
}

TEST_CASE("serialize_to appends to what is already there")
{
    std::string out = "x";
    serialize_to(out, Element("presence", std::string(ns::client)), client_ctx);
    CHECK(out == "x<presence/>");
}
