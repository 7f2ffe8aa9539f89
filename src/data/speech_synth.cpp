#include "data/speech_synth.h"

#include <espeak-ng/speak_lib.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.h"

namespace sm4 {
namespace {

std::vector<std::int16_t>* g_buffer = nullptr;

int collect(short* samples, int count, espeak_EVENT*) {
    if (samples && count > 0) g_buffer->insert(g_buffer->end(), samples, samples + count);
    return 0;
}

bool write_all(int fd, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

bool read_all(int fd, void* data, std::size_t size) {
    char* p = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// Child side of the pipe protocol: for each utterance a signed 64-bit sample count followed by
// the samples; a negative count -k means failure, followed by k bytes of message.
void child_main(int fd, const std::vector<Utterance>& utterances) {
    auto fail = [fd](const std::string& message) {
        const std::int64_t code = -static_cast<std::int64_t>(message.size());
        write_all(fd, &code, sizeof code);
        write_all(fd, message.data(), message.size());
        _exit(1);
    };
    if (espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, 0) != kSpeechSampleRate)
        fail("espeak-ng could not start (is the espeak-ng-data package installed?)");
    std::vector<std::int16_t> buffer;
    g_buffer = &buffer;
    espeak_SetSynthCallback(collect);
    for (const auto& u : utterances) {
        if (espeak_SetVoiceByName(u.voice.c_str()) != EE_OK) fail(fmt::format("espeak-ng has no voice '{}'", u.voice));
        espeak_SetParameter(espeakRATE, u.rate, 0);
        espeak_SetParameter(espeakPITCH, u.pitch, 0);
        buffer.clear();
        if (espeak_Synth(u.text.c_str(), u.text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, nullptr) !=
                EE_OK ||
            espeak_Synchronize() != EE_OK)
            fail(fmt::format("espeak-ng failed to say '{}' with voice '{}'", u.text, u.voice));
        const auto count = static_cast<std::int64_t>(buffer.size());
        if (!write_all(fd, &count, sizeof count) || !write_all(fd, buffer.data(), buffer.size() * sizeof(std::int16_t)))
            _exit(1);
    }
    _exit(0);
}

}  // namespace

std::vector<std::vector<std::int16_t>> synthesize(const std::vector<Utterance>& utterances,
                                                  const std::function<void(std::size_t)>& on_done) {
    int fds[2];
    if (pipe(fds) != 0) throw IoError(fmt::format("speech synthesis: cannot create a pipe: {}", std::strerror(errno)));
    const pid_t pid = fork();
    if (pid < 0) throw IoError(fmt::format("speech synthesis: cannot fork: {}", std::strerror(errno)));
    if (pid == 0) {
        close(fds[0]);
        child_main(fds[1], utterances);
    }
    close(fds[1]);
    std::vector<std::vector<std::int16_t>> waveforms;
    std::string failure;
    for (std::size_t k = 0; k < utterances.size(); ++k) {
        std::int64_t count = 0;
        if (!read_all(fds[0], &count, sizeof count)) {
            failure = "espeak-ng stopped unexpectedly";
            break;
        }
        if (count < 0) {
            failure.resize(static_cast<std::size_t>(-count));
            read_all(fds[0], failure.data(), failure.size());
            break;
        }
        std::vector<std::int16_t> samples(static_cast<std::size_t>(count));
        if (!read_all(fds[0], samples.data(), samples.size() * sizeof(std::int16_t))) {
            failure = "espeak-ng stopped unexpectedly";
            break;
        }
        waveforms.push_back(std::move(samples));
        if (on_done) on_done(k);
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!failure.empty()) throw DataError("speech synthesis: " + failure);
    return waveforms;
}

}  // namespace sm4
