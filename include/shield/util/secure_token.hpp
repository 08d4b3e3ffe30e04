#pragma once
// Unguessable identifiers from the kernel's CSPRNG (getrandom), and comparisons of secrets
// that take the same time whatever the input, so a token cannot be guessed byte by byte.
#include <cstddef>
#include <string>
#include <string_view>

namespace shield {

// `bytes` random bytes as lowercase hex (2 * bytes characters). Throws only if the kernel
// refuses randomness, which is a broken host, not a request error.
std::string random_hex(std::size_t bytes);

// RFC 4122 version-4 UUID string from the CSPRNG.
std::string random_uuid();

bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace shield
