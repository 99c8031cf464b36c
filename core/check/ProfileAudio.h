#pragma once

#include "audio/MediaFormat.h"
#include "provider/Provider.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>
#include <optional>

// What the checklist's bots and judges need from a provider profile beyond Provider.h: audio in
// the profile's outbound format (framing, level, numbered silence), the event that starts a
// stream, and how to tell a media message from the rest when it does not parse.
namespace pacelab::check {

// Cuts PCM16 mono at any rate into frames of `format` (frameBytes() each), resampled to its rate
// and encoded with MediaFormat::encode. The remainder waits for the next chunk; flush() pads
// the last partial frame with the format's silence.
class FormatFramer
{
public:
    FormatFramer(int inputRate, const MediaFormat &format);
    ~FormatFramer();
    FormatFramer(const FormatFramer &) = delete;
    FormatFramer &operator=(const FormatFramer &) = delete;

    bool isValid() const;
    QString errorString() const;
    const MediaFormat &format() const { return m_format; }
    QList<QByteArray> push(const qint16 *samples, qsizetype count);
    QList<QByteArray> flush();

private:
    struct Private;
    std::unique_ptr<Private> d;
    MediaFormat m_format;
};

// Level in dBFS (RMS, full-scale sine = 0 dBFS; -120 for digital silence) of audio in `format`.
double audioDbfs(const QByteArray &audio, const MediaFormat &format);

// "Numbered silence" in any format: digital silence (two codes that both decode to 0 for
// mu-law and A-law; samples 0 and 1 LSB for L16) carrying a 32-bit number. mu-law frames are
// exactly CheckUtil's taggedFrame(). Too short a frame carries no number (plain silence).
QByteArray taggedFrame(quint32 number, int bytes, const MediaFormat &format);
std::optional<quint32> readFrameTag(const QByteArray &audio, const MediaFormat &format);

// The event after which a bot may speak: Start when the profile's handshake carries one, else
// the event of the handshake's last message (a provider whose only greeting is `connected`).
provider::Event streamStartEvent(const provider::Profile &profile);

// The key and value that name a media message in the profile's JSON ("event":"media",
// "event":"playAudio"); empty when its media travels as binary frames. A message that does not
// parse but carries this pair is a media message the provider refuses.
struct MediaName
{
    QString key;
    QString value;
    bool isEmpty() const { return key.isEmpty(); }
};
MediaName mediaName(const provider::Profile &profile);
bool looksLikeMedia(const QByteArray &json, const MediaName &name);

// "Twilio Media Streams (twilio), 8 kHz mu-law, 20 ms frames (160 B)": reports and logs.
QString describeProvider(provider::Id id);

} // namespace pacelab::check
