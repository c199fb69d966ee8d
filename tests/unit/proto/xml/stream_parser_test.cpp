#include <doctest.h>

#include <string>

#include "parse_helpers.hpp"
#include "proto/ns.hpp"
#include "proto/xml/stream_parser.hpp"
#include "proto/xml/writer.hpp"

using namespace wl::proto::xml;
using namespace wl::proto::xml::testing;
namespace ns = wl::proto::ns;

namespace {

// A c2s stream with what real clients send: the XML declaration, keepalive whitespace,
// escaped and CDATA text, multi-byte UTF-8, xml:lang, prefixed payload namespaces.
const std::string realistic_stream =
    std::string(client_header) +
    "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n"
    "<iq type='set' id='waitinglist1' xml:lang='en'>"
    "<query xmlns='http://jabber.org/protocol/waitinglist'><item>"
    "<uri scheme='tel'>+12345556789</uri><name>Jos\xC3\xA9 &amp; \xE2\x82\xAC \xF0\x9F\x98\x80</name>"
    "</item></query></iq> \r\n\t "
    "<message to='a@b' type='chat'><body>1 &lt; 2 &gt; 0 &quot;q&quot; &apos;a&apos; &#x263A; "
    "<![CDATA[<not markup> & raw]]></body>"
    "<w:waitlist xmlns:w='http://jabber.org/protocol/waitinglist' w:extra='1'><w:item id='7'/></w:waitlist>"
    "</message>"
    "<presence/>"
    "</stream:stream>";

}  // namespace

TEST_CASE("a client stream yields the header, each stanza and the close in order")
{
    const Outcome out = parse(realistic_stream);
    REQUIRE_FALSE(out.error);
    REQUIRE(out.events.size() == 6);
    const Element& header = out.events[0].element;
    CHECK(out.events[0].kind == StreamEvent::Kind::open);
    CHECK(header.is("stream", ns::stream));
    CHECK(header.attr_or("to") == "example.com");
    CHECK(header.attr_or("version") == "1.0");
    CHECK(header.nodes().empty());
    CHECK(declared_default_ns(header) == std::optional<std::string>("jabber:client"));
    CHECK(declared_prefix(header, "stream") == std::optional<std::string>(std::string(ns::stream)));
    CHECK_FALSE(declared_prefix(header, "db").has_value());

    CHECK(out.events[1].kind == StreamEvent::Kind::stanza);
    CHECK(out.events[1].element.is("starttls", ns::tls));

    const Element& iq = out.events[2].element;
    CHECK(iq.is("iq", ns::client));
    CHECK(iq.attr_or("type") == "set");
    CHECK(*iq.attr("lang", ns::xml) == "en");
    const Element* item = iq.child("query", ns::waitinglist)->child("item", ns::waitinglist);
    REQUIRE(item);
    CHECK(item->child_text("uri", ns::waitinglist) == std::optional<std::string>("+12345556789"));
    CHECK(*item->child("uri", ns::waitinglist)->attr("scheme") == "tel");
    CHECK(item->child_text("name", ns::waitinglist) ==
          std::optional<std::string>("Jos\xC3\xA9 & \xE2\x82\xAC \xF0\x9F\x98\x80"));

    const Element& msg = out.events[3].element;
    CHECK(msg.is("message", ns::client));
    CHECK(msg.child_text("body", ns::client) ==
          std::optional<std::string>("1 < 2 > 0 \"q\" 'a' \xE2\x98\xBA <not markup> & raw"));
    const Element* wl = msg.child("waitlist", ns::waitinglist);
    REQUIRE(wl);
    CHECK(*wl->attr("extra", ns::waitinglist) == "1");
    CHECK(wl->child("item", ns::waitinglist));

    CHECK(out.events[4].element.is("presence", ns::client));
    CHECK(out.events[5].kind == StreamEvent::Kind::close);
}

