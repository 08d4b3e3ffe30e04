#pragma once
// Small pieces the sinks share. Internal to the ingest module.
#include <string_view>

namespace shield::ingest::detail {

// True when `text` holds nothing but whitespace: sinks accept such a document without
// sending it (every remote API requires some text).
[[nodiscard]] bool is_blank(std::string_view text);

}  // namespace shield::ingest::detail
