#include <doctest.h>

#include "proto/sasl/plain.hpp"

using wl::proto::sasl::max_plain_part_bytes;
using wl::proto::sasl::parse_plain;

namespace {
std::string_view bytes(const char* s, std::size_t n) { return {s, n}; }
}  // namespace

TEST_SUITE("sasl plain")
{
    TEST_CASE("a message without authzid gives authcid and password")
    {
        const auto m = parse_plain(bytes("\0tim\0tanstaaftanstaaf", 21));
        REQUIRE(m);
        CHECK(m->authzid.empty());
        CHECK(m->authcid == "tim");
        CHECK(m->password.view() == "tanstaaftanstaaf");
    }

    TEST_CASE("a message with authzid keeps it")
    {
        const auto m = parse_plain(bytes("Ursel\0Kurt\0xipj3plmq", 20));
        REQUIRE(m);
        CHECK(m->authzid == "Ursel");
        CHECK(m->authcid == "Kurt");
        CHECK(m->password.view() == "xipj3plmq");
    }

    TEST_CASE("UTF-8 names and passwords are accepted")
    {
        const auto m = parse_plain(bytes("\0j\xC3\xBCrgen\0p\xC3\xA4ss", 14));
        REQUIRE(m);
        CHECK(m->authcid == "j\xC3\xBCrgen");
    }

    TEST_CASE("missing or extra separators, empty authcid or password are refused")
    {
        CHECK_FALSE(parse_plain(""));
        CHECK_FALSE(parse_plain("timpassword"));
        CHECK_FALSE(parse_plain(bytes("\0tim", 4)));
        CHECK_FALSE(parse_plain(bytes("\0\0password", 10)));
        CHECK_FALSE(parse_plain(bytes("\0tim\0", 5)));
        CHECK_FALSE(parse_plain(bytes("\0tim\0pass\0word", 14)));
        CHECK_FALSE(parse_plain(bytes("a\0b\0c\0", 6)));
    }

    TEST_CASE("invalid UTF-8 in any part is refused")
    {
        CHECK_FALSE(parse_plain(bytes("\xFF\0tim\0pw", 8)));
        CHECK_FALSE(parse_plain(bytes("\0t\xC3\0pw", 6)));
        CHECK_FALSE(parse_plain(bytes("\0tim\0p\xED\xA0\x80", 9)));  // a surrogate
    }

    TEST_CASE("parts longer than the bound are refused, parts at the bound accepted")
    {
        const std::string at_bound(max_plain_part_bytes, 'a');
        const std::string over(max_plain_part_bytes + 1, 'a');
        const auto msg = [](const std::string& z, const std::string& c, const std::string& p) {
            return z + std::string(1, '\0') + c + std::string(1, '\0') + p;
        };
        CHECK(parse_plain(msg(at_bound, at_bound, at_bound)));
        CHECK_FALSE(parse_plain(msg(over, "tim", "pw")));
        CHECK_FALSE(parse_plain(msg("", over, "pw")));
        CHECK_FALSE(parse_plain(msg("", "tim", over)));
    }
}