TEST_CASE("a stream split at every byte position yields the same trees")
{
    const Outcome whole = parse(realistic_stream);
    REQUIRE_FALSE(whole.error);
    for (std::size_t cut = 0; cut <= realistic_stream.size(); ++cut) {
        StreamParser parser;
        const Outcome split = feed_split(parser, realistic_stream, cut);
        INFO("split at byte " << cut);
        REQUIRE_FALSE(split.error);
        REQUIRE(same_events(split.events, whole.events));
    }
}

TEST_CASE("a stream fed one byte at a time yields the same trees, each as soon as it ends")
{
    const Outcome whole = parse(realistic_stream);
    StreamParser parser;
    std::vector<StreamEvent> events;
    for (std::size_t i = 0; i < realistic_stream.size(); ++i) {
        REQUIRE_FALSE(parser.feed(std::string_view(realistic_stream).substr(i, 1)));
        while (auto ev = parser.next()) {
            // The event is complete the moment its last byte arrives: that byte is '>'.
            CHECK(realistic_stream[i] == '>');
            events.push_back(std::move(*ev));
        }
    }
    CHECK(same_events(events, whole.events));
}

TEST_CASE("the dialback and stream prefixes resolve on a server stream")
{
    const Outcome out = parse(
        "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
        "xmlns:db='jabber:server:dialback' from='a.example' to='b.example' version='1.0'>"
        "<stream:features><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>"
        "<db:result from='a.example' to='b.example'>abcdef</db:result>"
        "<message from='x@a.example' to='y@b.example'/>");
    REQUIRE_FALSE(out.error);
    REQUIRE(out.events.size() == 4);
    CHECK(declared_default_ns(out.events[0].element) == std::optional<std::string>("jabber:server"));
    CHECK(declared_prefix(out.events[0].element, "db") == std::optional<std::string>("jabber:server:dialback"));
    CHECK(out.events[1].element.is("features", ns::stream));
    CHECK(out.events[1].element.child("dialback", ns::dialback_feature));
    CHECK(out.events[2].element.is("result", ns::dialback));
    CHECK(out.events[2].element.text() == "abcdef");
    CHECK(out.events[3].element.is("message", ns::server));
}

TEST_CASE("whitespace keepalives between stanzas produce no events and never reach the limit")
{
    ParserLimits limits;
    limits.max_stanza_bytes = 200;
    StreamParser parser(limits);
    REQUIRE_FALSE(parser.feed(client_header));
    REQUIRE(parser.next());
    for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(parser.feed(" "));
    CHECK_FALSE(parser.next());
    REQUIRE_FALSE(parser.feed("<presence/>"));
    auto ev = parser.next();
    REQUIRE(ev);
    CHECK(ev->element.is("presence", ns::client));
}

TEST_CASE("text at the stream level is a bad-format error")
{
    const Outcome out = parse(std::string(client_header) + "hello");
    REQUIRE(out.error);
    CHECK(out.error->condition == "bad-format");
}

