#include <catch.hpp>

#include "io/trace_file.h"
#include "../support/h5py.h"
#include "../support/run_command.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::TempDir;
using sm4::test::h5py;
using Catch::Matchers::Contains;

namespace {

TraceWriter make_writer(const std::filesystem::path& path, std::optional<std::int64_t> resume = std::nullopt) {
    return TraceWriter(path, {{"routing/entropy", {2, 3}}, {"loss/wine", {}}},
                       {{"layers", {"block0", "block1"}}, {"modalities", {"a", "b", "c"}}}, resume);
}

}  // namespace

TEST_CASE("trace: rows appended and flushed are what h5py reads, with axis names", "[trace]") {
    TempDir dir;
    const auto path = dir / "trace.h5";
    TraceWriter trace = make_writer(path);
    for (int step = 10; step <= 30; step += 10)
        trace.append(step, {{0.f, 1.f, 2.f, 3.f, 4.f, static_cast<float>(step)}, {step / 100.0f}});
    trace.flush();
    CHECK(trace.rows_written() == 3);
    CHECK(h5py(path, "f['routing/entropy'].shape, f['loss/wine'].shape, f['step'][()].tolist()") ==
          "(3, 2, 3) (3,) [10, 20, 30]\n");
    CHECK(h5py(path, "f['routing/entropy'][2, 1, 2], list(f.attrs['modalities'])") == "30.0 ['a', 'b', 'c']\n");
}

TEST_CASE("trace: a file survives between flushes and resuming drops rows after the checkpoint", "[trace]") {
    TempDir dir;
    const auto path = dir / "trace.h5";
    {
        TraceWriter trace = make_writer(path);
        for (int step = 1; step <= 5; ++step) trace.append(step, {std::vector<float>(6, step * 1.0f), {1.0f}});
        trace.flush();
        trace.append(6, {std::vector<float>(6, 6.0f), {1.0f}});  // never flushed: as if killed here
    }
    CHECK(h5py(path, "f['step'][()].tolist()") == "[1, 2, 3, 4, 5]\n");
    TraceWriter resumed = make_writer(path, 3);
    CHECK(resumed.rows_written() == 3);
    resumed.append(4, {std::vector<float>(6, 40.0f), {2.0f}});
    resumed.flush();
    CHECK(h5py(path, "f['step'][()].tolist(), f['routing/entropy'][3, 0, 0]") == "[1, 2, 3, 4] 40.0\n");
}

TEST_CASE("trace: a row of the wrong size is refused", "[trace]") {
    TempDir dir;
    TraceWriter trace = make_writer(dir / "trace.h5");
    CHECK_THROWS_WITH(trace.append(1, {{1.0f}, {1.0f}}), Contains("series routing/entropy needs 6 values per row, got 1"));
}
