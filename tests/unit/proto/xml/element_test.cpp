#include <doctest.h>

#include "proto/xml/element.hpp"

using wl::proto::xml::Element;

namespace {
constexpr const char* client = "jabber:client";
constexpr const char* wl_ns = "http://jabber.org/protocol/waitinglist";
}  // namespace

TEST_CASE("attributes are found by name and namespace, replaced and removed")
{
    Element e("iq", client);
    e.set_attr("type", "get").set_attr("id", "a1").set_attr("lang", "en", "http://www.w3.org/XML/1998/namespace");
    REQUIRE(e.attr("type"));
    CHECK(*e.attr("type") == "get");
    CHECK(e.attr("lang") == nullptr);
    CHECK(*e.attr("lang", "http://www.w3.org/XML/1998/namespace") == "en");
    CHECK(e.attr_or("to", "nobody") == "nobody");
    e.set_attr("type", "set");
    CHECK(e.attrs().size() == 3);
    CHECK(e.attr_or("type") == "set");
    CHECK(e.remove_attr("id"));
    CHECK_FALSE(e.remove_attr("id"));
    CHECK(e.attrs().size() == 2);
}

TEST_CASE("children are found by name and namespace, an empty name matching any")
{
    Element iq("iq", client);
    Element& q = iq.add_child("query", wl_ns);
    q.add_child("item", wl_ns).set_attr("id", "1");
    q.add_child("item", wl_ns).set_attr("id", "2");
    q.add_child("other", "urn:x");
    CHECK(iq.child("query", wl_ns) == &q);
    CHECK(iq.child("query", client) == nullptr);
    CHECK(iq.child("", wl_ns) == &q);
    CHECK(q.children("item", wl_ns).size() == 2);
    CHECK(q.children().size() == 3);
    CHECK(q.child_element_count() == 3);
    CHECK(q.first_child_element()->attr_or("id") == "1");
    CHECK(q.remove_children("item", wl_ns) == 2);
    CHECK(q.child_element_count() == 1);
    CHECK(q.first_child_element()->name() == "other");
}

TEST_CASE("text runs merge and text() joins only direct text")
{
    Element body("body", client);
    body.add_text("hello ").add_text("world");
    CHECK(body.nodes().size() == 1);
    CHECK(body.text() == "hello world");
    Element msg("message", client);
    msg.add_text("a");
    msg.add_child("b", client).add_text("inner");
    msg.add_text("c");
    CHECK(msg.text() == "ac");
    CHECK(msg.child_text("b", client) == std::optional<std::string>("inner"));
    CHECK_FALSE(msg.child_text("x", client).has_value());
    // Removing the element between two runs leaves one run.
    msg.remove_children("b", client);
    CHECK(msg.nodes().size() == 1);
    CHECK(msg.text() == "ac");
}

TEST_CASE("a copy is deep and equal, and changing it leaves the original alone")
{
    Element iq("iq", client);
    iq.set_attr("id", "x");
    iq.add_child("query", wl_ns).add_child("item", wl_ns).add_text("t");
    Element copy = iq;
    CHECK(copy == iq);
    copy.child("query", wl_ns)->child("item", wl_ns)->add_text("more");
    CHECK_FALSE(copy == iq);
    CHECK(iq.child("query", wl_ns)->child("item", wl_ns)->text() == "t");
    Element assigned;
    assigned = iq;
    CHECK(assigned == iq);
}

TEST_CASE("equality compares attributes as a set and ignores whitespace between elements")
{
    Element a("item", wl_ns);
    a.set_attr("id", "1").set_attr("jid", "j@x");
    Element b("item", wl_ns);
    b.set_attr("jid", "j@x").set_attr("id", "1");
    CHECK(a == b);
    b.set_attr("id", "2");
    CHECK_FALSE(a == b);

    Element p("query", wl_ns);
    p.add_text("\n  ");
    p.add_child("item", wl_ns);
    p.add_text("\n");
    Element q("query", wl_ns);
    q.add_child("item", wl_ns);
    CHECK(p == q);

    // Whitespace is significant in an element that has only text.
    Element t1("body", client);
    t1.add_text(" ");
    Element t2("body", client);
    CHECK_FALSE(t1 == t2);

    // Namespace and name both count; so do child order and non-whitespace text.
    CHECK_FALSE(Element("item", wl_ns) == Element("item", client));
    Element o1("q", client);
    o1.add_child("a", client);
    o1.add_child("b", client);
    Element o2("q", client);
    o2.add_child("b", client);
    o2.add_child("a", client);
    CHECK_FALSE(o1 == o2);
    Element m1("q", client);
    m1.add_child("a", client);
    m1.add_text("x");
    Element m2("q", client);
    m2.add_child("a", client);
    CHECK_FALSE(m1 == m2);
}
