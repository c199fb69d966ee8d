#include <doctest.h>

#include "proto/secret.hpp"

#include <cstdlib>
#include <string>
#include <new>
#include <optional>
#include <utility>

using wl::proto::Secret;

// To see a block's bytes at the moment it goes back to the heap, this test program replaces
// the global allocation functions; a watched block's contents are recorded before free().
namespace {
const void* watched = nullptr;
std::size_t watched_size = 0;
std::optional<bool> watched_was_wiped;
}  // namespace

void* operator new(std::size_t n)
{
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc{};
}
void operator delete(void* p) noexcept
{
    if (p != nullptr && p == watched) {
        bool wiped = true;
        for (std::size_t i = 0; i < watched_size; ++i) wiped = wiped && static_cast<const char*>(p)[i] == 0;
        watched_was_wiped = wiped;
        watched = nullptr;
    }
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

TEST_SUITE("secret")
{
    TEST_CASE("a secret holds its bytes and compares by content")
    {
        const Secret a{"pencil"};
        CHECK(a.view() == "pencil");
        CHECK(a.size() == 6);
        CHECK(a == Secret{"pencil"});
        CHECK_FALSE(a == Secret{"pencil2"});
        CHECK_FALSE(a == Secret{"pencim"});
    }

    TEST_CASE("copies are independent and moves leave the source empty")
    {
        Secret a{"s3cr3t"};
        Secret b = a;
        a.assign("other");
        CHECK(b.view() == "s3cr3t");
        Secret c = std::move(b);
        CHECK(c.view() == "s3cr3t");
        c.clear();
        CHECK(c.empty());
    }

    TEST_CASE("a short secret's memory is wiped when the secret is destroyed")
    {
        watched_was_wiped.reset();
        {
            const Secret s{"pencil"};
            watched = s.data();
            watched_size = s.size();
        }
        REQUIRE(watched_was_wiped.has_value());
        CHECK(*watched_was_wiped);
    }

    TEST_CASE("the old buffer is wiped when a secret grows")
    {
        watched_was_wiped.reset();
        Secret s{"correct horse"};
        watched = s.data();
        watched_size = s.size();
        s.append(std::string(1000, 'x'));
        REQUIRE(watched_was_wiped.has_value());
        CHECK(*watched_was_wiped);
    }
}
