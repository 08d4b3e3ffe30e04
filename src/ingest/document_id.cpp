#include "shield/ingest/document_id.hpp"

#include <algorithm>
#include <string>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/string_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace shield::ingest {
namespace {

// tools::uuid_v5 does the same for qdrant_store's point ids, but tools sit above ingest, so
// it cannot be called from here; both are one call into Boost's generator.
std::string uuid_v5_of(std::string_view name) {
  static const boost::uuids::uuid name_space =
      boost::uuids::string_generator()(std::string(kDocumentIdNamespace));
  const boost::uuids::name_generator_sha1 generate(name_space);
  return boost::uuids::to_string(generate(name.data(), name.size()));
}

constexpr std::size_t kMaxFileKeyLength = 64;

bool is_file_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

std::string document_file_key(std::string_view id) {
  if (!id.empty() && id.size() <= kMaxFileKeyLength &&
      std::all_of(id.begin(), id.end(), is_file_key_char)) {
    return std::string(id);
  }
  return document_id(id);
}

std::string document_id(std::string_view source) {
  return uuid_v5_of(source);
}

std::string chunk_point_id(std::string_view source, std::size_t chunk_index) {
  std::string name(source);
  name += "\n#chunk-";
  name += std::to_string(chunk_index);
  return uuid_v5_of(name);
}

}  // namespace shield::ingest
