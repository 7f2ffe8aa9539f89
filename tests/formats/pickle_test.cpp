// Pickles as Python 3 (protocols 0-5, numpy 1.24) and Python 2 write them, read into a value
// tree without running anything; forbidden content is refused naming the file and byte offset.
#include <catch.hpp>

#include <cstdint>
#include <limits>

#include "core/errors.h"
#include "formats/pickle_reader.h"
#include "format_fixtures.h"

using namespace sm4;
using sm4::test::format_fixture;
using Catch::Matchers::Contains;

namespace {

std::vector<double> floats(const PickleValue& value) { return value.as_array().to_float64(); }
std::vector<std::int64_t> ints(const PickleValue& value) { return value.as_array().to_int64(); }

// Everything in tests/fixtures/make_format_fixtures.py's pickle_tree().
void check_tree(const PickleValue& tree) {
    CHECK(tree.keys() == std::vector<std::string>{"train", "meta", "fortran", "big_endian", "bools", "half", "u8",
                                                  "slice", "scalar", "int_scalar", "empty", "ordered", "shared"});
    const PickleValue train = tree.at("train");
    const NumpyArray& vision = train.at("vision").as_array();
    CHECK(vision.shape == std::vector<std::int64_t>{2, 3, 4});
    CHECK(vision.type == NumpyType::Float32);
    const auto v = vision.to_float32();
    for (std::size_t i = 0; i < v.size(); ++i) CHECK(v[i] == static_cast<float>(i) * 0.25f - 3.0f);
    CHECK(train.at("labels").as_array().shape == std::vector<std::int64_t>{2, 1, 1});
    CHECK(floats(train.at("labels")) == std::vector<double>{0.5, -1.5});
    CHECK(ints(train.at("id")) == std::vector<std::int64_t>{0, 1, 2});

    const PickleValue meta = tree.at("meta");
    REQUIRE(meta.size() == 12);
    CHECK(meta.at(std::size_t{0}).is_none());
    CHECK(meta.at(1).as_bool());
    CHECK_FALSE(meta.at(2).as_bool());
    CHECK(meta.at(3).as_int() == 7);
    CHECK(meta.at(4).as_int() == -300);
    CHECK(meta.at(5).as_int() == (std::int64_t{1} << 40));
    CHECK(meta.at(6).as_int() == std::numeric_limits<std::int64_t>::min());
    CHECK(meta.at(7).as_float() == 1.5);
    CHECK(meta.at(8).as_str() == "h\xc3\xa9llo \xe2\x82\xac");
    CHECK(meta.at(9).as_bytes() == std::vector<std::uint8_t>{0x00, 0xff, 0x10});
    const PickleValue tuple = meta.at(10);
    CHECK(tuple.kind() == PickleKind::Tuple);
    CHECK(tuple.repr() == "(1, 'a', (2.5,))");
    CHECK(tuple.as_list()[2].as_list()[0].as_float() == 2.5);
    const PickleValue mixed_keys = meta.at(11);
    CHECK(mixed_keys.keys() == std::vector<std::string>{"1", "(1, 2)"});
    CHECK(mixed_keys.items()[1].first.as_list()[1].as_int() == 2);
    CHECK(mixed_keys.items()[1].second.as_str() == "pair");

    const NumpyArray& fortran = tree.at("fortran").as_array();
    CHECK(fortran.type == NumpyType::Int16);
    CHECK(fortran.shape == std::vector<std::int64_t>{2, 3});
    CHECK(fortran.to_int64() == std::vector<std::int64_t>{-3, -2, -1, 0, 1, 2});
    CHECK(floats(tree.at("big_endian")) == std::vector<double>{0, 1, 2, 3, 4, 5});
    CHECK(tree.at("bools").as_array().type == NumpyType::Bool);
    CHECK(ints(tree.at("bools")) == std::vector<std::int64_t>{1, 0, 1});
    CHECK(tree.at("half").as_array().to_float32() == std::vector<float>{0.5f, -2.0f, 65504.0f});
    CHECK(floats(tree.at("u8")) == std::vector<double>{0.0, 18446744073709551615.0});
    CHECK(ints(tree.at("slice")) == std::vector<std::int64_t>{0, 2, 4, 6, 8, 10});
    CHECK(tree.at("slice").as_array().shape == std::vector<std::int64_t>{3, 2});
    CHECK(tree.at("scalar").as_array().shape.empty());
    CHECK(floats(tree.at("scalar")) == std::vector<double>{2.5});
    CHECK(ints(tree.at("int_scalar")) == std::vector<std::int64_t>{-4});
    CHECK(tree.at("empty").as_array().shape == std::vector<std::int64_t>{0, 3});
    CHECK(tree.at("ordered").keys() == std::vector<std::string>{"b", "a"});
    CHECK(tree.at("ordered").at("a").as_int() == 2);
    const PickleValue shared = tree.at("shared");
    CHECK(shared.at(std::size_t{0}).size() == 2);
    CHECK(shared.at(1).at(1).as_int() == 2);
}

PickleValue read_fixture(const std::string& name) { return read_pickle_file(format_fixture(name)); }

PickleValue read_bytes(const std::string& bytes) {
    MemorySource source(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    return read_pickle(source, "memory.pkl");
}

}  // namespace

TEST_CASE("pickle: protocols 0 to 5 (and numpy 2 names) give the same tree", "[formats]") {
    for (int protocol = 0; protocol <= 5; ++protocol) {
        INFO("protocol " << protocol);
        check_tree(read_fixture("tree_p" + std::to_string(protocol) + ".pkl"));
    }
    INFO("numpy 2 module names");
    check_tree(read_fixture("tree_p2_numpy2.pkl"));
}

TEST_CASE("pickle: Python 2 pickles with Latin-1 strings as raw array data", "[formats]") {
    for (const char* name : {"py2_p2.pkl", "py2_p0.pkl"}) {
        INFO(name);
        const PickleValue tree = read_fixture(name);
        const NumpyArray& train = tree.at("train").as_array();
        CHECK(train.shape == std::vector<std::int64_t>{2, 3});
        CHECK(train.to_float32() == std::vector<float>{-10, -6, -2, 2, 6, 10});
    }
    CHECK(read_fixture("py2_p2.pkl").at("n").as_int() == 3);
}

TEST_CASE("pickle: accessor errors name the file and the key path", "[formats]") {
    const PickleValue tree = read_fixture("tree_p4.pkl");
    CHECK_THROWS_AS(tree.at("train").at("vision").as_list(), DataError);
    CHECK_THROWS_WITH(tree.at("train").at("vision").as_list(),
                      Contains("tree_p4.pkl: train/vision: expected a list or tuple, found a numpy array"));
    CHECK_THROWS_WITH(tree.at("meta").as_array(), Contains("tree_p4.pkl: meta: expected a numpy array, found a list"));
    CHECK_THROWS_WITH(tree.at("meta").at(3).as_str(), Contains("tree_p4.pkl: meta/3: expected a str, found an int"));
    CHECK_THROWS_WITH(tree.at("trian"), Contains("tree_p4.pkl: no key 'trian' (keys: train, meta,") &&
                                            Contains("did you mean 'train'"));
    CHECK_THROWS_WITH(tree.at("meta").at(12), Contains("tree_p4.pkl: meta: index 12 out of range (list has 12 items)"));
    CHECK_THROWS_WITH(tree.at("u8").as_array().to_int64(),
                      Contains("tree_p4.pkl: u8: element 1 is 18446744073709551615, beyond the int64 range"));
}

TEST_CASE("pickle: forbidden globals and opcodes are refused, never run", "[formats]") {
    const auto refused = [](const std::string& name) { return [name] { read_fixture(name); }; };
    CHECK_THROWS_AS(refused("forbidden_global.pkl")(), DataError);
    CHECK_THROWS_WITH(refused("forbidden_global.pkl")(),
                      Contains("forbidden_global.pkl: byte 0: refused global os.system"));
    CHECK_THROWS_WITH(refused("forbidden_eval_p4.pkl")(),
                      Contains("forbidden_eval_p4.pkl: byte 20: refused global builtins.eval"));
    CHECK_THROWS_WITH(refused("unknown_opcode.pkl")(),
                      Contains("unknown_opcode.pkl: byte 2: refused unknown opcode 0xff"));
    CHECK_THROWS_WITH(refused("persistent_id.pkl")(),
                      Contains("persistent_id.pkl: byte 2: refused opcode 0x50 PERSID"));
    CHECK_THROWS_WITH(refused("set.pkl")(), Contains("set.pkl: byte") && Contains("EMPTY_SET"));
    CHECK_THROWS_WITH(refused("structured_array.pkl")(),
                      Contains("structured_array.pkl: byte") && Contains("structured or subarray dtype"));
    CHECK_THROWS_WITH(refused("truncated.pkl")(), Contains("truncated.pkl: byte") && Contains("truncated pickle"));
    CHECK_THROWS_AS(refused("no_such_file.pkl")(), IoError);
}

TEST_CASE("pickle: malformed streams are refused, not crashed on", "[formats]") {
    CHECK(read_bytes("\x80\x02K\x05.").as_int() == 5);
    CHECK_THROWS_WITH(read_bytes("\x80\x02" "a."), Contains("memory.pkl: byte 2: APPEND on an empty stack"));
    CHECK_THROWS_WITH(read_bytes("\x80\x02" "e."), Contains("memory.pkl: byte 2: APPENDS without a MARK"));
    CHECK_THROWS_WITH(read_bytes("\x80\x02h\x07."), Contains("memory.pkl: byte 2: BINGET of memo key 7"));
    CHECK_THROWS_WITH(read_bytes("\x80\x02}](K\x01u."),
                      Contains("memory.pkl: byte 7: SETITEMS on list of length 0 (only dicts)"));
    CHECK_THROWS_WITH(read_bytes("\x80\x02}(]K\x01u."), Contains("unhashable dict key (list of length 0)"));
    CHECK_THROWS_WITH(read_bytes(std::string("\x80\x02\x8b\x00\x00\x01\x00", 7)),
                      Contains("memory.pkl: byte 7: file ends inside LONG4 (truncated pickle)"));
    const std::string encode = "\x80\x02" "c_codecs\nencode\n";
    const std::string latin1 = std::string("X\x06\x00\x00\x00", 5) + "latin1\x86R.";
    CHECK(read_bytes(encode + std::string("X\x03\x00\x00\x00", 5) + "a\xc3\xbf" + latin1).as_bytes() ==
          std::vector<std::uint8_t>{'a', 0xff});
    CHECK_THROWS_WITH(read_bytes(encode + std::string("X\x03\x00\x00\x00", 5) + "\xe2\x82\xac" + latin1),
                      Contains("memory.pkl: byte 38: a str holding raw data has characters above U+00FF"));
    CHECK_THROWS_WITH(read_bytes(std::string("\x80\x02\x8a\x09", 4) + std::string(9, '\x7f') + "."),
                      Contains("wider than 64 bits"));
}

TEST_CASE("pickle: string arrays are read past and kept opaque beside numeric ones", "[formats]") {
    for (const char* name : {"string_arrays_p2.pkl", "string_arrays_p4.pkl", "string_arrays_p5.pkl"}) {
        INFO(name);
        const PickleValue tree = read_fixture(name);
        CHECK(tree.keys() == std::vector<std::string>{"features", "id", "id_be", "tags", "word", "after"});
        CHECK(floats(tree.at("features")) == std::vector<double>{0, 0.5, 1, 1.5, 2, 2.5});
        CHECK(tree.at("after").as_int() == 7);  // everything after the string data was read in step

        const PickleValue id = tree.at("id");
        CHECK(id.kind() == PickleKind::StrArray);
        CHECK(id.type_name() == "numpy array of str");
        CHECK(id.is_array());
        CHECK(id.array_dtype() == "<U11");
        CHECK(id.array_shape() == std::vector<std::int64_t>{2, 3});
        CHECK_THROWS_AS(id.as_array(), DataError);
        CHECK_THROWS_WITH(id.as_array(), Contains(std::string(name) + ": id: a numpy array of dtype <U11 is not numeric"));
        CHECK_THROWS_WITH(id.as_list(), Contains("id: expected a list or tuple, found a numpy array of str"));

        CHECK(tree.at("id_be").array_dtype() == ">U3");
        CHECK(tree.at("id_be").array_shape() == std::vector<std::int64_t>{2});
        const PickleValue tags = tree.at("tags");
        CHECK(tags.kind() == PickleKind::BytesArray);
        CHECK(tags.array_dtype() == "|S5");
        CHECK(tags.array_shape() == std::vector<std::int64_t>{3});
        CHECK_THROWS_WITH(tags.as_array(), Contains(std::string(name) + ": tags: a numpy array of dtype |S5 is not numeric"));
        CHECK(tree.at("word").array_dtype() == "<U2");
        CHECK(tree.at("word").array_shape().empty());
        CHECK(tree.at("features").array_dtype() == "float32");
    }
}

TEST_CASE("pickle: object arrays of safe values are kept opaque", "[formats]") {
    for (const char* name : {"object_arrays_p2.pkl", "object_arrays_p4.pkl"}) {
        INFO(name);
        const PickleValue tree = read_fixture(name);
        const PickleValue things = tree.at("things");
        CHECK(things.kind() == PickleKind::ObjectArray);
        CHECK(things.array_dtype() == "object");
        CHECK(things.array_shape() == std::vector<std::int64_t>{2, 2});
        CHECK_THROWS_WITH(things.as_array(),
                          Contains(std::string(name) + ": things: a numpy array of dtype object (shape [2, 2])") &&
                              Contains("object arrays are not supported"));
        CHECK(tree.at("ragged").array_shape() == std::vector<std::int64_t>{2});  // of numpy arrays
        CHECK_THROWS_WITH(tree.at("ragged").as_array(), Contains("ragged:") && Contains("object arrays are not supported"));
        CHECK(ints(tree.at("numbers")) == std::vector<std::int64_t>{0, 1, 2});
    }
    // A bare object array: the error names the file.
    CHECK_THROWS_WITH(read_fixture("object_array.pkl").as_array(),
                      Contains("object_array.pkl: a numpy array of dtype object (shape [3])"));
}

TEST_CASE("pickle: a forbidden global inside an object array still refuses the file", "[formats]") {
    CHECK_THROWS_AS(read_fixture("object_array_forbidden.pkl"), DataError);
    CHECK_THROWS_WITH(read_fixture("object_array_forbidden.pkl"),
                      Contains("object_array_forbidden.pkl: byte") && Contains("refused global builtins.eval"));
}

TEST_CASE("pickle: malformed string and object array states are refused", "[formats]") {
    // numpy.core.multiarray.scalar(dtype(type), data): a '<U2' with its 8 bytes, then with one
    // byte short, an object dtype whose data is bytes instead of a list, a complex dtype.
    const std::string scalar = "\x80\x02" "cnumpy.core.multiarray\nscalar\ncnumpy\ndtype\n";
    const std::string dtype_state = std::string("(K\x03X\x01\x00\x00\x00", 8);
    const auto dtype = [&](const std::string& type, char order) {
        return std::string("X") + std::string(1, static_cast<char>(type.size())) + std::string(3, '\0') + type +
               "\x89\x88\x87R" + dtype_state + order + "NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x3ftb";
    };
    const std::string seven = std::string("C\x07", 2) + std::string(7, 'a');
    CHECK(read_bytes(scalar + dtype("U2", '<') + std::string("C\x08", 2) + std::string(8, 'a') + "\x86R.")
              .array_dtype() == "<U2");
    CHECK_THROWS_WITH(read_bytes(scalar + dtype("U2", '<') + seven + "\x86R."),
                      Contains("memory.pkl: byte") && Contains("data holds 7 bytes but shape [] of <U2 needs 8 bytes"));
    CHECK_THROWS_WITH(read_bytes(scalar + dtype("O8", '|') + seven + "\x86R."),
                      Contains("object array data must be a list of objects"));
    CHECK_THROWS_WITH(read_bytes(scalar + dtype("c16", '<') + seven + "\x86R."), Contains("unsupported dtype '<c16'"));
}
