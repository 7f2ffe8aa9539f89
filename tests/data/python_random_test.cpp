// Python's random.seed + random.shuffle reproduced natively: the numbers below were printed by
// Debian's /usr/bin/python3 (3.11), e.g.
//   python3 -c 'import random; random.seed(10); l=list(range(20)); random.shuffle(l); print(l)'
#include <catch.hpp>

#include "data/python_random.h"

using namespace sm4;

TEST_CASE("python random: seed 10 shuffles 20 indices as Python does (MultiBench's MIMIC split)", "[multibench]") {
    CHECK(python_shuffled_range(20, 10) ==
          std::vector<std::int64_t>{14, 11, 5, 6, 19, 8, 9, 12, 16, 2, 10, 4, 17, 7, 3, 0, 15, 13, 1, 18});
    CHECK(python_shuffled_range(5, 0) == std::vector<std::int64_t>{2, 1, 0, 4, 3});
}

TEST_CASE("python random: long shuffles, seeds above 32 bits and getrandbits match Python", "[multibench]") {
    // MIMIC's im.pk holds 36,212 admissions.
    const auto order = python_shuffled_range(36212, 10);
    CHECK(std::vector<std::int64_t>(order.begin(), order.begin() + 8) ==
          std::vector<std::int64_t>{34531, 22719, 17856, 20472, 22770, 35283, 32239, 19320});
    CHECK(std::vector<std::int64_t>(order.end() - 4, order.end()) == std::vector<std::int64_t>{972, 31625, 28107, 2135});

    const auto wide = python_shuffled_range(100, (std::uint64_t{1} << 40) + 3);
    CHECK(std::vector<std::int64_t>(wide.begin(), wide.begin() + 10) ==
          std::vector<std::int64_t>{84, 36, 40, 66, 45, 14, 55, 94, 78, 37});

    PythonRandom a(10);  // random.seed(10); [random.getrandbits(32) for _ in range(3)]
    CHECK(a.getrandbits(32) == 2454155475u);
    CHECK(a.getrandbits(32) == 139951793u);
    CHECK(a.getrandbits(32) == 1842064464u);
    PythonRandom b(10);  // random.getrandbits(40), (64), (7) after random.seed(10)
    CHECK(b.getrandbits(40) == 36813893843u);
    CHECK(b.getrandbits(64) == 8901691684149767248u);
    CHECK(b.getrandbits(7) == 73u);
}
