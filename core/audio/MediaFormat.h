#pragma once

#include <QByteArray>
#include <QString>
#include <QVector>
#include <QtGlobal>

namespace pacelab {

// The audio one media message carries on a telephony WebSocket, and how long a message should
// be: Twilio/Telnyx/Plivo speak 8 kHz mu-law in 20 ms frames (160 B), Vonage 16-bit linear PCM
// at 16 kHz (640 B binary frames), Exotel 16-bit PCM at 8 kHz in chunks of multiples of 320 B.
// Pacing, the emulator's buffer model and the arrival analytics all turn bytes into time here,
// so no code outside this struct assumes "1 byte = 125 µs".
struct MediaFormat
{
    enum class Encoding { Mulaw, Alaw, L16 }; // L16 = signed 16-bit little-endian PCM, mono

    Encoding encoding = Encoding::Mulaw;
    int sampleRate = 8000;
    int frameMs = 20; // the paced unit: one media message every frameMs

    static MediaFormat mulaw8k(int frameMs = 20) { return MediaFormat{Encoding::Mulaw, 8000, frameMs}; }
    static MediaFormat l16(int rate, int frameMs = 20) { return MediaFormat{Encoding::L16, rate, frameMs}; }

    int bytesPerSample() const { return encoding == Encoding::L16 ? 2 : 1; }
    int samplesPerFrame() const { return sampleRate * frameMs / 1000; }
    int frameBytes() const { return samplesPerFrame() * bytesPerSample(); }
    qint64 frameUs() const { return qint64(frameMs) * 1000; }
    // Audio duration of `bytes` of this encoding (a partial sample counts as its fraction).
    double bytesToMs(qint64 bytes) const { return bytes * 1000.0 / (double(sampleRate) * bytesPerSample()); }
    qint64 bytesToUs(qint64 bytes) const { return bytes * 1'000'000 / (qint64(sampleRate) * bytesPerSample()); }
    qint64 usToBytes(qint64 us) const { return us * sampleRate / 1'000'000 * bytesPerSample(); }

    // `bytes` of digital silence in this encoding (0xFF mu-law, 0xD5 A-law, zeros L16).
    QByteArray silence(int bytes) const;
    QByteArray silenceFrame() const { return silence(frameBytes()); }
    // PCM16 mono samples at sampleRate -> wire bytes, and back. A trailing odd byte of L16 is
    // ignored by decode.
    QByteArray encode(const qint16 *samples, qsizetype count) const;
    QByteArray encode(const QVector<qint16> &samples) const { return encode(samples.constData(), samples.size()); }
    QVector<qint16> decode(const QByteArray &bytes) const;

    QString encodingName() const; // "mu-law", "A-law", "L16"
    QString describe() const;     // "8 kHz mu-law, 20 ms frames (160 B)"
    bool isValid() const { return sampleRate >= 8000 && sampleRate <= 48000 && frameMs >= 10 && frameMs <= 1000; }

    friend bool operator==(const MediaFormat &a, const MediaFormat &b)
    {
        return a.encoding == b.encoding && a.sampleRate == b.sampleRate && a.frameMs == b.frameMs;
    }
    friend bool operator!=(const MediaFormat &a, const MediaFormat &b) { return !(a == b); }
};

} // namespace pacelab
