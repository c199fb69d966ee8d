#pragma once
// The database under a StoreFixture, reached around the Store: for the migration tests,
// which write rows in an old schema's own terms and compare whole tables before and after.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store_fixture.hpp"

namespace wl::storage::test {

using RawRow = std::vector<std::optional<std::string>>;

struct TableDump {
    std::vector<std::string> columns;
    std::vector<RawRow> rows;  // sorted, so that two dumps compare regardless of storage order
};

/// Runs several statements in one transaction.
void exec_raw(StoreFixture& f, const std::string& sql);
/// Every base table of the fixture's database (its PostgreSQL schema), by name.
std::vector<std::string> table_names(StoreFixture& f);
std::vector<std::string> column_names(StoreFixture& f, const std::string& table);
/// The given columns of every row of `table`.
TableDump dump_table(StoreFixture& f, const std::string& table, const std::vector<std::string>& columns);

}  // namespace wl::storage::test