TEST_CASE("a restart after STARTTLS needs a new header, with the same limits")
{
    ParserLimits limits;
    limits.max_depth = 3;
    StreamParser parser(limits);
    Outcome first =
        feed_in_pieces(parser, std::string(client_header) + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    REQUIRE_FALSE(first.error);
    REQUIRE(first.events.size() == 2);
    parser.reset();
    // Without reset a second header would be a nested stanza; with it, it is a new stream.
    Outcome second = feed_in_pieces(parser, std::string(client_header) + "<presence/>");
    REQUIRE_FALSE(second.error);
    REQUIRE(second.events.size() == 2);
    CHECK(second.events[0].kind == StreamEvent::Kind::open);
    CHECK(second.events[1].element.is("presence", ns::client));
    CHECK(parser.limits().max_depth == 3);
    Outcome deep = feed_in_pieces(parser, "<a><b><c><d/></c></b></a>");
    REQUIRE(deep.error);
    CHECK(deep.error->condition == "policy-violation");
}

TEST_CASE("a failed parser stays failed until reset")
{
    StreamParser parser;
    auto err = parser.feed(std::string(client_header) + "<a></b>");
    REQUIRE(err);
    CHECK(err->condition == "not-well-formed");
    CHECK(parser.failed());
    auto again = parser.feed("<presence/>");
    REQUIRE(again);
    CHECK(again->condition == "not-well-formed");
    parser.reset();
    CHECK_FALSE(parser.failed());
    CHECK_FALSE(parser.feed(client_header));
}

TEST_CASE("events completed before an error are still delivered")
{
    const Outcome out = parse(std::string(client_header) + "<presence/><!-- c -->");
    REQUIRE(out.error);
    CHECK(out.error->condition == "restricted-xml");
    REQUIRE(out.events.size() == 2);
    CHECK(out.events[1].element.is("presence", ns::client));
}

TEST_CASE("a stream root in the wrong namespace or with the wrong name is invalid-namespace")
{
    auto wrong_ns = parse("<stream:stream xmlns:stream='http://example.com/streams' xmlns='jabber:client'>");
    REQUIRE(wrong_ns.error);
    CHECK(wrong_ns.error->condition == "invalid-namespace");
    CHECK(wrong_ns.events.empty());
    auto no_ns = parse("<stream xmlns='jabber:client'>");
    REQUIRE(no_ns.error);
    CHECK(no_ns.error->condition == "invalid-namespace");
    auto wrong_name = parse("<stream:strea xmlns:stream='http://etherx.jabber.org/streams'>");
    REQUIRE(wrong_name.error);
    CHECK(wrong_name.error->condition == "invalid-namespace");
}

TEST_CASE("an unbound prefix is bad-namespace-prefix")
{
    auto out = parse(std::string(client_header) + "<foo:iq/>");
    REQUIRE(out.error);
    CHECK(out.error->condition == "bad-namespace-prefix");
}

TEST_CASE("a billion laughs document is refused at its doctype, before any expansion")
{
    std::string doc = "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>";
    for (int i = 1; i < 10; ++i) {
        doc += "<!ENTITY lol" + std::to_string(i) + " '";
        for (int j = 0; j < 10; ++j) doc += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
        doc += "'>";
    }
    doc += "]><stream:stream xmlns:stream='http://etherx.jabber.org/streams'><message><body>&lol9;</body></message>";
    for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
        StreamParser parser;
        const Outcome out = feed_in_pieces(parser, doc, piece);
        REQUIRE(out.error);
        CHECK(out.error->condition == "restricted-xml");
        CHECK(out.events.empty());
    }
}

TEST_CASE("an entity reference without a DTD is refused")
{
    auto out = parse(std::string(client_header) + "<message><body>&lol9;</body></message>");
    REQUIRE(out.error);
    CHECK(out.error->condition == "restricted-xml");
}

TEST_CASE("a DTD, processing instruction or comment is restricted-xml")
{
    const char* cases[] = {
        "<!DOCTYPE stream:stream><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
        "<!DOCTYPE x SYSTEM 'http://example.com/x.dtd'><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
        "<?xml-stylesheet href='x'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
        "<!-- hi --><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
    };
    for (const char* c : cases) {
        INFO(c);
        auto out = parse(c);
        REQUIRE(out.error);
        CHECK(out.error->condition == "restricted-xml");
    }
    auto pi = parse(std::string(client_header) + "<message><?php echo 1; ?></message>");
    REQUIRE(pi.error);
    CHECK(pi.error->condition == "restricted-xml");
    CHECK(pi.error->text.find("processing instruction") != std::string::npos);
    auto comment = parse(std::string(client_header) + "<message><!-- x --></message>");
    REQUIRE(comment.error);
    CHECK(comment.error->condition == "restricted-xml");
    CHECK(comment.error->text.find("comment") != std::string::npos);
}

