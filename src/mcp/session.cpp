#include "shield/mcp/session.hpp"

#include <vector>

#include "shield/util/secure_token.hpp"

namespace shield::mcp {

void Session::set_negotiated(std::string version, Json client_info, Json client_capabilities) {
  std::lock_guard lock(mutex_);
  version_ = std::move(version);
  client_info_ = std::move(client_info);
  client_capabilities_ = std::move(client_capabilities);
}

std::string Session::protocol_version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

Json Session::client_capabilities() const {
  std::lock_guard lock(mutex_);
  return client_capabilities_;
}

Json Session::client_info() const {
  std::lock_guard lock(mutex_);
  return client_info_;
}

void Session::mark_initialized() {
  std::lock_guard lock(mutex_);
  initialized_ = true;
}

bool Session::initialized() const {
  std::lock_guard lock(mutex_);
  return initialized_;
}

void Session::set_log_level(LogLevel level) {
  std::lock_guard lock(mutex_);
  log_level_ = level;
}

LogLevel Session::log_level() const {
  std::lock_guard lock(mutex_);
  return log_level_;
}

bool Session::track_request(const std::string& id_key, CancellationSource source) {
  std::lock_guard lock(mutex_);
  return in_flight_.emplace(id_key, std::move(source)).second;
}

void Session::finish_request(const std::string& id_key) {
  std::lock_guard lock(mutex_);
  in_flight_.erase(id_key);
}

bool Session::cancel_request(const std::string& id_key, const std::string& reason) {
  CancellationSource source;
  {
    std::lock_guard lock(mutex_);
    const auto it = in_flight_.find(id_key);
    if (it == in_flight_.end()) return false;
    source = it->second;
  }
  // Outside the lock: cancellation callbacks may call back into this session.
  source.cancel(reason);
  return true;
}

void Session::cancel_all(const std::string& reason) {
  std::vector<CancellationSource> sources;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, source] : in_flight_) sources.push_back(source);
  }
  for (auto& source : sources) source.cancel(reason);
}

std::size_t Session::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_.size();
}

void Session::subscribe(const std::string& uri) {
  std::lock_guard lock(mutex_);
  subscriptions_.insert(uri);
}

void Session::unsubscribe(const std::string& uri) {
  std::lock_guard lock(mutex_);
  subscriptions_.erase(uri);
}

bool Session::subscribed(const std::string& uri) const {
  std::lock_guard lock(mutex_);
  return subscriptions_.count(uri) > 0;
}

void Session::set_standalone_sink(std::function<bool(const Json&)> sink) {
  std::lock_guard lock(mutex_);
  standalone_ = std::move(sink);
}

bool Session::send_standalone(const Json& message) {
  std::function<bool(const Json&)> sink;
  {
    std::lock_guard lock(mutex_);
    sink = standalone_;
  }
  return sink ? sink(message) : false;
}

void Session::touch(Clock::TimePoint now) {
  std::lock_guard lock(mutex_);
  if (now > last_seen_) last_seen_ = now;
}

Clock::TimePoint Session::last_seen() const {
  std::lock_guard lock(mutex_);
  return last_seen_;
}

SessionStore::SessionStore(const Clock& clock, std::size_t max_sessions,
                           Clock::Duration idle_timeout)
    : clock_(clock), max_sessions_(max_sessions), idle_timeout_(idle_timeout) {}

bool SessionStore::is_expired(const Session& session, Clock::TimePoint now) const {
  return now - session.last_seen() > idle_timeout_ && session.in_flight() == 0;
}

std::vector<std::shared_ptr<Session>> SessionStore::take_expired_locked(Clock::TimePoint now) {
  std::vector<std::shared_ptr<Session>> expired;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (is_expired(*it->second, now)) {
      expired.push_back(std::move(it->second));
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

Result<std::shared_ptr<Session>> SessionStore::create() {
  const auto now = clock_.now();
  std::vector<std::shared_ptr<Session>> expired;
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    if (sessions_.size() >= max_sessions_) expired = take_expired_locked(now);
    if (sessions_.size() < max_sessions_) {
      // 128 bits from the CSPRNG: a collision is not a practical event, but a retry is
      // cheaper than reasoning about it.
      std::string id;
      do {
        id = random_hex(16);
      } while (sessions_.count(id) > 0);
      session = std::make_shared<Session>(id, now);
      sessions_.emplace(std::move(id), session);
    }
  }
  for (auto& gone : expired) gone->cancel_all("session expired");
  if (!session) {
    return fail(ErrorCode::kResourceExhausted,
                "too many MCP sessions (limit " + std::to_string(max_sessions_) + ")");
  }
  return session;
}

Result<std::shared_ptr<Session>> SessionStore::find(const std::string& id) {
  const auto now = clock_.now();
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return fail(ErrorCode::kNotFound, "no such MCP session");
    if (is_expired(*it->second, now)) {
      session = std::move(it->second);
      sessions_.erase(it);
    } else {
      it->second->touch(now);
      return it->second;
    }
  }
  session->cancel_all("session expired");
  return fail(ErrorCode::kNotFound, "MCP session expired");
}

bool SessionStore::terminate(const std::string& id) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    session = std::move(it->second);
    sessions_.erase(it);
  }
  session->cancel_all("session terminated");
  return true;
}

std::size_t SessionStore::expire_idle() {
  std::vector<std::shared_ptr<Session>> expired;
  {
    std::lock_guard lock(mutex_);
    expired = take_expired_locked(clock_.now());
  }
  for (auto& session : expired) session->cancel_all("session expired");
  return expired.size();
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void SessionStore::cancel_all(const std::string& reason) {
  std::vector<std::shared_ptr<Session>> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, session] : sessions_) all.push_back(session);
  }
  for (auto& session : all) session->cancel_all(reason);
}

}  // namespace shield::mcp
