#include "shield/ingest/chunker.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "markdown_blocks.hpp"
#include "shield/ingest/token_estimate.hpp"

namespace shield::ingest {
namespace {

using detail::BlockKind;
using detail::MarkdownBlock;

enum class UnitKind { kHeading, kProse, kCode, kOverlap };

// A piece of a block that goes into a chunk whole. `joiner` is what separates it from the
// unit before it when both land in the same chunk: a blank line between blocks, or what the
// cut removed inside a block (a line end, a space, nothing).
struct Unit {
  std::string text;
  std::size_t tokens = 0;
  std::string joiner;
  UnitKind kind = UnitKind::kProse;
};

// Where prose may be cut, most preferred first.
enum class Level { kLines, kSentences, kWords, kCharacters };

constexpr std::string_view kBlockJoiner = "\n\n";

std::string_view joiner_of(Level level) {
  switch (level) {
    case Level::kLines:
      return "\n";
    case Level::kSentences:
    case Level::kWords:
      return " ";
    case Level::kCharacters:
      return "";
  }
  return "";
}

Level next(Level level) {
  switch (level) {
    case Level::kLines:
      return Level::kSentences;
    case Level::kSentences:
      return Level::kWords;
    case Level::kWords:
    case Level::kCharacters:
      return Level::kCharacters;
  }
  return Level::kCharacters;
}

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// Characters that may follow a sentence's full stop before the space: ) ] " ' and the
// typographic closing quotes ’ ” ».
std::size_t closers_after(std::string_view text, std::size_t at) {
  std::size_t i = at;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ')' || c == ']' || c == '"' || c == '\'') {
      ++i;
      continue;
    }
    const DecodedCodePoint cp = decode_utf8(text, i);
    if (cp.valid && (cp.value == 0x2019 || cp.value == 0x201D || cp.value == 0x00BB)) {
      i += cp.length;
      continue;
    }
    break;
  }
  return i;
}

// The spans between cut points of `level`, with the whitespace around cuts left out.
std::vector<Span> segments(std::string_view text, Level level) {
  std::vector<Span> out;
  const auto add = [&](std::size_t begin, std::size_t end) {
    while (begin < end && is_ascii_space(text[begin])) ++begin;
    while (end > begin && is_ascii_space(text[end - 1])) --end;
    if (begin < end) out.push_back(Span{begin, end});
  };
  std::size_t start = 0;
  if (level == Level::kLines) {
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      // Keep a line's indentation (nested lists, tables): trim only its end.
      std::size_t stop = end;
      while (stop > start && is_ascii_space(text[stop - 1])) --stop;
      if (stop > start) out.push_back(Span{start, stop});
      start = end + 1;
    }
    return out;
  }
  if (level == Level::kWords) {
    std::size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && is_ascii_space(text[i])) ++i;
      const std::size_t begin = i;
      while (i < text.size() && !is_ascii_space(text[i])) ++i;
      if (i > begin) out.push_back(Span{begin, i});
    }
    return out;
  }
  // Sentences: after . ! ? (and closers) followed by whitespace, or after the CJK full
  // stops 。！？ whatever follows.
  std::size_t i = 0;
  while (i < text.size()) {
    const DecodedCodePoint cp = decode_utf8(text, i);
    const std::size_t after = i + cp.length;
    bool cut = false;
    std::size_t end = after;
    if (cp.valid && (cp.value == U'.' || cp.value == U'!' || cp.value == U'?')) {
      end = closers_after(text, after);
      cut = end < text.size() && is_ascii_space(text[end]);
    } else if (cp.valid && (cp.value == 0x3002 || cp.value == 0xFF01 || cp.value == 0xFF1F)) {
      end = closers_after(text, after);
      cut = end < text.size();
    }
    if (cut) {
      add(start, end);
      start = end;
    }
    i = cut ? end : after;
  }
  add(start, text.size());
  return out;
}

class UnitSink {
 public:
  UnitSink(std::vector<Unit>& out, std::string first_joiner, UnitKind kind)
      : out_(out), joiner_(std::move(first_joiner)), kind_(kind) {}

  void push(std::string text, std::size_t tokens, std::string_view joiner_if_not_first) {
    out_.push_back(
        Unit{std::move(text), tokens, first_ ? joiner_ : std::string(joiner_if_not_first), kind_});
    first_ = false;
  }

 private:
  std::vector<Unit>& out_;
  std::string joiner_;
  UnitKind kind_;
  bool first_ = true;
};

