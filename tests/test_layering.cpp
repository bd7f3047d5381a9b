// The layering of the rooms cannot rot: every quoted #include of every source file must
// point into its own room or into one its room may include. The allowed edges come from
// CMakeLists.txt (exitbrain_room(), written to rooms.txt at configure time), the same
// table that decides what each room's library links. The linker alone would not catch a
// forbidden include: every room sees the whole tree's headers.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/paths.hpp"

namespace exitbrain {
namespace {

namespace fs = std::filesystem;
using testing::source_dir;

// room folder -> the room folders its files may include
using RoomTable = std::map<std::string, std::set<std::string>>;

RoomTable read_rooms() {
  RoomTable t;
  std::ifstream in(EXITBRAIN_ROOMS_FILE);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::set<std::string>& allowed = t[line.substr(0, colon)];
    std::istringstream rest(line.substr(colon + 1));
    for (std::string room; rest >> room;) allowed.insert(room);
  }
  return t;
}

// The room a repository path belongs to: the longest room folder it sits in ("" if none).
std::string room_of(const RoomTable& t, const std::string& path) {
  std::string best;
  for (const auto& [room, allowed] : t) {
    (void)allowed;
    if (path.size() > room.size() && path.compare(0, room.size(), room) == 0 &&
        path[room.size()] == '/' && room.size() > best.size())
      best = room;
  }
  return best;
}

// Repository-relative paths of every C++ file under `top`.
std::vector<std::string> sources_under(const std::string& top) {
  std::vector<std::string> out;
  const fs::path root = source_dir();
  if (!fs::exists(root / top)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root / top)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".cpp" || ext == ".hpp" || ext == ".inc"))
      out.push_back(fs::relative(e.path(), root).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Include {
  int line = 0;
  std::string target;
};

// The quoted includes of a file (`#include "x/y.hpp"`), commented-out ones aside.
std::vector<Include> quoted_includes(const std::string& path) {
  std::vector<Include> out;
  std::ifstream in(source_dir() / path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos || line[i] != '#') continue;
    i = line.find_first_not_of(" \t", i + 1);
    if (i == std::string::npos || line.compare(i, 7, "include") != 0) continue;
    const std::size_t open = line.find('"', i);
    const std::size_t close = open == std::string::npos ? open : line.find('"', open + 1);
    if (close == std::string::npos) continue;
    out.push_back({n, line.substr(open + 1, close - open - 1)});
  }
  return out;
}

// Every include that crosses a forbidden edge, as "file:line: includes x (room a may
// include only ...)".
std::vector<std::string> violations(const RoomTable& t) {
  std::vector<std::string> out;
  for (const char* top : {"core", "strategies", "net", "tools", "bench", "tests", "fuzz"}) {
    for (const std::string& file : sources_under(top)) {
      const std::string from = room_of(t, file);
      for (const Include& inc : quoted_includes(file)) {
        const std::string to = room_of(t, inc.target);
        const std::string where =
            file + ":" + std::to_string(inc.line) + ": includes \"" + inc.target + "\"";
        if (from.empty()) {
          out.push_back(where + ": the file is in no room");
        } else if (to.empty()) {
          out.push_back(where + ": a path in no room (includes are written from the root)");
        } else if (to != from && !t.at(from).count(to)) {
          std::string allowed;
          for (const std::string& r : t.at(from)) allowed += " " + r;
          out.push_back(where + ": room " + from + " may include only itself and" + allowed);
        }
      }
    }
  }
  return out;
}

TEST(Layering, TheRoomsTableWasWrittenByCMake) {
  const RoomTable t = read_rooms();
  ASSERT_FALSE(t.empty()) << EXITBRAIN_ROOMS_FILE << " is missing or empty";
  for (const char* room :
       {"core", "strategies", "net", "tools/common", "tools/settings", "tools/market_data",
        "tools/intents", "tools/replay", "tools/sim", "tools/ops", "tools/live", "tools/process",
        "tools/cli", "bench", "tests", "fuzz"})
    EXPECT_TRUE(t.count(room)) << "no room " << room << " in " << EXITBRAIN_ROOMS_FILE;
}

