#pragma once

#include <QVector>
#include <QtGlobal>

namespace pacelab {

// Twilio Media Streams audio: 8 kHz mono mu-law, 20 ms frames.
constexpr int kTwilioRate = 8000;
constexpr int kFrameMs = 20;
constexpr int kFrameSamples = kTwilioRate * kFrameMs / 1000; // 160
constexpr int kFrameBytes = kFrameSamples;                   // 160 B mu-law, 320 B as PCM16

// Interleaved PCM16 audio in memory.
struct PcmBuffer
{
    int sampleRate = kTwilioRate;
    int channels = 1;
    QVector<qint16> samples; // interleaved, samples.size() == frames() * channels

    qsizetype frames() const { return channels > 0 ? samples.size() / channels : 0; }
    double durationSec() const { return sampleRate > 0 ? double(frames()) / sampleRate : 0.0; }
};

} // namespace pacelab
