#pragma once
// Bulk accounts for a benchmark: the SCRAM credentials of users prefix+first .. prefix+last,
// derived with proto's SCRAM code, written where a server loads them. Registering 10 000
// users one prosodyctl call at a time takes minutes; writing the files takes seconds.
#include "proto/sasl/scram.hpp"

#include <ostream>
#include <string>

namespace wl::bench {

struct AccountBatch {
    std::string prefix = "bench";  // [a-z0-9]+, so file names and JIDs need no escaping
    long first = 1;
    long count = 0;
    std::string password;
    int iterations = proto::sasl::default_scram_iterations;
    proto::sasl::ScramHash hash = proto::sasl::ScramHash::sha1;
    int threads = 2;  // PBKDF2 dominates; spread it over the cores
};

// Prosody 0.12 mod_auth_internal_hashed with storage "internal": one Lua file per user,
// DATA_PATH/<host, '.' as %2e>/accounts/<user>.dat, holding salt, iteration_count and the
// hex StoredKey/ServerKey. accounts_dir is that accounts/ directory; it must exist.
void write_prosody_accounts(const AccountBatch& batch, const std::string& accounts_dir);

// One line per user for any other provisioning path:
// "username<TAB>salt-base64<TAB>iterations<TAB>StoredKey-base64<TAB>ServerKey-base64".
void write_credentials_tsv(const AccountBatch& batch, std::ostream& out);

}  // namespace wl::bench
