#include "shield/config/config_loader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <system_error>
#include <tuple>
#include <vector>

#include <toml++/toml.h>

#include "config_schema.hpp"
#include "suggestion.hpp"

namespace shield::config {
namespace {

namespace fs = std::filesystem;
using detail::KeySpec;
using detail::Value;
using detail::ValueKind;

// Where a TOML problem is: "path:line:column: ".
std::string where(const fs::path& source, const toml::source_region& region) {
  return source.string() + ":" + std::to_string(region.begin.line) + ":" +
         std::to_string(region.begin.column) + ": ";
}

// Every problem found, so one --check-config run shows all of them, in file order (the
// TOML library walks keys alphabetically) and then the environment's.
class Problems {
 public:
  void add(std::string text) {
    entries_.push_back(Entry{kNoPosition, kNoPosition, std::move(text)});
  }
  // "path:line:column: text", kept in file order.
  void add_at(const fs::path& source, const toml::source_region& region, std::string text) {
    entries_.push_back(
        Entry{region.begin.line, region.begin.column, where(source, region) + std::move(text)});
  }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] std::string joined() {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::string out;
    for (const Entry& entry : entries_) {
      if (!out.empty()) out += '\n';
      out += entry.text;
    }
    return out;
  }

 private:
  static constexpr std::uint32_t kNoPosition = UINT32_MAX;
  struct Entry {
    std::uint32_t line;
    std::uint32_t column;
    std::string text;
  };
  std::vector<Entry> entries_;
};

// The file's bytes, or the reason it cannot be read (strerror wording).
tl::expected<std::string, std::string> read_text_file(const fs::path& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec) return tl::unexpected(ec.message());
  if (fs::is_directory(status)) return tl::unexpected(std::string("it is a directory"));
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return tl::unexpected(std::generic_category().message(errno));
  std::string text;
  char buffer[8192];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return tl::unexpected(std::string("read error"));
  return text;
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "floating-point number";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::vector<std::string> all_dotted_names() {
  std::vector<std::string> names;
  for (const KeySpec& spec : detail::key_specs()) names.push_back(spec.dotted());
  return names;
}

std::vector<std::string> env_names() {
  std::vector<std::string> names;
  for (const KeySpec& spec : detail::key_specs()) {
    names.push_back(spec.env_var());
    if (spec.kind == ValueKind::kSecretList || spec.kind == ValueKind::kSecret) {
      names.push_back(spec.env_var() + "_FILE");
    }
  }
  return names;
}

// A suggestion for an unknown key `name` written under [section].
std::string suggest_key(std::string_view section, std::string_view name) {
  const std::string with_unit = std::string(name) + "_ms";
  if (detail::find_key(section, with_unit) != nullptr) {
    return " (durations are integer milliseconds: did you mean '" + std::string(section) + "." +
           with_unit + "'?)";
  }
  std::vector<std::string> same_section;
  std::vector<std::string> same_name_elsewhere;
  for (const KeySpec& spec : detail::key_specs()) {
    if (spec.section == section) same_section.emplace_back(spec.name);
    if (spec.name == name && spec.section != section) same_name_elsewhere.push_back(spec.dotted());
  }
  const std::string close = detail::closest_name(name, same_section);
  if (!close.empty()) return " (did you mean '" + std::string(section) + "." + close + "'?)";
  if (!same_name_elsewhere.empty()) {
    return " (did you mean '" + same_name_elsewhere.front() + "'? it belongs in [" +
           same_name_elsewhere.front().substr(0, same_name_elsewhere.front().find('.')) + "])";
  }
  return detail::did_you_mean(std::string(section) + "." + std::string(name), all_dotted_names());
}

struct Context {
  fs::path source;    // names the file in messages
  fs::path base_dir;  // anchors relative { file = ... } paths
  const EnvMap* env = nullptr;
};

// Reads one `{ env = "VAR" }` / `{ file = "/path" }` token. The reason, on failure, names
// the variable or path but never the token.
tl::expected<Secret, std::string> read_secret_reference(const toml::table& table,
                                                        const Context& context) {
  const auto* env_name = table.get_as<std::string>("env");
  const auto* file_name = table.get_as<std::string>("file");
  if (table.size() != 1 || (env_name == nullptr && file_name == nullptr)) {
    return tl::unexpected(std::string(
        "expected a string, { env = \"VAR\" } or { file = \"/path\" } (exactly one key, a "
        "string)"));
  }
  if (env_name != nullptr) {
    const std::string& var = env_name->get();
    const auto found = context.env->find(var);
    if (found == context.env->end()) {
      return tl::unexpected("environment variable " + var + " is not set");
    }
    if (found->second.empty()) return tl::unexpected("environment variable " + var + " is empty");
    return Secret{found->second};
  }
  fs::path path = file_name->get();
  if (path.is_relative()) path = context.base_dir / path;
  auto text = read_text_file(path);
  if (!text) return tl::unexpected("cannot read file '" + path.string() + "': " + text.error());
  std::string token = std::move(*text);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.empty()) return tl::unexpected("file '" + path.string() + "' is empty");
  return Secret{std::move(token)};
}

