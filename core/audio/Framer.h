#pragma once

#include "AudioFormat.h"
#include "Resampler.h"

#include <QByteArray>
#include <QString>
#include <QList>
#include <memory>

namespace pacelab {

// Cuts PCM16 chunks of any size and rate into exactly-20 ms mu-law frames (160 bytes). The
// remainder is carried to the next chunk, never padded mid-stream; flush() pads only the final
// partial frame with mu-law silence and says so. No frame of another size can leave it.
class Framer
{
public:
    explicit Framer(int inputRate = kTwilioRate, int inputChannels = 1);
    ~Framer();

    bool isValid() const;
    QString errorString() const;

    QList<QByteArray> push(const qint16 *interleaved, qsizetype frames);
    QList<QByteArray> push(const QVector<qint16> &interleaved);

    struct FlushResult
    {
        QList<QByteArray> frames;
        int paddedSamples = 0; // mu-law silence added to complete the last frame (0 = none)
    };
    FlushResult flush();

    qsizetype pendingSamples() const;      // 8 kHz samples waiting for a full frame
    qint64 samplesIn8k() const;             // 8 kHz samples accepted so far (conservation checks)
    qint64 framesOut() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pacelab