// Pieces of at most `limit` tokens (a lone character may cost 2), cut between characters.
void split_characters(std::string_view text, std::size_t limit, std::string_view joiner,
                      UnitSink& sink) {
  TokenEstimate piece;
  std::size_t begin = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const DecodedCodePoint cp = decode_utf8(text, i);
    TokenEstimate grown = piece;
    if (cp.valid) {
      grown.add(cp.value);
    } else {
      grown.add_invalid_byte();
    }
    if (grown.total() > limit && i > begin) {
      sink.push(std::string(text.substr(begin, i - begin)), piece.total(), joiner);
      begin = i;
      piece = TokenEstimate();
      continue;  // the same character starts the next piece
    }
    piece = grown;
    i += cp.length;
  }
  if (i > begin) sink.push(std::string(text.substr(begin, i - begin)), piece.total(), joiner);
}

void split_prose(std::string_view text, std::size_t limit, Level level, std::string_view joiner,
                 UnitSink& sink) {
  if (level == Level::kCharacters) {
    split_characters(text, limit, joiner, sink);
    return;
  }
  const std::string_view level_joiner = joiner_of(level);
  std::optional<Span> current;
  std::size_t current_tokens = 0;
  // The first piece of this text attaches with `joiner`; later ones with this level's.
  bool first_here = true;
  const auto flush = [&] {
    if (!current) return;
    sink.push(std::string(text.substr(current->begin, current->end - current->begin)),
              current_tokens, first_here ? joiner : level_joiner);
    first_here = false;
    current.reset();
    current_tokens = 0;
  };
  for (const Span& span : segments(text, level)) {
    const std::string_view piece = text.substr(span.begin, span.end - span.begin);
    const std::size_t tokens = estimate_tokens(piece);
    if (tokens > limit) {
      flush();
      split_prose(piece, limit, next(level), first_here ? joiner : level_joiner, sink);
      first_here = false;
      continue;
    }
    // Spans are cut at whitespace, so their estimates add up to the estimate of the whole.
    if (current && current_tokens + tokens <= limit) {
      current->end = span.end;
      current_tokens += tokens;
    } else {
      flush();
      current = span;
      current_tokens = tokens;
    }
  }
  flush();
}

std::string fenced(const MarkdownBlock& block, const std::vector<std::string>& lines) {
  std::string text = block.fence_open;
  for (const auto& line : lines) text += "\n" + line;
  text += "\n" + block.fence_close;
  return text;
}

void split_code(const MarkdownBlock& block, std::size_t limit, UnitSink& sink) {
  const std::size_t fences = estimate_tokens(block.fence_open) + estimate_tokens(block.fence_close);
  if (fences >= limit) {
    // Fences alone fill a chunk (an absurd info string): keep the text, lose the fencing.
    split_prose(block.text, limit, Level::kLines, kBlockJoiner, sink);
    return;
  }
  const std::size_t budget = limit - fences;
  std::vector<std::string> lines;
  std::size_t tokens = 0;
  const auto flush = [&] {
    if (lines.empty()) return;
    std::string text = fenced(block, lines);
    const std::size_t cost = estimate_tokens(text);
    sink.push(std::move(text), cost, kBlockJoiner);
    lines.clear();
    tokens = 0;
  };
  for (const auto& line : block.code_lines) {
    const std::size_t cost = estimate_tokens(line);
    if (cost > budget) {
      flush();
      std::vector<Unit> parts;
      UnitSink part_sink(parts, "", UnitKind::kCode);
      split_characters(line, budget, "", part_sink);
      for (auto& part : parts) {
        lines.push_back(std::move(part.text));
        flush();
      }
      continue;
    }
    if (!lines.empty() && tokens + cost > budget) flush();
    lines.push_back(line);
    tokens += cost;
  }
  flush();
}

std::vector<Unit> units_of(const MarkdownBlock& block, std::size_t limit) {
  std::vector<Unit> out;
  if (block.kind == BlockKind::kCode) {
    UnitSink sink(out, std::string(kBlockJoiner), UnitKind::kCode);
    const std::size_t tokens = estimate_tokens(block.text);
    if (tokens <= limit) {
      sink.push(block.text, tokens, kBlockJoiner);
    } else {
      split_code(block, limit, sink);
    }
    return out;
  }
  UnitSink sink(out, std::string(kBlockJoiner),
                block.kind == BlockKind::kHeading ? UnitKind::kHeading : UnitKind::kProse);
  split_prose(block.text, limit, Level::kLines, kBlockJoiner, sink);
  return out;
}

class ChunkBuilder {
 public:
  ChunkBuilder(const ChunkerOptions& options, std::vector<Chunk>& out)
      : options_(options), unit_limit_(options.chunk_tokens - options.overlap_tokens), out_(out) {}

  void heading(const MarkdownBlock& block) {
    if (has_body_) emit();
    while (!path_.empty() && path_.back().first >= block.level) path_.pop_back();
    path_.emplace_back(block.level, block.heading);
    for (auto& unit : units_of(block, unit_limit_)) {
      if (tokens_ + unit.tokens > options_.chunk_tokens) emit();
      append(std::move(unit));
    }
  }