TEST_CASE("nesting deeper than max_depth is a policy-violation naming the limit")
{
    std::string open, close;
    for (int i = 0; i < 32; ++i) {
        open += "<a>";
        close += "</a>";
    }
    auto ok = parse(std::string(client_header) + open + close);
    CHECK_FALSE(ok.error);
    CHECK(ok.events.size() == 2);
    auto deep = parse(std::string(client_header) + open + "<a/>" + close);
    REQUIRE(deep.error);
    CHECK(deep.error->condition == "policy-violation");
    CHECK(deep.error->text.find("max_depth") != std::string::npos);
    // Deep enough to hurt a recursive consumer: stopped at the limit, not after.
    std::string hostile{client_header};
    for (int i = 0; i < 100000; ++i) hostile += "<a>";
    auto h = parse(hostile);
    REQUIRE(h.error);
    CHECK(h.error->condition == "policy-violation");
}

TEST_CASE("more attributes than max_attributes is a policy-violation naming the limit")
{
    auto with_attrs = [](int n) {
        std::string s = std::string(client_header) + "<message";
        for (int i = 0; i < n; ++i) s += " a" + std::to_string(i) + "='v'";
        return s + "/>";
    };
    CHECK_FALSE(parse(with_attrs(64)).error);
    auto out = parse(with_attrs(65));
    REQUIRE(out.error);
    CHECK(out.error->condition == "policy-violation");
    CHECK(out.error->text.find("max_attributes") != std::string::npos);
    // Namespace declarations are not attributes.
    std::string decls = std::string(client_header) + "<message";
    for (int i = 0; i < 70; ++i) decls += " xmlns:p" + std::to_string(i) + "='urn:x:" + std::to_string(i) + "'";
    CHECK_FALSE(parse(decls + "/>").error);
}

TEST_CASE("a stanza over max_stanza_bytes is a policy-violation, however it is fed")
{
    ParserLimits limits;
    limits.max_stanza_bytes = 1000;
    const std::string fits = "<message><body>" + std::string(1000 - 32, 'x') + "</body></message>";
    REQUIRE(fits.size() == 1000);
    const std::string big = "<message><body>" + std::string(1000 - 31, 'x') + "</body></message>";
    for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{100}}) {
        INFO("piece " << piece);
        StreamParser ok(limits);
        auto good = feed_in_pieces(ok, std::string(client_header) + fits + fits, piece);
        CHECK_FALSE(good.error);
        CHECK(good.events.size() == 3);
        StreamParser parser(limits);
        auto out = feed_in_pieces(parser, std::string(client_header) + fits + big, piece);
        REQUIRE(out.error);
        CHECK(out.error->condition == "policy-violation");
        CHECK(out.error->text.find("max_stanza_bytes") != std::string::npos);
        CHECK(out.events.size() == 2);
    }
    // An unfinished start tag never reaches a handler; it is bounded all the same.
    StreamParser parser(limits);
    REQUIRE_FALSE(parser.feed(client_header));
    REQUIRE_FALSE(parser.feed("<message to='"));
    std::optional<ParseError> err;
    for (int i = 0; i < 2000 && !err; ++i) err = parser.feed("x");
    REQUIRE(err);
    CHECK(err->condition == "policy-violation");
    CHECK(parser.current_stanza_bytes() == 1001);
}

TEST_CASE("the stream header itself is bounded by max_stanza_bytes")
{
    ParserLimits limits;
    limits.max_stanza_bytes = 200;
    auto out =
        parse("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='" + std::string(300, 'a') + "'>",
              limits);
    REQUIRE(out.error);
    CHECK(out.error->condition == "policy-violation");
}

TEST_CASE("current_stanza_bytes counts the stanza being parsed")
{
    StreamParser parser;
    REQUIRE_FALSE(parser.feed(client_header));
    CHECK(parser.current_stanza_bytes() == 0);
    REQUIRE_FALSE(parser.feed("<message><body>12345"));
    CHECK(parser.current_stanza_bytes() == 20);
    REQUIRE_FALSE(parser.feed("</body></message>"));
    CHECK(parser.current_stanza_bytes() == 0);
}