// The design's layers (core <- strategies <- net <- tools rooms <- cli), stated here so that
// loosening the CMake table fails too, not only an include that crosses it.
TEST(Layering, TheTableForbidsWhatTheDesignForbids) {
  const RoomTable t = read_rooms();
  ASSERT_FALSE(t.empty());
  auto may = [&](const std::string& from, const std::string& to) {
    return t.count(from) && t.at(from).count(to) > 0;
  };
  const std::vector<std::string> tools_rooms = {
      "tools/common", "tools/settings", "tools/market_data", "tools/intents",
      "tools/replay", "tools/sim",      "tools/state",       "tools/ops",
      "tools/live",   "tools/process",  "tools/soak",      "tools/cli"};
  EXPECT_TRUE(t.count("core") && t.at("core").empty()) << "core/ includes only core/";
  for (const std::string& to : tools_rooms) {
    EXPECT_FALSE(may("core", to));
    EXPECT_FALSE(may("strategies", to));
    EXPECT_FALSE(may("net", to));
  }
  EXPECT_FALSE(may("core", "strategies"));
  EXPECT_FALSE(may("core", "net"));
  EXPECT_FALSE(may("strategies", "net"));
  for (const std::string& from : tools_rooms) {
    if (from != "tools/cli") {
      EXPECT_FALSE(may(from, "tools/cli")) << from << " -> tools/cli";
    }
    EXPECT_FALSE(may(from, "bench")) << from;
    EXPECT_FALSE(may(from, "tests")) << from;
  }
  EXPECT_FALSE(may("tools/sim", "tools/live")) << "the simulator must not include the daemon";
  EXPECT_FALSE(may("tools/replay", "tools/live")) << "replay must not include the daemon";
  EXPECT_FALSE(may("tools/intents", "tools/live")) << "the Redis side sits below the daemon";
  EXPECT_FALSE(may("tools/common", "tools/settings"));
  EXPECT_FALSE(may("tools/state", "tools/live")) << "the state files know no daemon";
  EXPECT_FALSE(may("tools/ops", "tools/live")) << "the ops servers know no pipeline";
  EXPECT_FALSE(may("tools/ops", "tools/settings")) << "the ops servers take values, not config";
  EXPECT_FALSE(may("bench", "tests"));
  EXPECT_FALSE(may("tests", "bench"));
  // The fuzz targets reach the parsers, never the daemon, the simulator or the test kit.
  for (const char* to : {"tools/live", "tools/sim", "tools/cli", "tools/ops", "tests", "bench"})
    EXPECT_FALSE(may("fuzz", to)) << to;
  for (const std::string& from : tools_rooms) EXPECT_FALSE(may(from, "fuzz")) << from;
}

TEST(Layering, EveryIncludeStaysOnAnAllowedEdge) {
  const RoomTable t = read_rooms();
  ASSERT_FALSE(t.empty());
  const std::vector<std::string> bad = violations(t);
  std::string text;
  for (const std::string& v : bad) text += "\n  " + v;
  EXPECT_TRUE(bad.empty()) << bad.size() << " include(s) cross a forbidden edge:" << text;
}

// Code under tools/ lives in a room; only the README's scripts sit at tools/ itself.
TEST(Layering, EveryToolsFileIsInARoom) {
  const RoomTable t = read_rooms();
  ASSERT_FALSE(t.empty());
  std::vector<std::string> loose;
  for (const auto& e : fs::directory_iterator(source_dir() / "tools"))
    if (e.is_regular_file() && e.path().extension() != ".sh")
      loose.push_back(e.path().filename().string());
  for (const std::string& file : sources_under("tools"))
    if (room_of(t, file).empty()) loose.push_back(file);
  std::string text;
  for (const std::string& f : loose) text += " " + f;
  EXPECT_TRUE(loose.empty()) << "not in any room:" << text;
}

}  // namespace
}  // namespace exitbrain
