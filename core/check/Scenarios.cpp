#include "Scenarios.h"

namespace pacelab::check {

QList<ScenarioInfo> scenarioCatalog(const Durations &d)
{
    auto s = [](const char *id, const char *title, const char *what, double sec, bool bot = false) {
        return ScenarioInfo{QString::fromLatin1(id), QString::fromUtf8(title), QString::fromUtf8(what), sec, bot};
    };
    return {
        s("S1", "single transmit path",
          "Three producers (a fast TTS-like thread, a slow tone thread, marks from the main thread) feed the "
          "engine at once. Every socket write must come from the sender thread; the peer must see one "
          "connection and every numbered frame exactly once, in queue order, with the marks echoed in order.",
          d.s1Sec + 1.0),
        s("S2", "exact rate",
          "A producer keeps the queue full. Every whole second must carry 50 ± 1 frames at the sender and at "
          "the peer; send lateness against the absolute 20 ms grid (p99, max), late resets and the clock "
          "drift of the arrivals (|drift| ≤ 1000 ppm: fps alone cannot see a clock 2 % slow) are judged.",
          d.s2Sec + 1.0),
        s("S3", "drop policy",
          "A real-time source floods the queue with bursts of numbered frames (bound + 80 each). The newest "
          "frames must survive, the oldest be dropped and counted exactly, the queue never pass its bound, "
          "and drop warnings come at most once per ~2 s.",
          d.s3Sec + 1.5),
        s("S4", "queue sizes",
          "The tx and send queue bounds must be 120/120 (or as configured) and really hold (a probe pushes "
          "twice the bound at once); with a steady streaming producer the depth must stay under 60 in at "
          "least 95 % of seconds.",
          d.s4Sec + 1.0),
        s("S5", "true 20 ms frames",
          "PCM16 at 8, 16, 22.05, 24, 44.1 and 48 kHz (stereo) is cut into 20 ms mu-law frames and sent. "
          "Every frame at the peer must be 160 bytes and the sample count conserved through resampling, "
          "framing and transport.",
          6 * d.s5SecPerRate + 1.5),
        s("S6", "keep-alive",
          "WebSocket pings must be configured every 15-20 s in production and seen on the wire at the "
          "configured interval (this scenario runs with a short interval and says so), answered, with the "
          "RTT reported.",
          d.s6Sec + 1.0),
        s("E1", "silence",
          "250 frames of silence pushed into the queue must reach the peer as 250 frames in 4.98 ± 0.1 s, in "
          "order, with no clock drift (≤ 1000 ppm), no underrun, no warnings and no drops.",
          5.0 + 1.5),
        s("E2", "long TTS",
          "A real TTS engine (espeak-ng) synthesizes a long text much faster than real time into the queue "
          "through the back-pressured enqueue. fps must stay 50 ± 1, the queue never pass its high-water "
          "mark, nothing be dropped, the arrivals' clock drift stay within 1000 ppm and the peer's buffered "
          "audio under 0.5 s with no underrun.",
          d.e2MinSpeechSec + 3.0),
        s("E3", "call",
          "An emulated call: caller audio inbound, the bot answers with TTS, the caller barges in, the bot "
          "clears and replies. fps 50 ± 1 while speaking, clock drift ≤ 1000 ppm, q < 10 in 95 % of seconds, "
          "no drops, clear within 300 ms of the caller's speech and silence at the peer within 100 ms of it.",
          d.e3Sec + 1.0),
        s("B1", "bot: message schema",
          "PaceLab's emulator calls the bot like Twilio; everything the bot sends must be valid (no 31950 / "
          "31951 violations).",
          d.botSec + 1.0, true),
        s("B2", "bot: pacing",
          "The bot's audio must arrive at 50 ± 2 frames per second on a clock within 1000 ppm of real time "
          "(least-squares fit of the arrivals), with no underrun the caller would hear, no burst and at most "
          "0.5 s buffered at Twilio's side. Media Twilio would reject counts as a failure here too.",
          d.botSec + 1.0, true),
        s("B3", "bot: frames",
          "Every media frame the bot sends must be 160 bytes (20 ms of 8 kHz mu-law).",
          d.botSec + 1.0, true),
        s("B4", "bot: barge-in",
          "While the bot talks the caller starts speaking; the bot must send clear within 300 ms of the "
          "caller's speech, and the caller must hear silence within 100 ms of the clear.",
          d.botSec + 1.0, true),
        s("B5", "bot: marks echoed",
          "Marks the bot sends must be echoed once the audio before them has played, in the order sent.",
          d.botSec + 1.0, true),
    };
}

Scenario *createScenario(const QString &id, const RunContext &ctx, QObject *parent)
{
    for (const ScenarioInfo &info : scenarioCatalog(ctx.config.durations)) {
        if (info.id != id)
            continue;
        if (info.botSet)
            return createBotScenario(info, ctx, parent);
        if (id == QLatin1String("E2") || id == QLatin1String("E3"))
            return createSpeechScenario(info, ctx, parent);
        return createSenderScenario(info, ctx, parent);
    }
    return nullptr;
}

} // namespace pacelab::check
