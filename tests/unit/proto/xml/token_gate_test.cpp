#include <doctest.h>

#include <string>

#include "proto/xml/token_gate.hpp"

using wl::proto::xml::TokenGate;

TEST_CASE("text is released at once and an unfinished tag is held")
{
    TokenGate g;
    CHECK(g.scan("hello ").ready == 6);
    // Everything from '<' on is held while the tag is open, even past a '>' in a quoted value.
    CHECK(g.scan("x<message to='a>b' ").ready == 1);
    CHECK(g.scan("id=\"q'>\"").ready == 0);
    CHECK(g.scan("/>tail").ready == 6);
    CHECK(g.scan("</message").ready == 0);
    CHECK(g.scan(">").ready == 1);
}

TEST_CASE("references are held until their semicolon")
{
    TokenGate g;
    CHECK(g.scan("a &am").ready == 2);
    CHECK(g.scan("p; b").ready == 4);
}

TEST_CASE("CDATA content is released as it comes, quotes and all")
{
    TokenGate g;
    CHECK(g.scan("<![CDA").ready == 0);
    CHECK(g.scan("TA[it's").ready == 7);
    CHECK(g.scan("]]>").ready == 3);
    CHECK(g.scan("<a").ready == 0);  // back in content: a tag is held again
}

TEST_CASE("the XML declaration is held until it ends")
{
    TokenGate g;
    CHECK(g.scan("<?xml version='1.0'?").ready == 0);
    CHECK(g.scan("><").ready == 1);
}

TEST_CASE("a comment or a DTD is refused as soon as it begins")
{
    TokenGate g;
    auto c = g.scan("<presence/><!-");
    CHECK(c.ready == 11);
    REQUIRE(c.restricted);
    CHECK(c.restricted->find("comment") != std::string::npos);
    TokenGate d;
    auto v = d.scan("<!DOC");
    REQUIRE(v.restricted);
    CHECK(v.restricted->find("document type") != std::string::npos);
}

TEST_CASE("certainly malformed markup is released so that expat reports it")
{
    TokenGate g;
    CHECK(g.scan("<a x='<").ready == 7);
    TokenGate h;
    CHECK(h.scan("<!x").ready == 3);
}
