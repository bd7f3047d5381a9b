// The Debian package and the systemd unit, for real: tools/package.sh builds the .deb, dpkg
// installs it into a temporary root (its maintainer scripts run there with DPKG_ROOT and
// create the system user in that root), the binaries print their version and commit, and
// `systemd-analyze verify` has nothing to say about the unit. With
// EXITBRAIN_PACKAGE_SYSTEM_INSTALL=1 (CI, as root on a throw-away machine: tools/test.sh
// sets it there) the package is also installed on the machine itself, then purged.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/support/paths.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_files.hpp"

namespace exitbrain {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::run_command;

std::string project_version() {
  const std::string cmake = read_file((testing::source_dir() / "CMakeLists.txt").string());
  std::smatch m;
  return std::regex_search(cmake, m, std::regex(R"(project\(exitbrain VERSION ([0-9.]+))"))
             ? m[1].str()
             : "";
}

// The commit `git` says the checkout is at ("" when this is no git checkout).
std::string checkout_commit() {
  const auto r = run_command(
      "git -C " + testing::source_dir().string() + " rev-parse --short=12 HEAD 2>/dev/null", false);
  std::string c = r.exit_code == 0 ? r.output : "";
  while (!c.empty() && (c.back() == '\n' || c.back() == ' ')) c.pop_back();
  return c;
}

void expect_version_line(const std::string& binary, const std::string& name) {
  const auto r = run_command(binary + " --version");
  EXPECT_EQ(r.exit_code, 0) << binary << ": " << r.output;
  const std::regex line("^" + name + " " + project_version() +
                        R"( \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)\n$)");
  EXPECT_TRUE(std::regex_match(r.output, line)) << binary << ": " << r.output;
  const std::string commit = checkout_commit();
  if (commit.empty())
    std::cout << "not a git checkout: the commit is not compared\n";
  else
    EXPECT_NE(r.output.find("(commit " + commit), std::string::npos)
        << binary << " was not built from the checkout's commit " << commit << ": " << r.output;
}

TEST(Version, EveryBinaryPrintsItsVersionAndTheCommitItWasBuiltFrom) {
  ASSERT_FALSE(project_version().empty());
  for (const char* name : {"exitbrain", "exitbrain-sim"})
    expect_version_line((testing::bin_dir() / name).string(), name);
  // The benchmarks are left out of the sanitize build.
  int benches = 0;
  for (const char* name : {"exitbrain-bench", "exitbrain-intent-bench", "exitbrain-micro-bench"}) {
    if (!fs::exists(testing::bin_dir() / name)) continue;
    ++benches;
    expect_version_line((testing::bin_dir() / name).string(), name);
  }
  if (benches == 0) std::cout << "no benchmark binaries in this build (sanitize)\n";
}

// A copy of `unit` whose /usr/bin paths point into `root`, verified: "" when
// systemd-analyze has nothing to say, else what it said.
std::string verify_unit(const std::string& unit, const std::string& root, const std::string& dir) {
  std::string text = read_file(unit);
  for (auto at = text.find("/usr/bin/"); at != std::string::npos;
       at = text.find("/usr/bin/", at + root.size() + 9))
    text.insert(at, root);
  const std::string copy = dir + "/" + fs::path(unit).filename().string();
  {
    std::ofstream f(copy);
    f << text;
  }
  const auto r = run_command("systemd-analyze verify " + copy);
  return r.exit_code == 0 && r.output.empty()
             ? ""
             : "exit " + std::to_string(r.exit_code) + ": " + r.output;
}

TEST(Package, InstallsIntoARootWithItsUserAndStateDirectoryAndItsUnitVerifies) {
  for (const char* tool : {"dpkg", "dpkg-deb", "systemd-analyze"})
    if (run_command(std::string("command -v ") + tool, false).exit_code != 0)
      GTEST_SKIP() << tool << " is not installed (Debian's dpkg / systemd packages)";
  const std::string dir = testing::make_test_dir("package");
  const std::string build = testing::bin_dir().parent_path().string();
  const auto made = run_command(testing::source_dir().string() + "/tools/package.sh --build-dir " +
                                build + " --out " + dir + "/dist");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const std::string deb = dir + "/dist/exitbrain_" + project_version() + "_amd64.deb";
  ASSERT_TRUE(fs::exists(deb)) << made.output;
  EXPECT_NE(made.output.find(deb), std::string::npos) << "the script prints the package's path";
  const auto info = run_command("dpkg-deb -f " + deb + " Package Version Depends");
  EXPECT_NE(info.output.find("Version: " + project_version()), std::string::npos) << info.output;
  for (const char* lib : {"libssl3", "libhiredis0.14", "libsimdjson14", "libsystemd0"})
    EXPECT_NE(info.output.find(lib), std::string::npos) << lib << " in Depends: " << info.output;
  EXPECT_NE(
      run_command("dpkg-deb -I " + deb + " conffiles").output.find("/etc/exitbrain/exitbrain.toml"),
      std::string::npos);

  // A fresh root with an empty dpkg database. --force-script-chrootless: the maintainer
  // scripts run here with DPKG_ROOT set (the root has no shell to chroot into);
  // --force-depends: that database knows none of the libraries the real system has.
  const std::string root = dir + "/root";
  fs::remove_all(root);
  for (const char* d : {"/var/lib/dpkg/info", "/var/lib/dpkg/updates", "/etc"})
    fs::create_directories(root + d);
  for (const char* f : {"/var/lib/dpkg/status", "/var/lib/dpkg/available"})
    std::ofstream(root + f).flush();
  const auto inst = run_command("dpkg --root=" + root +
                                " --force-script-chrootless --force-depends --force-not-root "
                                "-i " +
                                deb);
  ASSERT_EQ(inst.exit_code, 0) << inst.output;
  for (const char* f :
       {"/usr/bin/exitbrain", "/usr/bin/exitbrain-sim", "/lib/systemd/system/exitbrain.service",
        "/etc/exitbrain/exitbrain.toml", "/usr/lib/sysusers.d/exitbrain.conf",
        "/usr/share/doc/exitbrain/secrets.env.example"})
    EXPECT_TRUE(fs::exists(root + f)) << f;
  struct stat st {};
  ASSERT_EQ(::stat((root + "/var/lib/exitbrain").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "the state directory is the daemon's only";
  if (run_command("command -v systemd-sysusers", false).exit_code == 0) {
    EXPECT_NE(read_file(root + "/etc/passwd").find("exitbrain:"), std::string::npos)
        << "the system user, made by the postinst in the root";
  }
  expect_version_line(root + "/usr/bin/exitbrain", "exitbrain");
  expect_version_line(root + "/usr/bin/exitbrain-sim", "exitbrain-sim");
  // The installed config loads (it is checked as `exitbrain run` checks it).
  const auto cfg = run_command(root + "/usr/bin/exitbrain validate --config-only --config " + root +
                               "/etc/exitbrain/exitbrain.toml");
  EXPECT_EQ(cfg.exit_code, 0) << cfg.output;
  EXPECT_NE(cfg.output.find("PASS  config"), std::string::npos) << cfg.output;
  EXPECT_NE(cfg.output.find("mode shadow"), std::string::npos) << "a new install starts in shadow";

  EXPECT_EQ(verify_unit(root + "/lib/systemd/system/exitbrain.service", root, dir), "");
  // The check can fail: a misspelt directive is reported (systemd itself only warns).
  {
    std::ofstream bad(dir + "/broken.service");
    bad << read_file(root + "/lib/systemd/system/exitbrain.service") << "[Service]\nRestrat=no\n";
  }
  EXPECT_NE(verify_unit(dir + "/broken.service", root, dir + "/dist"), "");
}

TEST(Package, InstallsOnThisMachineWhenAllowed) {
  const char* allow = std::getenv("EXITBRAIN_PACKAGE_SYSTEM_INSTALL");
  if (!allow || std::string(allow) != "1" || ::geteuid() != 0)
    GTEST_SKIP() << "set EXITBRAIN_PACKAGE_SYSTEM_INSTALL=1 as root on a throw-away machine "
                    "(tools/test.sh does in CI) to install the package on the machine itself";
  const std::string dir = testing::make_test_dir("package_system");
  const std::string build = testing::bin_dir().parent_path().string();
  const auto made = run_command(testing::source_dir().string() + "/tools/package.sh --build-dir " +
                                build + " --out " + dir);
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const std::string deb = dir + "/exitbrain_" + project_version() + "_amd64.deb";
  const auto inst = run_command("dpkg -i " + deb);
  ASSERT_EQ(inst.exit_code, 0) << inst.output << "(a real install checks Depends too)";
  expect_version_line("/usr/bin/exitbrain", "exitbrain");
  EXPECT_EQ(run_command("id exitbrain", false).exit_code, 0) << "the system user";
  const auto purge = run_command("dpkg --purge exitbrain");
  EXPECT_EQ(purge.exit_code, 0) << purge.output;
  EXPECT_FALSE(fs::exists("/usr/bin/exitbrain"));
  EXPECT_TRUE(fs::exists("/var/lib/exitbrain")) << "purge keeps the state journal";
  fs::remove_all("/var/lib/exitbrain");
}

}  // namespace
}  // namespace exitbrain