// Converts one TOML node to the key's value. On a type error, adds the problem and
// returns nullopt.
std::optional<Value> read_toml_value(const KeySpec& spec, const toml::node& node,
                                     const Context& context, Problems& problems) {
  const std::string prefix = spec.dotted() + ": ";
  auto report = [&](std::string text) {
    problems.add_at(context.source, node.source(), prefix + std::move(text));
  };
  auto wrong_type = [&](const toml::node& bad) {
    report("expected " + detail::describe_expected(spec) + ", got " + type_name(bad));
    return std::nullopt;
  };
  switch (spec.kind) {
    case ValueKind::kBool:
      if (const auto* flag = node.as_boolean()) return Value{flag->get()};
      return wrong_type(node);
    case ValueKind::kInteger:
      if (const auto* number = node.as_integer()) return Value{number->get()};
      return wrong_type(node);
    case ValueKind::kString:
      if (const auto* text = node.as_string()) return Value{text->get()};
      return wrong_type(node);
    case ValueKind::kHostPort: {
      const auto* text = node.as_string();
      if (text == nullptr) return wrong_type(node);
      auto parsed = parse_host_port(text->get());
      if (!parsed) {
        report(parsed.error().message);
        return std::nullopt;
      }
      return Value{*parsed};
    }
    case ValueKind::kStringList: {
      const auto* array = node.as_array();
      if (array == nullptr) return wrong_type(node);
      std::vector<std::string> items;
      for (std::size_t i = 0; i < array->size(); ++i) {
        const auto* text = array->get(i)->as_string();
        if (text == nullptr) {
          report("entry " + std::to_string(i + 1) + ": expected a string, got " +
                 type_name(*array->get(i)));
          return std::nullopt;
        }
        items.push_back(text->get());
      }
      return Value{std::move(items)};
    }
    case ValueKind::kSecretList: {
      const auto* array = node.as_array();
      if (array == nullptr) return wrong_type(node);
      std::vector<Secret> secrets;
      for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& entry = *array->get(i);
        const std::string token = "token " + std::to_string(i + 1) + ": ";
        if (const auto* text = entry.as_string()) {
          secrets.push_back(Secret{text->get()});
        } else if (const auto* table = entry.as_table()) {
          auto secret = read_secret_reference(*table, context);
          if (!secret) {
            report(token + secret.error());
            return std::nullopt;
          }
          secrets.push_back(std::move(*secret));
        } else {
          report(token + "expected a string, { env = \"VAR\" } or { file = \"/path\" }, got " +
                 type_name(entry));
          return std::nullopt;
        }
      }
      return Value{std::move(secrets)};
    }
    case ValueKind::kSecret: {
      if (const auto* text = node.as_string()) return Value{Secret{text->get()}};
      const auto* table = node.as_table();
      if (table == nullptr) return wrong_type(node);
      auto secret = read_secret_reference(*table, context);
      if (!secret) {
        report(secret.error());
        return std::nullopt;
      }
      return Value{std::move(*secret)};
    }
  }
  return std::nullopt;
}

