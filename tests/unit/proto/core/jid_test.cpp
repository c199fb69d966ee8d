#include <doctest.h>

#include <string>
#include <unordered_set>

#include "proto/jid.hpp"

using wl::proto::Jid;

TEST_SUITE("jid")
{
    TEST_CASE("the valid JIDs of RFC 7622 parse into their parts")
    {
        struct Case {
            const char* text;
            const char* node;
            const char* domain;
            const char* resource;
        };
        const Case cases[] = {
            {"juliet@example.com", "juliet", "example.com", ""},
            {"juliet@example.com/foo", "juliet", "example.com", "foo"},
            {"juliet@example.com/foo bar", "juliet", "example.com", "foo bar"},
            {"juliet@example.com/foo@bar", "juliet", "example.com", "foo@bar"},
            {"foo\\20bar@example.com", "foo\\20bar", "example.com", ""},
            {"fussball@example.com", "fussball", "example.com", ""},
            {"\xCF\x80@example.com", "\xCF\x80", "example.com", ""},  // π
            {"example.com", "", "example.com", ""},
            {"example.com/foobar", "", "example.com", "foobar"},
            {"a.example.com/b@example.net", "", "a.example.com", "b@example.net"},
            {"juliet@example.com/a/b", "juliet", "example.com", "a/b"},
            {"localhost", "", "localhost", ""},
            {"user@192.0.2.1", "user", "192.0.2.1", ""},
        };
        for (const Case& c : cases) {
            CAPTURE(c.text);
            const auto jid = Jid::parse(c.text);
            REQUIRE(jid);
            CHECK(jid->node() == c.node);
            CHECK(jid->domain() == c.domain);
            CHECK(jid->resource() == c.resource);
            CHECK(jid->full() == c.text);
        }
    }

    TEST_CASE("malformed JIDs are refused")
    {
        const char* cases[] = {
            "",
            "\"juliet\"@example.com",  // quote is prohibited in a node
            "foo bar@example.com",     // so is a space
            "@example.com",
            "@example.com/",
            "juliet@",
            "juliet@/foo",
            "example.com/",
            "juliet@example.com/",
            "/foobar",
            "node@domain@other",  // '@' in a domain
            "a<b@example.com",
            "juliet@exa mple.com",
            "juliet@example..com",
            "juliet@.example.com",
            "juliet@example.com..",
            "juliet@-example.com",
            "juliet@example-.com",
            "juliet@exa_mple.com",
            "juliet@example.com:5222",
            "juliet@[::1",
            "juliet@[not-an-address]",
            "\xFF\xFE@example.com",             // not UTF-8
            "juliet@ex\xC3",                    // truncated UTF-8
            "ju\xC0\xAFliet@example.com",       // overlong encoding of '/'
            "juliet@example.com/\xED\xA0\x80",  // a UTF-16 surrogate
        };
        for (const char* text : cases) {
            CAPTURE(text);
            CHECK_FALSE(Jid::parse(text));
        }
        CHECK_FALSE(Jid::parse(std::string("jul\0iet@example.com", 19)));
    }

    TEST_CASE("node and domain are case-folded and normalised, the resource keeps its case")
    {
        const auto jid = Jid::parse("JuLiEt@ExAmPlE.CoM/Balcony");
        REQUIRE(jid);
        CHECK(jid->node() == "juliet");
        CHECK(jid->domain() == "example.com");
        CHECK(jid->resource() == "Balcony");
        CHECK(*jid == *Jid::parse("juliet@example.com/Balcony"));
        CHECK(*jid != *Jid::parse("juliet@example.com/balcony"));
        // stringprep folds sharp s and capital sigma, and NFKC maps the roman numeral four.
        CHECK(*Jid::parse("fu\xC3\x9F"
                          "ball@example.com") == *Jid::parse("fussball@example.com"));
        CHECK(Jid::parse("\xCE\xA3@example.com")->node() == "\xCF\x83");
        CHECK(*Jid::parse("henry\xE2\x85\xA3@example.com") == *Jid::parse("henryiv@example.com"));
        CHECK(Jid::parse("user@B\xC3\x9C"
                         "CHER.example")
                  ->domain() ==
              "b\xC3\xBC"
              "cher.example");
    }

    TEST_CASE("one trailing dot of the domain is dropped")
    {
        CHECK(Jid::parse("juliet@example.com.")->domain() == "example.com");
        CHECK(*Jid::parse("example.com./r") == *Jid::parse("example.com/r"));
        CHECK_FALSE(Jid::parse("."));
    }

    TEST_CASE("an IPv6 literal in brackets is a domain")
    {
        const auto jid = Jid::parse("juliet@[2001:DB8::1]/r");
        REQUIRE(jid);
        CHECK(jid->domain() == "[2001:db8::1]");
        CHECK(Jid::parse("[::1]"));
        CHECK_FALSE(Jid::parse("[::1]x"));
        CHECK_FALSE(Jid::parse("juliet@::1"));
    }

    TEST_CASE("each part may be 1023 bytes and no more")
    {
        const std::string node(1023, 'n');
        const std::string resource(1023, 'r');
        std::string domain;
        while (domain.size() + 64 <= 1023) domain += std::string(63, 'd') + ".";
        domain += std::string(1023 - domain.size(), 'e');
        REQUIRE(domain.size() == 1023);

        CHECK(Jid::parse(node + "@" + domain + "/" + resource));
        CHECK_FALSE(Jid::parse(node + "n@example.com"));
        CHECK_FALSE(Jid::parse("n@example.com/" + resource + "r"));
        CHECK_FALSE(Jid::parse(domain.substr(0, 1021) + ".e" + "f"));
        // A label of a host name is at most 63 octets.
        CHECK_FALSE(Jid::parse(std::string(64, 'l') + ".example"));
        // ... in its ASCII (IDNA) form: 70 u-umlauts are "xn--" and some 73 more characters.
        std::string umlauts;
        for (int i = 0; i < 70; ++i) umlauts += "\xC3\xBC";
        CHECK_FALSE(Jid::parse("user@" + umlauts + ".example"));
        CHECK(Jid::parse("user@" + umlauts.substr(0, 20) + ".example"));
        // Length is counted on the prepared form: 600 sharp s become 1200 bytes of "ss".
        std::string sharp;
        for (int i = 0; i < 600; ++i) sharp += "\xC3\x9F";
        CHECK_FALSE(Jid::parse(sharp + "@example.com"));
    }

    TEST_CASE("make builds the same Jid as parse and refuses what parse refuses")
    {
        CHECK(*Jid::make("Juliet", "Example.com", "r") == *Jid::parse("juliet@example.com/r"));
        CHECK(*Jid::make("", "example.com") == *Jid::parse("example.com"));
        CHECK_FALSE(Jid::make("a@b", "example.com"));
        CHECK_FALSE(Jid::make("juliet", ""));
        CHECK_FALSE(Jid::make("juliet", "bad domain"));
    }

    TEST_CASE("bare, full and bare_str")
    {
        const auto jid = *Jid::parse("juliet@example.com/balcony");
        CHECK_FALSE(jid.is_bare());
        CHECK(jid.bare().is_bare());
        CHECK(jid.bare() == *Jid::parse("juliet@example.com"));
        CHECK(jid.bare_str() == "juliet@example.com");
        CHECK(jid.full() == "juliet@example.com/balcony");
        CHECK(jid.domain_jid().full() == "example.com");
        CHECK(Jid::parse("example.com")->bare_str() == "example.com");
    }

    TEST_CASE("equal JIDs hash alike and order consistently")
    {
        std::unordered_set<Jid> set;
        set.insert(*Jid::parse("Juliet@Example.com/r"));
        set.insert(*Jid::parse("juliet@example.com/r"));
        set.insert(*Jid::parse("juliet@example.com"));
        CHECK(set.size() == 2);
        const auto a = *Jid::parse("a@example.com");
        const auto b = *Jid::parse("b@example.com");
        CHECK(a < b);
        CHECK_FALSE(b < a);
    }

}  // TEST_SUITE
