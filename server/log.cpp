#include "server/log.hpp"

#include <cctype>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace wl::server {

void init_logging(std::string_view level)
{
    auto logger = spdlog::stderr_color_mt("waitlistd");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
    logger->set_level(spdlog::level::from_str(std::string(level)));
    spdlog::set_default_logger(logger);
    spdlog::flush_on(spdlog::level::info);
}

namespace {

bool starts_with_ci(std::string_view text, std::size_t at, std::string_view prefix)
{
    if (text.size() - at < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[at + i])) != prefix[i]) return false;
    return true;
}

// Characters that may belong to a URI or address token.
bool is_token_char(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '+' ||
           c == '%' || c == '@' || c == ':' || c == ';' || c == '=' || c == '/' || c == '(' || c == ')';
}

}  // namespace

std::string redact(std::string_view text)
{
    auto is_alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
    // Characters of a word that may be an address or a phone number.
    auto is_word_char = [&](char c) {
        return is_alnum(c) || c == '.' || c == '-' || c == '_' || c == '+' || c == '%' || c == '@' || c == '(' ||
               c == ')';
    };
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        bool boundary = i == 0 || !is_alnum(text[i - 1]);
        if (boundary && (starts_with_ci(text, i, "tel:") || starts_with_ci(text, i, "mailto:"))) {
            bool tel = starts_with_ci(text, i, "tel:");
            std::size_t j = i + (tel ? 4 : 7);
            while (j < text.size() && is_token_char(text[j])) ++j;
            out += tel ? "tel:[redacted]" : "mailto:[redacted]";
            i = j;
            continue;
        }
        if (boundary && is_word_char(text[i]) && (i == 0 || !is_word_char(text[i - 1]))) {
            std::size_t j = i;
            int digits = 0;
            bool at = false;
            while (j < text.size() && is_word_char(text[j])) {
                if (std::isdigit(static_cast<unsigned char>(text[j]))) ++digits;
                if (text[j] == '@') at = true;
                ++j;
            }
            if (digits >= 5 || (at && j - i > 1)) out += "[redacted]";
            else out.append(text.substr(i, j - i));
            i = j;
            continue;
        }
        out += text[i++];
    }
    return out;
}

}  // namespace wl::server
