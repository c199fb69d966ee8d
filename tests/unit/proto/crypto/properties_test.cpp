// Properties over many generated inputs: the parsers here face hostile bytes from the network
// and the admin API, so beyond the examples they must hold their invariants everywhere.
#include <doctest.h>

#include "proto/base64.hpp"
#include "proto/contact_uri.hpp"
#include "proto/sasl/plain.hpp"
#include "proto/sasl/scram.hpp"

#include <random>
#include <string>

using namespace wl::proto;

namespace {

std::string random_from(std::mt19937& rng, std::string_view alphabet, std::size_t max_len)
{
    std::uniform_int_distribution<std::size_t> len(0, max_len);
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string s(len(rng), '\0');
    for (char& c : s) c = alphabet[pick(rng)];
    return s;
}

std::string all_bytes()
{
    std::string s;
    for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
    return s;
}

}  // namespace

TEST_SUITE("properties")
{
    TEST_CASE("whatever base64 decodes re-encodes to the same text")
    {
        std::mt19937 rng(5802);
        int accepted = 0;
        for (int i = 0; i < 20000; ++i) {
            const std::string text =
                random_from(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", 12);
            if (const auto bytes = base64_decode(text)) {
                ++accepted;
                CHECK(base64_encode(*bytes) == text);
            }
        }
        CHECK(accepted > 100);  // the generator must reach the accepting paths
    }

    TEST_CASE("a parsed contact URI's canonical form parses to itself")
    {
        std::mt19937 rng(130);
        const UriPolicy policy{};
        int accepted = 0;
        for (int i = 0; i < 20000; ++i) {
            const bool tel = i % 2 == 0;
            const std::string value = tel ? random_from(rng, "0123456789+-. ()", 18)
                                          : random_from(rng, "ab.@\"\\ -_Zx\xC3\xBC", 14) + "@ex.org";
            const auto r = parse_contact_uri(tel ? "tel" : "mailto", value, policy);
            if (!r.uri) continue;
            ++accepted;
            const auto again = parse_contact_uri(r.uri->canonical, policy);
            REQUIRE(again.uri);
            CHECK(again.uri->canonical == r.uri->canonical);
            CHECK(r.uri->canonical == std::string{scheme_name(r.uri->scheme)} + ":" + r.uri->value);
        }
        CHECK(accepted > 100);
    }

    TEST_CASE("arbitrary bytes never break the URI, PLAIN and SCRAM parsers")
    {
        std::mt19937 rng(4616);
        const std::string bytes = all_bytes();
        const UriPolicy policy{};
        for (int i = 0; i < 5000; ++i) {
            const std::string junk = random_from(rng, bytes, 40);
            (void)parse_contact_uri("tel", junk, policy);
            (void)parse_contact_uri("mailto", junk, policy);
            (void)parse_contact_uri(junk, policy);
            if (const auto m = sasl::parse_plain(junk)) CHECK_FALSE(m->authcid.empty());
            sasl::ScramServer server{sasl::ScramHash::sha1};
            if (!server.receive_client_first("n,,n=user,r=" + junk)) {
                (void)server.server_first(std::nullopt);
                CHECK(server.receive_client_final(junk).has_value());
            }
        }
    }
}