void read_toml(const toml::table& root, const Context& context, Config& config,
               Problems& problems) {
  const auto sections = detail::section_names();
  const std::vector<std::string> section_list(sections.begin(), sections.end());
  for (const auto& [section_key, section_node] : root) {
    const std::string_view section = section_key.str();
    const auto& at = section_node.source();
    if (std::find(sections.begin(), sections.end(), section) == sections.end()) {
      if (section == "backends" && section_node.is_table()) {
        problems.add_at(context.source, at,
                        "unknown section [backends]: backend sections are top level, write "
                        "[qdrant] rather than [backends.qdrant]");
      } else if (section_node.is_table()) {
        problems.add_at(context.source, at,
                        "unknown section [" + std::string(section) + "]" +
                            detail::did_you_mean(section, section_list));
      } else {
        std::string hint;
        for (const KeySpec& spec : detail::key_specs()) {
          if (spec.name == section) {
            hint = " (did you mean '" + spec.dotted() + "'? it belongs in [" +
                   std::string(spec.section) + "])";
            break;
          }
        }
        if (hint.empty()) hint = detail::did_you_mean(section, all_dotted_names());
        if (hint.empty()) hint = ": keys belong in a section such as [server]";
        problems.add_at(context.source, section_key.source(),
                        "unknown key '" + std::string(section) + "' at top level" + hint);
      }
      continue;
    }
    const auto* table = section_node.as_table();
    if (table == nullptr) {
      problems.add_at(context.source, at,
                      "'" + std::string(section) + "' must be a section ([" + std::string(section) +
                          "]), got " + type_name(section_node));
      continue;
    }
    for (const auto& [name_key, node] : *table) {
      const std::string_view name = name_key.str();
      const KeySpec* spec = detail::find_key(section, name);
      if (spec == nullptr) {
        problems.add_at(context.source, name_key.source(),
                        "unknown key '" + std::string(section) + "." + std::string(name) + "'" +
                            suggest_key(section, name));
        continue;
      }
      auto value = read_toml_value(*spec, node, context, problems);
      if (!value) continue;
      const std::string reason = detail::check_value(*spec, *value);
      if (!reason.empty()) {
        problems.add_at(context.source, node.source(), spec->dotted() + ": " + reason);
        continue;
      }
      spec->store(config, std::move(*value));
    }
  }
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    items.emplace_back(trim(text.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

// Converts an environment variable's text to the key's value, or says why it cannot.
tl::expected<Value, std::string> parse_env_value(const KeySpec& spec, const std::string& text) {
  switch (spec.kind) {
    case ValueKind::kBool:
      if (text == "true" || text == "1") return Value{true};
      if (text == "false" || text == "0") return Value{false};
      return tl::unexpected("expected a boolean (true or false), got '" + text + "'");
    case ValueKind::kInteger: {
      std::int64_t number = 0;
      const char* end = text.data() + text.size();
      const auto [ptr, ec] = std::from_chars(text.data(), end, number);
      if (ec == std::errc::result_out_of_range) {
        return tl::unexpected("'" + text + "' is out of range (expected " +
                              std::to_string(spec.min) + " to " + std::to_string(spec.max) + ")");
      }
      if (text.empty() || ec != std::errc() || ptr != end) {
        return tl::unexpected("expected an integer, got '" + text + "'");
      }
      return Value{number};
    }
    case ValueKind::kString:
      return Value{text};
    case ValueKind::kHostPort: {
      auto parsed = parse_host_port(text);
      if (!parsed) return tl::unexpected(parsed.error().message);
      return Value{*parsed};
    }
    case ValueKind::kStringList:
      if (trim(text).empty()) return Value{std::vector<std::string>{}};
      return Value{split_commas(text)};
    case ValueKind::kSecretList: {
      // Set-but-empty usually means a secret store failed to fill it in; silently
      // turning auth off would be the worst reading of that.
      if (trim(text).empty()) {
        return tl::unexpected(std::string("is set but empty; unset it to keep the file's tokens"));
      }
      std::vector<Secret> secrets;
      for (std::string& item : split_commas(text)) secrets.push_back(Secret{std::move(item)});
      return Value{std::move(secrets)};
    }
    case ValueKind::kSecret:
      // As for tokens: an empty value is more likely a failed secret store than a wish to
      // drop the key.
      if (text.empty()) {
        return tl::unexpected(std::string("is set but empty; unset it to keep the file's key"));
      }
      return Value{Secret{text}};
  }
  return tl::unexpected(std::string("unsupported key"));
}

// A key from a `<VAR>_FILE` variable: the whole file, trailing newlines removed.
tl::expected<Value, std::string> read_key_file(const std::string& path) {
  if (path.empty()) return tl::unexpected(std::string("is set but empty"));
  auto text = read_text_file(path);
  if (!text) return tl::unexpected("cannot read file '" + path + "': " + text.error());
  std::string key = std::move(*text);
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.empty()) return tl::unexpected("file '" + path + "' is empty");
  return Value{Secret{std::move(key)}};
}

// Tokens from a `<VAR>_FILE` variable: one per line, blank lines skipped.
tl::expected<Value, std::string> read_token_file(const std::string& path) {
  if (path.empty()) return tl::unexpected(std::string("is set but empty"));
  auto text = read_text_file(path);
  if (!text) return tl::unexpected("cannot read file '" + path + "': " + text.error());
  std::vector<Secret> secrets;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const auto newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) secrets.push_back(Secret{std::string(line)});
  }
  if (secrets.empty()) return tl::unexpected("file '" + path + "' holds no tokens");
  return Value{std::move(secrets)};
}

