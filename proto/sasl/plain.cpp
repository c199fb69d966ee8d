#include "proto/sasl/plain.hpp"

#include "proto/sasl/utf8.hpp"

namespace wl::proto::sasl {

std::optional<PlainMessage> parse_plain(std::string_view message)
{
    const auto first = message.find('\0');
    if (first == std::string_view::npos) return std::nullopt;
    const auto second = message.find('\0', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    if (message.find('\0', second + 1) != std::string_view::npos) return std::nullopt;

    const auto authzid = message.substr(0, first);
    const auto authcid = message.substr(first + 1, second - first - 1);
    const auto password = message.substr(second + 1);
    if (authcid.empty() || password.empty()) return std::nullopt;
    for (auto part : {authzid, authcid, password})
        if (part.size() > max_plain_part_bytes || !is_valid_utf8(part)) return std::nullopt;

    return PlainMessage{std::string{authzid}, std::string{authcid}, Secret{password}};
}

}  // namespace wl::proto::sasl
