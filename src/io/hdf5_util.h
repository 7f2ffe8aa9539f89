// Thin helpers over the HDF5 C++ API: string and numeric attributes that h5py reads as str and
// numpy scalars, float/int64 datasets with compression, and H5::Exception turned into IoError.
#pragma once

#include <H5Cpp.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sm4::h5 {

// Call once before using HDF5: stops the library printing its own error stack.
void quiet_errors();

void write_attr(H5::H5Object& object, const std::string& name, const std::string& value);
void write_attr(H5::H5Object& object, const std::string& name, std::int64_t value);
void write_attr(H5::H5Object& object, const std::string& name, const std::vector<std::string>& values);

bool has_attr(const H5::H5Object& object, const std::string& name);
std::string read_string_attr(const H5::H5Object& object, const std::string& name);
std::int64_t read_int_attr(const H5::H5Object& object, const std::string& name);
std::vector<std::string> read_strings_attr(const H5::H5Object& object, const std::string& name);

// A group whose members h5py lists in creation order (not alphabetically).
H5::Group create_ordered_group(H5::Group& parent, const std::string& name);

// A float32 or int64 dataset, chunked and deflate-compressed when it has rows.
void write_floats(H5::Group& group, const std::string& name, const std::vector<std::int64_t>& shape,
                  const float* values);
void write_int64s(H5::Group& group, const std::string& name, const std::vector<std::int64_t>& shape,
                  const std::int64_t* values);

std::vector<std::int64_t> dataset_shape(const H5::DataSet& dataset);

// Before a whole dataset is read into memory as elements of `memory_bytes` each: DataError
// "<where>: declares shape [...] (<size>) but ..." when its header claims more than the file
// holds for it (unfiltered: its stored bytes; compressed: its stored chunks at 1100x, above
// deflate's largest ratio) or more than this machine's physical memory. Returns the element count.
std::uint64_t checked_element_count(const H5::DataSet& dataset, std::size_t memory_bytes, const std::string& where);

}  // namespace sm4::h5
