#include "federation/fixed_addresses.hpp"

#include <string>

namespace wl::federation {
namespace {

bool equal_ignoring_ascii_case(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

}  // namespace

bool is_localhost_name(std::string_view host)
{
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    constexpr std::string_view name = "localhost";
    if (host.size() < name.size() || !equal_ignoring_ascii_case(host.substr(host.size() - name.size()), name))
        return false;
    if (host.size() == name.size()) return true;
    // A label below localhost: the character before is a dot that ends a non-empty label.
    return host.size() > name.size() + 1 && host[host.size() - name.size() - 1] == '.' &&
           host[host.size() - name.size() - 2] != '.';
}

std::optional<std::vector<asio::ip::tcp::endpoint>> fixed_addresses(std::string_view host, std::uint16_t port)
{
    boost::system::error_code ec;
    const auto literal = asio::ip::make_address(std::string(host), ec);
    if (!ec) return std::vector<asio::ip::tcp::endpoint>{{literal, port}};
    if (is_localhost_name(host))
        return std::vector<asio::ip::tcp::endpoint>{{asio::ip::address_v4::loopback(), port},
                                                    {asio::ip::address_v6::loopback(), port}};
    return std::nullopt;
}

}  // namespace wl::federation
