#pragma once
// One blocking HTTP/1.1 POST to waitlistd's admin API (a JSON body, a Bearer token), for
// the fan-out benchmark's "the contact registers". Blocking on purpose: it runs on its own
// thread while the io thread keeps reading the pushes it causes.
#include <string>

namespace wl::bench {

struct HttpAnswer {
    int status = 0;  // 0: no answer (connection failed); see error
    std::string body;
    std::string error;
};

HttpAnswer post_json(const std::string& host, unsigned short port, const std::string& path,
                     const std::string& bearer_token, const std::string& json);

// The JSON string literal of `text` (quotes included).
std::string json_string(const std::string& text);

}  // namespace wl::bench
