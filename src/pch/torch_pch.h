// Precompiled for the LibTorch side of the library (sm4_ml): the ATen and torch headers its
// files use, compiled once instead of once per file.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>
