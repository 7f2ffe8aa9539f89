#include "platform/process_group.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "core/errors.h"
#include "core/text.h"

#ifdef SM4_WITH_C10D
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef SM4_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace sm4 {

#ifdef SM4_WITH_C10D
namespace {

using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::milliseconds;

Milliseconds to_ms(double seconds) { return Milliseconds(static_cast<std::int64_t>(seconds * 1000.0)); }

// The first line of a c10d message, made printable.
std::string first_line(const std::string& text) {
    return printable(text.substr(0, text.find('\n')));
}

// The local address a socket towards the master would use: the interface Gloo should bind, found
// without a hostname lookup (which fails in many containers).
std::string local_address_towards(const std::string& host, int port) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || found == nullptr)
        throw DistributedError(fmt::format("the master address {} (MASTER_ADDR) does not resolve to an IPv4 address",
                                           printable(host)));
    std::string address = "127.0.0.1";
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0) {
        sockaddr_in local{};
        socklen_t length = sizeof local;
        char text[INET_ADDRSTRLEN] = {};
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0 &&
            inet_ntop(AF_INET, &local.sin_addr, text, sizeof text) != nullptr)
            address = text;
    }
    if (fd >= 0) close(fd);
    freeaddrinfo(found);
    return address;
}

c10::intrusive_ptr<c10d::TCPStore> connect_store(const LaunchEnv& env, bool server, double timeout_s, bool wait_workers) {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(env.master_port);
    options.isServer = server;
    if (server) options.numWorkers = static_cast<std::size_t>(env.world_size);
    options.waitWorkers = wait_workers;
    options.timeout = to_ms(timeout_s);
    return c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
}

}  // namespace

struct ProcessGroup::State {
    LaunchEnv env;
    ProcessGroupOptions options;
    std::string backend;
    c10::intrusive_ptr<c10d::TCPStore> store;
    c10::intrusive_ptr<c10d::ProcessGroup> group;
    std::int64_t sequence = 0;  // numbers the store keys of exchange() and share()
    // sm4's keys in the store, apart from a launcher's (torchrun's agent hosts the store) and
    // from an earlier attempt's (torchrun restarts workers with a new TORCHELASTIC_RESTART_COUNT).
    std::string key_prefix;
    double reduce_seconds = 0.0;
    std::int64_t reduced_bytes = 0, reduce_calls = 0;

    // Every rank bumps its counter in the store once a second from its own connection, so a
    // rank that sees a collective fail can tell which ranks stopped beating.
    std::thread heartbeat;
    std::mutex mutex;
    std::condition_variable stop_signal;
    bool stopping = false;

    void beat() {
        try {
            auto client = connect_store(env, false, 5.0, false);
            const std::string key = key_prefix + fmt::format("alive/{}", env.rank);
            std::unique_lock<std::mutex> lock(mutex);
            while (!stopping) {
                lock.unlock();
                client->add(key, 1);
                lock.lock();
                stop_signal.wait_for(lock, std::chrono::seconds(1), [&] { return stopping; });
            }
        } catch (const std::exception&) {
            // The store is gone (rank 0 ended): nothing left to tell.
        }
    }

    // Which ranks stopped beating, in words, for the error of a failed collective.
    std::string lost_ranks() {
        try {
            auto client = connect_store(env, false, 3.0, false);
            std::vector<std::int64_t> before;
            for (int r = 0; r < env.world_size; ++r) before.push_back(client->add(key_prefix + fmt::format("alive/{}", r), 0));
            std::this_thread::sleep_for(std::chrono::milliseconds(2500));
            std::vector<std::string> lost;
            for (int r = 0; r < env.world_size; ++r)
                if (r != env.rank && client->add(key_prefix + fmt::format("alive/{}", r), 0) == before[static_cast<std::size_t>(r)])
                    lost.push_back(std::to_string(r));
            if (lost.empty()) return "no rank stopped (a rank may be stuck or the network slow)";
            return fmt::format("lost rank{} {}", lost.size() > 1 ? "s" : "", join(lost, ", "));
        } catch (const std::exception&) {
            return fmt::format("lost rank 0 (it hosts the rendezvous store at {}:{}, which no longer answers)",
                               env.master_addr, env.master_port);
        }
    }

    [[noreturn]] void fail(const std::string& what, const std::exception& e) {
        throw DistributedError(fmt::format("rank {} of {}: {} failed: {} (c10d: {})", env.rank, env.world_size, what,
                                           lost_ranks(), first_line(e.what())));
    }