TEST_CASE("invalid UTF-8 is not-well-formed wherever it appears")
{
    const char* bad[] = {"\xC3\x28", "\xA0",         "\xE2\x82",     "\xF8\x88\x80\x80\x80",
                         "\xC0\xAF", "\xED\xA0\x80", "\xEF\xBF\xBF", "\x01"};
    for (const char* b : bad) {
        INFO("bytes " << b);
        for (const std::string& doc :
             {std::string(client_header) + "<message><body>" + b + "</body></message>",
              std::string(client_header) + "<message to='" + b + "'/>", std::string(client_header) + "<m" + b + "/>"}) {
            for (std::size_t piece : {std::size_t{0}, std::size_t{1}}) {
                StreamParser parser;
                auto out = feed_in_pieces(parser, doc, piece);
                REQUIRE(out.error);
                CHECK(out.error->condition == "not-well-formed");
            }
        }
    }
}

TEST_CASE("a non-UTF-8 encoding declaration is unsupported-encoding")
{
    for (const char* enc : {"ISO-8859-1", "UTF-16", "US-ASCII", "latin1"}) {
        INFO(enc);
        auto out = parse(std::string("<?xml version='1.0' encoding='") + enc +
                         "'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>");
        REQUIRE(out.error);
        CHECK(out.error->condition == "unsupported-encoding");
    }
    auto utf8 =
        parse("<?xml version='1.0' encoding='utf-8'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>");
    CHECK_FALSE(utf8.error);
    // Expat would switch to UTF-16 on a BOM or a NUL in the first two bytes; we do not.
    auto utf16 = [](std::string_view ascii, bool big_endian) {
        std::string out;
        for (char c : ascii) {
            if (big_endian) out += '\0';
            out += c;
            if (!big_endian) out += '\0';
        }
        return out;
    };
    const std::string header16 = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>";
    for (const std::string& doc :
         {std::string("\xFF\xFE") + utf16(header16, false), std::string("\xFE\xFF") + utf16(header16, true),
          utf16(header16, false), utf16(header16, true), utf16(" " + header16, false)}) {
        for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {
            StreamParser parser;
            auto out = feed_in_pieces(parser, doc, piece);
            REQUIRE(out.error);
            CHECK(out.error->condition == "unsupported-encoding");
            CHECK(out.events.empty());
        }
    }
    // A NUL later in the stream is simply not XML.
    auto nul = parse(std::string(client_header) + std::string("<presence/>\0", 12));
    REQUIRE(nul.error);
    CHECK(nul.error->condition == "not-well-formed");
    CHECK(nul.events.size() == 2);
    // Bytes that are Latin-1 but not UTF-8 are refused even without a declaration.
    auto latin = parse(std::string(client_header) + "<message><body>caf\xE9</body></message>");
    REQUIRE(latin.error);
    CHECK(latin.error->condition == "not-well-formed");
}

TEST_CASE("websocket framing turns open and close into events and each element into a stanza")
{
    const std::string frames =
        "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>"
        "<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
        "<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>"
        "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>"
        "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>";
    const Outcome whole = parse(frames, {}, Framing::websocket);
    REQUIRE_FALSE(whole.error);
    REQUIRE(whole.events.size() == 5);
    CHECK(whole.events[0].kind == StreamEvent::Kind::open);
    CHECK(whole.events[0].element.is("open", ns::framing));
    CHECK(whole.events[0].element.attr_or("to") == "example.com");
    CHECK(whole.events[1].kind == StreamEvent::Kind::stanza);
    CHECK(whole.events[1].element.is("iq", ns::client));
    CHECK(whole.events[1].element.child("ping", ns::ping));
    CHECK(whole.events[2].element.is("features", ns::stream));
    CHECK(whole.events[3].kind == StreamEvent::Kind::close);
    CHECK(whole.events[4].kind == StreamEvent::Kind::open);
    for (std::size_t cut = 0; cut <= frames.size(); ++cut) {
        StreamParser parser({}, Framing::websocket);
        INFO("split at byte " << cut);
        REQUIRE(same_events(feed_split(parser, frames, cut).events, whole.events));
    }
}

