#pragma once

#include "AudioFormat.h"
#include "MediaFormat.h"
#include "Resampler.h"

#include <QByteArray>
#include <QString>
#include <QList>
#include <memory>

namespace pacelab {

// Cuts PCM16 chunks of any size and rate into frames of exactly one target MediaFormat: its
// encoding, sample rate and frame duration (Twilio's 160 B of 8 kHz mu-law per 20 ms by
// default; 640 B of 16 kHz L16 for Vonage; 1600 B of 8 kHz L16 per 100 ms for Exotel). Input is
// resampled (libsoxr) to the target rate and downmixed to mono. The remainder is carried to the
// next chunk, never padded mid-stream; flush() pads only the final partial frame with the
// format's silence and says so. No frame of another size can leave it.
class Framer
{
public:
    explicit Framer(int inputRate = kTwilioRate, int inputChannels = 1);
    Framer(int inputRate, int inputChannels, const MediaFormat &target);
    ~Framer();

    bool isValid() const;
    QString errorString() const;
    const MediaFormat &format() const;

    QList<QByteArray> push(const qint16 *interleaved, qsizetype frames);
    QList<QByteArray> push(const QVector<qint16> &interleaved);

    struct FlushResult
    {
        QList<QByteArray> frames;
        int paddedSamples = 0; // silence samples added to complete the last frame (0 = none)
    };
    FlushResult flush();

    qsizetype pendingSamples() const;  // target-rate samples waiting for a full frame
    qint64 samplesAtTargetRate() const; // target-rate samples accepted so far (conservation checks)
    qint64 samplesIn8k() const { return samplesAtTargetRate(); } // the name from Twilio-only days
    qint64 framesOut() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pacelab
