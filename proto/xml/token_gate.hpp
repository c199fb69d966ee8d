#pragma once
// Decides how much of the input expat may see now. Expat rescans an unfinished token from its
// start on every call, so a long start tag (or comment) trickled in a byte at a time costs
// quadratic time; expat's own remedy (reparse deferral) may hold a finished stanza back until
// more bytes arrive, which a chat stream cannot afford. The gate tracks just enough of the
// syntax (tags, quoted attribute values, references, CDATA, PIs) to hand expat input only up
// to a point where no tag is open, so every byte is scanned a bounded number of times and
// every completed tag reaches expat at once. Comments and DTDs, which RFC 6120 forbids and
// which expat reports only when complete, are refused as soon as they begin.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wl::proto::xml {

class TokenGate {
public:
    struct Verdict {
        std::size_t ready = 0;                  // bytes of this chunk that may be parsed now (with any held before)
        std::optional<std::string> restricted;  // set: refuse the stream (restricted-xml) with this text
    };

    Verdict scan(std::string_view bytes);
    void reset() { *this = TokenGate(); }
    // In character data, inside no tag, reference, comment, CDATA section or PI.
    bool is_between_tokens() const { return state_ == State::content; }

private:
    enum class State : std::uint8_t {
        content,
        ref,
        lt,
        start_tag,
        quote,
        end_tag,
        bang,
        cdata,
        pi,
        pi_question
    };
    State state_ = State::content;
    char quote_ = 0;
    std::uint8_t matched_ = 0;  // bang: chars of "[CDATA[" seen; cdata: trailing ']' count
};

}  // namespace wl::proto::xml
