#include <doctest.h>

#include "server/rate_limiter.hpp"

using wl::server::TokenBucket;
using namespace std::chrono_literals;

TEST_CASE("a token bucket allows its burst at once and then only its rate")
{
    auto t0 = TokenBucket::Clock::time_point{} + 1h;
    TokenBucket bucket(10, 20, t0);
    for (int i = 0; i < 20; ++i) CHECK(bucket.try_take(1, t0));
    CHECK_FALSE(bucket.try_take(1, t0));
    CHECK_FALSE(bucket.try_take(1, t0 + 50ms));  // half a token
    CHECK(bucket.try_take(1, t0 + 100ms));       // one token later
    CHECK_FALSE(bucket.try_take(1, t0 + 100ms));
}

TEST_CASE("a token bucket never holds more than its burst, however long it rested")
{
    auto t0 = TokenBucket::Clock::time_point{} + 1h;
    TokenBucket bucket(1000, 50, t0);
    CHECK(bucket.try_take(50, t0));
    CHECK(bucket.available(t0 + 1h) == doctest::Approx(50));
    CHECK_FALSE(bucket.try_take(51, t0 + 2h));
}

TEST_CASE("a refused take takes nothing, and time going backwards adds nothing")
{
    auto t0 = TokenBucket::Clock::time_point{} + 1h;
    TokenBucket bucket(1, 10, t0);
    CHECK_FALSE(bucket.try_take(11, t0));
    CHECK(bucket.available(t0) == doctest::Approx(10));
    CHECK(bucket.try_take(10, t0));
    CHECK(bucket.available(t0 - 5s) == doctest::Approx(0));
}
