#include <doctest.h>

#include <map>

#include "federation/srv_order.hpp"

using namespace wl::federation;

namespace {
// Always picks the given fraction of the bound, so tests can pin each branch of RFC 2782's draw.
RandomUpTo fixed(std::uint32_t value)
{
    return [value](std::uint32_t bound) { return std::min(value, bound); };
}
std::vector<std::string> hosts(const std::vector<SrvRecord>& rs)
{
    std::vector<std::string> out;
    for (auto& r : rs) out.push_back(r.target);
    return out;
}
}  // namespace

TEST_SUITE("unit")
{
    TEST_CASE("SRV records are tried in ascending priority whatever the weights")
    {
        std::vector<SrvRecord> rs{{20, 100, 1, "c"}, {0, 1, 1, "a"}, {10, 50, 1, "b"}};
        CHECK(hosts(order_srv(rs, fixed(0))) == std::vector<std::string>{"a", "b", "c"});
        CHECK(hosts(order_srv(rs, fixed(1000))) == std::vector<std::string>{"a", "b", "c"});
    }

    TEST_CASE("a zero draw picks a weight-0 record first, as RFC 2782 places them at the front")
    {
        std::vector<SrvRecord> rs{{0, 10, 1, "heavy"}, {0, 0, 1, "zero"}};
        CHECK(hosts(order_srv(rs, fixed(0))) == std::vector<std::string>{"zero", "heavy"});
    }

    TEST_CASE("the draw selects the first record whose running weight sum reaches it")
    {
        std::vector<SrvRecord> rs{{0, 10, 1, "a"}, {0, 30, 1, "b"}, {0, 60, 1, "c"}};
        CHECK(hosts(order_srv(rs, fixed(10))).front() == "a");
        CHECK(hosts(order_srv(rs, fixed(11))).front() == "b");
        CHECK(hosts(order_srv(rs, fixed(40))).front() == "b");
        CHECK(hosts(order_srv(rs, fixed(41))).front() == "c");
    }

    TEST_CASE("weights decide how often a record comes first")
    {
        std::vector<SrvRecord> rs{{0, 1, 1, "light"}, {0, 9, 1, "heavy"}};
        auto random = system_random();
        std::map<std::string, int> first;
        for (int i = 0; i < 2000; ++i) ++first[order_srv(rs, random).front().target];
        CHECK(first["heavy"] > first["light"] * 3);
        CHECK(first["light"] > 0);
    }

    TEST_CASE("every record appears exactly once in the order")
    {
        std::vector<SrvRecord> rs;
        for (int i = 0; i < 12; ++i)
            rs.push_back({static_cast<std::uint16_t>(i % 3), static_cast<std::uint16_t>(i), 1, std::to_string(i)});
        auto ordered = order_srv(rs, system_random());
        REQUIRE(ordered.size() == rs.size());
        std::map<std::string, int> seen;
        for (auto& r : ordered) ++seen[r.target];
        CHECK(seen.size() == rs.size());
        for (std::size_t i = 1; i < ordered.size(); ++i) CHECK(ordered[i - 1].priority <= ordered[i].priority);
    }
}
