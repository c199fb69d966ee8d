#include "federation/srv_order.hpp"

#include <algorithm>
#include <memory>
#include <numeric>
#include <random>

namespace wl::federation {

std::vector<std::size_t> order_srv_indices(const std::vector<SrvRecord>& records, const RandomUpTo& random_up_to)
{
    std::vector<std::size_t> sorted(records.size());
    std::iota(sorted.begin(), sorted.end(), std::size_t{0});
    std::stable_sort(sorted.begin(), sorted.end(),
                     [&](std::size_t a, std::size_t b) { return records[a].priority < records[b].priority; });
    std::vector<std::size_t> out;
    out.reserve(records.size());
    auto group_begin = sorted.begin();
    while (group_begin != sorted.end()) {
        const auto priority = records[*group_begin].priority;
        auto group_end =
            std::find_if(group_begin, sorted.end(), [&](std::size_t i) { return records[i].priority != priority; });
        // RFC 2782: "arrange all SRV RRs (that have not been ordered yet) in any order, except
        // that all those with weight 0 are placed at the beginning of the list".
        std::vector<std::size_t> group(group_begin, group_end);
        std::stable_partition(group.begin(), group.end(), [&](std::size_t i) { return records[i].weight == 0; });
        while (!group.empty()) {
            std::uint32_t sum = 0;
            for (auto i : group) sum += records[i].weight;
            const std::uint32_t pick = random_up_to(sum);
            std::uint32_t running = 0;
            std::size_t chosen = group.size() - 1;
            for (std::size_t k = 0; k < group.size(); ++k) {
                running += records[group[k]].weight;
                if (running >= pick) {
                    chosen = k;
                    break;
                }
            }
            out.push_back(group[chosen]);
            group.erase(group.begin() + static_cast<std::ptrdiff_t>(chosen));
        }
        group_begin = group_end;
    }
    return out;
}

std::vector<SrvRecord> order_srv(const std::vector<SrvRecord>& records, const RandomUpTo& random_up_to)
{
    std::vector<SrvRecord> out;
    for (auto i : order_srv_indices(records, random_up_to)) out.push_back(records[i]);
    return out;
}

RandomUpTo system_random()
{
    auto engine = std::make_shared<std::mt19937>(std::random_device{}());
    return [engine](std::uint32_t bound) { return std::uniform_int_distribution<std::uint32_t>(0, bound)(*engine); };
}

}  // namespace wl::federation
