#pragma once
// RFC 2782 ordering of SRV records: ascending priority, and within one priority a weighted
// random order ("weight 0 first" in the running sums, then pick by a random number in
// [0, sum]). Pure: the randomness is a parameter so that tests can pin it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace wl::federation {

struct SrvRecord {
    std::uint16_t priority = 0;
    std::uint16_t weight = 0;
    std::uint16_t port = 0;
    std::string target;  // host name without the trailing dot; "." means "no service here"
};

// Returns a number in [0, bound], inclusive, uniformly in production.
using RandomUpTo = std::function<std::uint32_t(std::uint32_t bound)>;

// The records in the order a client must try them.
std::vector<SrvRecord> order_srv(const std::vector<SrvRecord>& records, const RandomUpTo& random_up_to);
// The same order as positions into `records`, for callers that carry more per record.
std::vector<std::size_t> order_srv_indices(const std::vector<SrvRecord>& records, const RandomUpTo& random_up_to);

// A RandomUpTo backed by a non-deterministic engine.
RandomUpTo system_random();

}  // namespace wl::federation
