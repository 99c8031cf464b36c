#pragma once

// The receiver side of `pacelab-bench wsrecv` (bench_wsrecv.cpp): what a QtWebSockets receiver
// and a Boost.Beast receiver share, so both do exactly the same work per message and are
// measured the same way (steady_clock when the message is handed to the application).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pacelab::bench::wsrecv {

inline int64_t nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Filled by the receiver threads; read by the main thread once they have stopped.
struct Shared
{
    explicit Shared(int calls) : arrivals(size_t(calls))
    {
        for (auto &a : arrivals)
            a.reserve(1024);
    }
    std::atomic<int> connected{0};       // upgraded connections (their index = order of upgrade)
    std::atomic<bool> measuring{false};  // arrivals are kept only inside the window
    std::atomic<int64_t> messages{0};    // media messages inside the window
    std::atomic<int64_t> otherMessages{0};
    std::atomic<int64_t> mergedReads{0}; // kernel stamps: a message sharing the previous one's read
    // tx: like the emulator, every 20 ms each connection is sent one inbound media message
    // (a worker-wide tick, not a timer per connection); sent/skipped count them in the window.
    bool tx = true;
    std::string txPayload;
    std::atomic<int64_t> sent{0}, skipped{0};
    void countSent(bool ok)
    {
        if (measuring.load(std::memory_order_relaxed))
            (ok ? sent : skipped).fetch_add(1, std::memory_order_relaxed);
    }
    std::vector<std::vector<int64_t>> arrivals; // per connection; written by its thread only

    // The per-message work of both receivers: a stamp, a look for the media event, a push.
    void onMessage(int conn, int64_t stampNs, bool media)
    {
        if (!media) {
            otherMessages.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        if (!measuring.load(std::memory_order_relaxed) || conn < 0 || conn >= int(arrivals.size()))
            return;
        arrivals[size_t(conn)].push_back(stampNs);
        messages.fetch_add(1, std::memory_order_relaxed);
    }
    static bool isMedia(std::string_view text) { return text.find("\"event\":\"media\"") != std::string_view::npos; }
};

// A receiver running on its own threads: start() listens on 127.0.0.1 (any port) and returns the
// port (0 on failure, *error says why); stop() ends every connection and joins its threads.
class Receiver
{
public:
    virtual ~Receiver() = default;
    virtual uint16_t start(int threads, int rtPriority, std::string *error) = 0;
    virtual void stop() = 0;
};

#ifdef PACELAB_HAVE_BEAST
// kernelStamps: arrival = the kernel's receive time of the read (SO_TIMESTAMPNS), not steady_clock.
Receiver *newBeastReceiver(Shared &shared, bool kernelStamps); // bench/beast/BeastReceiver.cpp
#endif

} // namespace pacelab::bench::wsrecv
