#pragma once

#include <QString>
#include <QVector>
#include <memory>

namespace pacelab {

// Streaming PCM16 resampler to any output rate (8 kHz for Twilio) built on libsoxr, with
// stereo (or N-channel) input downmixed to mono first. State is kept between chunks.
// Valid rates: kMinRate..kMaxRate Hz; channels 1..kMaxChannels. Equal rates = pass-through
// (downmix only, no filtering).
class Resampler
{
public:
    static constexpr int kMinRate = 1000;
    static constexpr int kMaxRate = 384000;
    static constexpr int kMaxChannels = 32;

    Resampler(int inputRate, int inputChannels, int outputRate = 8000);
    ~Resampler();
    Resampler(const Resampler &) = delete;
    Resampler &operator=(const Resampler &) = delete;

    bool isValid() const;        // false for rates/channels it cannot handle
    QString errorString() const; // why not valid
    int inputRate() const;
    int inputChannels() const;
    int outputRate() const;

    // Feed interleaved samples (frames * channels values); returns the mono output ready now.
    QVector<qint16> process(const qint16 *interleaved, qsizetype frames);
    // End of stream: returns what the filter still holds, then resets for a fresh stream.
    QVector<qint16> flush();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pacelab
