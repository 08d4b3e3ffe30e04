#pragma once
// make_sink: the Sink that config [sink] kind names, built on the daemon's backends.
//
// Ownership: every pointer and the executor in SinkDependencies must outlive the sink; the
// sink keeps references, never ownership.
// Errors (start-up mistakes, kInvalidArgument): an unknown kind, a dependency the kind needs
// that is missing, a Qdrant collection name Qdrant would refuse, an unknown distance, chunk
// sizes out of range.
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "shield/backend/backend.hpp"
#include "shield/backend/embedder.hpp"
#include "shield/config/config.hpp"
#include "shield/ingest/sink.hpp"
#include "shield/util/clock.hpp"
#include "shield/util/error.hpp"

namespace shield::ingest {

struct SinkDependencies {
  backend::Backend* orchestrator = nullptr;  // kind "orchestrator"
  backend::Backend* qdrant = nullptr;        // kind "qdrant", with the embedder
  backend::Embedder* embedder = nullptr;
  backend::Backend* lightrag = nullptr;  // kind "lightrag"
  // A thread pool's executor for disk I/O and chunking (required by "directory"; "qdrant"
  // chunks there when it is set).
  boost::asio::any_io_executor blocking;
  const Clock* clock = nullptr;  // null = SystemClock
};

[[nodiscard]] Result<std::unique_ptr<Sink>> make_sink(const config::Config& config,
                                                      const SinkDependencies& dependencies);

}  // namespace shield::ingest
