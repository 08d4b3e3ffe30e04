#include "shield/tools/point_id.hpp"

#include <string>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/string_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace shield::tools {

std::string uuid_v5(const boost::uuids::uuid& name_space, std::string_view name) {
  const boost::uuids::name_generator_sha1 generate(name_space);
  return boost::uuids::to_string(generate(name.data(), name.size()));
}

std::string point_id(std::string_view collection, std::string_view text) {
  static const boost::uuids::uuid name_space =
      boost::uuids::string_generator()(std::string(kPointIdNamespace));
  std::string name;
  name.reserve(collection.size() + 1 + text.size());
  name.append(collection).push_back('\n');
  name.append(text);
  return uuid_v5(name_space, name);
}

}  // namespace shield::tools
