#include <doctest.h>

#include <chrono>

#include "server/waitlist/partner_directory.hpp"

using namespace wl::server;
using namespace wl::server::waitlist;
using Discovery = PartnerDirectory::Discovery;

namespace {

PartnerDirectory two_partners()
{
    PartnerConfig by_jid;
    by_jid.jid = "waitlist.one.test";
    PartnerConfig by_domain;
    by_domain.domain = "two.test";
    return PartnerDirectory({by_jid, by_domain});
}

}  // namespace

TEST_CASE("a partner given by its jid is known by it at once and never needs discovery")
{
    auto d = two_partners();
    CHECK(d.service_of("waitlist.one.test") == std::optional<std::string>("waitlist.one.test"));
    CHECK(d.key_of("waitlist.one.test") == std::optional<std::string>("waitlist.one.test"));
    CHECK(d.state("waitlist.one.test") == Discovery::configured);
    CHECK_FALSE(d.begin_discovery("waitlist.one.test", std::chrono::seconds(0)));
    d.forget("waitlist.one.test");
    CHECK(d.service_of("waitlist.one.test"));
}

TEST_CASE("a partner given by its domain has no service until discovered, and no name is guessed")
{
    auto d = two_partners();
    CHECK(d.is_partner("two.test"));
    CHECK_FALSE(d.service_of("two.test"));
    CHECK_FALSE(d.key_of("waitlist.two.test"));
    CHECK_FALSE(d.key_of("two.test"));
    CHECK(d.undiscovered() == std::vector<std::string>{"two.test"});
}

TEST_CASE("a discovered service on another domain speaks for the partner until it is forgotten")
{
    auto d = two_partners();
    REQUIRE(d.begin_discovery("two.test", std::chrono::seconds(0)));
    CHECK(d.state("two.test") == Discovery::discovering);
    CHECK_FALSE(d.begin_discovery("two.test", std::chrono::seconds(0)));  // one at a time
    d.discovered("two.test", "lists.third-party.test");
    CHECK(d.service_of("two.test") == std::optional<std::string>("lists.third-party.test"));
    CHECK(d.key_of("lists.third-party.test") == std::optional<std::string>("two.test"));
    CHECK(d.undiscovered().empty());
    d.forget("two.test");
    CHECK_FALSE(d.service_of("two.test"));
    CHECK_FALSE(d.key_of("lists.third-party.test"));
    CHECK(d.begin_discovery("two.test", std::chrono::seconds(0)));
}

TEST_CASE("after a failed discovery the domain is not asked again before the retry gap")
{
    auto d = two_partners();
    REQUIRE(d.begin_discovery("two.test", std::chrono::hours(1)));
    d.discovery_failed("two.test");
    CHECK(d.state("two.test") == Discovery::failed);
    CHECK_FALSE(d.begin_discovery("two.test", std::chrono::hours(1)));
    CHECK(d.begin_discovery("two.test", std::chrono::seconds(0)));
}

TEST_CASE("a discovered service never shadows a configured one")
{
    auto d = two_partners();
    REQUIRE(d.begin_discovery("two.test", std::chrono::seconds(0)));
    d.discovered("two.test", "waitlist.one.test");
    CHECK(d.key_of("waitlist.one.test") == std::optional<std::string>("waitlist.one.test"));
}
