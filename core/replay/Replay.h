#pragma once

#include "provider/Provider.h"

#include "audio/AudioFormat.h"
#include "audio/WavFile.h"
#include "emulator/ArrivalAnalytics.h"
#include "emulator/EmulatorTypes.h"
#include "emulator/PlayoutModel.h"
#include "replay/Capture.h"
#include "replay/PcapReader.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <functional>

// Replaying recorded calls: load a capture, a JSON Lines dump (one message per line), a
// pcap/pcapng of the WebSocket traffic or a WAV (mono, or a dual-channel call recording) of any
// provider's media stream (the protocol named, recorded in the capture header or detected from
// the messages: docs/capture-format.md, "Providers"); analyse the recorded outbound timing with
// the emulator's ArrivalAnalytics and PlayoutModel (the same figures as live); extract each
// direction's audio (WAV export, caller source, re-send).
namespace pacelab::replay {

// One outbound message as the playout model needs it.
struct OutEvent
{
    enum class Type { Media, Mark, Clear, Other, Invalid, Binary };
    Type type = Type::Media;
    qint64 tUs = 0;
    int bytes = 0;       // media payload bytes, in the call's outbound format
    QString name;        // mark name
    int code = 0;        // the provider's error code for Invalid/Binary (Profile::codeFor)
    QString detail;      // what was wrong
};

struct LoadOptions
{
    // The protocol of the dump; nullopt = recognise it from the messages (provider::detect),
    // Twilio when nothing is recognised.
    std::optional<provider::Id> provider;
    capture::ReadOptions read;
    // 2 h of 8 kHz mu-law, then audio is not kept; scaled to the direction's format (2 h of any).
    qint64 maxAudioBytesPerDirection = 8000LL * 3600 * 2;
    int maxTelemetryRecords = 36000;
    // progress(bytes read, total bytes or -1), every ~1 MB
    std::function<void(qint64, qint64)> progress;

    // pcap / pcapng: tshark, TLS keys, WebSocket ports without a handshake in the file
    pcap::Options pcap;
    // Which stream of a file holding several (pcap): its streamSid, its callSid, or its number
    // (1 = the first to start). Empty: the first.
    QString stream;

    // WAV with two channels: a dual-channel call recording (Twilio's: caller, then bot). The
    // caller's channel (0 = first) is the inbound audio, the other the outbound. -1: a plain
    // stereo file, both channels mixed for either direction.
    int callerChannel = 0;
};

struct LoadedCall
{
    // JsonDump: a JSON Lines dump of any provider (TwilioDump: its older name).
    enum class Source { Capture, TwilioDump, Wav, Pcap, JsonDump = TwilioDump };
    Source source = Source::Capture;
    QString path;
    QJsonObject header;
    QStringList notes; // assumptions made (timings, truncation, reordering)

    // Whose protocol the messages were read with, and why: LoadOptions::provider (--provider),
    // the capture header's `provider`, detection from the first messages of each direction, or
    // Twilio when nothing was recognised.
    enum class ProviderFrom { Option, Header, Detected, Assumed };
    provider::Id provider = provider::Id::Twilio;
    ProviderFrom providerFrom = ProviderFrom::Assumed;
    QString providerReason; // "detected from the messages (40 of 40 recognised)"
    // Messages the chosen profile could not read but another provider's recognises (a dump
    // mixing two providers): count per provider.
    QMap<provider::Id, qint64> foreignMessages;
    qint64 inInvalid = 0; // inbound messages the profile could not read
    QString firstInInvalid;
    // The audio formats: the profile's, or what the stream announced (start / media messages).
    MediaFormat outFormat;
    MediaFormat inFormat;

    QList<OutEvent> out; // in time order
    qint64 outMessages = 0;
    qint64 inMessages = 0;
    qint64 originUs = -1; // first message in either direction
    qint64 lastUs = -1;
    QString streamSid;

    QByteArray outAudio; // outFormat, concatenated payloads as sent
    QByteArray inAudio;  // inFormat, inbound media payloads
    bool outAudioTruncated = false;
    bool inAudioTruncated = false;

    QList<QJsonObject> txTelemetry;
    QList<QJsonObject> rxSeconds;

    QList<capture::ReadError> errors;
    qint64 errorCount = 0;

    // Source::Wav: the file's audio (any rate/channels the WAV reader supports).
    PcmBuffer wavPcm;
    wav::Info wavInfo;
    int wavCallerChannel = -1; // a dual-channel recording: the caller's channel; -1 mixed / mono