void read_environment(const EnvMap& env, Config& config, Problems& problems) {
  const std::vector<std::string> known = env_names();
  for (const auto& [name, text] : env) {
    if (!name.starts_with(detail::kEnvPrefix)) continue;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      problems.add("unknown environment variable " + name + detail::did_you_mean(name, known));
    }
  }
  for (const KeySpec& spec : detail::key_specs()) {
    // Each variable is checked on its own, so a message names the one at fault.
    auto read = [&](const std::string& var,
                    const tl::expected<Value, std::string>& parsed) -> std::optional<Value> {
      const std::string reason = parsed ? detail::check_value(spec, *parsed) : parsed.error();
      if (reason.empty()) return *parsed;
      problems.add("environment variable " + var + " (" + spec.dotted() + "): " + reason);
      return std::nullopt;
    };
    const std::string var = spec.env_var();
    std::optional<Value> value;
    bool failed = false;
    if (const auto found = env.find(var); found != env.end()) {
      value = read(var, parse_env_value(spec, found->second));
      failed = !value;
    }
    if (spec.kind == ValueKind::kSecret) {
      const std::string file_var = var + "_FILE";
      if (const auto found = env.find(file_var); found != env.end()) {
        if (env.contains(var)) {
          problems.add("environment variables " + var + " and " + file_var + " (" + spec.dotted() +
                       ") are both set; set only one");
          failed = true;
        } else {
          value = read(file_var, read_key_file(found->second));
          failed = !value;
        }
      }
    }
    if (spec.kind == ValueKind::kSecretList) {
      const std::string file_var = var + "_FILE";
      if (const auto found = env.find(file_var); found != env.end()) {
        auto from_file = read(file_var, read_token_file(found->second));
        failed = failed || !from_file;
        // Both variables together add up, so a token can be rotated in one of them.
        if (value && from_file) {
          auto& all = std::get<std::vector<Secret>>(*value);
          for (Secret& secret : std::get<std::vector<Secret>>(*from_file)) {
            all.push_back(std::move(secret));
          }
        } else if (from_file) {
          value = std::move(from_file);
        }
      }
    }
    if (value && !failed) spec.store(config, std::move(*value));
  }
}

