#include <doctest.h>

#include "federation/bounce.hpp"
#include "federation/stanza_ns.hpp"
#include "proto/ns.hpp"

using namespace wl::federation;
namespace xml = wl::proto::xml;
namespace ns = wl::proto::ns;

namespace {
xml::Element stanza(const std::string& name, const std::string& type)
{
    xml::Element e(name, std::string(ns::client));
    e.set_attr("from", "alice@a.test/x");
    e.set_attr("to", "bob@b.test");
    e.set_attr("id", "s1");
    if (!type.empty()) e.set_attr("type", type);
    if (name == "iq" && (type == "get" || type == "set")) e.add_child("query", "urn:example:q");
    return e;
}
}  // namespace

TEST_SUITE("unit")
{
    TEST_CASE("IQ get/set and messages bounce with the failure's condition, from the remote address")
    {
        for (auto [name, type] :
             {std::pair<std::string, std::string>{"iq", "get"}, {"iq", "set"}, {"message", "chat"}, {"message", ""}}) {
            auto b = make_bounce(stanza(name, type), bounce_condition(FailureKind::unreachable));
            REQUIRE(b);
            CHECK(b->name() == name);
            CHECK(b->attr_or("type") == "error");
            CHECK(b->attr_or("from") == "bob@b.test");
            CHECK(b->attr_or("to") == "alice@a.test/x");
            CHECK(b->attr_or("id") == "s1");
            const auto* err = b->child("error", ns::client);
            REQUIRE(err);
            CHECK(err->child("remote-server-not-found", ns::stanzas_err));
        }
    }

    TEST_CASE("a timeout bounces as remote-server-timeout, any other failure as remote-server-not-found")
    {
        CHECK(bounce_condition(FailureKind::timeout) == wl::proto::StanzaCondition::remote_server_timeout);
        for (auto k :
             {FailureKind::unreachable, FailureKind::closed, FailureKind::protocol, FailureKind::not_authorized})
            CHECK(bounce_condition(k) == wl::proto::StanzaCondition::remote_server_not_found);
    }

    TEST_CASE("errors, IQ results and presence are never bounced")
    {
        CHECK_FALSE(make_bounce(stanza("iq", "result"), wl::proto::StanzaCondition::remote_server_not_found));
        CHECK_FALSE(make_bounce(stanza("iq", "error"), wl::proto::StanzaCondition::remote_server_not_found));
        CHECK_FALSE(make_bounce(stanza("message", "error"), wl::proto::StanzaCondition::remote_server_not_found));
        CHECK_FALSE(make_bounce(stanza("presence", ""), wl::proto::StanzaCondition::remote_server_not_found));
    }

    TEST_CASE("the stanza namespace is rewritten for the stanza and its same-namespace children only")
    {
        auto m = stanza("message", "chat");
        m.add_child("body", std::string(ns::client)).add_text("hi");
        m.add_child("x", "urn:example:x").add_child("y", "urn:example:x");
        auto s = with_stanza_ns(m, ns::client, ns::server);
        CHECK(s.ns() == ns::server);
        CHECK(s.attr_or("id") == "s1");
        REQUIRE(s.child("body", ns::server));
        CHECK(s.child("body", ns::server)->text() == "hi");
        REQUIRE(s.child("x", "urn:example:x"));
        CHECK(s.child("x", "urn:example:x")->child("y", "urn:example:x"));
        CHECK(with_stanza_ns(s, ns::server, ns::client) == m);
    }
}
