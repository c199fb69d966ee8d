#include "tests/bench/waitlist/admin_post.hpp"

#include <utility>  // Boost 1.74's Asio misses this include; must come before it.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>

namespace wl::bench {

namespace asio = boost::asio;

std::string json_string(const std::string& text)
{
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

HttpAnswer post_json(const std::string& host, unsigned short port, const std::string& path,
                     const std::string& bearer_token, const std::string& json)
{
    HttpAnswer answer;
    try {
        asio::io_context io;
        asio::ip::tcp::socket socket(io);
        socket.connect({asio::ip::make_address(host), port});
        socket.set_option(asio::ip::tcp::no_delay(true));
        std::string request = "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " +
                              bearer_token +
                              "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(json.size()) +
                              "\r\nConnection: close\r\n\r\n" + json;
        asio::write(socket, asio::buffer(request));
        // Connection: close, so the answer ends where the stream does.
        std::string response;
        boost::system::error_code ec;
        asio::read(socket, asio::dynamic_buffer(response), ec);
        if (ec && ec != asio::error::eof) throw boost::system::system_error(ec);
        int status = 0;
        if (std::sscanf(response.c_str(), "HTTP/1.%*d %d", &status) != 1) {
            answer.error = "not an HTTP response";
            return answer;
        }
        answer.status = status;
        if (auto end = response.find("\r\n\r\n"); end != std::string::npos) answer.body = response.substr(end + 4);
    } catch (const std::exception& e) {
        answer.error = e.what();
    }
    return answer;
}

}  // namespace wl::bench
