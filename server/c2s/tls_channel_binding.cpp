#include "server/c2s/tls_channel_binding.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace wl::server::c2s {

namespace {

constexpr const char exporter_label[] = "EXPORTER-Channel-Binding";
constexpr std::size_t exporter_size = 32;

std::string tls_exporter(SSL* ssl)
{
    unsigned char out[exporter_size];
    const unsigned char no_context = 0;
    if (SSL_export_keying_material(ssl, out, sizeof out, exporter_label, sizeof exporter_label - 1, &no_context, 0,
                                   1) != 1)
        return {};
    return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

}  // namespace

std::string tls_server_end_point(X509* certificate)
{
    if (!certificate) return {};
    int md_nid = NID_undef;
    if (X509_get_signature_info(certificate, &md_nid, nullptr, nullptr, nullptr) != 1 || md_nid == NID_undef) return {};
    if (md_nid == NID_md5 || md_nid == NID_sha1) md_nid = NID_sha256;
    const EVP_MD* md = EVP_get_digestbynid(md_nid);
    if (!md) return {};
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (X509_digest(certificate, md, out, &size) != 1) return {};
    return std::string(reinterpret_cast<const char*>(out), size);
}

proto::sasl::ChannelBindings tls_channel_bindings(SSL* ssl)
{
    proto::sasl::ChannelBindings bindings;
    if (!ssl || !SSL_is_init_finished(ssl)) return bindings;
    if (SSL_version(ssl) == TLS1_3_VERSION) bindings.tls_exporter = tls_exporter(ssl);
    bindings.tls_server_end_point = tls_server_end_point(SSL_get_certificate(ssl));
    return bindings;
}

}  // namespace wl::server::c2s
