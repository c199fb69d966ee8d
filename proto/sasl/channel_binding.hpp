#pragma once
// Channel binding data of one TLS connection, as SCRAM-*-PLUS (RFC 5802 section 6) binds the
// authentication to it. The TLS layer computes the data; this is only what SASL sees of it.
//
// Two types are known: "tls-exporter" (RFC 9266: 32 bytes exported with the label
// "EXPORTER-Channel-Binding" and no context) and "tls-server-end-point" (RFC 5929: the hash of
// the server's certificate). "tls-unique" is not: it is undefined for TLS 1.3 (RFC 8446
// appendix C.5) and weak in TLS 1.2 without the extended master secret.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wl::proto::sasl {

enum class ChannelBindingType {
    tls_exporter,
    tls_server_end_point
};

// "tls-exporter", "tls-server-end-point": the cb-name of the gs2 header and of XEP-0440.
std::string_view channel_binding_name(ChannelBindingType type) noexcept;
std::optional<ChannelBindingType> channel_binding_from_name(std::string_view name) noexcept;

// What one connection can bind to; a field is empty when that type is not defined for it.
// All empty: the connection offers no channel binding (no TLS of ours, or none captured).
struct ChannelBindings {
    std::string tls_exporter;
    std::string tls_server_end_point;

    bool any() const noexcept { return !tls_exporter.empty() || !tls_server_end_point.empty(); }
    // The data for `type`, or nullptr if this connection has none of it.
    const std::string* find(ChannelBindingType type) const noexcept;
    // The types available, in the order they are advertised (XEP-0440).
    std::vector<ChannelBindingType> types() const;
};

}  // namespace wl::proto::sasl