TEST_CASE("websocket framing applies the same limits and restrictions")
{
    ParserLimits limits;
    limits.max_stanza_bytes = 50;
    auto big = parse("<message xmlns='jabber:client'><body>" + std::string(100, 'x') + "</body></message>", limits,
                     Framing::websocket);
    REQUIRE(big.error);
    CHECK(big.error->condition == "policy-violation");
    auto comment = parse("<!-- x --><open xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>", {}, Framing::websocket);
    REQUIRE(comment.error);
    CHECK(comment.error->condition == "restricted-xml");
    auto doctype = parse("<!DOCTYPE x [<!ENTITY a 'b'>]><open xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>", {},
                         Framing::websocket);
    REQUIRE(doctype.error);
    // Inside the framing wrapper a doctype is misplaced markup: refused before any entity exists.
    CHECK((doctype.error->condition == "restricted-xml" || doctype.error->condition == "not-well-formed"));
    auto stray_end =
        parse("</wl-websocket-frames><open xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>", {}, Framing::websocket);
    REQUIRE(stray_end.error);
    CHECK(stray_end.error->condition == "not-well-formed");
}

TEST_CASE("a parsed stanza serialises and parses back to an equal tree")
{
    const Outcome first = parse(realistic_stream);
    REQUIRE_FALSE(first.error);
    WriteContext ctx{"jabber:client", {{"stream", std::string(ns::stream)}}};
    std::string again = open_stream_tag(first.events[0].element, ctx);
    for (std::size_t i = 1; i + 1 < first.events.size(); ++i) again += serialize(first.events[i].element, ctx);
    again += close_stream_tag();
    const Outcome second = parse(again);
    REQUIRE_FALSE(second.error);
    CHECK(same_events(first.events, second.events));
}

TEST_CASE("a comment is refused when it begins, not when it ends")
{
    StreamParser parser;
    REQUIRE_FALSE(parser.feed(client_header));
    auto err = parser.feed("<message><!-");
    REQUIRE(err);
    CHECK(err->condition == "restricted-xml");
}

TEST_CASE("an unfinished start tag counts towards the stanza limit while it is held")
{
    ParserLimits limits;
    limits.max_stanza_bytes = 300;
    StreamParser parser(limits);
    REQUIRE_FALSE(parser.feed(client_header));
    REQUIRE_FALSE(parser.feed("<message to='" + std::string(200, 'a')));
    CHECK(parser.current_stanza_bytes() == 213);
    auto err = parser.feed(std::string(100, 'a'));
    REQUIRE(err);
    CHECK(err->condition == "policy-violation");
}

// ---------------------------------------------------------------------------------------
// release_idle(): an idle stream's parser gives its expat state back and rebuilds it.

namespace {

// Feeds `input` one byte at a time, trying release_idle() after every byte; counts releases.
Outcome feed_releasing(StreamParser& parser, std::string_view input, int& releases)
{
    Outcome out;
    for (std::size_t i = 0; i < input.size() && !out.error; ++i) {
        out.error = parser.feed(input.substr(i, 1));
        while (auto ev = parser.next()) out.events.push_back(std::move(*ev));
        if (parser.release_idle()) ++releases;
    }
    return out;
}

}  // namespace

TEST_CASE("a parser released at every chance between stanzas yields the same trees")
{
    const Outcome whole = parse(realistic_stream);
    REQUIRE_FALSE(whole.error);
    StreamParser parser;
    int releases = 0;
    const Outcome released = feed_releasing(parser, realistic_stream, releases);
    REQUIRE_FALSE(released.error);
    CHECK(same_events(released.events, whole.events));
    // After the header, and after each of the four stanzas and the whitespace between them.
    CHECK(releases >= 5);
}

