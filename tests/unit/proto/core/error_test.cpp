#include <doctest.h>

#include <set>
#include <string>

#include "proto/error.hpp"
#include "xml_fixture.hpp"

using namespace wl::proto;

TEST_SUITE("error")
{
    TEST_CASE("every stanza condition has a distinct RFC name that maps back to it")
    {
        std::set<std::string_view> names;
        for (int i = 0; i < stanza_condition_count; ++i) {
            const auto c = static_cast<StanzaCondition>(i);
            CAPTURE(i);
            CHECK_FALSE(name(c).empty());
            CHECK(names.insert(name(c)).second);
            CHECK(stanza_condition_from_name(name(c)) == c);
        }
        CHECK(names.size() == 22);
        CHECK_FALSE(stanza_condition_from_name("payment-required"));  // dropped by RFC 6120
        CHECK_FALSE(stanza_condition_from_name("Item-Not-Found"));
    }

    TEST_CASE("every stanza error survives to_element and parse_stanza_error")
    {
        for (int i = 0; i < stanza_condition_count; ++i) {
            const auto c = static_cast<StanzaCondition>(i);
            CAPTURE(name(c));
            for (std::string_view ns : {ns::client, ns::server}) {
                StanzaError e = make_stanza_error(c, "why it failed");
                e.by = "waitlist.example.com";
                const xml::Element el = to_element(e, ns);
                CHECK(el.is("error", ns));
                CHECK(el.attr_or("code") == std::to_string(legacy_code(c)));
                CHECK(el.attr_or("type") == name(usual_type(c)));
                CHECK(el.child(std::string(name(c)), ns::stanzas_err));
                const auto back = parse_stanza_error(el);
                REQUIRE(back);
                CHECK(back->condition == c);
                CHECK(back->type == e.type);
                CHECK(back->text == "why it failed");
                CHECK(back->by == "waitlist.example.com");
            }
        }
    }

    TEST_CASE("legacy codes follow XEP-0086")
    {
        CHECK(legacy_code(StanzaCondition::bad_request) == 400);
        CHECK(legacy_code(StanzaCondition::not_authorized) == 401);
        CHECK(legacy_code(StanzaCondition::forbidden) == 403);
        CHECK(legacy_code(StanzaCondition::item_not_found) == 404);
        CHECK(legacy_code(StanzaCondition::not_allowed) == 405);
        CHECK(legacy_code(StanzaCondition::not_acceptable) == 406);
        CHECK(legacy_code(StanzaCondition::registration_required) == 407);
        CHECK(legacy_code(StanzaCondition::conflict) == 409);
        CHECK(legacy_code(StanzaCondition::internal_server_error) == 500);
        CHECK(legacy_code(StanzaCondition::feature_not_implemented) == 501);
        CHECK(legacy_code(StanzaCondition::service_unavailable) == 503);
        CHECK(legacy_code(StanzaCondition::remote_server_timeout) == 504);
        CHECK(legacy_code(StanzaCondition::remote_server_not_found) == 404);
        CHECK(legacy_code(StanzaCondition::redirect) == 302);
        CHECK(legacy_code(StanzaCondition::jid_malformed) == 400);
    }

    TEST_CASE("the usual types are those of XEP-0130's examples and RFC 6120")
    {
        CHECK(make_stanza_error(StanzaCondition::bad_request).type == ErrorType::modify);
        CHECK(make_stanza_error(StanzaCondition::not_acceptable).type == ErrorType::modify);
        CHECK(make_stanza_error(StanzaCondition::item_not_found).type == ErrorType::cancel);
        CHECK(make_stanza_error(StanzaCondition::not_authorized).type == ErrorType::auth);
        CHECK(make_stanza_error(StanzaCondition::remote_server_timeout).type == ErrorType::wait);
        CHECK(make_stanza_error(StanzaCondition::service_unavailable).type == ErrorType::cancel);
    }

    TEST_CASE("an error element is written exactly as XEP-0130's examples carry it")
    {
        const auto expected = wl::test::parse_payload(
            "<error code='404' type='cancel'>"
            "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
        CHECK(to_element(make_stanza_error(StanzaCondition::item_not_found)) == expected);

        const auto with_text = wl::test::parse_payload(
            "<error code='400' type='modify'>"
            "<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Missing uri</text></error>");
        CHECK(to_element(make_stanza_error(StanzaCondition::bad_request, "Missing uri")) == with_text);
    }

    TEST_CASE("parse_stanza_error reads a peer's error leniently but needs a condition")
    {
        // Only the legacy code and a condition: the type falls back to the condition's usual one.
        auto e = parse_stanza_error(wl::test::parse_payload(
            "<error code='503'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<app-specific xmlns='urn:example'/></error>"));
        REQUIRE(e);
        CHECK(e->condition == StanzaCondition::service_unavailable);
        CHECK(e->type == ErrorType::cancel);

        auto redirect = parse_stanza_error(
            wl::test::parse_payload("<error type='modify'><redirect xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>"
                                    "xmpp:other@example.com</redirect></error>"));
        REQUIRE(redirect);
        CHECK(redirect->alternate == "xmpp:other@example.com");
        CHECK(parse_stanza_error(to_element(*redirect))->alternate == "xmpp:other@example.com");

        CHECK_FALSE(parse_stanza_error(wl::test::parse_payload("<error code='404' type='cancel'/>")));
        CHECK_FALSE(parse_stanza_error(wl::test::parse_payload(
            "<error type='cancel'><no-such-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>")));
        CHECK_FALSE(parse_stanza_error(
            wl::test::parse_payload("<error type='cancel'><item-not-found xmlns='urn:wrong'/></error>")));
    }

    TEST_CASE("every stream condition has a name, is found by it and round trips")
    {
        std::set<std::string_view> names;
        for (int i = 0; i < stream_condition_count; ++i) {
            const auto c = static_cast<StreamCondition>(i);
            CAPTURE(name(c));
            CHECK(names.insert(name(c)).second);
            CHECK(stream_condition_from_name(name(c)) == c);
            const xml::Element el = make_stream_error(c, "details");
            CHECK(el.is("error", ns::stream));
            CHECK(el.child(std::string(name(c)), ns::streams_err));
            const auto back = parse_stream_error(el);
            REQUIRE(back);
            CHECK(back->condition == c);
            CHECK(back->text == "details");
        }
        CHECK(names.size() == 25);
        // The stream parser reports these names in ParseError::condition.
        for (const char* n : {"not-well-formed", "restricted-xml", "policy-violation", "invalid-namespace",
                              "bad-namespace-prefix", "unsupported-encoding", "bad-format"})
            CHECK(stream_condition_from_name(n));
    }

    TEST_CASE("see-other-host carries the host as its content")
    {
        const auto el = make_stream_error(StreamCondition::see_other_host, {}, "[2001:db8::1]:5222");
        CHECK(el.child("see-other-host", ns::streams_err)->text() == "[2001:db8::1]:5222");
        CHECK(parse_stream_error(el)->see_other_host == "[2001:db8::1]:5222");
        CHECK_FALSE(el.child("text", ns::streams_err));
    }

    TEST_CASE("every SASL failure condition has a name and round trips")
    {
        std::set<std::string_view> names;
        for (int i = 0; i < sasl_condition_count; ++i) {
            const auto c = static_cast<SaslCondition>(i);
            CAPTURE(name(c));
            CHECK(names.insert(name(c)).second);
            CHECK(sasl_condition_from_name(name(c)) == c);
            const auto back = parse_sasl_failure(make_sasl_failure(c, "no"));
            REQUIRE(back);
            CHECK(back->condition == c);
            CHECK(back->text == "no");
        }
        CHECK(names.size() == 11);
        const auto expected =
            wl::test::parse_payload("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
        CHECK(make_sasl_failure(SaslCondition::not_authorized) == expected);
    }

}  // TEST_SUITE
