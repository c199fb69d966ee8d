#include "proto/sasl/saslprep.hpp"

#include <stringprep.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "proto/sasl/utf8.hpp"

namespace wl::proto::sasl {

std::optional<Secret> saslprep(std::string_view utf8, PrepKind kind)
{
    if (utf8.empty() || !is_valid_utf8(utf8) || utf8.find('\0') != std::string_view::npos) return std::nullopt;
    // stringprep_profile wants a C string; the copy is wiped with the Secret.
    Secret input{utf8};
    input.append(std::string_view{"\0", 1});
    char* out = nullptr;
    const auto flags = kind == PrepKind::stored ? STRINGPREP_NO_UNASSIGNED : Stringprep_profile_flags{};
    const int rc = stringprep_profile(input.data(), &out, "SASLprep", flags);
    if (rc != STRINGPREP_OK || out == nullptr) {
        std::free(out);
        return std::nullopt;
    }
    const std::size_t size = std::strlen(out);
    Secret prepared{std::string_view{out, size}};
    OPENSSL_cleanse(out, size);
    std::free(out);
    // SASLprep maps some characters to nothing (e.g. U+00AD); an all-mapped string is empty.
    if (prepared.empty()) return std::nullopt;
    return prepared;
}

}  // namespace wl::proto::sasl
