// Non-ASCII characters outside strings and comments are refused before toml++ sees them:
// Debian's toml++ 3.3.0 reaches __builtin_unreachable() on many of them (found by
// fuzz/fuzz_config). Inside strings and comments they stay welcome.
#include <gtest/gtest.h>

#include <string>

#include "tools/common/input_error.hpp"
#include "tools/settings/config.hpp"
#include "tools/settings/toml_prescan.hpp"

namespace exitbrain {
namespace {

std::string where(std::string_view text) {
  const auto at = first_non_ascii_outside_strings(text);
  return at ? std::to_string(at->line) + ":" + std::to_string(at->column) : "none";
}

TEST(TomlPrescan, FindsTheFirstNonAsciiByteOutsideStringsAndComments) {
  EXPECT_EQ(where("a = 1\nb = 2\n"), "none");
  EXPECT_EQ(where("a = 1 \xc3\xa9"), "1:7");
  EXPECT_EQ(where("a = 1\n\xc3\xa9 = 2"), "2:1");
  EXPECT_EQ(where("\xef\xbb\xbd"), "1:1");  // U+FEFD: the fuzzer's first find
}

TEST(TomlPrescan, StringsAndCommentsMayHoldAnything) {
  EXPECT_EQ(where("dir = \"/home/jos\xc3\xa9\"  # caf\xc3\xa9\n"), "none");
  EXPECT_EQ(where("a = 'x\xc3\xa9'\n"), "none");
  EXPECT_EQ(where("a = \"\"\"\n\xc3\xa9\n\"\"\"\n"), "none");
  EXPECT_EQ(where("a = '''\n\xc3\xa9\n'''\n"), "none");
  EXPECT_EQ(where("a = \"q\\\"\xc3\xa9\"\n"), "none");         // an escaped quote stays inside
  EXPECT_EQ(where("a = \"\"\"x\"\"\"\"\"\n\xc3\xa9"), "2:1");  // up to two quotes end the content
  // A single-line string ends with its line (toml++ then says it is unterminated).
  EXPECT_EQ(where("a = \"open\n\xc3\xa9 = 1"), "2:1");
  EXPECT_EQ(where("# comment\n\xc3\xa9"), "2:1");
  // A quote inside a bare token opens no string: toml++ reads on through it (the fuzzer's
  // second find: `a = 1a"volatility_thre\xc3\xa9`).
  EXPECT_EQ(where("a = 1a\"\xc3\xa9"), "1:8");
  EXPECT_EQ(where("a = 0na=\"\xc3\xa9"), "1:10");  // the third: '=' inside a value token
  // Three quotes in a key open a multi-line string, as toml++ reads them (it refuses the key
  // only once the string is read): the content is a string's, the backslash rule holds there
  // (the fourth find, `"""0ick_=k\` then U+FD7F on the next line; and the long run's, a
  // `"""` after comment lines, then `\` and U+FEBF lines below).
  EXPECT_EQ(where("\"\"\"k = 1\n\xc3\xa9\n\"\"\""), "none");
  EXPECT_EQ(where("\"\"\"0ick_=k\\\n\xef\xb5\xbf"
                  "1k\\\n"),
            "2:1");
  EXPECT_EQ(where("# c\n\"\"\"#k\":\n#p=R\tV\\\xef\xba\xbfs\n"), "3:8");
  // The fifth: toml++ asks whether what follows a backslash is whitespace.
  EXPECT_EQ(where("a = \"\"\"x\\  \xc3\xa9\"\"\""), "1:12");
  EXPECT_EQ(where("a = \"x\\u00e9 \xc3\xa9\""), "none");
  EXPECT_EQ(where("a = \"\"\"x\\\n  \xc3\xa9\"\"\""), "2:3");  // the sixth: over the line end
  EXPECT_EQ(where("a = \"x\"y\"\xc3\xa9\""), "1:10");
  // Where a string may start, it does: arrays over lines, inline tables, dotted keys.
  EXPECT_EQ(where("a = [\n  \"\xc3\xa9\",\n  '\xc3\xa9' ]\nb = { c = \"\xc3\xa9\" }\n"), "none");
  EXPECT_EQ(where("a.\"\xc3\xa9\" = 1\n[\"\xc3\xa9\"]\n"), "none");
}

TEST(TomlPrescan, TheConfigLoaderRefusesWithTheLineAndColumn) {
  try {
    (void)load_config_text("default_profile = \"RANGE\"\nmode = caf\xc3\xa9\n", "cfg.toml");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cfg.toml:2: column 11: a non-ASCII character outside a string or comment, or "
              "after a backslash (TOML allows them only in strings and comments; write \\uXXXX "
              "after a backslash)");
  }
  EXPECT_NO_THROW((void)load_config_text("# caf\xc3\xa9\n", "cfg.toml"));
}

}  // namespace
}  // namespace exitbrain
