// Spoken words from espeak-ng, synthesised in a child process so that every call starts from the
// same synthesiser state: espeak-ng carries state from one utterance to the next, so in-process
// output would depend on what was said before.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sm4 {

struct Utterance {
    std::string text;
    std::string voice;      // espeak-ng voice name, optionally with "+variant" (e.g. "en-us+f3")
    int rate = 175;         // words per minute
    int pitch = 50;         // 0..99
};

constexpr int kSpeechSampleRate = 22050;  // espeak-ng's output rate

// One waveform (16-bit PCM at kSpeechSampleRate) per utterance, in order. on_done(k) is called
// after each. Throws DataError when espeak-ng cannot start (missing espeak-ng-data) or a voice
// is unknown, naming the voice.
std::vector<std::vector<std::int16_t>> synthesize(const std::vector<Utterance>& utterances,
                                                  const std::function<void(std::size_t)>& on_done = {});

}  // namespace sm4
