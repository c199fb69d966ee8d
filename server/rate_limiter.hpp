#pragma once
// A token bucket: `rate` tokens per second sustained, at most `burst` held. Pure (the caller
// passes the time), so tests drive it without clocks and one connection's limiter never
// touches another's.
#include <algorithm>
#include <chrono>

namespace wl::server {

class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    TokenBucket(double rate, double burst, Clock::time_point now)
        : rate_(rate),
          burst_(burst),
          tokens_(burst),
          last_(now)
    {
    }

    // Takes `cost` tokens if that many are there; false (and nothing taken) otherwise.
    bool try_take(double cost, Clock::time_point now)
    {
        refill(now);
        if (tokens_ < cost) return false;
        tokens_ -= cost;
        return true;
    }

    double available(Clock::time_point now)
    {
        refill(now);
        return tokens_;
    }

private:
    void refill(Clock::time_point now)
    {
        if (now <= last_) return;
        double elapsed = std::chrono::duration<double>(now - last_).count();
        tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
        last_ = now;
    }

    double rate_;
    double burst_;
    double tokens_;
    Clock::time_point last_;
};

}  // namespace wl::server
