#include "sink_text.hpp"

namespace shield::ingest::detail {

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

}  // namespace shield::ingest::detail