    // Starts a collective and waits for it; DistributedError naming the lost ranks if it fails.
    template <class Start>
    void run(const char* what, Start start) {
        try {
            start()->wait();
        } catch (const std::exception& e) {
            fail(what, e);
        }
    }

    // Runs `collective` on each flat bucket of `tensors` (same dtype and device, at most
    // bucket_mb), copying the results back.
    template <class Collective>
    void bucketed(const std::vector<at::Tensor>& tensors, Collective collective) {
        const auto limit = static_cast<std::int64_t>(options.bucket_mb * 1024.0 * 1024.0);
        std::vector<std::pair<std::string, std::vector<at::Tensor>>> kinds;  // insertion order
        for (const auto& t : tensors) {
            if (!t.defined()) continue;
            const std::string kind = fmt::format("{}/{}", static_cast<int>(t.scalar_type()), t.device().str());
            auto it = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == kind; });
            if (it == kinds.end()) kinds.push_back({kind, {t}});
            else it->second.push_back(t);
        }
        for (auto& [kind, members] : kinds) {
            std::vector<at::Tensor> bucket;
            std::int64_t bytes = 0;
            auto flush = [&] {
                if (bucket.empty()) return;
                std::vector<at::Tensor> flat_parts;
                for (const auto& t : bucket) flat_parts.push_back(t.reshape({-1}));
                at::Tensor flat = bucket.size() == 1 && bucket[0].is_contiguous() ? bucket[0].view({-1}) : at::cat(flat_parts);
                collective(flat);
                if (!(bucket.size() == 1 && bucket[0].is_contiguous())) {
                    std::int64_t offset = 0;
                    for (auto& t : bucket) {
                        t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
                        offset += t.numel();
                    }
                }
                bucket.clear();
                bytes = 0;
            };
            for (const auto& t : members) {
                const std::int64_t size = t.numel() * static_cast<std::int64_t>(t.element_size());
                if (!bucket.empty() && bytes + size > limit) flush();
                bucket.push_back(t);
                bytes += size;
            }
            flush();
        }
    }
};

ProcessGroup::ProcessGroup(const LaunchEnv& env, const at::Device& device, const ProcessGroupOptions& options)
    : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.env = env;
    s.options = options;
    try {
        // LibTorch 1.13's TCPStore does not count clients towards waitWorkers reliably (rank 0 then
        // sat out the whole timeout): the ranks meet in Gloo's full-mesh connect instead.
        // Under torchrun its agent already hosts a store at MASTER_PORT: every rank is a client.
        s.store = connect_store(env, env.rank == 0 && !env.launcher_hosts_store, options.timeout_s, false);
        s.key_prefix = fmt::format("sm4/{}/", env.attempt);
    } catch (const std::exception& e) {
        const bool hosts = env.rank == 0 && !env.launcher_hosts_store;
        throw DistributedError(fmt::format(
            "rank {} of {}: cannot {} the rendezvous store at {}:{} (MASTER_ADDR:MASTER_PORT) within {} s "
            "(train.dist_timeout_s): {}",
            env.rank, env.world_size, hosts ? "host" : "reach", printable(env.master_addr), env.master_port,
            options.timeout_s, first_line(e.what())));
    }
    try {
        const auto group_store = c10::make_intrusive<c10d::PrefixStore>(s.key_prefix + "group", s.store);
        if (device.is_cuda()) {
#ifdef SM4_WITH_NCCL
            auto nccl = c10d::ProcessGroupNCCL::Options::create();
            nccl->timeout = to_ms(options.timeout_s);
            s.group = c10::make_intrusive<c10d::ProcessGroupNCCL>(group_store, env.rank, env.world_size, nccl);
            s.backend = "nccl";
#else
            throw UsageError("train.device = \"cuda\" with several ranks needs a LibTorch with NCCL; this one has none");
#endif
        } else {
            auto gloo = c10d::ProcessGroupGloo::Options::create();
            const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
            if (interface != nullptr && *interface != '\0')
                gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
            else
                gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(
                    local_address_towards(env.master_addr, env.master_port)));
            gloo->timeout = to_ms(options.timeout_s);
            s.group = c10::make_intrusive<c10d::ProcessGroupGloo>(group_store, env.rank, env.world_size, gloo);
            s.backend = "gloo";
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw DistributedError(fmt::format("rank {} of {}: the {} process group did not form within {} s "
                                           "(train.dist_timeout_s; are all {} ranks started, with the same MASTER_ADDR "
                                           "and MASTER_PORT?): {}",
                                           env.rank, env.world_size, device.is_cuda() ? "NCCL" : "Gloo",
                                           options.timeout_s, env.world_size, first_line(e.what())));
    }
    s.heartbeat = std::thread([&s] { s.beat(); });
}

