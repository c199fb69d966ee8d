#pragma once
// The process logger (spdlog). Personal data — phone numbers and e-mail addresses, and the
// bodies of stanzas, which may carry them — is never written at info level or above: code
// that wants to show such text passes it through redact(), and whole stanzas are logged
// only at debug.
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace wl::server {

// Sets up the default logger (stderr, with thread ids) at the given level name, one line per
// event: "text" is plain ("2026-01-02T03:04:05.678 info [1234] message"), "json" one object
// per line: {"time" (UTC), "level", "thread", "session" (for a c2s session's lines), "msg"}.
void init_logging(std::string_view level, std::string_view format = "text");

// One event as a JSON line (no newline), what the "json" format writes.
std::string json_log_line(std::string_view time_utc, std::string_view level, std::size_t thread,
                          std::string_view message);

// Replaces every tel: / mailto: URI, every e-mail-like token and every run of 5+ digits
// (a phone number with or without "tel:") with a short placeholder that keeps the scheme.
std::string redact(std::string_view text);

}  // namespace wl::server
