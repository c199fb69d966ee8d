#include <doctest.h>

#include "federation/targets.hpp"

using namespace wl::federation;

namespace {
RandomUpTo zero()
{
    return [](std::uint32_t) { return 0u; };
}
}  // namespace

TEST_SUITE("unit")
{
    TEST_CASE("with no SRV records at all the domain itself is tried on 5269")
    {
        auto t = make_targets("b.test", std::nullopt, std::nullopt, zero());
        CHECK(t == std::vector<Target>{{"b.test", 5269, false}});
        auto empty = make_targets("b.test", std::vector<SrvRecord>{}, std::vector<SrvRecord>{}, zero());
        CHECK(empty == std::vector<Target>{{"b.test", 5269, false}});
    }

    TEST_CASE("xmpps-server records are direct TLS and xmpp-server records use STARTTLS")
    {
        auto t = make_targets("b.test", std::vector<SrvRecord>{{0, 0, 5270, "tls.b.test."}},
                              std::vector<SrvRecord>{{5, 0, 25269, "plain.b.test"}}, zero());
        CHECK(t == std::vector<Target>{{"tls.b.test", 5270, true}, {"plain.b.test", 25269, false}});
    }

    TEST_CASE("both record sets are merged and ordered by priority together")
    {
        auto t = make_targets("b.test", std::vector<SrvRecord>{{10, 0, 5270, "tls"}},
                              std::vector<SrvRecord>{{0, 0, 5269, "plain"}}, zero());
        CHECK(t == std::vector<Target>{{"plain", 5269, false}, {"tls", 5270, true}});
    }

    TEST_CASE("a lone dot target means the service is not offered, and there is no A fallback")
    {
        auto t = make_targets("b.test", std::nullopt, std::vector<SrvRecord>{{0, 0, 0, "."}}, zero());
        CHECK(t.empty());
        auto both = make_targets("b.test", std::vector<SrvRecord>{{0, 0, 0, "."}},
                                 std::vector<SrvRecord>{{0, 0, 0, "."}}, zero());
        CHECK(both.empty());
    }

    TEST_CASE("a dot for direct TLS leaves the STARTTLS records in use")
    {
        auto t = make_targets("b.test", std::vector<SrvRecord>{{0, 0, 0, "."}},
                              std::vector<SrvRecord>{{0, 0, 25269, "b.test"}}, zero());
        CHECK(t == std::vector<Target>{{"b.test", 25269, false}});
    }

    TEST_CASE("static routes parse host, IPv4, bracketed IPv6 and a default port")
    {
        CHECK(parse_route("127.0.0.1:5270") == Target{"127.0.0.1", 5270, false});
        CHECK(parse_route("peer.example") == Target{"peer.example", 5269, false});
        CHECK(parse_route("[::1]:5271") == Target{"::1", 5271, false});
        CHECK(parse_route("[::1]") == Target{"::1", 5269, false});
    }

    TEST_CASE("malformed static routes are refused")
    {
        CHECK_FALSE(parse_route(""));
        CHECK_FALSE(parse_route(":5269"));
        CHECK_FALSE(parse_route("host:"));
        CHECK_FALSE(parse_route("host:0"));
        CHECK_FALSE(parse_route("host:65536"));
        CHECK_FALSE(parse_route("host:12x"));
        CHECK_FALSE(parse_route("::1:5269"));
        CHECK_FALSE(parse_route("[]:5269"));
        CHECK_FALSE(parse_route("[::1]5269"));
    }
}