ProcessGroup::~ProcessGroup() {
    {
        std::lock_guard<std::mutex> lock(state_->mutex);
        state_->stopping = true;
    }
    state_->stop_signal.notify_all();
    if (state_->heartbeat.joinable()) state_->heartbeat.join();
}

int ProcessGroup::rank() const { return state_->env.rank; }
int ProcessGroup::world_size() const { return state_->env.world_size; }
const std::string& ProcessGroup::backend() const { return state_->backend; }

void ProcessGroup::all_reduce_sum(const std::vector<at::Tensor>& tensors) {
    const auto start = Clock::now();
    state_->bucketed(tensors, [&](at::Tensor& flat) {
        std::vector<at::Tensor> one{flat};
        state_->run("an all-reduce", [&] { return state_->group->allreduce(one); });
        state_->reduced_bytes += flat.numel() * static_cast<std::int64_t>(flat.element_size());
        ++state_->reduce_calls;
    });
    state_->reduce_seconds += std::chrono::duration<double>(Clock::now() - start).count();
}

void ProcessGroup::broadcast(const std::vector<at::Tensor>& tensors) {
    state_->bucketed(tensors, [&](at::Tensor& flat) {
        std::vector<at::Tensor> one{flat};
        state_->run("a broadcast", [&] { return state_->group->broadcast(one); });
    });
}

std::vector<std::string> ProcessGroup::exchange(const std::string& key, const std::string& value) {
    State& s = *state_;
    const std::string prefix = s.key_prefix + fmt::format("{}/{}/", ++s.sequence, key);
    std::vector<std::string> values;
    try {
        s.store->set(prefix + std::to_string(s.env.rank), std::vector<std::uint8_t>(value.begin(), value.end()));
        for (int r = 0; r < s.env.world_size; ++r) {
            const auto bytes = s.store->get(prefix + std::to_string(r));
            values.emplace_back(bytes.begin(), bytes.end());
        }
    } catch (const std::exception& e) {
        s.fail(fmt::format("exchanging {}", key), e);
    }
    return values;
}

std::string ProcessGroup::share(const std::string& key, const std::string& value) {
    State& s = *state_;
    const std::string name = s.key_prefix + fmt::format("{}/{}", ++s.sequence, key);
    try {
        if (s.env.rank == 0) s.store->set(name, std::vector<std::uint8_t>(value.begin(), value.end()));
        const auto bytes = s.store->get(name);
        return std::string(bytes.begin(), bytes.end());
    } catch (const std::exception& e) {
        s.fail(fmt::format("sharing {}", key), e);
    }
}

void ProcessGroup::barrier() {
    state_->run("a barrier", [&] { return state_->group->barrier(); });
}

double ProcessGroup::reduce_seconds() const { return state_->reduce_seconds; }
std::int64_t ProcessGroup::reduced_bytes() const { return state_->reduced_bytes; }
std::int64_t ProcessGroup::reduce_calls() const { return state_->reduce_calls; }

bool distributed_available() { return true; }

#else  // no c10d in this build

struct ProcessGroup::State {};

ProcessGroup::ProcessGroup(const LaunchEnv& env, const at::Device&, const ProcessGroupOptions&) {
    throw UsageError(fmt::format("this sm4 was built without c10d (its Gloo headers come from libgloo-dev): it cannot "
                                 "be rank {} of {}; install libgloo-dev and rebuild, or run one process",
                                 env.rank, env.world_size));
}
ProcessGroup::~ProcessGroup() = default;
int ProcessGroup::rank() const { return 0; }
int ProcessGroup::world_size() const { return 1; }
const std::string& ProcessGroup::backend() const {
    static const std::string none;
    return none;
}
void ProcessGroup::all_reduce_sum(const std::vector<at::Tensor>&) {}
void ProcessGroup::broadcast(const std::vector<at::Tensor>&) {}
std::vector<std::string> ProcessGroup::exchange(const std::string&, const std::string& value) { return {value}; }
std::string ProcessGroup::share(const std::string&, const std::string& value) { return value; }
void ProcessGroup::barrier() {}
double ProcessGroup::reduce_seconds() const { return 0.0; }
std::int64_t ProcessGroup::reduced_bytes() const { return 0; }
std::int64_t ProcessGroup::reduce_calls() const { return 0; }
bool distributed_available() { return false; }

#endif

void ProcessGroup::all_reduce_mean(const std::vector<at::Tensor>& tensors) {
    all_reduce_sum(tensors);
    for (const auto& t : tensors)
        if (t.defined()) t.div_(world_size());
}

}  // namespace sm4
