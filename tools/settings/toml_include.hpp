#pragma once
// toml++ as every file of this room includes it: a malformed config is an error, never an
// abort and never undefined behaviour, in any build.
//
// Debian 12's toml++ 3.3.0 checks its own parser's assumptions with TOML_ASSERT_ASSUME,
// which some malformed inputs break (`"[\n\x1e"`, `"[&"`: upstream issue #294). Compiled
// without NDEBUG that is assert(), an abort; with NDEBUG under clang it is
// __builtin_assume(false), undefined behaviour. Only with both off does the parser go on
// to the parse_error it reports for the same input. The release and sanitize builds link
// Debian's shared library (built by GCC with NDEBUG: the error), but the fuzz build
// compiles toml++ in (header-only, instrumented), and so would any build that chose
// header-only mode. So toml++ is included with its assertions defined away and NDEBUG
// hidden from it (its only other use of NDEBUG picks function attributes). Every file that
// includes toml++ goes through here: in header-only mode each translation unit must see
// the same definitions. fuzz/seeds/config holds the inputs that used to abort.
#pragma push_macro("NDEBUG")
#undef NDEBUG
#ifdef TOML_ASSERT
#undef TOML_ASSERT
#endif
#define TOML_ASSERT(expr) static_assert(true)
#include <toml++/toml.h>
#pragma pop_macro("NDEBUG")
// assert() as the build wants it again, should a header above have redefined it.
#include <cassert>
