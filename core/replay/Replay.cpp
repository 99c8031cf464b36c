// Analysing a loaded call as the emulator would live, and each direction's audio (the loading
// is in ReplayLoad.cpp).
#include "Replay.h"

#include "emulator/PerSecondRxBuilder.h"

#include "audio/G711.h"
#include "audio/Resampler.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>

#include <algorithm>
#include <deque>
#include <limits>
#include <cmath>

namespace pacelab::replay {

namespace {

QString ms(double v, int prec = 1)
{
    return QString::number(v, 'f', prec);
}

// A dual-channel recording: one direction's channel at the file's rate; the WAV as is otherwise.
PcmBuffer wavDirection(const LoadedCall &call, capture::Dir dir)
{
    const PcmBuffer &in = call.wavPcm;
    if (call.wavCallerChannel < 0 || in.channels < 2)
        return in;
    const int ch = dir == capture::Dir::In ? call.wavCallerChannel : (call.wavCallerChannel == 0 ? 1 : 0);
    PcmBuffer out;
    out.sampleRate = in.sampleRate;
    out.channels = 1;
    const qsizetype frames = in.frames();
    out.samples.resize(frames);
    for (qsizetype i = 0; i < frames; ++i)
        out.samples[i] = in.samples[i * in.channels + ch];
    return out;
}

// The analytics and the playout model count audio in 8 kHz mu-law bytes (1 B = 125 µs): a
// payload of another format enters them as the 8 kHz samples its duration holds, so every
// figure of time is right for any format (replay's own conversion, through MediaFormat).
qsizetype modelUnits(const MediaFormat &f, qsizetype bytes)
{
    if (f.encoding != MediaFormat::Encoding::L16 && f.sampleRate == kTwilioRate)
        return bytes;
    return qsizetype(std::llround(double(bytes) * kTwilioRate / (double(f.sampleRate) * f.bytesPerSample())));
}

// A payload of the size the provider wants: its frame size, or for a provider that takes chunks
// (Exotel) a multiple of its unit within its bounds.
bool standardSize(const provider::Limits &l, const MediaFormat &f, qsizetype bytes)
{
    if (l.audioSizeMultiple > 0)
        return bytes > 0 && bytes % l.audioSizeMultiple == 0 && (l.minAudioBytes <= 0 || bytes >= l.minAudioBytes)
            && (l.maxAudioBytes <= 0 || bytes <= l.maxAudioBytes);
    return bytes == f.frameBytes();
}

QString standardSizeText(const provider::Limits &l, const MediaFormat &f)
{
    if (l.audioSizeMultiple > 0)
        return QStringLiteral("a multiple of %1 B").arg(l.audioSizeMultiple);
    return QStringLiteral("%1 B").arg(f.frameBytes());
}

// Audio of a message source decoded at its own rate.
PcmBuffer decodeDirection(const LoadedCall &call, capture::Dir dir)
{
    const MediaFormat &f = dir == capture::Dir::Out ? call.outFormat : call.inFormat;
    PcmBuffer out;
    out.sampleRate = f.sampleRate;
    out.channels = 1;
    out.samples = f.decode(dir == capture::Dir::Out ? call.outAudio : call.inAudio);
    return out;
}

PcmBuffer resampled(const PcmBuffer &in, int rate)
{
    if (in.sampleRate == rate && in.channels == 1)
        return in;
    PcmBuffer out;
    out.sampleRate = rate;
    out.channels = 1;
    Resampler rs(in.sampleRate, in.channels, rate);
    if (!rs.isValid())
        return out;
    out.samples = rs.process(in.samples.constData(), in.frames());
    out.samples += rs.flush();
    return out;
}

bool isMulaw8k(const MediaFormat &f)
{
    return f.encoding == MediaFormat::Encoding::Mulaw && f.sampleRate == kTwilioRate;
}

} // namespace

QString LoadedCall::providerLabel() const
{
    return profile().displayName().section(QLatin1Char(' '), 0, 0);
}

double meanSendingFps(const ArrivalStats &s)
{
    double sum = 0;
    int n = 0;
    for (int i = 1; i + 1 < s.fpsPerSecond.size(); ++i)
        if (s.fpsPerSecond[i] > 0) {
            sum += s.fpsPerSecond[i];
            ++n;
        }
    return n ? sum / n : 0.0;
}

Analysis analyze(const LoadedCall &call, ArrivalAnalytics::Config analyticsConfig, PlayoutModel::Config playoutConfig)
{
    Analysis a;
    a.notes = call.notes;
    const provider::Profile &prof = call.profile();
    const provider::Limits limits = prof.limits();
    const QString peer = call.providerLabel();
    const MediaFormat &fmt = call.outFormat;
    a.provider = prof.name();
    a.providerReason = call.providerReason;
    // The provider's buffer depth, unless the caller chose one (a non-default config).
    if (playoutConfig.maxBufferedUs == PlayoutModel::Config().maxBufferedUs)
        playoutConfig.maxBufferedUs = limits.maxBufferedUs > 0 ? limits.maxBufferedUs : 7LL * 24 * 3600 * 1'000'000;
    const int discardedCode = prof.codeFor(provider::Fault::MediaDiscarded);
    ArrivalAnalytics analytics(analyticsConfig);
    PlayoutModel playout(playoutConfig);
    // Providers that cap buffered messages (Vonage): when each buffered message ends playing.
    std::deque<qint64> bufferedMessageEnds;
    // Sizes in wire bytes (the analytics see model units).
    QMap<int, qint64> sizes;
    qint64 wireBytes = 0, nonStandard = 0, firstNonStandard = -1, mediaFrames = 0;
    int marksDroppedByClear = 0;
    const qint64 origin = call.originUs >= 0 ? call.originUs : 0;
    analytics.setOriginUs(origin);
    bool discarding = false;
    qint64 nextSecond = 0; // the second whose record is due at the next boundary
    PerSecondRxBuilder secondBuilder;
    qint64 skippedGaps = 0, skippedSeconds = 0, firstGapFrom = -1, firstGapTo = -1;
    auto addViolation = [&](int code, const QString &msg, qint64 t) {
        ++a.violationCount;
        a.violationsByCode[code]++;
        if (a.violations.size() < 200) {
            Violation v;
            v.code = code;
            v.message = msg;
            v.timeUs = t;
            v.sessionSec = (t - origin) / 1e6;
            a.violations.append(v);
        }
    };
    // The per-second report sees the buffer at each second's boundary, like the emulator. Work
    // stays O(messages) whatever the gaps between them: once the buffer has played out, the
    // silent seconds up to the next message are skipped arithmetically (and noted), not walked
    // one by one; records stop after kMaxReportSecond (the analytics' own horizon).
    constexpr qint64 kMaxReportSecond = 7LL * 24 * 3600;
    constexpr qint64 kIdleSecondsListed = 10; // silent seconds still listed before a skip
    auto advanceTo = [&](qint64 t) {
        const qint64 targetSecond = t > origin ? (t - origin) / 1'000'000 : 0; // the second t falls in
        qint64 idleRun = 0;
        while (nextSecond < targetSecond && nextSecond < kMaxReportSecond) {
            if (playout.bufferedUs() == 0 && ++idleRun > kIdleSecondsListed && targetSecond - nextSecond > 1) {
                ++skippedGaps;
                skippedSeconds += targetSecond - nextSecond;
                if (firstGapFrom < 0) {
                    firstGapFrom = nextSecond;
                    firstGapTo = targetSecond;
                }
                nextSecond = targetSecond;
                break;
            }
            const qint64 boundary = origin + (nextSecond + 1) * 1'000'000;
            playout.advance(boundary);
            const PerSecondRx rx = secondBuilder.next(int(nextSecond), analytics.stats(), playout, a.violationCount);
            if (a.perSecond.size() < 3600)
                a.perSecond.append(rx);
            ++nextSecond;
        }
        if (nextSecond >= kMaxReportSecond)
            nextSecond = std::max(nextSecond, targetSecond);
        playout.advance(t);
    };

    for (const OutEvent &ev : call.out) {
        advanceTo(ev.tUs);
        switch (ev.type) {
        case OutEvent::Type::Media: {
            while (!bufferedMessageEnds.empty() && bufferedMessageEnds.front() <= ev.tUs)
                bufferedMessageEnds.pop_front();
            const qsizetype units = modelUnits(fmt, ev.bytes);
            const bool tooManyMessages = limits.maxBufferedMessages > 0 && qint64(bufferedMessageEnds.size()) >= limits.maxBufferedMessages;
            if (tooManyMessages || !playout.feed(ev.tUs, units)) {
                ++a.mediaDiscardedFrames;
                if (!discarding)
                    addViolation(discardedCode,
                                 tooManyMessages ? QStringLiteral("media discarded: %1 messages already buffered at %2, its limit").arg(limits.maxBufferedMessages).arg(peer)
                                                 : QStringLiteral("media discarded: more than %1 s of audio buffered").arg(playoutConfig.maxBufferedUs / 1'000'000),
                                 ev.tUs);
                discarding = true;
                break;
            }
            discarding = false;
            if (limits.maxBufferedMessages > 0)
                bufferedMessageEnds.push_back(playout.audioEndsAtUs());
            analytics.addFrame(ev.tUs, units);
            if (sizes.contains(ev.bytes) || sizes.size() < 256)
                sizes[ev.bytes]++;
            else
                sizes[-1]++;
            wireBytes += ev.bytes;
            if (!standardSize(limits, fmt, ev.bytes)) {
                ++nonStandard;
                if (firstNonStandard < 0)
                    firstNonStandard = mediaFrames;
            }
            ++mediaFrames;
            break;
        }
        case OutEvent::Type::Mark:
            ++a.marksSent;
            playout.mark(ev.tUs, ev.name);
            break;
        case OutEvent::Type::Clear:
            ++a.clears;
            analytics.reanchor();
            // The model echoes pending marks on a clear, as Twilio does; a provider that drops them
            // (Plivo, Vonage) never echoes those.
            if (const int echoed = playout.clear(ev.tUs); !prof.clearEchoesPendingMarks())
                marksDroppedByClear += echoed;
            bufferedMessageEnds.clear();
            break;
        case OutEvent::Type::Invalid:
        case OutEvent::Type::Binary:
            addViolation(ev.code, ev.detail, ev.tUs);
            break;
        case OutEvent::Type::Other:
            break;
        }
    }
    // Let what is buffered play out (marks still pending are echoed then).
    if (!call.out.isEmpty())
        playout.advance(call.out.last().tUs + playout.bufferedUs() + 1);
    if (skippedGaps > 0)
        a.notes << QStringLiteral("%1 silent stretch(es) (%2 s in all, the first from second %3 to %4) are left out of "
                                  "the per-second report: no outbound audio was buffered or sent then")
                       .arg(skippedGaps)
                       .arg(skippedSeconds)
                       .arg(firstGapFrom)
                       .arg(firstGapTo);
    if (nextSecond >= kMaxReportSecond)
        a.notes << QStringLiteral("the per-second report stops after %1 days").arg(kMaxReportSecond / 86400);

    a.stats = analytics.stats();
    a.stats.bytes = wireBytes;
    a.stats.sizeHistogram = sizes;
    a.stats.nonStandardFrames = nonStandard;
    a.stats.firstNonStandardFrame = firstNonStandard;
    a.playout = playout.toJson();
    a.underruns = playout.underrunCount();
    a.underrunTotalUs = playout.underrunTotalUs();
    a.maxBufferedSec = playout.maxBufferedUs() / 1e6;
    a.pauses = playout.pauseCount();
    a.marksEchoed = playout.marksEchoed() - marksDroppedByClear;

    // Verdicts, in the order an engineer should read them.
    const ArrivalStats &s = a.stats;
    auto problem = [&](const QString &t) { a.verdicts << QStringLiteral("problem: ") + t; a.problems = true; };
    auto warning = [&](const QString &t) { a.verdicts << QStringLiteral("warning: ") + t; };
    if (!call.hasTiming()) {
        a.verdicts << QStringLiteral("info: a WAV has no timing to analyse");
        return a;
    }
    if (s.frames == 0) {
        warning(QStringLiteral("no outbound media in the recording"));
    } else {
        const double meanFps = meanSendingFps(s);
        if (s.nonStandardFrames > 0)
            problem(QStringLiteral("%1 of %2 frames are not %3 (first at frame %4)")
                        .arg(s.nonStandardFrames).arg(s.frames).arg(standardSizeText(limits, fmt)).arg(s.firstNonStandardFrame));
        if (s.burstCount > 0)
            problem(QStringLiteral("%1 burst(s): audio arrived faster than real time (first at %2 s, %3 frames, %4 ms ahead)")
                        .arg(s.burstCount)
                        .arg(ms(s.bursts.isEmpty() ? 0 : (s.bursts.first().startUs - origin) / 1e6, 2))
                        .arg(s.bursts.isEmpty() ? 0 : s.bursts.first().frames)
                        .arg(ms(s.bursts.isEmpty() ? 0 : s.bursts.first().excessMs, 0)));
        if (a.underruns > 0)
            problem(QStringLiteral("%1 underrun(s): the caller heard %2 ms of gaps mid-speech")
                        .arg(a.underruns).arg(ms(a.underrunTotalUs / 1000.0, 0)));
        if (s.driftValid && std::abs(s.driftPpm) >= 5000)
            problem(QStringLiteral("drift %1 ppm (%2 ms over the stream): the sender's clock is %3 than real time")
                        .arg(ms(s.driftPpm, 0), ms(s.driftMs), s.driftPpm < 0 ? QStringLiteral("slower") : QStringLiteral("faster")));
        if (s.deltaMaxMs > 100)
            warning(QStringLiteral("largest gap between frames %1 ms (at frame %2)").arg(ms(s.deltaMaxMs)).arg(s.deltaMaxFrame));
        if (s.jitterMaxMs > 10)
            warning(QStringLiteral("jitter up to %1 ms").arg(ms(s.jitterMaxMs)));
        if (a.maxBufferedSec > 2.0)
            warning(QStringLiteral("up to %1 s buffered at %2: barge-in will be late unless the bot sends clear").arg(ms(a.maxBufferedSec, 2), peer));
        // The rate the provider's frame implies (50 fps for 20 ms frames); for a provider that takes
        // chunks of any multiple (Exotel), the bot's most common chunk (10 fps for 100 ms).
        int commonSize = 0;
        qint64 commonCount = 0;
        for (auto it = sizes.cbegin(); it != sizes.cend(); ++it)
            if (it.key() > 0 && it.value() > commonCount) {
                commonSize = it.key();
                commonCount = it.value();
            }
        const double frameMs = limits.audioSizeMultiple > 0 && commonSize > 0 ? fmt.bytesToMs(commonSize) : double(fmt.frameMs);
        const double expectedFps = frameMs > 0 ? 1000.0 / frameMs : 50.0;
        if (meanFps > 0 && std::abs(meanFps - expectedFps) > expectedFps / 50.0 && s.burstCount == 0)
            warning(QStringLiteral("%1 fps on average while sending").arg(ms(meanFps)));
        if (!a.problems && a.verdicts.isEmpty())
            a.verdicts << QStringLiteral("ok: %1 frames at %2 fps, jitter %3 ms, no bursts, no underruns")
                              .arg(s.frames).arg(ms(meanFps)).arg(ms(s.jitterMs, 2));
    }
    if (a.violationCount > 0) {
        QStringList codes;
        for (auto it = a.violationsByCode.cbegin(); it != a.violationsByCode.cend(); ++it)
            codes << QStringLiteral("%1 x%2").arg(it.key()).arg(it.value());
        problem(QStringLiteral("%1 message(s) %2 would reject (%3); first: %4")
                    .arg(a.violationCount).arg(peer, codes.join(QStringLiteral(", ")), a.violations.value(0).message));
    }
    if (a.marksSent > a.marksEchoed)
        warning(QStringLiteral("%1 of %2 marks never echoed").arg(a.marksSent - a.marksEchoed).arg(a.marksSent));
    return a;
}

QJsonObject Analysis::toJson() const
{
    QJsonObject o;
    o[QStringLiteral("provider")] = QJsonObject{{QStringLiteral("name"), provider}, {QStringLiteral("reason"), providerReason}};
    o[QStringLiteral("arrival")] = stats.toJson();
    o[QStringLiteral("playout")] = playout;
    o[QStringLiteral("underruns")] = underruns;
    o[QStringLiteral("underrunTotalMs")] = underrunTotalUs / 1000.0;
    o[QStringLiteral("maxBufferedSec")] = maxBufferedSec;
    o[QStringLiteral("marks")] = QJsonObject{{QStringLiteral("sent"), marksSent}, {QStringLiteral("echoed"), marksEchoed}};
    o[QStringLiteral("clears")] = clears;
    QJsonObject v;
    v[QStringLiteral("total")] = violationCount;
    QJsonObject byCode;
    for (auto it = violationsByCode.cbegin(); it != violationsByCode.cend(); ++it)
        byCode[QString::number(it.key())] = it.value();
    v[QStringLiteral("byCode")] = byCode;
    QJsonArray list;
    for (const Violation &x : violations)
        list.append(x.toJson());
    v[QStringLiteral("list")] = list;
    o[QStringLiteral("violations")] = v;
    o[QStringLiteral("mediaDiscardedFrames")] = mediaDiscardedFrames;
    QJsonArray secs;
    for (const PerSecondRx &rx : perSecond)
        secs.append(rx.toJson());
    o[QStringLiteral("perSecond")] = secs;
    o[QStringLiteral("verdicts")] = QJsonArray::fromStringList(verdicts);
    o[QStringLiteral("notes")] = QJsonArray::fromStringList(notes);
    o[QStringLiteral("problems")] = problems;
    return o;
}

QString Analysis::toText() const
{
    const ArrivalStats &s = stats;
    QStringList l;
    const std::optional<provider::Id> id = provider::idFromName(provider);
    const QString peer = id ? provider::profile(*id).displayName().section(QLatin1Char(' '), 0, 0) : QStringLiteral("Twilio");
    if (!provider.isEmpty())
        l << QStringLiteral("Provider: %1 (%2)").arg(id ? provider::profile(*id).displayName() : provider, providerReason);
    l << QStringLiteral("Outbound: %1 media frames (%2 s of audio), %3 spurt(s)")
             .arg(s.frames).arg(ms(s.audioMs / 1000.0, 2)).arg(s.spurts);
    l << QStringLiteral("Delta min/mean/max/p99 %1/%2/%3/%4 ms (max at frame %5); jitter %6 ms (max %7)")
             .arg(ms(s.deltaMinMs), ms(s.deltaMeanMs), ms(s.deltaMaxMs), ms(s.deltaP99Ms))
             .arg(s.deltaMaxFrame)
             .arg(ms(s.jitterMs, 2), ms(s.jitterMaxMs, 2));
    l << QStringLiteral("Skew now %1 ms, worst %2 ms; drift %3")
             .arg(ms(s.skewMs), ms(s.skewMaxMs),
                  s.driftValid ? QStringLiteral("%1 ppm (%2 ms)").arg(ms(s.driftPpm, 0), ms(s.driftMs)) : QStringLiteral("n/a"));
    l << QStringLiteral("%1 buffer: max %2 s; underruns %3 (%4 ms); pauses %5; bursts %6")
             .arg(peer, ms(maxBufferedSec, 2)).arg(underruns).arg(ms(underrunTotalUs / 1000.0, 0)).arg(pauses).arg(s.burstCount);
    QStringList sizes;
    for (auto it = s.sizeHistogram.cbegin(); it != s.sizeHistogram.cend(); ++it)
        sizes << QStringLiteral("%1 B x%2").arg(it.key() < 0 ? QStringLiteral("other") : QString::number(it.key())).arg(it.value());
    l << QStringLiteral("Payload sizes: %1").arg(sizes.isEmpty() ? QStringLiteral("-") : sizes.join(QStringLiteral(", ")));
    l << QStringLiteral("Marks %1 sent, %2 echoed; clears %3; violations %4").arg(marksSent).arg(marksEchoed).arg(clears).arg(violationCount);
    for (const QString &n : notes)
        l << QStringLiteral("Note: ") + n;
    l << QString();
    for (const QString &v : verdicts)
        l << v;
    return l.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QByteArray mulawAudio(const LoadedCall &call, capture::Dir dir, QString *error)
{
    if (call.source != LoadedCall::Source::Wav && isMulaw8k(dir == capture::Dir::Out ? call.outFormat : call.inFormat))
        return dir == capture::Dir::Out ? call.outAudio : call.inAudio;
    const PcmBuffer pcm = pcmAudio(call, dir);
    if (pcm.samples.isEmpty() && call.wavPcm.frames() > 0 && error)
        *error = QStringLiteral("cannot convert %1 Hz x%2 to 8 kHz mono").arg(call.wavPcm.sampleRate).arg(call.wavPcm.channels);
    return g711::encodeMulaw(pcm.samples.constData(), pcm.samples.size());
}

PcmBuffer nativePcmAudio(const LoadedCall &call, capture::Dir dir)
{
    if (call.source == LoadedCall::Source::Wav)
        return wavDirection(call, dir);
    return decodeDirection(call, dir);
}

PcmBuffer pcmAudio(const LoadedCall &call, capture::Dir dir)
{
    if (call.source == LoadedCall::Source::Wav) {
        const PcmBuffer r = resampled(wavDirection(call, dir), kTwilioRate);
        return r;
    }
    return resampled(decodeDirection(call, dir), kTwilioRate);
}

bool exportWav(const LoadedCall &call, capture::Dir dir, const QString &path, wav::Encoding encoding, QString *error)
{
    if (call.source == LoadedCall::Source::Wav)
        return wav::writeFile(path, wavDirection(call, dir), encoding, error);
    const QByteArray &audio = dir == capture::Dir::Out ? call.outAudio : call.inAudio;
    const MediaFormat &f = dir == capture::Dir::Out ? call.outFormat : call.inFormat;
    if (audio.isEmpty()) {
        if (error)
            *error = QStringLiteral("the recording has no %1 audio").arg(dir == capture::Dir::Out ? QStringLiteral("outbound") : QStringLiteral("inbound"));
        return false;
    }
    if (encoding == wav::Encoding::Mulaw) { // as recorded
        if (f.encoding == MediaFormat::Encoding::Mulaw)
            return wav::writeMulawFile(path, audio, f.sampleRate, error);
        encoding = f.encoding == MediaFormat::Encoding::Alaw ? wav::Encoding::Alaw : wav::Encoding::Pcm16;
    }
    return wav::writeFile(path, decodeDirection(call, dir), encoding, error);
}

QList<QByteArray> framesForResend(const LoadedCall &call, int *paddedBytes)
{
    return framesForResend(call, MediaFormat::mulaw8k(), paddedBytes);
}

QList<QByteArray> framesForResend(const LoadedCall &call, const MediaFormat &format, int *paddedBytes)
{
    QByteArray audio;
    const bool sameAsRecorded = call.source != LoadedCall::Source::Wav && call.outFormat.encoding == format.encoding
        && call.outFormat.sampleRate == format.sampleRate;
    if (sameAsRecorded)
        audio = call.outAudio;
    else if (isMulaw8k(format))
        audio = mulawAudio(call, capture::Dir::Out);
    else
        audio = format.encode(resampled(nativePcmAudio(call, capture::Dir::Out), format.sampleRate).samples);
    const int frameBytes = std::max(1, format.frameBytes());
    QList<QByteArray> frames;
    frames.reserve(audio.size() / frameBytes + 1);
    for (qsizetype i = 0; i < audio.size(); i += frameBytes)
        frames.append(audio.mid(i, frameBytes));
    int padded = 0;
    if (!frames.isEmpty() && frames.last().size() < frameBytes) {
        padded = frameBytes - int(frames.last().size());
        frames.last().append(format.silence(padded));
    }
    if (paddedBytes)
        *paddedBytes = padded;
    return frames;
}

} // namespace pacelab::replay
