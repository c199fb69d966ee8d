#pragma once
// Free loopback ports for tests that start servers of their own.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace wl::test {

// A port that is free for both TCP and UDP on 127.0.0.1 right now (the kernel picks it).
inline unsigned short free_port()
{
    for (int attempt = 0; attempt < 50; ++attempt) {
        int t = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            getsockname(t, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            close(t);
            continue;
        }
        int u = socket(AF_INET, SOCK_DGRAM, 0);
        bool udp_free = bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        close(u);
        close(t);
        if (udp_free) return ntohs(a.sin_port);
    }
    throw std::runtime_error("no free port");
}

inline bool tcp_port_open(unsigned short port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(s);
    return ok;
}

}  // namespace wl::test
