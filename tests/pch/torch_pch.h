// The test target shares the library's precompiled LibTorch headers.
#include "../../src/pch/torch_pch.h"
