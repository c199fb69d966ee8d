// The OpenAPI document built into waitlistd against the routes the HTTP server really has:
// the admin API and the probes are registered on a real HttpServer (over a real SQLite
// store), and the document's paths and methods must be exactly that routing table. Adding or
// removing a route without the document fails here.
#include <doctest.h>

#include <utility>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "server/config.hpp"
#include "server/http/admin_api.hpp"
#include "server/http/openapi.hpp"
#include "server/http/ops_routes.hpp"
#include "server/http/server.hpp"
#include "storage/db_executor.hpp"
#include "storage/store.hpp"

using namespace wl::server::http;
using json = nlohmann::json;
using RouteSet = std::set<std::pair<std::string, std::string>>;  // (lower-case method, path)

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir()
    {
        std::string tmpl = (std::filesystem::temp_directory_path() / "wl-openapi-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

// The routes waitlistd registers on its HTTP listener (http_service.cpp does the same two calls).
RouteSet server_routes()
{
    TempDir dir;
    wl::storage::StoreConfig sc;
    sc.path = (dir.path / "wl.db").string();
    auto store = wl::storage::open_store(sc);
    wl::storage::DbExecutor db(*store, 1);
    boost::asio::io_context io;
    wl::server::Config config;
    config.domain = "example.org";
    auto http = std::make_shared<HttpServer>(io, std::vector<wl::server::Endpoint>{{"127.0.0.1", 0}});
    register_admin_api(*http, config, db);
    register_ops_routes(*http, db, {});
    RouteSet out;
    for (const auto& [verb, pattern] : http->routes()) {
        std::string method(boost::beast::http::to_string(verb));
        std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::tolower(c); });
        out.emplace(method, pattern);
    }
    db.stop();
    return out;
}

json document()
{
    json doc = json::parse(openapi_document(), nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    return doc;
}

const std::set<std::string> http_methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

RouteSet documented_routes(const json& doc)
{
    RouteSet out;
    for (const auto& [path, item] : doc.at("paths").items())
        for (const auto& [key, op] : item.items())
            if (http_methods.count(key)) out.emplace(key, path);
    return out;
}

std::string describe(const RouteSet& routes)
{
    std::string s;
    for (const auto& [m, p] : routes) s += "  " + m + " " + p + "\n";
    return s;
}

}  // namespace

TEST_CASE("the OpenAPI document names exactly the routes the HTTP server registers")
{
    const RouteSet real = server_routes();
    const RouteSet documented = documented_routes(document());
    REQUIRE(real.size() >= 12);
    RouteSet undocumented, stale;
    std::set_difference(real.begin(), real.end(), documented.begin(), documented.end(),
                        std::inserter(undocumented, undocumented.end()));
    std::set_difference(documented.begin(), documented.end(), real.begin(), real.end(),
                        std::inserter(stale, stale.end()));
    INFO("routes the server has but the document lacks:\n" << describe(undocumented));
    INFO("routes the document names but the server lacks:\n" << describe(stale));
    CHECK(undocumented.empty());
    CHECK(stale.empty());
}

TEST_CASE("the OpenAPI document is 3.1, and every operation declares its path parameters and its answers")
{
    const json doc = document();
    CHECK(doc.at("openapi").get<std::string>().rfind("3.1", 0) == 0);
    std::set<std::string> operation_ids;
    for (const auto& [path, item] : doc.at("paths").items()) {
        std::set<std::string> captures;
        for (std::size_t at = path.find('{'); at != std::string::npos; at = path.find('{', at + 1))
            captures.insert(path.substr(at + 1, path.find('}', at) - at - 1));
        for (const auto& [key, op] : item.items()) {
            if (!http_methods.count(key)) continue;
            INFO(key << " " << path);
            std::set<std::string> declared;
            for (const auto* params : {&item, &op})
                if (params->contains("parameters"))
                    for (const auto& p : params->at("parameters"))
                        if (p.at("in") == "path") declared.insert(p.at("name").get<std::string>());
            CHECK(declared == captures);
            CHECK_FALSE(op.at("responses").empty());
            CHECK(operation_ids.insert(op.at("operationId").get<std::string>()).second);
        }
    }
}
