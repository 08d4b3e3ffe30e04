#pragma once
// Opaque pagination cursors. A cursor names the list it belongs to and the position after
// the last item sent, so a cursor from tools/list is refused by prompts/list, and a made-up
// one is refused everywhere (-32602 "Invalid cursor"). Pure functions.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace shield::mcp {

std::string encode_cursor(std::string_view list, std::size_t offset);
// The offset, or nullopt when `cursor` was not made by encode_cursor for `list`.
std::optional<std::size_t> decode_cursor(std::string_view list, std::string_view cursor);

// The same for a position that is itself text (a page of someone else's paging, such as a
// task store's own cursor).
std::string encode_text_cursor(std::string_view list, std::string_view position);
std::optional<std::string> decode_text_cursor(std::string_view list, std::string_view cursor);

}  // namespace shield::mcp
