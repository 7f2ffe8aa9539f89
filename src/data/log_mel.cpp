#include "data/log_mel.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstring>

namespace sm4 {
namespace {

double hz_to_mel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double mel_to_hz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

}  // namespace

std::vector<float> mel_filterbank(const LogMelSettings& s) {
    const int bins = s.n_fft / 2 + 1;
    std::vector<double> edges(static_cast<std::size_t>(s.n_mels + 2));
    const double lo = hz_to_mel(s.f_min), hi = hz_to_mel(s.f_max);
    for (std::size_t i = 0; i < edges.size(); ++i)
        edges[i] = mel_to_hz(lo + (hi - lo) * static_cast<double>(i) / (s.n_mels + 1));
    std::vector<float> bank(static_cast<std::size_t>(s.n_mels) * bins, 0.0f);
    for (int m = 0; m < s.n_mels; ++m) {
        const double left = edges[m], centre = edges[m + 1], right = edges[m + 2];
        for (int b = 0; b < bins; ++b) {
            const double hz = static_cast<double>(b) * s.sample_rate / s.n_fft;
            double weight = 0.0;
            if (hz > left && hz <= centre) weight = (hz - left) / (centre - left);
            else if (hz > centre && hz < right) weight = (right - hz) / (right - centre);
            bank[static_cast<std::size_t>(m) * bins + b] = static_cast<float>(weight);
        }
    }
    return bank;
}

FloatArray log_mel_spectrograms(const std::vector<float>& waveforms, std::int64_t count, const LogMelSettings& s) {
    const std::int64_t samples = s.window_samples();
    const std::int64_t bins = s.n_fft / 2 + 1;
    std::vector<float> bank_values = mel_filterbank(s);
    const at::Tensor bank = at::from_blob(bank_values.data(), {s.n_mels, bins}, at::kFloat);
    const at::Tensor window = at::hann_window(s.n_fft, at::kFloat);

    FloatArray out;
    out.shape = {count, 1, s.n_mels, s.frames};
    out.values.resize(static_cast<std::size_t>(count * s.n_mels * s.frames));
    constexpr std::int64_t kChunk = 256;  // bounds the memory of the complex spectra
    for (std::int64_t begin = 0; begin < count; begin += kChunk) {
        const std::int64_t n = std::min(kChunk, count - begin);
        const at::Tensor clips =
            at::from_blob(const_cast<float*>(waveforms.data()) + begin * samples, {n, samples}, at::kFloat);
        // center = false: frames = 1 + (samples - n_fft) / hop, exactly s.frames.
        const at::Tensor spectrum = at::stft(clips, s.n_fft, s.hop, s.n_fft, window, /*normalized=*/false,
                                             /*onesided=*/true, /*return_complex=*/true);  // [n, bins, frames]
        const at::Tensor power = at::abs(spectrum).pow(2);
        const at::Tensor mel = at::log(at::matmul(bank, power) + 1e-8).contiguous();  // [n, n_mels, frames]
        std::memcpy(out.values.data() + begin * s.n_mels * s.frames, mel.data_ptr<float>(),
                    static_cast<std::size_t>(mel.numel()) * sizeof(float));
    }
    return out;
}

}  // namespace sm4
