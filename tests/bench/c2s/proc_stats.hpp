#pragma once
// What /proc says about the server under test (and about this process): resident memory
// and CPU time consumed, the two costs the benchmark divides per session and per operation.
#include <optional>

namespace wl::bench {

// VmRSS of /proc/PID/status in KiB; nullopt if the process is gone or unreadable.
std::optional<long> vm_rss_kib(int pid);
// utime + stime of /proc/PID/stat in seconds (all threads).
std::optional<double> cpu_seconds(int pid);

}  // namespace wl::bench