// Rules that span keys, checked on the final values.
void check_combination(const Config& config, Problems& problems) {
  if (config.metrics.enabled && config.metrics.listen.port != 0 &&
      config.metrics.listen.port == config.server.listen.port &&
      config.metrics.listen.host == config.server.listen.host) {
    problems.add("metrics.listen: " + config.metrics.listen.to_string() +
                 " is also server.listen; the metrics listener needs its own port");
  }
  const auto check_backend = [&](const std::string& section, const BackendConfig& backend) {
    if (backend.retry_max_delay < backend.retry_base_delay) {
      problems.add(section + ".retry_max_delay_ms: " +
                   std::to_string(backend.retry_max_delay.count()) + " is below " + section +
                   ".retry_base_delay_ms (" + std::to_string(backend.retry_base_delay.count()) +
                   "); the longest wait cannot be shorter than the first");
    }
  };
  check_backend("orchestrator", config.orchestrator);
  check_backend("qdrant", config.qdrant);
  check_backend("embedder", config.embedder);
  check_backend("lightrag", config.lightrag);
  // The embedder's own limit sits in front of the bulkhead; above it, the excess calls
  // would be refused as busy instead of waiting their turn.
  if (config.embedder.max_concurrency > config.embedder.max_in_flight) {
    problems.add("embedder.max_concurrency: " + std::to_string(config.embedder.max_concurrency) +
                 " exceeds embedder.max_in_flight (" +
                 std::to_string(config.embedder.max_in_flight) + ")");
  }
  if (config.sink.retry_max_delay < config.sink.retry_base_delay) {
    problems.add("sink.retry_max_delay_ms: " + std::to_string(config.sink.retry_max_delay.count()) +
                 " is below sink.retry_base_delay_ms (" +
                 std::to_string(config.sink.retry_base_delay.count()) +
                 "); the longest wait cannot be shorter than the first");
  }
  // Each chunk must bring new text: an overlap as long as the chunk would repeat it forever.
  if (config.sink.chunk_overlap_tokens >= config.sink.chunk_tokens) {
    problems.add("sink.chunk_overlap_tokens: " + std::to_string(config.sink.chunk_overlap_tokens) +
                 " must be below sink.chunk_tokens (" + std::to_string(config.sink.chunk_tokens) +
                 ")");
  }
}

Result<Config> build(const toml::table* root, const Context& context) {
  Config config;
  Problems problems;
  if (root != nullptr) read_toml(*root, context, config, problems);
  read_environment(*context.env, config, problems);
  if (problems.empty()) check_combination(config, problems);
  if (!problems.empty()) return fail(ErrorCode::kInvalidArgument, problems.joined());
  return config;
}

}  // namespace

EnvMap process_environment() {
  EnvMap env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return env;
}

Result<void> validate_config(const Config& config) {
  Problems problems;
  check_combination(config, problems);
  if (!problems.empty()) return fail(ErrorCode::kInvalidArgument, problems.joined());
  return {};
}

Result<Config> parse_config(std::string_view toml_text, const fs::path& source, const EnvMap& env) {
  Context context{.source = source, .base_dir = source.parent_path(), .env = &env};
  try {
    const toml::table root = toml::parse(toml_text, source.string());
    return build(&root, context);
  } catch (const toml::parse_error& error) {
    return fail(ErrorCode::kInvalidArgument, where(source, error.source()) + "invalid TOML: " +
                                                 std::string(error.description()));
  }
}

Result<Config> load_config(const std::optional<fs::path>& file, const EnvMap& env) {
  if (!file) {
    Context context{.source = {}, .base_dir = {}, .env = &env};
    return build(nullptr, context);
  }
  std::error_code ec;
  if (!fs::exists(*file, ec)) {
    return fail(ErrorCode::kNotFound, "config file '" + file->string() + "' does not exist");
  }
  auto text = read_text_file(*file);
  if (!text) {
    return fail(ErrorCode::kInvalidArgument,
                "cannot read config file '" + file->string() + "': " + text.error());
  }
  return parse_config(*text, *file, env);
}

}  // namespace shield::config
