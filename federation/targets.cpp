#include "federation/targets.hpp"

#include <charconv>

namespace wl::federation {
namespace {

bool is_no_service(const SrvAnswer& answer)
{
    return answer && answer->size() == 1 && ((*answer)[0].target == "." || (*answer)[0].target.empty());
}

}  // namespace

std::vector<Target> make_targets(const std::string& domain, const SrvAnswer& xmpps, const SrvAnswer& xmpp,
                                 const RandomUpTo& random_up_to)
{
    const bool have_xmpps = xmpps && !xmpps->empty();
    const bool have_xmpp = xmpp && !xmpp->empty();
    if (!have_xmpps && !have_xmpp) return {Target{domain, default_s2s_port, false}};

    std::vector<SrvRecord> merged;
    std::vector<bool> direct;  // parallel to merged: which record set it came from
    auto add = [&](const SrvAnswer& answer, bool is_direct) {
        if (!answer || is_no_service(answer)) return;
        for (const auto& r : *answer) {
            if (r.target.empty() || r.target == ".") continue;
            merged.push_back(r);
            direct.push_back(is_direct);
        }
    };
    add(xmpps, true);
    add(xmpp, false);
    std::vector<Target> out;
    for (auto i : order_srv_indices(merged, random_up_to)) {
        std::string host = merged[i].target;
        if (host.back() == '.') host.pop_back();
        out.push_back(Target{std::move(host), merged[i].port, direct[i]});
    }
    return out;
}

std::optional<Target> parse_route(const std::string& route)
{
    std::string host;
    std::string_view rest;
    if (!route.empty() && route[0] == '[') {
        const auto close = route.find(']');
        if (close == std::string::npos || close == 1) return std::nullopt;
        host = route.substr(1, close - 1);
        rest = std::string_view(route).substr(close + 1);
    } else {
        const auto colon = route.rfind(':');
        host = route.substr(0, colon);
        if (colon != std::string::npos) rest = std::string_view(route).substr(colon);
        if (host.find(':') != std::string::npos) return std::nullopt;  // bare IPv6 needs brackets
    }
    if (host.empty()) return std::nullopt;
    std::uint16_t port = default_s2s_port;
    if (!rest.empty()) {
        if (rest[0] != ':' || rest.size() < 2) return std::nullopt;
        const auto digits = rest.substr(1);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec != std::errc{} || end != digits.data() + digits.size() || value == 0 || value > 65535)
            return std::nullopt;
        port = static_cast<std::uint16_t>(value);
    }
    return Target{host, port, false};
}

}  // namespace wl::federation
