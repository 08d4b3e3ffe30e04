#include "shield/util/secure_token.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace shield {
namespace {

void fill_random(unsigned char* out, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    auto got = ::getrandom(out + done, n - done, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed: the kernel refused randomness");
    }
    done += static_cast<std::size_t>(got);
  }
}

constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                       '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

std::string to_hex(const unsigned char* data, std::size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0x0f]);
  }
  return out;
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  fill_random(buf.data(), buf.size());
  return to_hex(buf.data(), buf.size());
}

std::string random_uuid() {
  std::array<unsigned char, 16> b{};
  fill_random(b.data(), b.size());
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  auto hex = to_hex(b.data(), b.size());
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  // Length is not secret (tokens have public formats); the content is.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    diff = static_cast<unsigned char>(
        diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  }
  // Touch the rest of the longer input so the time does not depend on where they differ.
  std::string_view longer = a.size() > b.size() ? a : b;
  volatile unsigned char sink = 0;
  for (std::size_t i = n; i < longer.size(); ++i)
    sink = sink ^ static_cast<unsigned char>(longer[i]);
  (void)sink;
  return diff == 0;
}

}  // namespace shield
