#include "proto/sasl/channel_binding.hpp"

namespace wl::proto::sasl {

std::string_view channel_binding_name(ChannelBindingType type) noexcept
{
    return type == ChannelBindingType::tls_exporter ? "tls-exporter" : "tls-server-end-point";
}

std::optional<ChannelBindingType> channel_binding_from_name(std::string_view name) noexcept
{
    if (name == "tls-exporter") return ChannelBindingType::tls_exporter;
    if (name == "tls-server-end-point") return ChannelBindingType::tls_server_end_point;
    return std::nullopt;
}

const std::string* ChannelBindings::find(ChannelBindingType type) const noexcept
{
    const std::string& data = type == ChannelBindingType::tls_exporter ? tls_exporter : tls_server_end_point;
    return data.empty() ? nullptr : &data;
}

std::vector<ChannelBindingType> ChannelBindings::types() const
{
    // tls-exporter first: it binds to this connection, the end point only to our certificate.
    std::vector<ChannelBindingType> out;
    for (auto type : {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point})
        if (find(type)) out.push_back(type);
    return out;
}

}  // namespace wl::proto::sasl
