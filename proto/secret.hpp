#pragma once
// Secret: a byte string for passwords, dialback secrets and derived keys that is wiped
// (OPENSSL_cleanse) whenever its memory is released.
//
// std::string cannot do this: its small-string buffer lives inside the object and is never
// handed to the allocator, so short passwords (the common case) would escape a zeroing
// allocator. Secret stores its bytes in a vector, which has no inline buffer, with an
// allocator that cleanses every block it frees, including blocks left behind by growth.

#include <openssl/crypto.h>

#include <cstddef>
#include <new>
#include <string_view>
#include <vector>

namespace wl::proto {

template <class T>
struct ZeroingAllocator {
    using value_type = T;

    ZeroingAllocator() noexcept = default;
    template <class U>
    ZeroingAllocator(const ZeroingAllocator<U>&) noexcept
    {
    }

    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept
    {
        OPENSSL_cleanse(p, n * sizeof(T));
        ::operator delete(p);
    }

    template <class U>
    bool operator==(const ZeroingAllocator<U>&) const noexcept
    {
        return true;
    }
};

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string_view bytes) : bytes_(bytes.begin(), bytes.end()) {}

    // Copies and moves keep the invariant: every buffer that ever held the bytes is wiped.
    Secret(const Secret&) = default;
    Secret& operator=(const Secret&) = default;
    Secret(Secret&&) noexcept = default;
    Secret& operator=(Secret&&) noexcept = default;
    ~Secret() = default;

    std::string_view view() const noexcept { return {bytes_.data(), bytes_.size()}; }
    const char* data() const noexcept { return bytes_.data(); }
    std::size_t size() const noexcept { return bytes_.size(); }
    bool empty() const noexcept { return bytes_.empty(); }

    void assign(std::string_view bytes)
    {
        clear();
        bytes_.assign(bytes.begin(), bytes.end());
    }
    void append(std::string_view bytes) { bytes_.insert(bytes_.end(), bytes.begin(), bytes.end()); }
    // Wipes the bytes now rather than when the capacity is eventually freed.
    void clear() noexcept
    {
        OPENSSL_cleanse(bytes_.data(), bytes_.size());
        bytes_.clear();
    }

    // Constant-time in the length of the shorter operand; different lengths are unequal.
    friend bool operator==(const Secret& a, const Secret& b) noexcept
    {
        return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
    }

private:
    std::vector<char, ZeroingAllocator<char>> bytes_;
};

}  // namespace wl::proto
