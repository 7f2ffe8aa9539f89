// The only callables a pickle may name, and what calling them builds: numpy's array, dtype and
// scalar constructors (numpy 1.x "numpy.core" and 2.x "numpy._core" names), the
// _codecs.encode(str, 'latin1') that protocol 2 writes bytes with, bytes() and OrderedDict().
// Nothing is imported or executed: each is a small native function over pickle nodes.
#pragma once

#include <string>

#include "formats/pickle_node.h"

namespace sm4 {

// A Global node for module.name, or DataError "<where>: refused global module.name (...)".
PickleNodePtr resolve_global(const std::string& module, const std::string& name, const std::string& where);

// REDUCE (callable(*args)) and NEWOBJ (cls.__new__(cls, *args)); `callable` must come from
// resolve_global, `args` is a tuple. Throws DataError prefixed with `where` for bad arguments.
PickleNodePtr call_global(const PickleNode& callable, const PickleNode& args, const std::string& where);

// BUILD: fills a reconstructed array or a dtype from its pickled state. String ('<U11', '|S5')
// and object arrays become opaque nodes (StrArray, BytesArray, ObjectArray). Throws DataError
// prefixed with `where` for other targets, structured, complex or datetime dtypes and malformed
// states.
void build_object(PickleNode& target, const PickleNode& state, const std::string& where);

}  // namespace sm4
