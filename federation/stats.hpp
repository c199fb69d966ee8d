#pragma once
// Counters for /metrics. Gauges (streams, queued) are current values; the rest only grow.
#include <cstddef>
#include <cstdint>

namespace wl::federation {

struct FederationStats {
    std::size_t streams_in = 0;     // incoming streams currently open
    std::size_t streams_out = 0;    // outgoing streams currently authenticated
    std::size_t queued = 0;         // stanzas waiting for an outgoing stream
    std::uint64_t stanzas_in = 0;   // delivered to the server
    std::uint64_t stanzas_out = 0;  // written to a peer
    std::uint64_t bounced = 0;      // error replies made for stanzas that could not be sent
    std::uint64_t rejected_in = 0;  // incoming stanzas refused (spoofed or unauthenticated)
    std::uint64_t dialback_ok = 0;  // peers we authenticated by dialback
    std::uint64_t dialback_failed = 0;
    std::uint64_t sasl_external_ok = 0;  // peers we authenticated by certificate
    std::uint64_t connect_failures = 0;  // outgoing streams that could not be opened
};

}  // namespace wl::federation
