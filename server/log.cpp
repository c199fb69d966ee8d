#include "server/log.hpp"

#include <cctype>
#include <chrono>
#include <ctime>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace wl::server {

namespace {

void append_json_string(std::string& out, std::string_view s)
{
    out += '"';
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20)
                out += fmt::format("\\u{:04x}", c);
            else
                out += ch;
        }
    }
    out += '"';
}

// A c2s session's lines begin "c2s s<id> ": the id goes into its own field as well.
std::string_view session_of(std::string_view message)
{
    if (message.rfind("c2s s", 0) != 0) return {};
    std::size_t end = 5;
    while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) ++end;
    if (end == 5 || end >= message.size() || message[end] != ' ') return {};
    return message.substr(4, end - 4);
}

class JsonFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override
    {
        const auto since_epoch = msg.time.time_since_epoch();
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
        const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
        std::time_t t = seconds.count();
        std::tm tm{};
        gmtime_r(&t, &tm);
        char stamp[32];
        std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        const auto level = spdlog::level::to_string_view(msg.level);
        std::string line =
            json_log_line(fmt::format("{}.{:03}Z", stamp, millis), std::string_view(level.data(), level.size()),
                          msg.thread_id, std::string_view(msg.payload.data(), msg.payload.size()));
        line += '\n';
        dest.append(line.data(), line.data() + line.size());
    }
    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

std::string json_log_line(std::string_view time_utc, std::string_view level, std::size_t thread,
                          std::string_view message)
{
    std::string out = "{\"time\":";
    append_json_string(out, time_utc);
    out += ",\"level\":";
    append_json_string(out, level);
    out += ",\"thread\":" + std::to_string(thread);
    if (auto session = session_of(message); !session.empty()) {
        out += ",\"session\":";
        append_json_string(out, session);
    }
    out += ",\"msg\":";
    append_json_string(out, message);
    out += '}';
    return out;
}

void init_logging(std::string_view level, std::string_view format)
{
    auto logger = spdlog::stderr_color_mt("waitlistd");
    if (format == "json")
        logger->set_formatter(std::make_unique<JsonFormatter>());
    else
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
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '+' || c == '%' ||
           c == '@' || c == ':' || c == ';' || c == '=' || c == '/' || c == '(' || c == ')';
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
            if (digits >= 5 || (at && j - i > 1))
                out += "[redacted]";
            else
                out.append(text.substr(i, j - i));
            i = j;
            continue;
        }
        out += text[i++];
    }
    return out;
}

}  // namespace wl::server
