#include "proto/xml/token_gate.hpp"

#include <cstring>

namespace wl::proto::xml {

namespace {
constexpr std::string_view cdata_open = "[CDATA[";

// Position of the first a or b in s from `from` on, or s.size().
std::size_t find_either(std::string_view s, std::size_t from, char a, char b)
{
    const char* begin = s.data() + from;
    std::size_t len = s.size() - from;
    if (const void* p = std::memchr(begin, a, len)) len = static_cast<std::size_t>(static_cast<const char*>(p) - begin);
    if (const void* p = std::memchr(begin, b, len)) len = static_cast<std::size_t>(static_cast<const char*>(p) - begin);
    return from + len;
}
}  // namespace

// For well-formed input the gate must never hold back a completed tag; for malformed input it
// may only delay the error (expat still judges every byte; held bytes count towards the
// stanza limit). Where input is certainly malformed ('<' inside a tag), the gate releases it
// so that expat reports the error at once.
TokenGate::Verdict TokenGate::scan(std::string_view bytes)
{
    Verdict v;
    const std::size_t n = bytes.size();
    for (std::size_t i = 0; i < n; ++i) {
        // Fast paths for where nearly all bytes are: text, and attribute values. They skip to
        // the next byte that can change the state.
        if (state_ == State::content) {
            const std::size_t j = find_either(bytes, i, '<', '&');
            if (j == n) {
                v.ready = n;
                break;
            }
            v.ready = j;
            i = j;
        } else if (state_ == State::quote) {
            const std::size_t j = find_either(bytes, i, quote_, '<');
            if (j == n) break;
            i = j;
        }
        const char c = bytes[i];
        bool safe = false;
        switch (state_) {
        case State::content:
            if (c == '<')
                state_ = State::lt;
            else if (c == '&')
                state_ = State::ref;
            else
                safe = true;
            break;
        case State::ref:
            if (c == ';') {
                state_ = State::content;
                safe = true;
            } else if (c == '<') {
                safe = true;  // malformed: let expat say so
            }
            break;
        case State::lt:
            if (c == '/')
                state_ = State::end_tag;
            else if (c == '!') {
                state_ = State::bang;
                matched_ = 0;
            } else if (c == '?')
                state_ = State::pi;
            else if (c == '>' || c == '<')
                safe = true;  // malformed
            else
                state_ = State::start_tag;
            break;
        case State::start_tag:
            if (c == '\'' || c == '"') {
                state_ = State::quote;
                quote_ = c;
            } else if (c == '>') {
                state_ = State::content;
                safe = true;
            } else if (c == '<') {
                safe = true;
            }
            break;
        case State::quote:
            if (c == quote_)
                state_ = State::start_tag;
            else if (c == '<')
                safe = true;  // '<' is not allowed in an attribute value
            break;
        case State::end_tag:
            if (c == '>') state_ = State::content;
            if (c == '>' || c == '<') safe = true;
            break;
        case State::bang:
            if (matched_ == 0 && c == '-') {
                v.restricted = "a comment is not allowed";
                return v;
            }
            if (matched_ == 0 && c == 'D') {
                v.restricted = "a document type declaration is not allowed";
                return v;
            }
            if (c == cdata_open[matched_]) {
                if (++matched_ == cdata_open.size()) {
                    state_ = State::cdata;
                    matched_ = 0;
                    safe = true;
                }
            } else {
                safe = true;  // neither CDATA, comment nor DTD: malformed
                state_ = State::content;
            }
            break;
        case State::cdata:
            // Expat passes CDATA text on as it arrives, so all of it is safe to release.
            safe = true;
            if (c == ']') {
                if (matched_ < 2) ++matched_;
            } else {
                if (c == '>' && matched_ == 2) state_ = State::content;
                matched_ = 0;
            }
            break;
        case State::pi:
            if (c == '?') state_ = State::pi_question;
            break;
        case State::pi_question:
            if (c == '>') {
                state_ = State::content;
                safe = true;
            } else if (c != '?') {
                state_ = State::pi;
            }
            break;
        }
        if (safe) v.ready = i + 1;
    }
    return v;
}

}  // namespace wl::proto::xml
