#pragma once
// What config says about the Qdrant tools (section [qdrant]).
#include <string>

#include "shield/util/error.hpp"

namespace shield::config {
struct QdrantConfig;
}

namespace shield::tools {

struct QdrantToolSettings {
  std::string collection = "shield-docs";  // used when a call names none
  bool collection_locked = false;          // true: a call may not name another collection
  std::string vector_name;                 // "" = the unnamed vector
  std::string distance = "Cosine";         // for collections qdrant_store creates
  bool read_only = false;                  // true: qdrant_store is not offered
  bool allow_arbitrary_filters = true;     // false: qdrant_find refuses every filter
};

// kInvalidArgument for a distance Qdrant does not know.
[[nodiscard]] Result<QdrantToolSettings> qdrant_tool_settings(const config::QdrantConfig& config);

}  // namespace shield::tools
