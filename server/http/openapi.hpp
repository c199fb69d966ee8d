#pragma once
// The OpenAPI 3.1 document of the HTTP API (server/http/openapi.json), built into the binary
// and served at GET /v1/openapi.json. A test compares its paths and methods with the routes
// the server registers, so a route cannot be added or removed without the document.
#include <string_view>

namespace wl::server::http {

std::string_view openapi_document();

}  // namespace wl::server::http
