#include <doctest.h>

#include "federation/fixed_addresses.hpp"

using namespace wl::federation;
namespace asio = boost::asio;
using Endpoints = std::vector<asio::ip::tcp::endpoint>;

namespace {
asio::ip::tcp::endpoint expected_at(const char* address, std::uint16_t port)
{
    return {asio::ip::make_address(address), port};
}
}  // namespace

TEST_SUITE("unit")
{
    TEST_CASE("localhost and every name below it are localhost names, in any case and with a final dot")
    {
        for (const char* name : {"localhost", "localhost.", "LOCALHOST", "LocalHost.", "node1.localhost",
                                 "a.b.localhost.", "xmpp.LOCALHOST"})
            CHECK_MESSAGE(is_localhost_name(name), name);
    }

    TEST_CASE("names that only contain or start with localhost are not localhost names")
    {
        for (const char* name : {"", ".", "mylocalhost", "localhost.example", "localhost.test", "localhos",
                                 ".localhost", "a..localhost", "localhost..", "127.0.0.1"})
            CHECK_FALSE_MESSAGE(is_localhost_name(name), name);
    }

    TEST_CASE("a localhost name is the IPv4 and the IPv6 loopback address on the port given")
    {
        CHECK(fixed_addresses("localhost", 35269) ==
              Endpoints{expected_at("127.0.0.1", 35269), expected_at("::1", 35269)});
        CHECK(fixed_addresses("Peer.Localhost.", 5269) ==
              Endpoints{expected_at("127.0.0.1", 5269), expected_at("::1", 5269)});
    }

    TEST_CASE("an IP literal is its own address, and any other name needs a lookup")
    {
        CHECK(fixed_addresses("10.1.2.3", 7) == Endpoints{expected_at("10.1.2.3", 7)});
        CHECK(fixed_addresses("::1", 5269) == Endpoints{expected_at("::1", 5269)});
        CHECK_FALSE(fixed_addresses("b.test", 5269).has_value());
        CHECK_FALSE(fixed_addresses("localhost.example", 5269).has_value());
    }
}
