#include "tests/bench/c2s/account_files.hpp"

#include "proto/base64.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace wl::bench {

namespace {

std::string to_hex(std::string_view bytes)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

void check(const AccountBatch& batch)
{
    if (batch.prefix.empty() || !std::all_of(batch.prefix.begin(), batch.prefix.end(),
                                             [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }))
        throw std::invalid_argument("user prefix must be [a-z0-9]+");
    if (batch.count < 0 || batch.first < 0) throw std::invalid_argument("negative user range");
}

struct Derived {
    std::string username;
    std::string salt;  // printable (hex): Prosody keeps the salt as a Lua string
    proto::sasl::ScramCredentials credentials;
};

// Derives users [first, first+count) on batch.threads threads, calling sink in order of index.
std::vector<Derived> derive_all(const AccountBatch& batch)
{
    check(batch);
    std::vector<Derived> out(static_cast<std::size_t>(batch.count));
    auto work = [&](std::size_t from, std::size_t step) {
        for (std::size_t i = from; i < out.size(); i += step) {
            auto& d = out[i];
            d.username = batch.prefix + std::to_string(batch.first + static_cast<long>(i));
            d.salt = to_hex(proto::sasl::random_scram_salt());
            auto creds = proto::sasl::make_scram_credentials(batch.hash, batch.password, d.salt, batch.iterations);
            if (!creds) throw std::invalid_argument("SCRAM refused the password or the iteration count");
            d.credentials = std::move(*creds);
        }
    };
    const auto threads = static_cast<std::size_t>(std::max(1, batch.threads));
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> failures(threads);
    for (std::size_t t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            try {
                work(t, threads);
            } catch (...) {
                failures[t] = std::current_exception();
            }
        });
    for (auto& th : pool) th.join();
    for (auto& f : failures)
        if (f) std::rethrow_exception(f);
    return out;
}

}  // namespace

void write_prosody_accounts(const AccountBatch& batch, const std::string& accounts_dir)
{
    for (const auto& d : derive_all(batch)) {
        const std::string path = accounts_dir + "/" + d.username + ".dat";
        std::ofstream file(path, std::ios::trunc);
        file << "return {\n"
             << "\t[\"iteration_count\"] = " << d.credentials.iterations << ";\n"
             << "\t[\"salt\"] = \"" << d.salt << "\";\n"
             << "\t[\"stored_key\"] = \"" << to_hex(d.credentials.stored_key) << "\";\n"
             << "\t[\"server_key\"] = \"" << to_hex(d.credentials.server_key) << "\";\n"
             << "};\n";
        if (!file.flush()) throw std::runtime_error("cannot write " + path);
    }
}

void write_credentials_tsv(const AccountBatch& batch, std::ostream& out)
{
    for (const auto& d : derive_all(batch)) {
        out << d.username << '\t' << proto::base64_encode(d.salt) << '\t' << d.credentials.iterations << '\t'
            << proto::base64_encode(d.credentials.stored_key) << '\t' << proto::base64_encode(d.credentials.server_key)
            << '\n';
    }
}

}  // namespace wl::bench
