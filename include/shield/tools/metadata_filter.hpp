#pragma once
// The filters qdrant_find accepts: a Qdrant Filter restricted to what a model needs to narrow
// a search by the metadata stored with each entry. Anything else is refused before it
// reaches Qdrant, so a caller cannot probe payload fields outside `metadata` or send
// conditions that scan the whole collection.
//
// Accepted: an object with must / should / must_not, each a condition or a list of them
// (at most 64). A condition is a nested filter of the same form (at most 3 levels), or a
// field condition {key, match} or {key, range} whose key is "metadata." followed by
// dot-separated names of letters, digits, '_' or '-' (a name may end in "[]" for arrays).
// match is exactly one of {value: string|integer|boolean}, {any: [...]}, {except: [...]}
// (1..256 strings or integers) or {text: string}; range has one or more of gt, gte, lt,
// lte, each a number. At most 100 conditions in all.
#include <nlohmann/json.hpp>

#include "shield/util/error.hpp"

namespace shield::tools {

// kInvalidArgument with the path of the first problem, e.g.
// "filter.must[1].key: 'title' is not a metadata key; use 'metadata.title'".
[[nodiscard]] Result<void> validate_metadata_filter(const nlohmann::json& filter);

}  // namespace shield::tools
