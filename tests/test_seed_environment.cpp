// The seeds' environment variables (field reports 001-003) map to settings, or are accepted
// with a reason; a conflict with the file or between two variables names both.
#include <gtest/gtest.h>

#include <map>

#include "tools/common/input_error.hpp"
#include "tools/settings/seed_environment.hpp"

namespace exitbrain {
namespace {

struct Env {
  std::map<std::string, std::string> vars;
  EnvLookup lookup() const {
    return [this](const char* n) -> const char* {
      const auto it = vars.find(n);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

std::string error_of(Config& c, const Env& e) {
  try {
    (void)apply_seed_environment(c, "cfg.toml", e.lookup());
  } catch (const InputError& err) {
    return err.what();
  }
  return "(no error)";
}

TEST(SeedEnvironment, TheSeedsDeploymentStartsAsItDidAndSaysWhatNoLongerApplies) {
  // Seed 001's and 002's environment, word for word.
  Env e{{{"EXIT_MODE", "EXIT_BRAIN_V3"},
         {"EXIT_BRAIN_V3_ENABLED", "true"},
         {"EXIT_BRAIN_V3_LIVE_ROLLOUT", "ENABLED"},
         {"EXIT_EXECUTOR_MODE", "LIVE"},
         {"EXIT_BRAIN_PROFILE", "CHALLENGE_100"},
         {"EXIT_BRAIN_CHECK_INTERVAL_SEC", "10"},
         {"CROSS_EXCHANGE_ENABLED", "true"}}};
  Config c = load_config_text("[redis]\n", "cfg.toml");
  const auto notes = apply_seed_environment(c, "cfg.toml", e.lookup());
  EXPECT_EQ(c.live.run.mode, RunMode::kLive);
  EXPECT_EQ(c.default_profile, "CHALLENGE_100");
  EXPECT_TRUE(c.redis->cross_exchange);
  std::string all;
  for (const auto& n : notes) all += n + "\n";
  EXPECT_NE(all.find("EXIT_BRAIN_CHECK_INTERVAL_SEC=10 no longer applies: there is no polling"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("EXIT_MODE=EXIT_BRAIN_V3: accepted"), std::string::npos) << all;
}

TEST(SeedEnvironment, EachVariableMapsToItsSetting) {
  Config c = load_config_text("[redis]\n", "cfg.toml");
  ASSERT_EQ(error_of(c, Env{{{"EXIT_EXECUTOR_MODE", "shadow"}}}), "(no error)");
  EXPECT_EQ(c.live.run.mode, RunMode::kShadow) << "values are case-insensitive";
  Config d = load_config_text("[redis]\n", "cfg.toml");
  ASSERT_EQ(error_of(d, Env{{{"EXIT_BRAIN_V3_LIVE_ROLLOUT", "DISABLED"},
                             {"CROSS_EXCHANGE_ENABLED", "false"},
                             {"EXIT_BRAIN_PROFILE", "TRENDING"}}}),
            "(no error)");
  EXPECT_EQ(d.live.run.mode, RunMode::kShadow);
  EXPECT_FALSE(d.redis->cross_exchange);
  EXPECT_EQ(d.default_profile, "TRENDING");
  Config none = load_config_text("", "cfg.toml");
  const auto notes =
      apply_seed_environment(none, "cfg.toml", Env{{{"CROSS_EXCHANGE_ENABLED", "true"}}}.lookup());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("ignored, the config has no [redis] table"), std::string::npos);
  Config quiet = load_config_text("", "cfg.toml");
  EXPECT_TRUE(apply_seed_environment(quiet, "cfg.toml", Env{}.lookup()).empty());
  EXPECT_EQ(quiet.live.run.mode, RunMode::kLive) << "live unless told";
}

TEST(SeedEnvironment, AConflictNamesBothAndABadValueNamesTheVariable) {
  Config c = load_config_text("[run]\nmode = \"shadow\"\n", "cfg.toml");
  EXPECT_EQ(error_of(c, Env{{{"EXIT_EXECUTOR_MODE", "LIVE"}}}),
            "environment: EXIT_EXECUTOR_MODE=LIVE (mode live) conflicts with cfg.toml: [run] mode "
            "(mode shadow)");
  EXPECT_EQ(c.live.run.mode, RunMode::kShadow) << "nothing applied";
  Config agree = load_config_text("[run]\nmode = \"shadow\"\n", "cfg.toml");
  EXPECT_EQ(error_of(agree, Env{{{"EXIT_EXECUTOR_MODE", "SHADOW"}}}), "(no error)");
  Config two = load_config_text("", "cfg.toml");
  EXPECT_EQ(error_of(two, Env{{{"EXIT_EXECUTOR_MODE", "LIVE"},
                               {"EXIT_BRAIN_V3_LIVE_ROLLOUT", "DISABLED"}}}),
            "environment: EXIT_BRAIN_V3_LIVE_ROLLOUT=DISABLED (mode shadow) conflicts with "
            "EXIT_EXECUTOR_MODE=LIVE (mode live)");
  Config p = load_config_text("default_profile = \"RANGE\"\n", "cfg.toml");
  EXPECT_EQ(error_of(p, Env{{{"EXIT_BRAIN_PROFILE", "TRENDING"}}}),
            "environment: EXIT_BRAIN_PROFILE=TRENDING conflicts with cfg.toml: default_profile = "
            "\"RANGE\"");
  Config x = load_config_text("[redis]\ncross_exchange = true\n", "cfg.toml");
  EXPECT_EQ(error_of(x, Env{{{"CROSS_EXCHANGE_ENABLED", "false"}}}),
            "environment: CROSS_EXCHANGE_ENABLED=FALSE conflicts with cfg.toml: [redis] "
            "cross_exchange = true");

  Config b = load_config_text("", "cfg.toml");
  EXPECT_EQ(error_of(b, Env{{{"EXIT_EXECUTOR_MODE", "maybe"}}}),
            "environment: EXIT_EXECUTOR_MODE=MAYBE: must be LIVE or SHADOW (PAPER, DRY_RUN)");
  EXPECT_EQ(error_of(b, Env{{{"EXIT_BRAIN_PROFILE", "NOPE"}}}),
            "environment: EXIT_BRAIN_PROFILE=NOPE: no profile of that name");
  EXPECT_NE(error_of(b, Env{{{"EXIT_MODE", "LEGACY"}}}).find("two exit systems must never run"),
            std::string::npos);
  EXPECT_NE(error_of(b, Env{{{"EXIT_BRAIN_V3_ENABLED", "false"}}}).find("stop the service instead"),
            std::string::npos);
  EXPECT_EQ(error_of(b, Env{{{"CROSS_EXCHANGE_ENABLED", "yes please"}}}),
            "environment: CROSS_EXCHANGE_ENABLED=YES PLEASE: must be true or false");
}

}  // namespace
}  // namespace exitbrain
