#include <doctest.h>

#include "proto/sasl/saslprep.hpp"

#include <string>

using wl::proto::sasl::PrepKind;
using wl::proto::sasl::saslprep;

namespace {
std::string prep(std::string_view s)
{
    const auto out = saslprep(s, PrepKind::query);
    return out ? std::string{out->view()} : std::string{"<refused>"};
}
}  // namespace

TEST_SUITE("saslprep")
{
    TEST_CASE("the RFC 4013 section 3 examples prepare as published")
    {
        CHECK(prep("I\xC2\xAD"
                   "X") == "IX");  // SOFT HYPHEN mapped to nothing
        CHECK(prep("user") == "user");
        CHECK(prep("USER") == "USER");        // no case folding
        CHECK(prep("\xC2\xAA") == "a");       // FEMININE ORDINAL INDICATOR, NFKC
        CHECK(prep("\xE2\x85\xA8") == "IX");  // ROMAN NUMERAL NINE, NFKC
        CHECK(prep("\x07") == "<refused>");   // prohibited control character
        CHECK(prep("\xD8\xA7"
                   "1") == "<refused>");  // bidi rule violation
    }

    TEST_CASE("non-ASCII spaces become ASCII spaces")
    {
        CHECK(prep("a\xC2\xA0"
                   "b") == "a b");
    }

    TEST_CASE("invalid UTF-8, NUL, and strings that map to nothing are refused")
    {
        CHECK(prep("\xC3") == "<refused>");
        CHECK(prep("\xC0\xAF") == "<refused>");  // overlong '/'
        CHECK(prep(std::string_view{"a\0b", 3}) == "<refused>");
        CHECK(prep("") == "<refused>");
        CHECK(prep("\xC2\xAD") == "<refused>");
    }

    TEST_CASE("unassigned code points are refused only for stored strings")
    {
        const std::string unassigned = "\xF3\xA0\x80\x80";  // U+E0000 is unassigned in Unicode 3.2
        CHECK(saslprep(unassigned, PrepKind::query).has_value());
        CHECK_FALSE(saslprep(unassigned, PrepKind::stored).has_value());
    }
}
