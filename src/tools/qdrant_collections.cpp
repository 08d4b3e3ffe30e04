#include "shield/tools/qdrant_collections.hpp"

#include <utility>

#include <fmt/format.h>

#include "shield/resilience/breaker_state.hpp"
#include "shield/tools/backend_failure.hpp"

namespace shield::tools {
namespace {

std::string vector_label(const std::string& vector_name) {
  return vector_name.empty() ? std::string("its unnamed vector")
                             : fmt::format("vector '{}'", vector_name);
}

std::string names_of(const std::map<std::string, backend::VectorParams>& named) {
  std::string out;
  for (const auto& [name, unused] : named) {
    (void)unused;
    if (!out.empty()) out += ", ";
    out += "'" + name + "'";
  }
  return out;
}

}  // namespace

QdrantCollections::QdrantCollections(backend::Backend& qdrant, QdrantToolSettings settings)
    : client_(qdrant), settings_(std::move(settings)) {}

ToolOutcome<std::string> QdrantCollections::choose(const mcp::Json& arguments) const {
  const auto requested = arguments.find("collection");
  if (requested == arguments.end() || requested->is_null()) return settings_.collection;
  if (!requested->is_string()) {
    return tl::unexpected(
        mcp::ToolResult::error("invalid_arguments", "collection must be a string"));
  }
  const auto& name = requested->get_ref<const std::string&>();
  if (settings_.collection_locked && name != settings_.collection) {
    return tl::unexpected(mcp::ToolResult::error(
        "collection_locked",
        fmt::format("this server only works with collection '{}' (qdrant collection_locked = "
                    "true); leave `collection` out or set it to '{}'",
                    settings_.collection, settings_.collection),
        mcp::Json{{"collection", settings_.collection}}));
  }
  if (auto valid = backend::QdrantClient::validate_collection_name(name); !valid) {
    return tl::unexpected(mcp::ToolResult::error("invalid_arguments", valid.error().message));
  }
  return name;
}

boost::asio::awaitable<ToolOutcome<std::optional<backend::CollectionInfo>>>
QdrantCollections::describe(const std::string& collection, CancellationToken cancel) {
  using Found = std::optional<backend::CollectionInfo>;
  {
    const std::lock_guard lock(mutex_);
    if (const auto known = layouts_.find(collection); known != layouts_.end()) {
      co_return Found(known->second);
    }
  }
  auto info = co_await client_.collection_info(collection, std::move(cancel));
  if (!info) co_return tl::unexpected(backend_failure(info.error()));
  if (*info) remember(collection, **info);
  co_return std::move(*info);
}

ToolOutcome<VectorTarget> QdrantCollections::select_vector(
    const std::string& collection, const backend::CollectionInfo& info) const {
  const auto incompatible = [&](std::string message) {
    return tl::unexpected(mcp::ToolResult::error("collection_incompatible", std::move(message),
                                                 mcp::Json{{"collection", collection}}));
  };
  VectorTarget target;
  target.collection = collection;
  const std::string& wanted = settings_.vector_name;
  if (!wanted.empty()) {
    if (const auto found = info.named.find(wanted); found != info.named.end()) {
      target.vector_name = wanted;
      target.dimensions = found->second.size;
      return target;
    }
    if (info.unnamed) {
      return incompatible(fmt::format(
          "collection '{}' has a single unnamed vector, but qdrant vector_name = '{}' is "
          "configured; set vector_name = \"\" to use this collection",
          collection, wanted));
    }
    return incompatible(
        fmt::format("collection '{}' has no vector named '{}' (it has {}); set "
                    "qdrant vector_name to one of them",
                    collection, wanted, names_of(info.named)));
  }
  if (info.unnamed) {
    target.dimensions = info.unnamed->size;
    return target;
  }
  if (info.named.size() == 1) {
    target.vector_name = info.named.begin()->first;
    target.dimensions = info.named.begin()->second.size;
    return target;
  }
  if (info.named.empty()) {
    return incompatible(fmt::format("collection '{}' has no dense vectors", collection));
  }
  return incompatible(
      fmt::format("collection '{}' has several named vectors ({}); set qdrant "
                  "vector_name to the one these tools should use",
                  collection, names_of(info.named)));
}

ToolOutcome<void> QdrantCollections::check_dimensions(const VectorTarget& target,
                                                      std::size_t dimensions,
                                                      const std::string& model) {
  if (target.dimensions == dimensions) return {};
  return tl::unexpected(mcp::ToolResult::error(
      "dimension_mismatch",
      fmt::format("collection '{}' expects {}-dim vectors but model '{}' produces {}{}; use a "
                  "collection made with this model, or configure the model it was made with",
                  target.collection, target.dimensions, model, dimensions,
                  target.vector_name.empty() ? "" : " (" + vector_label(target.vector_name) + ")"),
      mcp::Json{{"collection", target.collection},
                {"expected_dimensions", target.dimensions},
                {"model", model},
                {"model_dimensions", dimensions}}));
}

boost::asio::awaitable<ToolOutcome<VectorTarget>> QdrantCollections::prepare_write(
    const std::string& collection, std::size_t dimensions, const std::string& model,
    CancellationToken cancel) {
  auto info = co_await describe(collection, cancel);
  if (!info) co_return tl::unexpected(std::move(info.error()));
  bool created = false;
  if (!*info) {
    auto made = co_await client_.create_collection(collection, dimensions, settings_.distance,
                                                   settings_.vector_name, cancel);
    if (!made) co_return tl::unexpected(backend_failure(made.error()));
    created = *made;
    if (created) {
      backend::CollectionInfo layout;
      const backend::VectorParams params{dimensions, settings_.distance};
      if (settings_.vector_name.empty()) {
        layout.unnamed = params;
      } else {
        layout.named.emplace(settings_.vector_name, params);
      }
      remember(collection, layout);
      *info = std::move(layout);
    } else {
      // Someone else created it between our look and our create: read what they made.
      auto again = co_await client_.collection_info(collection, cancel);
      if (!again) co_return tl::unexpected(backend_failure(again.error()));
      if (!*again) {
        co_return tl::unexpected(mcp::ToolResult::error(
            "backend_rejected",
            fmt::format("collection '{}' was created and deleted again while storing; retry",
                        collection),
            mcp::Json{{"backend", client_.backend().name()},
                      {"retry_after_s", nullptr},
                      {"detail", "collection vanished"}}));
      }
      remember(collection, **again);
      *info = std::move(*again);
    }
  }
  auto target = select_vector(collection, **info);
  if (!target) co_return target;
  target->created = created;
  if (auto fits = check_dimensions(*target, dimensions, model); !fits) {
    co_return tl::unexpected(std::move(fits.error()));
  }
  co_return target;
}

boost::asio::awaitable<ToolOutcome<void>> QdrantCollections::refuse_while_open(
    const std::string& collection, CancellationToken cancel) {
  if (client_.backend().snapshot().state != resilience::BreakerState::kOpen)
    co_return ToolOutcome<void>();
  auto info = co_await client_.collection_info(collection, std::move(cancel));
  if (!info) co_return tl::unexpected(backend_failure(info.error()));
  if (*info) remember(collection, **info);
  co_return ToolOutcome<void>();
}

void QdrantCollections::remember(const std::string& collection,
                                 const backend::CollectionInfo& info) {
  const std::lock_guard lock(mutex_);
  // Names come from callers; a bound keeps a model that invents names from growing this.
  if (layouts_.size() >= kMaxRemembered) layouts_.clear();
  layouts_.insert_or_assign(collection, info);
}

void QdrantCollections::forget(const std::string& collection) {
  const std::lock_guard lock(mutex_);
  layouts_.erase(collection);
}

}  // namespace shield::tools