    // Source::Pcap: every stream in the file (pcap::Stream::label()) and which one this is.
    QStringList streamsInFile;
    int streamIndex = 0;

    bool hasTiming() const { return source != Source::Wav; }
    double outAudioSec() const { return outFormat.bytesToMs(outAudio.size()) / 1000.0; }
    double inAudioSec() const { return inFormat.bytesToMs(inAudio.size()) / 1000.0; }
    const provider::Profile &profile() const { return provider::profile(provider); }
    QString providerLabel() const; // "Vonage": the short name used in verdicts
};

struct LoadResult
{
    bool ok = false;
    QString error;
    LoadedCall call;
};

// A PaceLab capture, a JSON Lines dump, a pcap/pcapng (through tshark) or a WAV file, sniffed
// from the content; the messages read with the provider's profile (LoadOptions::provider).
LoadResult loadCall(const QString &path, const LoadOptions &options = LoadOptions());
LoadResult loadCall(QIODevice *device, const LoadOptions &options = LoadOptions());

struct Analysis
{
    QString provider;       // "vonage"
    QString providerReason; // LoadedCall::providerReason
    // stats: times from the audio's duration in its format; sizes (bytes, sizeHistogram,
    // nonStandardFrames) in the format's wire bytes, "standard" = the profile's frame size (or a
    // multiple of Limits::audioSizeMultiple).
    ArrivalStats stats;
    QJsonObject playout; // PlayoutModel::toJson()
    int underruns = 0;
    qint64 underrunTotalUs = 0;
    double maxBufferedSec = 0.0;
    int pauses = 0;
    int marksSent = 0;
    int marksEchoed = 0;
    int clears = 0;
    QList<Violation> violations; // first 200
    int violationCount = 0;
    QMap<int, int> violationsByCode;
    qint64 mediaDiscardedFrames = 0;
    QList<PerSecondRx> perSecond; // as the emulator's per-second report (first 3600)
    QStringList verdicts;          // "problem: ...", "warning: ...", "ok: ..."
    bool problems = false;
    QStringList notes;             // copied from the call (assumed timings...)

    QJsonObject toJson() const;
    QString toText() const;
};

// Runs the outbound messages through ArrivalAnalytics and PlayoutModel exactly as the
// emulator does live (advance to the arrival, feed, mark, clear), then drains the buffer. The
// provider's limits apply: its buffer depth in time (when `playout` keeps the default
// maxBufferedUs) and in messages (Vonage), with its media-discarded code.
Analysis analyze(const LoadedCall &call, ArrivalAnalytics::Config analytics = ArrivalAnalytics::Config(),
                 PlayoutModel::Config playout = PlayoutModel::Config());

// Mean frames per second while sending: the full seconds that received audio (the first and
// last, usually partial, and silent ones are left out); 0 if there is none.
double meanSendingFps(const ArrivalStats &stats);

// Audio of one direction as mu-law bytes / decoded PCM (8 kHz mono). A WAV source gives its
// own audio for both directions (converted to 8 kHz mono mu-law for the mu-law forms); a
// dual-channel one its caller channel inbound and the other channel outbound. A message source
// in another format (L16 at 16 kHz...) is decoded and resampled.
QByteArray mulawAudio(const LoadedCall &call, capture::Dir dir, QString *error = nullptr);
PcmBuffer pcmAudio(const LoadedCall &call, capture::Dir dir);
// Decoded PCM at the direction's own rate (16 kHz for Vonage's L16 at 16 kHz).
PcmBuffer nativePcmAudio(const LoadedCall &call, capture::Dir dir);

// Writes one direction's audio to a WAV. wav::Encoding::Mulaw = as recorded: mu-law as recorded
// for mu-law streams, PCM16 at the stream's rate for L16 ones (A-law as A-law); Pcm16 (or any
// other) re-encodes at the stream's own rate.
bool exportWav(const LoadedCall &call, capture::Dir dir, const QString &path, wav::Encoding encoding,
               QString *error);

// The outbound audio cut into exact frames of `format` (default: 20 ms of 8 kHz mu-law, 160 B;
// the last one padded with the format's silence), ready to be pushed through the paced sender.
QList<QByteArray> framesForResend(const LoadedCall &call, int *paddedBytes = nullptr);
QList<QByteArray> framesForResend(const LoadedCall &call, const MediaFormat &format, int *paddedBytes = nullptr);

} // namespace pacelab::replay