TEST_CASE("a released parser keeps the root's prefixes and the peer's spelling of its end tag")
{
    const std::string stream =
        "<s:stream xmlns='jabber:server' xmlns:s='http://etherx.jabber.org/streams' "
        "xmlns:db='jabber:server:dialback' from='a.example' to='b.example' version='1.0'>"
        "<db:result from='a.example' to='b.example'>abcdef</db:result>"
        "<s:features/>"
        "</s:stream>";
    const Outcome whole = parse(stream);
    REQUIRE_FALSE(whole.error);
    REQUIRE(whole.events.size() == 4);
    StreamParser parser;
    int releases = 0;
    const Outcome released = feed_releasing(parser, stream, releases);
    REQUIRE_FALSE(released.error);
    CHECK(releases >= 3);
    CHECK(same_events(released.events, whole.events));
    CHECK(released.events[1].element.is("result", ns::dialback));
    CHECK(released.events[3].kind == StreamEvent::Kind::close);
}

TEST_CASE("a parser in the middle of a stanza or failed is not released")
{
    StreamParser parser;
    REQUIRE_FALSE(parser.feed(std::string(client_header) + "<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/>"));
    REQUIRE(parser.next());
    CHECK_FALSE(parser.release_idle());
    CHECK(parser.current_stanza_bytes() > 0);
    REQUIRE_FALSE(parser.feed("</iq>"));
    auto iq = parser.next();
    REQUIRE(iq);
    CHECK(iq->element.child("ping", "urn:xmpp:ping"));
    CHECK(parser.release_idle());

    StreamParser unfinished_tag;
    REQUIRE_FALSE(unfinished_tag.feed(std::string(client_header) + "<presence type='unava"));
    CHECK_FALSE(unfinished_tag.release_idle());

    StreamParser failed;
    REQUIRE(failed.feed(std::string(client_header) + "<a></b>"));
    CHECK_FALSE(failed.release_idle());
    CHECK(failed.failed());
}

TEST_CASE("limits and error positions count from the stream's start across a release")
{
    ParserLimits limits;
    limits.max_stanza_bytes = client_header.size() + 10;  // the header counts too
    StreamParser parser(limits);
    REQUIRE_FALSE(parser.feed(std::string(client_header) + "<presence/>"));
    REQUIRE(parser.release_idle());
    auto big = parser.feed("<message><body>" + std::string(client_header.size(), 'x') + "</body></message>");
    REQUIRE(big);
    CHECK(big->condition == "policy-violation");

    const std::string broken = std::string(client_header) + "<presence/><a></b>";
    const Outcome whole = parse(broken);
    REQUIRE(whole.error);
    StreamParser released;
    REQUIRE_FALSE(released.feed(std::string(client_header) + "<presence/>"));
    REQUIRE(released.release_idle());
    auto err = released.feed("<a></b>");
    REQUIRE(err);
    CHECK(err->condition == whole.error->condition);
    CHECK(err->text == whole.error->text);
}

TEST_CASE("a WebSocket parser released between messages goes on with the next one")
{
    const std::string open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>";
    const std::string message = "<message xmlns='jabber:client' to='a@b'><body>hi</body></message>";
    const std::string close = "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>";
    const Outcome whole = parse(open + message + close, {}, Framing::websocket);
    REQUIRE_FALSE(whole.error);
    StreamParser parser({}, Framing::websocket);
    Outcome out;
    for (const std::string& m : {open, message, close}) {
        REQUIRE_FALSE(parser.feed(m));
        while (auto ev = parser.next()) out.events.push_back(std::move(*ev));
        CHECK(parser.release_idle());
    }
    CHECK(same_events(out.events, whole.events));
    REQUIRE(out.events.size() == 3);
    CHECK(out.events[2].kind == StreamEvent::Kind::close);
}
