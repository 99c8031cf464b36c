// WAV reader (core/audio/WavFile): any bytes either decode to a consistent PCM buffer or give
// an error message. A decoded file written back in its own encoding must decode to the same
// samples (all supported encodings are lossless on already-decoded samples).
#include "FuzzCheck.h"

#include "audio/WavFile.h"

#include <QByteArray>
#include <QtEndian>

#include <cmath>
#include <cstring>

using namespace pacelab;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    const wav::ReadResult r = wav::readBytes(bytes);
    if (!r.ok) {
        FUZZ_CHECK(!r.error.isEmpty(), "failed read without an error message");
        return 0;
    }
    FUZZ_CHECK(r.error.isEmpty(), "ok with error '%s'", qPrintable(r.error));
    FUZZ_CHECK(r.pcm.channels >= 1 && r.pcm.channels <= wav::kMaxChannels, "channels %d", r.pcm.channels);
    FUZZ_CHECK(r.pcm.sampleRate >= 1 && r.pcm.sampleRate <= wav::kMaxSampleRate, "rate %d", r.pcm.sampleRate);
    FUZZ_CHECK(r.pcm.samples.size() % r.pcm.channels == 0, "%lld samples, %d channels",
               qlonglong(r.pcm.samples.size()), r.pcm.channels);
    // Decoded samples cannot outnumber the input bytes (8-bit formats: one byte per sample).
    FUZZ_CHECK(qsizetype(r.pcm.samples.size()) <= qsizetype(size), "%lld samples from %zu bytes",
               qlonglong(r.pcm.samples.size()), size);

    // Float samples, decoded independently: scaled by 32768, rounded, clipped; NaN is silence.
    if (r.info.encoding == wav::Encoding::Float32) {
        // Only when "data" occurs once: then it is the chunk the reader used.
        const qsizetype at = bytes.indexOf("data", 12);
        if (at > 0 && bytes.count("data") == 1 && at + 8 + 4 * r.pcm.samples.size() <= bytes.size()) {
            const char *p = bytes.constData() + at + 8;
            for (qsizetype i = 0; i < r.pcm.samples.size(); ++i) {
                const double f = qFromLittleEndian<float>(p + 4 * i);
                const int want = std::isnan(f) ? 0 : int(std::lround(std::clamp(f * 32768.0, -32768.0, 32767.0)));
                FUZZ_CHECK(r.pcm.samples[i] == want || (std::abs(r.pcm.samples[i] - want) <= 1 && std::abs(f) < 1.0),
                           "float sample %lld = %g decoded as %d, expected %d", qlonglong(i), f,
                           r.pcm.samples[i], want);
            }
        }
    }

    const QByteArray again = wav::toBytes(r.pcm, r.info.encoding);
    FUZZ_CHECK(!again.isEmpty(), "toBytes refused a buffer readBytes produced");
    const wav::ReadResult r2 = wav::readBytes(again);
    FUZZ_CHECK(r2.ok, "re-read failed: %s", qPrintable(r2.error));
    FUZZ_CHECK(r2.info.encoding == r.info.encoding && r2.pcm.channels == r.pcm.channels
                   && r2.pcm.sampleRate == r.pcm.sampleRate,
               "format changed on round trip");
    FUZZ_CHECK(r2.pcm.samples == r.pcm.samples, "samples changed on round trip (%s)",
               qPrintable(wav::encodingName(r.info.encoding)));
    return 0;
}
