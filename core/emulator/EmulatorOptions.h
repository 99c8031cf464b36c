#pragma once

// What one emulated Twilio call is told to do (EmulatorOptions, CallerAudio) and the result of
// a barge-in probe. Shared by the single-call TwilioEmulator and the many-call LoadEmulator.

#include "ArrivalAnalytics.h"
#include "PlayoutModel.h"
#include "audio/AudioFormat.h"
#include "provider/Provider.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QNetworkRequest>
#include <QUrl>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QVariantMap>
#include <QVector>

namespace pacelab {

// What the emulated caller says (inbound media to the bot). PCM is converted to the provider's
// inbound format (8 kHz mu-law for Twilio, 16 kHz L16 for Vonage, ...) once, up front.
struct CallerAudio
{
    enum class Kind { Silence, Tone, Pcm };
    Kind kind = Kind::Silence;
    double toneHz = 440.0;
    double toneDbfs = -12.0;
    PcmBuffer pcm;    // any rate / channels (a WAV file or a recorded call)
    bool loop = true; // Pcm: start over at the end (else silence after it)
    // Pcm: the same audio already in encodedFormat (see encoded()): used instead of pcm by a
    // call whose inbound format has that encoding and rate, so many calls share one copy.
    QByteArray encodedAudio;
    MediaFormat encodedFormat = MediaFormat::mulaw8k();

    static CallerAudio silence();
    static CallerAudio tone(double hz, double dbfs = -12.0);
    static CallerAudio fromPcm(const PcmBuffer &pcm, bool loop = true);
    // Reads a WAV file; on failure returns false with a specific *error.
    static bool fromWavFile(const QString &path, CallerAudio *out, QString *error, bool loop = true);
    // A Pcm source with `encodedAudio` filled in, in `format` (converted once: pass the profile's
    // inboundFormat()); others are returned as they are. False with *error when the PCM cannot
    // be converted.
    static bool encoded(const CallerAudio &in, CallerAudio *out, QString *error,
                        const MediaFormat &format = MediaFormat::mulaw8k());
    // Is encodedAudio usable for a stream in `format` (same encoding and rate)?
    bool isEncodedFor(const MediaFormat &format) const;
};

struct EmulatorOptions
{
    // The protocol the emulator speaks and judges (messages, audio format, limits).
    provider::Id provider = provider::Id::Twilio;
    // Stream identity sent in the handshake (empty = generated in the provider's shapes).
    QString streamSid;
    QString accountSid;
    QString callSid;
    QStringList tracks{QStringLiteral("inbound")};
    QVariantMap customParameters;

    CallerAudio caller;
    bool sendInboundMedia = true;

    // connectToBot only: extra headers on the upgrade request; with authToken set and the Twilio
    // profile, an X-Twilio-Signature (base64 HMAC-SHA1 of the URL keyed by the token) is added too.
    QString authToken;
    QList<QPair<QByteArray, QByteArray>> extraHeaders;
    QString caFile; // wss: trust this CA (PEM) in addition to the system ones
    int connectTimeoutMs = 10000;

    // Larger messages are refused by the WebSocket layer (no unbounded buffering) and reported.
    qint64 maxIncomingMessageBytes = 4 * 1024 * 1024;
    bool checkStreamSid = true;

    // Save what the bot sent when the session ends (empty = don't). Mulaw = as received: a
    // mu-law WAV for a mu-law stream, 16-bit PCM at the stream's rate for any other (a WAV
    // player plays both); Pcm16 = always decoded to 16-bit PCM.
    enum class RecordEncoding { Mulaw, Pcm16 };
    QString recordPath;
    RecordEncoding recordEncoding = RecordEncoding::Mulaw;
    qint64 maxRecordBytes = 8000LL * 3600 * 2; // 2 h of 8 kHz mu-law (28 min of 16 kHz L16), then recording stops (reported)

    ArrivalAnalytics::Config analytics;
    PlayoutModel::Config playout;
};

// Result of a barge-in probe. Latencies are from the first caller-speech frame sent; -1 =
// did not happen (within the probe window: speech + Config tail).
struct BargeInResult
{
    bool sent = false;
    bool finished = false;
    bool botWasTalking = false;   // audio was buffered or arriving when the probe began
    double bufferedAtStartSec = 0.0;
    qint64 startedUs = -1;
    bool clearReceived = false;
    double clearLatencyMs = -1;
    // The caller stops hearing the bot: buffer empty and no media for >= 100 ms.
    bool audioStopped = false;
    double audioStoppedLatencyMs = -1;
    // The bot stops sending: the last media before a >= 100 ms gap.
    double mediaStoppedLatencyMs = -1;
    double staleAudioHeardMs = 0.0; // bot audio the caller heard after the probe began
    QString verdict; // "clear after 180 ms, silent after 180 ms" / "no clear: 2.3 s of stale speech"

    QJsonObject toJson() const;
};

// The WebSocket upgrade request the provider would send to `url`: the options' extra headers and,
// for Twilio with an auth token, X-Twilio-Signature (base64 HMAC-SHA1 of the full URL keyed by
// the token). Other providers authenticate differently (not modelled): headers only.
QNetworkRequest twilioUpgradeRequest(const QUrl &url, const EmulatorOptions &options);

// Mono PCM16 at `rate` of any buffer (resampled and downmixed); false with *error when unusable.
bool pcmToMono(const PcmBuffer &in, int rate, QVector<qint16> *out, QString *error);
// 8 kHz mono PCM16 of any buffer (resampled and downmixed); false with *error when unusable.
bool pcmTo8kMono(const PcmBuffer &in, QVector<qint16> *out, QString *error);

} // namespace pacelab

Q_DECLARE_METATYPE(pacelab::BargeInResult)
