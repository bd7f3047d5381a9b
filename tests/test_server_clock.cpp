#include <gtest/gtest.h>

#include "net/server_clock.hpp"

namespace exitbrain {
namespace {

constexpr TimeMs kT0 = 1'771'000'000'000;

TEST(ServerClock, UnsyncedUntilTheFirstSample) {
  ServerClock clock;
  EXPECT_FALSE(clock.synced());
  EXPECT_TRUE(clock.needs_resync(kT0));
  EXPECT_EQ(clock.offset_ms(), 0);
  EXPECT_EQ(clock.server_now(kT0), kT0);
}

TEST(ServerClock, OffsetIsServerTimeMinusTheMidpoint) {
  ServerClock clock;
  // Sent at T0, received 40 ms later; the server read 1499827319559 (§2.12's example).
  ASSERT_TRUE(clock.add_sample(kT0, 1499827319559, kT0 + 40));
  EXPECT_TRUE(clock.synced());
  EXPECT_EQ(clock.offset_ms(), 1499827319559 - (kT0 + 20));
  EXPECT_EQ(clock.round_trip_ms(), 40);
  EXPECT_EQ(clock.uncertainty_ms(), 20);
  EXPECT_EQ(clock.server_now(kT0 + 1000), 1499827319559 + 980);
  EXPECT_FALSE(clock.needs_resync(kT0 + 41));

  // Server 250 ms ahead of the local clock.
  ServerClock ahead;
  ASSERT_TRUE(ahead.add_sample(kT0, kT0 + 10 + 250, kT0 + 20));
  EXPECT_EQ(ahead.offset_ms(), 250);
  EXPECT_EQ(ahead.server_now(kT0 + 5000), kT0 + 5250);
}

TEST(ServerClock, KeepsTheSampleWithTheSmallestRoundTrip) {
  ServerClock clock;
  ASSERT_TRUE(clock.add_sample(kT0, kT0 + 100 + 50, kT0 + 100));  // rtt 100, offset 100
  EXPECT_EQ(clock.offset_ms(), 100);
  ASSERT_TRUE(clock.add_sample(kT0 + 1000, kT0 + 1000 + 5 + 90, kT0 + 1010));  // rtt 10, offset 90
  EXPECT_EQ(clock.offset_ms(), 90);
  EXPECT_EQ(clock.round_trip_ms(), 10);
  // A slower later sample does not displace it.
  ASSERT_TRUE(clock.add_sample(kT0 + 2000, kT0 + 2000 + 150 + 300, kT0 + 2300));  // rtt 300
  EXPECT_EQ(clock.offset_ms(), 90);
  EXPECT_EQ(clock.round_trip_ms(), 10);
  // An equally fast, newer sample does.
  ASSERT_TRUE(clock.add_sample(kT0 + 3000, kT0 + 3000 + 5 + 95, kT0 + 3010));
  EXPECT_EQ(clock.offset_ms(), 95);
  EXPECT_EQ(clock.sample_count(), 4u);
}

TEST(ServerClock, OnlyRecentSamplesCount) {
  ServerClockOptions options;
  options.window = 3;
  ServerClock clock(options);
  ASSERT_TRUE(clock.add_sample(kT0, kT0 + 1 + 7, kT0 + 2));  // rtt 2, offset 7
  for (int i = 1; i <= 2; ++i) {
    const TimeMs sent = kT0 + i * 1000;
    ASSERT_TRUE(clock.add_sample(sent, sent + 25 + 40, sent + 50));  // rtt 50, offset 40
    EXPECT_EQ(clock.offset_ms(), 7) << "the fast sample is still among the last 3";
  }
  const TimeMs sent = kT0 + 3000;
  ASSERT_TRUE(clock.add_sample(sent, sent + 30 + 40, sent + 60));  // pushes the fast one out
  EXPECT_EQ(clock.offset_ms(), 40);
  EXPECT_EQ(clock.round_trip_ms(), 50);
  EXPECT_EQ(clock.sample_count(), 3u);

  // Age limit: a precise sample older than max_sample_age_ms stops counting.
  ServerClockOptions aged;
  aged.max_sample_age_ms = 60'000;
  ServerClock clock2(aged);
  ASSERT_TRUE(clock2.add_sample(kT0, kT0 + 1 + 7, kT0 + 2));
  ASSERT_TRUE(clock2.add_sample(kT0 + 30'000, kT0 + 30'000 + 25 + 40, kT0 + 30'050));
  EXPECT_EQ(clock2.offset_ms(), 7);
  ASSERT_TRUE(clock2.add_sample(kT0 + 70'000, kT0 + 70'000 + 30 + 41, kT0 + 70'060));  // rtt 60
  EXPECT_EQ(clock2.offset_ms(), 40) << "the 2 ms sample is now 70 s old";
}

TEST(ServerClock, RefusesImpossibleSamples) {
  ServerClock clock;
  EXPECT_FALSE(clock.add_sample(kT0 + 10, kT0, kT0));      // received before sent
  EXPECT_FALSE(clock.add_sample(kT0, kT0, kT0 + 10'001));  // too slow
  EXPECT_FALSE(clock.add_sample(kT0, 0, kT0 + 10));        // no server time
  EXPECT_FALSE(clock.synced());
  EXPECT_EQ(clock.samples_refused(), 3u);
  EXPECT_TRUE(clock.add_sample(kT0, kT0, kT0));  // a 0 ms round trip is fine
  EXPECT_EQ(clock.offset_ms(), 0);
}

TEST(ServerClock, ResyncAfterTheIntervalOrATimestampRejection) {
  ServerClockOptions options;
  options.resync_interval_ms = 5 * 60'000;
  ServerClock clock(options);
  ASSERT_TRUE(clock.add_sample(kT0, kT0 + 5 + 100, kT0 + 10));  // rtt 10, offset 100
  EXPECT_FALSE(clock.needs_resync(kT0 + 10 + 5 * 60'000 - 1));
  EXPECT_TRUE(clock.needs_resync(kT0 + 10 + 5 * 60'000));

  // -1021: resync now, and the next sample replaces the old ones even if it is slower.
  clock.on_timestamp_rejected();
  EXPECT_EQ(clock.timestamp_rejections(), 1u);
  EXPECT_TRUE(clock.needs_resync(kT0 + 20));
  EXPECT_EQ(clock.offset_ms(), 100) << "the old offset serves until a new sample";
  ASSERT_TRUE(clock.add_sample(kT0 + 1000, kT0 + 1000 + 100 + 1500, kT0 + 1200));  // rtt 200
  EXPECT_EQ(clock.offset_ms(), 1500);
  EXPECT_EQ(clock.round_trip_ms(), 200);
  EXPECT_EQ(clock.sample_count(), 1u);
  EXPECT_FALSE(clock.needs_resync(kT0 + 1300));
}

}  // namespace
}  // namespace exitbrain
