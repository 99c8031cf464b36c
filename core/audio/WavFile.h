#pragma once

#include "AudioFormat.h"

#include <QByteArray>
#include <QString>

namespace pacelab::wav {

enum class Encoding { Pcm16, Pcm8, Float32, Mulaw, Alaw };

struct Info
{
    Encoding encoding = Encoding::Pcm16;
    int sampleRate = 0;
    int channels = 0;
    int bitsPerSample = 0;
    quint16 formatTag = 0; // as found (1, 3, 6, 7 or 0xFFFE)
};

struct ReadResult
{
    bool ok = false;
    QString error; // specific: "truncated header", "chunk 'data' size 1234 runs past end of file (900 bytes)"...
    Info info;
    PcmBuffer pcm; // decoded to PCM16, interleaved, original rate and channels
};

// Limits: readFile refuses files above kMaxFileBytes; channel counts above kMaxChannels and
// rates above kMaxSampleRate are rejected as absurd.
constexpr qint64 kMaxFileBytes = qint64(2) * 1024 * 1024 * 1024; // 2 GiB
constexpr int kMaxChannels = 64;
constexpr int kMaxSampleRate = 1000000;

QString encodingName(Encoding encoding);

// Read from memory or a file. Never trusts sizes in the header beyond the real data.
ReadResult readBytes(const QByteArray &bytes);
ReadResult readFile(const QString &path);

// Writing: PCM16 buffer encoded as the given encoding (canonical RIFF: fmt, [fact], data; fmt
// is 16 bytes for PCM, 18 with a fact chunk for float/mu-law/A-law). toBytes returns an empty
// array for an invalid buffer (bad rate/channels, sample count not a multiple of channels,
// data over 4 GiB); writeFile says which.
QByteArray toBytes(const PcmBuffer &pcm, Encoding encoding = Encoding::Pcm16);
bool writeFile(const QString &path, const PcmBuffer &pcm, Encoding encoding, QString *error);
// Raw 8 kHz mu-law bytes (as received from a stream) to a mu-law WAV, no re-encoding.
bool writeMulawFile(const QString &path, const QByteArray &mulaw, int sampleRate, QString *error);

} // namespace pacelab::wav
