#pragma once
// Base64 as our wire formats use it: MCP header values (=?base64?...?=) and document bytes
// sent inside JSON tool arguments.
#include <optional>
#include <string>
#include <string_view>

namespace shield {

// RFC 4648 Base64, standard alphabet, padded.
[[nodiscard]] std::string encode_base64(std::string_view bytes);

// Strict RFC 4648 Base64 (padding required, standard alphabet); nullopt when invalid.
[[nodiscard]] std::optional<std::string> decode_base64_strict(std::string_view text);

}  // namespace shield
