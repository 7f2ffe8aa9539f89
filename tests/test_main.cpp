// The Catch2 runner, compiled once (catch.hpp's implementation is slow to compile).
#define CATCH_CONFIG_MAIN
#include <catch.hpp>
