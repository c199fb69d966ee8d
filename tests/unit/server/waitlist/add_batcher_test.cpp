// AddBatcher against a real SQLite store: many adds at once, from coroutines on a
// multi-threaded io_context without strands, each get their own item's answer.
#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "server/waitlist/add_batcher.hpp"
#include "storage/db_executor.hpp"
#include "storage/store.hpp"

namespace asio = boost::asio;
using namespace wl;

TEST_CASE("concurrent adds on a multi-threaded io_context are each answered with their own item")
{
    char dir[] = "/tmp/wl-add-batcher-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    storage::StoreConfig config;
    config.path = std::string(dir) + "/waitlistd.db";
    auto store = storage::open_store(config);
    constexpr int adds = 300;
    std::vector<storage::DbResult<storage::AddItemResult>> answers(adds);
    {
        storage::DbExecutor db(*store);
        server::waitlist::AddBatcher batcher(db);
        asio::io_context io;
        for (int i = 0; i < adds; ++i) {
            asio::co_spawn(
                io,
                [&batcher, &answers, i]() -> asio::awaitable<void> {
                    storage::NewItem item;
                    item.owner = "user" + std::to_string(i % 7) + "@sp.example";
                    item.given_uri = "+3312345" + std::to_string(1000 + i);
                    item.uri = "tel:" + item.given_uri;
                    item.scheme = "tel";
                    answers[i] = co_await batcher.add(item);
                },
                asio::detached);
        }
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) threads.emplace_back([&io] { io.run(); });
        for (auto& t : threads) t.join();
    }
    for (int i = 0; i < adds; ++i) {
        CAPTURE(i);
        REQUIRE(answers[i].ok());
        REQUIRE(answers[i].value.has_value());
        CHECK(answers[i].value->created);
        CHECK(answers[i].value->item.uri == "tel:+3312345" + std::to_string(1000 + i));
    }
    std::size_t stored = 0;
    for (int u = 0; u < 7; ++u) {
        auto items = store->list_items("user" + std::to_string(u) + "@sp.example");
        REQUIRE(items.has_value());
        stored += items->size();
    }
    CHECK(stored == adds);
    store.reset();
    std::filesystem::remove_all(dir);
}
