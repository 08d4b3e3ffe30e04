#pragma once
// decode_text: turns the bytes of a text file (plain text, Markdown, HTML source) into UTF-8
// with "\n" line ends, which is what documents carry:
//   - a UTF-8 byte order mark is dropped;
//   - UTF-16 (LE or BE) with a byte order mark is converted (an unpaired surrogate becomes
//     U+FFFD, with a warning);
//   - valid UTF-8 is kept as it is;
//   - anything else is read as Latin-1 (ISO 8859-1), which maps every byte to a character,
//     with a warning naming the first byte that was not UTF-8. Real charset detection
//     (issue 6) can replace this fallback later without changing the interface.
// "\r\n" and a lone "\r" become "\n".
//
// Threading: a pure function; linear in the input. Run big inputs off the event loop.
#include <string>
#include <string_view>
#include <vector>

namespace shield::ingest {

struct DecodedText {
  std::string text;                   // UTF-8, "\n" line ends
  std::string charset;                // "utf-8", "utf-16le", "utf-16be" or "latin-1"
  std::vector<std::string> warnings;  // for the job's result; empty when nothing was guessed
};

// `label` names the input in warnings (a file name).
[[nodiscard]] DecodedText decode_text(std::string_view data, std::string_view label);

}  // namespace shield::ingest
