// libFuzzer target for Tls13Records, the TLS 1.3 record layer c2s connections run after
// their handshake. Built by run_fuzz_tls13.sh with clang++-14, outside meson.
//
// Random bytes would almost never authenticate, and would test only the header checks. So
// the input is a script: each step either seals a record as the client would (any inner
// type, content and padding, under the client's current key), moves the client to its
// next key, or appends raw bytes. The stream is then read twice, once whole with room for
// any record and once in chunks into small buffers, and what the server delivers must be
// the same, and a prefix of the application data sealed. Beyond sanitizer reports it
// checks that:
//  - consumed input and delivered bytes stay within what was given;
//  - after closed or failed, every further call says so again and consumes nothing;
//  - every record the server writes (alerts, its own KeyUpdates) opens under the server's
//    traffic secret, following the server's KeyUpdates.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/c2s/tls13_keys.hpp"
#include "server/c2s/tls13_records.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace wl::server::c2s;

namespace {

// Chosen by the input's first byte; the secrets have the suite's hash length.
Tls13Suite suite = Tls13Suite::aes_128_gcm_sha256;
std::string client_secret;
std::string server_secret;

struct Outcome {
    std::string data;
    Tls13Records::Step last = Tls13Records::Step::need_input;
    std::string output;
};

// Reads `stream` in pieces of the sizes `pieces` gives (0: the rest), into buffers of
// `room` bytes.
Outcome read_all(std::string_view stream, std::size_t room, const std::vector<std::size_t>& pieces)
{
    Tls13Records records(suite, client_secret, server_secret);
    Outcome outcome;
    std::string pending;  // received, not yet consumed
    std::vector<char> buffer(room);
    std::size_t piece_index = 0;
    std::size_t given = 0;
    for (;;) {
        auto r = records.open(pending, buffer.data(), buffer.size(), outcome.output);
        FUZZ_CHECK(r.consumed <= pending.size());
        FUZZ_CHECK(r.bytes <= buffer.size());
        if (r.step == Tls13Records::Step::data) {
            FUZZ_CHECK(r.consumed > 0);
            outcome.data.append(buffer.data(), r.bytes);
            pending.erase(0, r.consumed);
            continue;
        }
        FUZZ_CHECK(r.bytes == 0);
        if (r.step == Tls13Records::Step::closed || r.step == Tls13Records::Step::failed) {
            outcome.last = r.step;
            // Terminal: the same answer again, with nothing consumed and nothing written.
            const std::size_t written = outcome.output.size();
            auto again = records.open(pending, buffer.data(), buffer.size(), outcome.output);
            FUZZ_CHECK(again.step == r.step);
            FUZZ_CHECK(again.consumed == 0 && again.bytes == 0);
            FUZZ_CHECK(outcome.output.size() == written);
            return outcome;
        }
        if (r.step == Tls13Records::Step::no_room) {
            // The caller's way out: a buffer the size of the largest record.
            FUZZ_CHECK(room < Tls13Records::max_inner_plaintext);
            buffer.resize(Tls13Records::max_inner_plaintext);
            continue;
        }
        if (buffer.size() != room) buffer.resize(room);
        if (given == stream.size()) {
            outcome.last = r.step;
            return outcome;
        }
        std::size_t n = stream.size() - given;
        if (piece_index < pieces.size() && pieces[piece_index] != 0) n = std::min(n, pieces[piece_index]);
        ++piece_index;
        pending.append(stream.substr(given, n));
        given += n;
    }
}

// Every record the server wrote opens under its secret; a KeyUpdate of its own moves the
// reader to the next key, as the client would.
void check_server_output(std::string_view output)
{
    Tls13TrafficKeys reader(suite, server_secret);
    std::vector<char> plain(Tls13Records::max_inner_plaintext + 256);
    while (!output.empty()) {
        FUZZ_CHECK(output.size() >= 5);
        const auto* h = reinterpret_cast<const unsigned char*>(output.data());
        const std::size_t length = std::size_t(h[3]) << 8 | h[4];
        FUZZ_CHECK(h[0] == 23 && output.size() >= 5 + length);
        auto size = reader.open(output.substr(0, 5), output.substr(5, length), plain.data());
        FUZZ_CHECK(size && *size > 0);
        const auto type = static_cast<unsigned char>(plain[*size - 1]);
        FUZZ_CHECK(type == 21 || type == 22);  // alerts and KeyUpdates only: no data was sealed
        if (type == 22) {
            FUZZ_CHECK(*size == 6 && plain[0] == 24 && plain[4] == 0);  // update_not_requested
            reader.update();
        }
        output.remove_prefix(5 + length);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view script(reinterpret_cast<const char*>(data), size);
    auto next = [&]() -> std::uint8_t {
        if (script.empty()) return 0;
        auto b = static_cast<std::uint8_t>(script[0]);
        script.remove_prefix(1);
        return b;
    };
    suite = static_cast<Tls13Suite>(next() % 3);
    const std::size_t secret_size = suite == Tls13Suite::aes_256_gcm_sha384 ? 48 : 32;
    client_secret.assign(secret_size, 'c');
    server_secret.assign(secret_size, 's');
    Tls13TrafficKeys client(suite, client_secret);
    std::string stream;
    std::string sealed_data;                         // the application data sealed, in order
    bool data_known = true;                          // false once a record's inner type cannot be told apart
    const std::size_t room = 1 + next() % 64 * 300;  // 1 to 18901 bytes
    std::vector<std::size_t> pieces;
    for (int i = next() % 8; i > 0; --i) pieces.push_back(next() * 7);
    while (!script.empty()) {
        const std::uint8_t op = next();
        const std::size_t length = std::size_t(next()) * (op & 0x40 ? 97 : 1);  // up to 24 735
        std::string content(script.substr(0, std::min<std::size_t>(length, script.size())));
        script.remove_prefix(content.size());
        switch (op % 4) {
        case 0:  // a record of application data
            if (client.seal(23, content, stream)) sealed_data += content;
            break;
        case 1: {  // a record of any inner type, with up to 255 bytes of padding
            const auto type = static_cast<char>(next());
            std::string inner = content;
            inner.push_back(type);
            inner.append(next(), '\0');
            // Inner type 0: the content's own last non-zero byte becomes the type.
            if (client.seal(0, inner, stream)) {
                if (type == 0) data_known = false;
                if (type == 23) sealed_data += content;
            }
            break;
        }
        case 2:  // the client's next key, as after its KeyUpdate
            client.update();
            break;
        case 3:  // bytes as they are: headers, truncations, garbage
            stream += content;
            break;
        }
    }
    const Outcome whole = read_all(stream, Tls13Records::max_inner_plaintext, {});
    const Outcome pieced = read_all(stream, room, pieces);
    FUZZ_CHECK(whole.data == pieced.data);
    if (data_known) FUZZ_CHECK(sealed_data.compare(0, whole.data.size(), whole.data) == 0);
    FUZZ_CHECK(whole.last == pieced.last);
    FUZZ_CHECK(whole.output == pieced.output);
    check_server_output(whole.output);
    return 0;
}
