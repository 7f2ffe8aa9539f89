// The one typed configuration tree of sm4. Defaults live here, in the structs; the table of
// keys (names, descriptions, range checks) lives in config_schema.cpp; loading and printing in
// config_loader.cpp. Nothing else parses configuration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sm4 {

struct DataConfig {
    std::string root = "datasets";  // folder holding one <task>.h5 per task
    std::vector<std::string> tasks = {"fashion-mnist", "digits-av", "breast-cancer", "wine"};
    std::int64_t seed = 0;          // seed of every split and synthesis made by `preprocess`
    double val_fraction = 0.1;      // share of the training data held out for validation
    double test_fraction = 0.2;     // share held out for test when a source has no test split
};

struct DigitsAvConfig {
    std::vector<std::string> voices = {"en", "en-us", "en-gb-scotland", "en-gb-x-rp",
                                       "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029"};
    std::vector<std::string> variants = {"m1", "m2", "m3", "m4", "m5", "m6", "m7",
                                         "f1", "f2", "f3", "f4", "f5"};
    std::int64_t rate_min = 130;    // words per minute
    std::int64_t rate_max = 220;
    std::int64_t pitch_min = 20;    // espeak-ng pitch, 0..99
    std::int64_t pitch_max = 80;
    double snr_min_db = 5.0;        // additive white noise, signal-to-noise ratio in dB
    double snr_max_db = 25.0;
    std::int64_t n_mels = 32;       // spectrogram height
    std::int64_t frames = 32;       // spectrogram width (one frame per hop of 512 samples)
};

struct PreprocessConfig {
    DigitsAvConfig digits_av;
};

struct Config {
    DataConfig data;
    PreprocessConfig preprocess;
};

}  // namespace sm4
