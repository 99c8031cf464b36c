// The doctor's prose: one row per finding, one line per cause. Keep the figures out of here
// (the detectors put them into Diagnosis::detail and Candidate::why).
#include "Wording.h"

namespace pacelab::doctor {

namespace {

const Words kWords[] = {
    {Say::Healthy, Kind::Healthy, "Healthy", "", "", ""},
    {Say::NoPattern, Kind::Healthy, "No known failure pattern",
     "the seconds off 50 fit none of the known patterns; look at the plot around them.", "", ""},
    {Say::Idle, Kind::Idle, "Idle", "", "", ""},
    {Say::TooLittle, Kind::TooLittleData, "Too little data to judge", "", "", ""},

    {Say::Stalled, Kind::SenderStalled, "Sender stalled / socket back-pressure",
     "the transmit loop stopped taking frames although audio was queued: the WebSocket write "
     "blocked (the peer or a proxy reads too slowly, or the network stalled), or the send task "
     "was blocked (a synchronous call, a long GC pause or a CPU-starved event loop in the same "
     "thread/loop as the sender). A blocked loop also delays its own telemetry, so one line may "
     "cover several seconds.",
     "keep the sender alone on its thread/loop and never block it (no synchronous TTS/HTTP calls "
     "there); bound the socket's write buffer and log bytesToWrite to tell a slow peer from a "
     "blocked loop; keep the ping every 15-20 s so a dead connection is found; with drop-oldest "
     "the queue recovers by itself once the socket drains.",
     "log the socket's unsent bytes per second (sq= or bytesToWrite): high during the stall means "
     "a slow peer or network, near 0 means the loop itself was blocked."},

    {Say::CatchUp, Kind::CatchUpBurst, "Catch-up burst after a stall: the pacer does not re-anchor",
     "after falling behind (a late wake-up, a GC pause, a blocked write) the transmit loop sends "
     "every missed frame at once to get back onto its old schedule: the caller's jitter buffer "
     "overflows and the burst is heard as skipped or garbled audio (checklist, step 2).",
     "pace on an absolute deadline, and when it is already past by more than a few frames "
     "re-anchor it to now (next_deadline = now) instead of sending the backlog at once; cap any "
     "catch-up at 2-3 frames.",
     "log late= (late wake-ups / re-anchors per second): a pacer that re-anchors counts them and "
     "never sends more than ~53 frames in a second."},

    {Say::DriftSlow, Kind::TimerDrift, "Timer drift: the sender runs slower than real time",
     "the transmit loop sleeps a fixed 20 ms after each send (sleep(0.02)) instead of waiting for "
     "an absolute deadline, so every send's own time and every oversleep add up; or a frame "
     "interval slightly above 20 ms.",
     "pace on a monotonic absolute deadline: next_deadline += 0.020; sleep(next_deadline - now) "
     "when positive; if it is already past by several frames, re-anchor next_deadline to now "
     "(checklist, step 2).",
     "log late= and the send time per frame: a fixed sleep shows no late wake-ups but a loop "
     "period of 20 ms + the send time."},
    {Say::DriftFast, Kind::TimerDrift, "Timer drift: the sender runs faster than real time",
     "the pacer's interval is shorter than 20 ms, or it catches up after late wake-ups without "
     "bound (sending every missed frame at once).",
     "pace on a monotonic absolute deadline: next_deadline += 0.020; sleep(next_deadline - now) "
     "when positive; if it is already past by several frames, re-anchor next_deadline to now "
     "(checklist, step 2).",
     ""},
    {Say::Jitter, Kind::TimerDrift, "Timer jitter: fps alternates 49/51",
     "coarse or late timer wake-ups (sleep granularity, a busy event loop) make the loop send a "
     "frame late and the next one early; a fixed-sleep pacer that corrects itself from time to "
     "time looks the same.",
     "pace on absolute deadlines with a precise final wait (sleep until ~1-2 ms before, then a "
     "short precise wait), keep the sender's loop free of other work, and log the p99 lateness "
     "to confirm.",
     ""},

    {Say::BacklogProblem, Kind::ProducerTooFast, "Producer faster than real time",
     "TTS (or another producer) pushes audio faster than 50 frames/s and nothing slows it down: "
     "the sender is right at 50 fps, so the surplus piles up in the queue and, with drop-oldest, "
     "is thrown away (the caller hears skipped words). Frames shorter than 20 ms (e.g. 80 B = "
     "10 ms) look the same: more frames than the clock can send.",
     "let the producer wait for room (blocking put / back-pressure at a high-water mark well below "
     "the bound, e.g. 60) instead of drop-oldest for TTS; keep drop-oldest only for real-time "
     "sources; make every frame exactly 160 B mu-law; flush the queue on barge-in (clear).",
     "log bytes= per second: 160 B frames (8000 B/s of audio) mean a fast producer, 80 B frames "
     "mean 10 ms chunks."},
    {Say::BacklogWarning, Kind::ProducerTooFast, "Queue stays high: producer ahead of real time",
     "the producer runs ahead of the 50 fps clock and back-pressure holds it at the queue limit, "
     "or the queue filled during a stall and a real-time producer keeps it there: nothing is "
     "lost, but speech waits in the queue (latency, slow barge-in).",
     "lower the producer's high-water mark (aim for q < 10 most of the time, checklist step 4) "
     "and clear the queue on barge-in.",
     ""},

    {Say::FramesBig, Kind::FrameSize, "Frames too big (fps steady well below 50)",
     "the audio is cut into chunks longer than 20 ms (e.g. 320 B = 40 ms, or 320 B of PCM16 "
     "treated as mu-law); Twilio accepts them, but the per-frame pacing and the fps figures no "
     "longer mean what they should.",
     "cut the audio into exactly 20 ms: 160 B of 8 kHz mu-law (320 B of PCM16 before "
     "conversion), carrying the remainder to the next chunk (checklist, step 5); and pace on a "
     "20 ms absolute deadline.",
     "log bytes= per second: ~8000 B/s of audio (320 B frames) means big frames, ~4000 B/s "
     "(160 B frames) means a 40 ms timer sending half the audio."},
    {Say::FramesSmall, Kind::FrameSize, "Frames too small (fps steady well above 50)",
     "the audio is cut into chunks shorter than 20 ms (e.g. 80 B = 10 ms) and sent as they come, "
     "so the sender is not pacing 20 ms frames at all.",
     "cut the audio into exactly 20 ms: 160 B of 8 kHz mu-law (320 B of PCM16 before "
     "conversion), carrying the remainder to the next chunk (checklist, step 5); run exactly one "
     "transmit loop per stream (checklist, step 1).",
     "log bytes= per second: 80 B frames (8000 B/s of audio at 100 fps) mean 10 ms frames, "
     "160 B frames (16000 B/s, twice real time) mean two transmit loops."},
    {Say::TwoSenders, Kind::TwoSenders, "Two transmit loops on one stream (fps ~100 of full frames)",
     "two paced loops (or two tasks started for one call, e.g. on a reconnect or a second "
     "'start' event) each send 50 frames/s of 20 ms to the same stream: the caller gets audio "
     "at twice real time, overlapping or skipping.",
     "start exactly one transmit loop per stream and stop the old one before starting a new one "
     "(checklist, step 1); log the loop's task/thread id with the metrics.",
     ""},
    {Say::Unpaced, Kind::FrameSize, "Unpaced sending: fps well above 50",
     "frames leave as soon as they are produced (no 20 ms clock), or they are shorter than "
     "20 ms: Twilio's buffer fills faster than it plays.",
     "send through one paced loop at exactly one 160 B frame per 20 ms (checklist, steps 1, 2 "
     "and 5).",
     "log bytes= per second to see whether the frames are 160 B."},

    {Say::Starved, Kind::ProducerStarved, "Producer too slow: gaps in the audio",
     "the producer (TTS, file reader, upstream stream) delivers audio slower than real time, so "
     "the caller hears gaps even though the sender is fine.",
     "start sending only after a small lead is buffered (e.g. 100-200 ms), stream TTS faster than "
     "real time with back-pressure, or send comfort silence so the gaps are at least clean.",
     "log the producer's own frames per second next to fps: equal means a slow producer, more "
     "means the sender is losing them."},

    {Say::RateOffLow, Kind::RateOff, "fps well below 50 for several seconds",
     "the stream sent far less than 50 frames/s for several seconds in a way that fits no single "
     "known pattern: the caller heard gaps or slow audio.",
     "check the candidates below in order; log bytes=, late= and sq= with the metrics to tell "
     "them apart.",
     "log bytes=, late= and sq= per second."},
    {Say::RateOffHigh, Kind::RateOff, "fps well above 50 for several seconds",
     "the stream sent far more than 50 frames/s for several seconds in a way that fits no single "
     "known pattern: audio arrives faster than it plays.",
     "check the candidates below in order; log bytes=, late= and sq= with the metrics to tell "
     "them apart.",
     "log bytes=, late= and sq= per second."},

    {Say::DropsRuns, Kind::SporadicDrops, "Drops in runs",
     "the queue overflowed for several seconds in a row: a producer burst larger than the queue, "
     "or short sender hiccups.",
     "if it recurs, give bursty producers back-pressure (blocking put) and check the sender's "
     "loop for blocking work.",
     ""},
    {Say::DropsIsolated, Kind::SporadicDrops, "A few isolated drops",
     "a short burst overflowed the queue; the checklist tolerates a few drops under short load, "
     "not a run of them.",
     "if it recurs, give bursty producers back-pressure (blocking put) and check the sender's "
     "loop for blocking work.",
     ""},

    {Say::Interleaved, Kind::Interleaved, "Several streams interleaved without ids",
     "the metric lines alternate like several calls logged into one file without a call id: "
     "read as one stream they would look like wild swings.",
     "put the call or stream id on every metric line (call_sid=CA..., stream_sid=MZ... or a "
     "[call-id] tag); the doctor then diagnoses each call on its own.",
     "log stream_sid= (or call_sid=) on every metric line."},
};

struct CauseRow { Cause c; const char *text; };
const CauseRow kCauses[] = {
    {Cause::BlockedLoop, "the transmit loop itself was blocked (synchronous call, GC pause, CPU starvation)"},
    {Cause::SlowPeer, "the socket could not drain: a slow peer, proxy or network (back-pressure)"},
    {Cause::NoReanchor, "the pacer catches up on missed deadlines instead of re-anchoring"},
    {Cause::FixedSleep, "a fixed sleep(20 ms) after each send instead of an absolute deadline"},
    {Cause::IntervalTooLong, "a frame interval slightly above 20 ms"},
    {Cause::IntervalTooShort, "a frame interval below 20 ms"},
    {Cause::LateWakeups, "late or coarse timer wake-ups, corrected on the next frame"},
    {Cause::ProducerFast, "the producer pushes more than 50 frames/s with drop-oldest"},
    {Cause::BackPressureHeld, "back-pressure holds the producer at the queue limit"},
    {Cause::Frames40ms, "frames of 40 ms (320 B) paced as if they were 20 ms"},
    {Cause::Timer40ms, "a 40 ms timer sending 20 ms frames (half the audio rate)"},
    {Cause::Frames10ms, "frames of 10 ms (80 B) sent as they come"},
    {Cause::TwoLoops, "two transmit loops sending to the same stream"},
    {Cause::NoClock, "no pacing clock at all: frames leave as soon as they are produced"},
    {Cause::ProducerSlow, "the producer delivers audio slower than real time"},
    {Cause::Unknown, "something else: look at the plot around these lines"},
};

} // namespace

const Words &words(Say say)
{
    for (const Words &w : kWords)
        if (w.say == say)
            return w;
    return kWords[0];
}

QString causeText(Cause c)
{
    for (const CauseRow &r : kCauses)
        if (r.c == c)
            return QString::fromUtf8(r.text);
    return QString();
}

void applyWords(Diagnosis &d, Say say)
{
    const Words &w = words(say);
    d.kind = w.kind;
    d.title = QString::fromUtf8(w.title);
    d.cause = QString::fromUtf8(w.cause);
    d.fix = QString::fromUtf8(w.fix);
    d.tellApart = QString::fromUtf8(w.tellApart);
}

void addCandidate(Diagnosis &d, Cause c, const QString &why)
{
    d.candidates.append(Candidate{causeText(c), why});
}

} // namespace pacelab::doctor