  void body(const MarkdownBlock& block) {
    std::size_t limit = unit_limit_;
    if (!has_body_ && tokens_ > 0) {
      // Headings wait for this block: cut its first piece to fit beside them.
      const std::size_t room = options_.chunk_tokens - tokens_;
      if (room >= Chunker::kMinChunkTokens / 2) {
        limit = std::min(limit, room);
      } else {
        emit();
      }
    }
    for (auto& unit : units_of(block, limit)) add(std::move(unit));
  }

  void finish() { emit(); }

 private:
  void add(Unit unit) {
    if (tokens_ + unit.tokens <= options_.chunk_tokens) {
      append(std::move(unit));
      return;
    }
    std::optional<Unit> overlap = tail();
    emit();
    if (overlap) append(std::move(*overlap));
    append(std::move(unit));
  }

  void append(Unit unit) {
    if (unit.kind == UnitKind::kProse || unit.kind == UnitKind::kCode) has_body_ = true;
    tokens_ += unit.tokens;
    units_.push_back(std::move(unit));
  }

  // Up to overlap_tokens of whole words from the prose this chunk ends with.
  [[nodiscard]] std::optional<Unit> tail() const {
    if (options_.overlap_tokens == 0) return std::nullopt;
    // Walk back only as far as the overlap can reach.
    std::string text;
    std::size_t collected = 0;
    for (auto unit = units_.rbegin(); unit != units_.rend(); ++unit) {
      if (unit->kind != UnitKind::kProse && unit->kind != UnitKind::kOverlap) break;
      std::string piece = unit->text;
      if (!text.empty()) {
        piece += (unit - 1)->joiner;  // what stood between this unit and the one after it
        piece += text;
      }
      text = std::move(piece);
      collected += unit->tokens;
      if (unit->kind == UnitKind::kOverlap || collected >= options_.overlap_tokens) break;
    }
    if (text.empty()) return std::nullopt;
    std::size_t tokens = 0;
    std::size_t start = text.size();
    std::size_t end = text.size();
    while (end > 0) {
      while (end > 0 && is_ascii_space(text[end - 1])) --end;
      std::size_t begin = end;
      while (begin > 0 && !is_ascii_space(text[begin - 1])) --begin;
      if (begin == end) break;
      const std::size_t cost = estimate_tokens(std::string_view(text).substr(begin, end - begin));
      if (tokens + cost > options_.overlap_tokens) break;
      tokens += cost;
      start = begin;
      end = begin;
    }
    if (tokens == 0) return std::nullopt;
    return Unit{text.substr(start), tokens, "", UnitKind::kOverlap};
  }

  void emit() {
    if (units_.empty()) return;
    Chunk chunk;
    chunk.index = out_.size();
    for (const auto& unit : units_) {
      if (!chunk.text.empty()) chunk.text += unit.joiner;
      chunk.text += unit.text;
    }
    chunk.tokens = estimate_tokens(chunk.text);
    chunk.heading_path.reserve(path_.size());
    for (const auto& [level, text] : path_) chunk.heading_path.push_back(text);
    out_.push_back(std::move(chunk));
    units_.clear();
    tokens_ = 0;
    has_body_ = false;
  }

  const ChunkerOptions& options_;
  std::size_t unit_limit_;
  std::vector<Chunk>& out_;
  std::vector<std::pair<int, std::string>> path_;
  std::vector<Unit> units_;
  std::size_t tokens_ = 0;
  bool has_body_ = false;
};

}  // namespace

Chunker::Chunker(ChunkerOptions options) : options_(options) {
  options_.chunk_tokens = std::max(options_.chunk_tokens, kMinChunkTokens);
  options_.overlap_tokens = std::min(options_.overlap_tokens, options_.chunk_tokens / 2);
}

Result<void> Chunker::validate(const ChunkerOptions& options) {
  if (options.chunk_tokens < kMinChunkTokens) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("[sink] chunk_tokens = {} is too small; use at least {}",
                            options.chunk_tokens, kMinChunkTokens));
  }
  if (options.overlap_tokens > options.chunk_tokens / 2) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("[sink] chunk_overlap_tokens = {} must be at most half of "
                            "chunk_tokens ({}), or chunks would mostly repeat each other",
                            options.overlap_tokens, options.chunk_tokens / 2));
  }
  return {};
}

std::vector<Chunk> Chunker::split(std::string_view markdown) const {
  std::vector<Chunk> out;
  ChunkBuilder builder(options_, out);
  for (const MarkdownBlock& block : detail::parse_markdown_blocks(markdown)) {
    if (block.kind == BlockKind::kHeading) {
      builder.heading(block);
    } else {
      builder.body(block);
    }
  }
  builder.finish();
  return out;
}

}  // namespace shield::ingest
