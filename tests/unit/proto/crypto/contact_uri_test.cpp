#include <doctest.h>

#include "proto/contact_uri.hpp"

using namespace wl::proto;

namespace {

const UriPolicy us{};

std::string canonical(std::string_view scheme, std::string_view value, const UriPolicy& policy = us)
{
    const auto r = parse_contact_uri(scheme, value, policy);
    return r.uri ? r.uri->canonical : "<" + r.reason + ">";
}

bool is_invalid(std::string_view scheme, std::string_view value, const UriPolicy& policy = us)
{
    const auto r = parse_contact_uri(scheme, value, policy);
    return !r.uri && r.problem == UriProblem::invalid && !r.reason.empty();
}

}  // namespace

TEST_SUITE("contact uri")
{
    TEST_CASE("the XEP-0130 examples: a national number in the US and an e-mail address")
    {
        const auto tel = parse_contact_uri("tel", "3033083282", us);
        REQUIRE(tel.uri);
        CHECK(tel.uri->scheme == UriScheme::tel);
        CHECK(tel.uri->canonical == "tel:+13033083282");
        CHECK(tel.uri->value == "+13033083282");

        const auto mail = parse_contact_uri("mailto", "editor@xmpp.org", us);
        REQUIRE(mail.uri);
        CHECK(mail.uri->scheme == UriScheme::mailto);
        CHECK(mail.uri->canonical == "mailto:editor@xmpp.org");
        CHECK(mail.uri->value == "editor@xmpp.org");
    }

    TEST_CASE("the XEP-0130 invalid number is invalid, not unsupported")
    {
        CHECK(is_invalid("tel", "+1234563033083283"));
        CHECK(is_invalid("tel", "contact-number"));
    }

    TEST_CASE("an unsupported scheme is told apart from an invalid value")
    {
        const auto tag = parse_contact_uri("tag", "shakespeare.lit,2005-08:waitlist1", us);
        CHECK_FALSE(tag.uri);
        CHECK(tag.problem == UriProblem::unsupported_scheme);
        CHECK(parse_contact_uri("xmpp", "juliet@example.com", us).problem == UriProblem::unsupported_scheme);
        CHECK(parse_contact_uri("", "3033083282", us).problem == UriProblem::unsupported_scheme);
        CHECK(parse_contact_uri("tag:shakespeare.lit,2005-08:waitlist1", us).problem == UriProblem::unsupported_scheme);
    }

    TEST_CASE("a scheme the policy leaves out is unsupported")
    {
        UriPolicy tel_only;
        tel_only.schemes = {"tel"};
        CHECK(parse_contact_uri("mailto", "editor@xmpp.org", tel_only).problem == UriProblem::unsupported_scheme);
        CHECK(parse_contact_uri("tel", "3033083282", tel_only).uri);
    }

    TEST_CASE("scheme names compare case-insensitively")
    {
        CHECK(canonical("TEL", "3033083282") == "tel:+13033083282");
        CHECK(canonical("MailTo", "editor@xmpp.org") == "mailto:editor@xmpp.org");
        CHECK(canonical("tel", "TEL:+13033083282") == "tel:+13033083282");
        CHECK(canonical("mailto", "MAILTO:editor@xmpp.org") == "mailto:editor@xmpp.org");
    }

    TEST_CASE("formatted numbers equal their E.164 form")
    {
        const std::string e164 = "tel:+13033083282";
        for (const char* v :
             {"+1 (303) 308-3282", "303-308-3282", "(303) 308 3282", "303.308.3282", "tel:+1-303-308-3282",
              "+13033083282", "tel:+13033083282", "  3033083282\n", "1 303 308 3282"}) {
            CAPTURE(v);
            CHECK(canonical("tel", v) == e164);
        }
        const auto whole = parse_contact_uri("tel:+1-303-308-3282", us);
        REQUIRE(whole.uri);
        CHECK(whole.uri->canonical == e164);
    }

    TEST_CASE("national numbers follow the default region")
    {
        UriPolicy fr;
        fr.default_region = "FR";
        CHECK(canonical("tel", "01 42 68 53 00", fr) == "tel:+33142685300");
        CHECK(is_invalid("tel", "01 42 68 53 00"));  // not a US number
        CHECK(canonical("tel", "+33 1 42 68 53 00") == "tel:+33142685300");
        UriPolicy lower_case;
        lower_case.default_region = "fr";
        CHECK(canonical("tel", "01 42 68 53 00", lower_case) == "tel:+33142685300");
        UriPolicy unknown;
        unknown.default_region = "ZZ";
        CHECK(is_invalid("tel", "3033083282", unknown));
        CHECK(canonical("tel", "+13033083282", unknown) == "tel:+13033083282");
    }

    TEST_CASE("known phone regions are told from unknown ones")
    {
        CHECK(is_known_phone_region("US"));
        CHECK(is_known_phone_region("fr"));
        CHECK_FALSE(is_known_phone_region("ZZ"));
        CHECK_FALSE(is_known_phone_region("USA"));
        CHECK_FALSE(is_known_phone_region(""));
    }

    TEST_CASE("letters, parameters, extensions and empty numbers are invalid")
    {
        CHECK(is_invalid("tel", ""));
        CHECK(is_invalid("tel", "tel:"));
        CHECK(is_invalid("tel", "+"));
        CHECK(is_invalid("tel", "1-800-FLOWERS"));
        CHECK(is_invalid("tel", "tel:+1-303-308-3282;ext=101"));
        CHECK(is_invalid("tel", "tel:3083282;phone-context=+1303"));
        CHECK(is_invalid("tel", "303 308 3282 x101"));
        CHECK(is_invalid("tel", "+1 303 308 3282 +1"));
        CHECK(is_invalid("tel", "mailto:editor@xmpp.org"));
        CHECK(is_invalid("tel", std::string(100, '1')));
    }

    TEST_CASE("invalid reasons never repeat the value")
    {
        const auto r = parse_contact_uri("tel", "+1234563033083283", us);
        CHECK(r.reason.find("1234563033083283") == std::string::npos);
        const auto m = parse_contact_uri("mailto", "secret-person", us);
        CHECK(m.reason.find("secret-person") == std::string::npos);
    }

    TEST_CASE("an address without '@' or with two is invalid")
    {
        CHECK(is_invalid("mailto", "editor"));
        CHECK(is_invalid("mailto", "editor.xmpp.org"));
        CHECK(is_invalid("mailto", "a@b@example.org"));
        CHECK(is_invalid("mailto", "@example.org"));
        CHECK(is_invalid("mailto", "editor@"));
        CHECK(is_invalid("mailto", ""));
    }

    TEST_CASE("several recipients, headers, fragments and percent-encoding are invalid")
    {
        CHECK(is_invalid("mailto", "mailto:a@b.example,c@d.example"));
        CHECK(is_invalid("mailto", "mailto:a@example.org?subject=hi"));
        CHECK(is_invalid("mailto", "mailto:a@example.org#x"));
        CHECK(is_invalid("mailto", "mailto:a%40b@example.org"));
        CHECK(is_invalid("mailto", "a b@example.org"));
    }

    TEST_CASE("local parts keep their case, domains are lower-cased")
    {
        CHECK(canonical("mailto", "Editor.In.Chief@XMPP.Org") == "mailto:Editor.In.Chief@xmpp.org");
        CHECK(canonical("mailto", "editor@xmpp.org") != canonical("mailto", "Editor@xmpp.org"));
        CHECK(canonical("mailto", "editor@xmpp.org") == canonical("mailto", "editor@XMPP.ORG"));
    }

    TEST_CASE("dot-atom rules apply to the local part")
    {
        CHECK(canonical("mailto", "first.o'last+tag@example.org") == "mailto:first.o'last+tag@example.org");
        CHECK(is_invalid("mailto", ".editor@xmpp.org"));
        CHECK(is_invalid("mailto", "editor.@xmpp.org"));
        CHECK(is_invalid("mailto", "edi..tor@xmpp.org"));
        CHECK(is_invalid("mailto", "edi(tor)@xmpp.org"));
    }

    TEST_CASE("quoted local parts are accepted and written in one canonical spelling")
    {
        CHECK(canonical("mailto", "\"editor\"@xmpp.org") == "mailto:editor@xmpp.org");
        CHECK(canonical("mailto", "\"john doe\"@example.org") == "mailto:\"john doe\"@example.org");
        CHECK(canonical("mailto", "\"a\\\"b\"@example.org") == "mailto:\"a\\\"b\"@example.org");
        CHECK(canonical("mailto", "\"a\\b\"@example.org") == "mailto:ab@example.org");
        CHECK(canonical("mailto", "\"a@b\"@example.org") == "mailto:\"a@b\"@example.org");
        CHECK(is_invalid("mailto", "\"unterminated@example.org"));
        CHECK(is_invalid("mailto", "\"a\"b@example.org"));
    }

    TEST_CASE("internationalised domains are IDNA-encoded")
    {
        CHECK(canonical("mailto",
                        "hans@b\xC3\xBC"
                        "cher.example") == "mailto:hans@xn--bcher-kva.example");
        CHECK(canonical("mailto",
                        "hans@B\xC3\x9C"
                        "CHER.example") == "mailto:hans@xn--bcher-kva.example");
        CHECK(canonical("mailto", "hans@xn--bcher-kva.example") == "mailto:hans@xn--bcher-kva.example");
        CHECK(canonical("mailto", "j\xC3\xBCrgen@example.org") == "mailto:j\xC3\xBCrgen@example.org");
    }

    TEST_CASE("malformed domains are invalid")
    {
        CHECK(is_invalid("mailto", "a@exa_mple.org"));
        CHECK(is_invalid("mailto", "a@-example.org"));
        CHECK(is_invalid("mailto", "a@example..org"));
        CHECK(is_invalid("mailto", "a@example.org."));
        CHECK(is_invalid("mailto", "a@[192.0.2.1]"));
        CHECK(is_invalid("mailto", "a@" + std::string(64, 'x') + ".org"));
        CHECK(is_invalid("mailto", "a@\xC3"));
    }

    TEST_CASE("length limits: 64 for the local part, 254 for the address")
    {
        CHECK_FALSE(is_invalid("mailto", std::string(64, 'a') + "@example.org"));
        CHECK(is_invalid("mailto", std::string(65, 'a') + "@example.org"));
        const std::string label(63, 'd');
        const std::string domain = label + "." + label + "." + label + ".org";   // 195 bytes
        CHECK_FALSE(is_invalid("mailto", std::string(58, 'a') + "@" + domain));  // 254
        CHECK(is_invalid("mailto", std::string(59, 'a') + "@" + domain));        // 255
    }

    TEST_CASE("a whole URI string parses like scheme and value")
    {
        CHECK(parse_contact_uri("mailto:editor@XMPP.org", us).uri->canonical == "mailto:editor@xmpp.org");
        CHECK(parse_contact_uri("MAILTO:editor@xmpp.org", us).uri->canonical == "mailto:editor@xmpp.org");
        CHECK(parse_contact_uri("editor@xmpp.org", us).problem == UriProblem::invalid);
        CHECK(parse_contact_uri("3033083282", us).problem == UriProblem::invalid);
        CHECK(parse_contact_uri("", us).problem == UriProblem::invalid);
    }

    TEST_CASE("a canonical form parses to itself")
    {
        for (const char* u : {"tel:+13033083282", "mailto:editor@xmpp.org", "mailto:\"john doe\"@example.org",
                              "mailto:hans@xn--bcher-kva.example"}) {
            const auto r = parse_contact_uri(u, us);
            REQUIRE(r.uri);
            CHECK(r.uri->canonical == u);
        }
    }

    TEST_CASE("served prefixes and mail domains match")
    {
        const auto tel = parse_contact_uri("tel", "3033083282", us).uri;
        const auto fr = parse_contact_uri("tel", "+33 1 42 68 53 00", us).uri;
        const auto mail = parse_contact_uri("mailto",
                                            "hans@b\xC3\xBC"
                                            "cher.example",
                                            us)
                              .uri;
        REQUIRE(tel);
        REQUIRE(fr);
        REQUIRE(mail);
        const std::vector<std::string> serves = {"+1303", "33", "xmpp.org",
                                                 "B\xC3\x9C"
                                                 "CHER.example"};
        CHECK(matches_served(*tel, serves));
        CHECK(matches_served(*fr, serves));
        CHECK(matches_served(*mail, serves));
        CHECK_FALSE(matches_served(*tel, {"+1720", "example.org"}));
        CHECK_FALSE(matches_served(*mail, {"cher.example", "+49"}));
        CHECK_FALSE(matches_served(*mail, {"sub.xn--bcher-kva.example"}));
        CHECK_FALSE(matches_served(*tel, {}));
        CHECK(matches_served(*parse_contact_uri("mailto:editor@xmpp.org", us).uri, serves));
    }
}
