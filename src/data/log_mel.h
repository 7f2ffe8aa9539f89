// Log-mel spectrograms computed with LibTorch's STFT (header kept free of LibTorch).
#pragma once

#include <cstdint>
#include <vector>

#include "io/task_dataset.h"

namespace sm4 {

struct LogMelSettings {
    int sample_rate = 22050;
    int n_fft = 1024;        // Hann window of n_fft samples
    int hop = 512;
    int n_mels = 32;
    int frames = 32;
    double f_min = 50.0;     // Hz
    double f_max = 8000.0;   // Hz

    // Samples one spectrogram covers: n_fft + (frames - 1) * hop.
    std::int64_t window_samples() const { return n_fft + static_cast<std::int64_t>(frames - 1) * hop; }
};

// HTK-style triangular mel filters, [n_mels, n_fft / 2 + 1] row-major.
std::vector<float> mel_filterbank(const LogMelSettings& settings);

// waveforms: `count` clips of window_samples() samples each, back to back.
// Returns natural-log mel power, [count, 1, n_mels, frames].
FloatArray log_mel_spectrograms(const std::vector<float>& waveforms, std::int64_t count,
                                const LogMelSettings& settings);

}  // namespace sm4
