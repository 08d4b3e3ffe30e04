#pragma once
// Stable ids derived from a document's source, so that ingesting the same URL or path again
// overwrites what the sinks hold instead of adding a copy: name-based UUIDs (RFC 4122
// version 5, SHA-1) in the project's own namespace for documents.
//
// Threading: pure functions.
#include <cstddef>
#include <string>
#include <string_view>

namespace shield::ingest {

// Changing it would give every document a new id, and orphan every chunk stored under the
// old ones.
inline constexpr std::string_view kDocumentIdNamespace = "b6f0e3c2-5a41-5d8e-9c17-2e4a7d90f3b5";

// uuid_v5(kDocumentIdNamespace, source), lower-case and hyphenated.
[[nodiscard]] std::string document_id(std::string_view source);

// The Qdrant point id of chunk `chunk_index` of the document from `source`:
// uuid_v5(kDocumentIdNamespace, source + "\n#chunk-" + chunk_index). A source re-ingested
// into the same number of chunks lands on the same points.
[[nodiscard]] std::string chunk_point_id(std::string_view source, std::size_t chunk_index);

// The form of a document id used in file names (spool files, the directory sink's
// <key>.md): the id itself when it is 1-64 characters of [A-Za-z0-9_-] (document_id()
// always is), otherwise document_id(id), so no id can name a path outside the directory.
[[nodiscard]] std::string document_file_key(std::string_view id);

}  // namespace shield::ingest
