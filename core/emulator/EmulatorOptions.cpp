#include "EmulatorOptions.h"

#include "audio/G711.h"
#include "audio/Resampler.h"
#include "audio/WavFile.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>

namespace pacelab {

QNetworkRequest twilioUpgradeRequest(const QUrl &url, const EmulatorOptions &options)
{
    QNetworkRequest req(url);
    for (const auto &h : options.extraHeaders)
        req.setRawHeader(h.first, h.second);
    if (!options.authToken.isEmpty() && options.provider == provider::Id::Twilio) {
        // Twilio signs the full URL (no POST parameters for a WebSocket GET) with HMAC-SHA1
        // keyed by the account's auth token, base64-encoded.
        const QByteArray sig = QMessageAuthenticationCode::hash(url.toString(QUrl::FullyEncoded).toUtf8(),
                                                                options.authToken.toUtf8(),
                                                                QCryptographicHash::Sha1)
                                   .toBase64();
        req.setRawHeader("X-Twilio-Signature", sig);
    }
    return req;
}

bool pcmTo8kMono(const PcmBuffer &in, QVector<qint16> *out, QString *error)
{
    return pcmToMono(in, kTwilioRate, out, error);
}

bool pcmToMono(const PcmBuffer &in, int rate, QVector<qint16> *out, QString *error)
{
    if (in.sampleRate <= 0 || in.channels <= 0) {
        *error = QStringLiteral("audio has an invalid format (%1 Hz, %2 channels)").arg(in.sampleRate).arg(in.channels);
        return false;
    }
    if (in.sampleRate == rate && in.channels == 1) {
        *out = in.samples;
        return true;
    }
    Resampler rs(in.sampleRate, in.channels, rate);
    if (!rs.isValid()) {
        *error = rs.errorString();
        return false;
    }
    *out = rs.process(in.samples.constData(), in.frames());
    *out += rs.flush();
    return true;
}

CallerAudio CallerAudio::silence()
{
    return CallerAudio();
}

CallerAudio CallerAudio::tone(double hz, double dbfs)
{
    CallerAudio a;
    a.kind = Kind::Tone;
    a.toneHz = hz;
    a.toneDbfs = dbfs;
    return a;
}

CallerAudio CallerAudio::fromPcm(const PcmBuffer &pcm, bool loop)
{
    CallerAudio a;
    a.kind = Kind::Pcm;
    a.pcm = pcm;
    a.loop = loop;
    return a;
}

bool CallerAudio::fromWavFile(const QString &path, CallerAudio *out, QString *error, bool loop)
{
    const wav::ReadResult r = wav::readFile(path);
    if (!r.ok) {
        *error = QStringLiteral("caller audio '%1': %2").arg(path, r.error);
        return false;
    }
    if (r.pcm.frames() == 0) {
        *error = QStringLiteral("caller audio '%1': the file holds no audio samples").arg(path);
        return false;
    }
    *out = fromPcm(r.pcm, loop);
    return true;
}

bool CallerAudio::isEncodedFor(const MediaFormat &format) const
{
    return !encodedAudio.isEmpty() && encodedFormat.encoding == format.encoding && encodedFormat.sampleRate == format.sampleRate;
}

bool CallerAudio::encoded(const CallerAudio &in, CallerAudio *out, QString *error, const MediaFormat &format)
{
    *out = in;
    if (in.kind != Kind::Pcm || in.isEncodedFor(format))
        return true;
    if (in.pcm.samples.isEmpty() && !in.encodedAudio.isEmpty()) {
        // Only an encoded copy in another format: back to PCM first.
        PcmBuffer pcm;
        pcm.sampleRate = in.encodedFormat.sampleRate;
        pcm.channels = 1;
        pcm.samples = in.encodedFormat.decode(in.encodedAudio);
        CallerAudio again = in;
        again.pcm = pcm;
        again.encodedAudio.clear();
        return encoded(again, out, error, format);
    }
    QVector<qint16> mono;
    if (!pcmToMono(in.pcm, format.sampleRate, &mono, error))
        return false;
    if (mono.isEmpty()) {
        *error = QStringLiteral("the caller audio holds no samples");
        return false;
    }
    out->encodedAudio = format.encode(mono);
    out->encodedFormat = format;
    out->pcm = PcmBuffer(); // the encoded copy is all a call needs
    return true;
}

QJsonObject BargeInResult::toJson() const
{
    return QJsonObject{{QStringLiteral("sent"), sent},
                       {QStringLiteral("finished"), finished},
                       {QStringLiteral("botWasTalking"), botWasTalking},
                       {QStringLiteral("bufferedAtStartSec"), bufferedAtStartSec},
                       {QStringLiteral("clearReceived"), clearReceived},
                       {QStringLiteral("clearLatencyMs"), clearLatencyMs},
                       {QStringLiteral("audioStopped"), audioStopped},
                       {QStringLiteral("audioStoppedLatencyMs"), audioStoppedLatencyMs},
                       {QStringLiteral("mediaStoppedLatencyMs"), mediaStoppedLatencyMs},
                       {QStringLiteral("staleAudioHeardMs"), staleAudioHeardMs},
                       {QStringLiteral("verdict"), verdict}};
}

} // namespace pacelab
