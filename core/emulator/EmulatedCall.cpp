#include "EmulatedCall.h"

#include "ProfileModels.h"

#include <QJsonArray>
#include <algorithm>

namespace pacelab {

namespace {
constexpr qint64 kMaxLateUs = 100'000; // the inbound pacer re-anchors when woken this late
constexpr qint64 kStopHoldUs = 100'000; // "audio stopped" = silence held this long
constexpr int kMaxViolationsListed = 1000;
constexpr int kMaxSecondsListed = 24 * 3600;

QString ms(double v, int prec = 1)
{
    return QString::number(v, 'f', prec);
}
} // namespace

EmulatedCall::EmulatedCall(Events *events)
    : m_events(events)
{
    m_playout.setEchoCallback([this](const MarkEcho &e) { onMarkEcho(e); });
}

void EmulatedCall::send(const provider::WireMessage &m)
{
    // A profile that has no such message returns an empty one: nothing goes out.
    if (m_events && !m.data.isEmpty())
        m_events->sendToBot(m);
}

void EmulatedCall::log(const QString &level, const QString &text)
{
    if (m_events)
        m_events->log(level, text);
}

void EmulatedCall::prepareCaller(const CallerAudio &audio)
{
    m_callerKind = audio.kind;
    m_callerLoop = audio.loop;
    m_callerAudio.clear();
    m_callerPos = 0;
    m_tone.reset();
    if (audio.kind == CallerAudio::Kind::Tone) {
        m_tone = std::make_unique<signal::SineSource>(m_inFormat.sampleRate, audio.toneHz, audio.toneDbfs);
    } else if (audio.kind == CallerAudio::Kind::Pcm) {
        if (audio.isEncodedFor(m_inFormat)) {
            m_callerAudio = audio.encodedAudio; // shared, encoded once (CallerAudio::encoded)
            return;
        }
        CallerAudio enc;
        QString err;
        if (!CallerAudio::encoded(audio, &enc, &err, m_inFormat)) {
            log(QStringLiteral("error"), QStringLiteral("caller audio unusable (%1): sending silence").arg(err));
            m_callerKind = CallerAudio::Kind::Silence;
            return;
        }
        m_callerAudio = enc.encodedAudio;
        // Whole samples only, so a looped source stays aligned (L16: 2 bytes a sample).
        m_callerAudio.truncate(m_callerAudio.size() - m_callerAudio.size() % m_inFormat.bytesPerSample());
        if (m_callerAudio.isEmpty())
            m_callerKind = CallerAudio::Kind::Silence;
    }
}

void EmulatedCall::setCallerAudio(const CallerAudio &audio)
{
    m_options.caller = audio;
    prepareCaller(audio);
}

void EmulatedCall::start(const EmulatorOptions &options, qint64 now, qint64 firstFrameUs)
{
    m_options = options;
    m_profile = &provider::profile(m_options.provider);
    m_inFormat = m_profile->inboundFormat();
    if (!m_inFormat.isValid())
        m_inFormat = MediaFormat::mulaw8k();
    m_silenceFrame = m_inFormat.silenceFrame();
    m_active = true;
    provider::StartParams params;
    params.streamId = m_options.streamSid;
    params.accountId = m_options.accountSid;
    params.callId = m_options.callSid;
    params.tracks = m_options.tracks;
    params.customParameters = m_options.customParameters;
    m_params = m_profile->withIds(params);
    m_sessionStartUs = now;
    m_sessionEndUs = -1;
    m_seq = 0;
    m_chunk = 0;
    m_inboundFrames = 0;
    m_lateResets = 0;
    m_stopSent = false;
    m_endReason.clear();
    m_analytics = ArrivalAnalytics(analyticsConfigFor(*m_profile, m_options.analytics));
    m_analytics.setOriginUs(m_sessionStartUs);
    m_playout = PlayoutModel(playoutConfigFor(*m_profile, m_options.playout));
    m_playout.setEchoCallback([this](const MarkEcho &e) { onMarkEcho(e); });
    m_playout.advance(m_sessionStartUs);
    m_violations.clear();
    m_violationCount = 0;
    m_violationsByCode.clear();
    m_discarding = false;
    m_discardedFrames = 0;
    m_perSecond.clear();
    m_nextSecond = 0;
    m_secondBuilder.reset();
    m_markOrder.clear();
    m_marksReceived = 0;
    m_marksEchoedByClear = 0;
    m_clearsReceived = 0;
    m_messagesReceived = 0;
    m_lastMediaUs = -1;
    m_recorded.clear();
    m_recordTruncated = false;
    m_bargeIn = BargeInResult();
    m_bargeActive = false;
    m_bargeSpeech.clear();
    m_bargePos = 0;
    m_bargeEndUs = -1;
    prepareCaller(m_options.caller);

    for (const provider::WireMessage &m : m_profile->encodeHandshake(m_params, &m_seq))
        send(m);
    m_nextFrameUs = firstFrameUs >= 0 ? firstFrameUs : now;
}

void EmulatedCall::end(qint64 now, const QString &reason)
{
    if (!m_active)
        return;
    advanceTo(now);
    if (m_bargeActive)
        finishBargeIn(now);
    m_active = false;
    m_sessionEndUs = now;
    m_endReason = reason;
}

QByteArray EmulatedCall::nextCallerFrame(qint64 frameUs)
{
    const int frameBytes = m_inFormat.frameBytes();
    auto padded = [&](QByteArray f) {
        if (f.size() < frameBytes)
            f += m_silenceFrame.left(frameBytes - f.size());
        return f;
    };
    if (m_bargePos < m_bargeSpeech.size()) {
        if (m_bargePos == 0 && m_bargeActive) {
            m_bargeIn.startedUs = frameUs;
            m_bargeEndUs = frameUs + m_inFormat.bytesToUs(m_bargeSpeech.size()) + qint64(m_bargeTailMs) * 1000;
        }
        QByteArray f = m_bargeSpeech.mid(m_bargePos, frameBytes);
        m_bargePos += frameBytes;
        return padded(f);
    }
    switch (m_callerKind) {
    case CallerAudio::Kind::Tone: {
        const QVector<qint16> s = m_tone->next(m_inFormat.samplesPerFrame());
        return m_inFormat.encode(s);
    }
    case CallerAudio::Kind::Pcm: {
        if (m_callerPos >= m_callerAudio.size() && m_callerLoop)
            m_callerPos = 0;
        QByteArray f = m_callerAudio.mid(m_callerPos, frameBytes);
        m_callerPos += f.size();
        return padded(f);
    }
    case CallerAudio::Kind::Silence:
        break;
    }
    return m_silenceFrame; // implicitly shared: no copy per frame
}

void EmulatedCall::sendInboundDue(qint64 now)
{
    if (!m_active || m_stopSent || !m_options.sendInboundMedia)
        return;
    const qint64 frameUs = m_inFormat.frameUs();
    // Woken far too late (a stalled process): skip the missed slots instead of bursting. At
    // least one frame late is always caught up (a 100 ms frame grid).
    if (now - m_nextFrameUs > std::max(kMaxLateUs, frameUs)) {
        const qint64 missed = (now - m_nextFrameUs) / frameUs;
        m_nextFrameUs += missed * frameUs;
        m_lateResets++;
    }
    while (m_nextFrameUs <= now) {
        const QByteArray frame = nextCallerFrame(m_nextFrameUs);
        const qint64 tsMs = (m_nextFrameUs - m_sessionStartUs) / 1000;
        send(m_profile->encodeInboundMedia(m_params, &m_seq, ++m_chunk, tsMs, frame));
        m_inboundFrames++;
        m_nextFrameUs += frameUs;
    }
}

qint64 EmulatedCall::nextDeadlineUs() const
{
    qint64 next = m_sessionStartUs + qint64(m_nextSecond + 1) * 1'000'000;
    auto consider = [&next](qint64 t) {
        if (t >= 0 && t < next)
            next = t;
    };
    if (m_options.sendInboundMedia && !m_stopSent)
        consider(m_nextFrameUs);
    consider(m_playout.nextEventUs());
    if (m_bargeActive && m_bargeIn.startedUs >= 0) {
        consider(m_bargeEndUs);
        if (m_lastMediaUs >= 0)
            consider(m_lastMediaUs + kStopHoldUs);
        const qint64 end = m_playout.audioEndsAtUs();
        if (end >= 0)
            consider(std::max(end, m_bargeIn.startedUs) + kStopHoldUs);
    }
    return next;
}

void EmulatedCall::advance(qint64 now)
{
    if (!m_active)
        return;
    sendInboundDue(now);
    advanceTo(now);
}

void EmulatedCall::advanceTo(qint64 now)
{
    // Per-second records see the buffer as it was at the second's boundary.
    while (now >= m_sessionStartUs + qint64(m_nextSecond + 1) * 1'000'000) {
        const qint64 boundary = m_sessionStartUs + qint64(m_nextSecond + 1) * 1'000'000;
        m_playout.advance(boundary);
        emitSecond(m_nextSecond);
        m_nextSecond++;
    }
    m_playout.advance(now);
    updateBargeIn(now);
}

void EmulatedCall::emitSecond(int second)
{
    const PerSecondRx rx = m_secondBuilder.next(second, m_analytics.stats(), m_playout, m_violationCount);
    if (m_perSecond.size() < kMaxSecondsListed)
        m_perSecond.append(rx);
    if (m_events)
        m_events->secondTick(rx);
}

void EmulatedCall::addViolation(int code, const QString &message, qint64 atUs)
{
    Violation v;
    v.code = code;
    v.message = message;
    v.timeUs = atUs;
    v.sessionSec = (atUs - m_sessionStartUs) / 1e6;
    m_violationCount++;
    m_violationsByCode[code]++;
    if (m_violations.size() < kMaxViolationsListed)
        m_violations.append(v);
    log(QStringLiteral("warning"), QStringLiteral("violation %1 at %2 s: %3").arg(code).arg(ms(v.sessionSec, 3), message));
    if (m_events)
        m_events->violation(v);
}

void EmulatedCall::onMarkEcho(const MarkEcho &e)
{
    if (e.byClear)
        m_marksEchoedByClear++;
    m_markOrder.append(e.name);
    send(m_profile->encodeMarkEcho(m_params, &m_seq, e.name));
    if (m_events)
        m_events->markEchoed(e.name);
}

void EmulatedCall::onText(qint64 t, const QString &text)
{
    onMessage(t, text.toUtf8(), false);
}

void EmulatedCall::onBinary(qint64 t, const QByteArray &data)
{
    onMessage(t, data, true);
}

void EmulatedCall::reportInvalid(qint64 t, const provider::ParseResult &r, const QByteArray &data, bool binary)
{
    const int code = r.code != 0 ? r.code : m_profile->codeFor(r.error);
    if (binary) {
        addViolation(code, r.detail.isEmpty() ? QStringLiteral("binary frame of %1 bytes refused").arg(data.size()) : r.detail, t);
        return;
    }
    const QString text = QString::fromUtf8(data);
    QString shown = text.left(120);
    shown.replace(QLatin1Char('\n'), QLatin1Char(' '));
    addViolation(code, QStringLiteral("%1 (message %2: %3%4)")
                           .arg(r.detail.isEmpty() ? provider::parseErrorName(r.error) : r.detail)
                           .arg(m_messagesReceived)
                           .arg(shown, text.size() > 120 ? QStringLiteral("…") : QString()),
                 t);
}

void EmulatedCall::onMessage(qint64 t, const QByteArray &data, bool binary)
{
    if (!m_active)
        return;
    m_messagesReceived++;
    advanceTo(t);
    if (m_events)
        m_events->received(t, binary, data);
    const provider::Limits limits = m_profile->limits();
    provider::ParseResult r;
    if (limits.maxMessageBytes > 0 && data.size() > limits.maxMessageBytes) {
        r.error = provider::ParseError::InvalidJson;
        r.code = m_profile->codeFor(provider::Fault::InvalidMessage);
        r.detail = QStringLiteral("message of %1 bytes over %2's limit of %3 bytes")
                       .arg(data.size()).arg(m_profile->displayName()).arg(limits.maxMessageBytes);
    } else {
        const bool checkId = m_options.checkStreamSid && m_profile->botMessagesCarryStreamId();
        r = m_profile->parseFromBot(data, binary, checkId ? m_params.streamId : QString());
    }
    if (r.ok() && r.message.event == provider::Event::Media) {
        // The provider's audio size rules (the profile's parser may already apply them).
        const qsizetype n = r.message.audio.size();
        QString why;
        if (limits.audioSizeMultiple > 0 && n % limits.audioSizeMultiple != 0)
            why = QStringLiteral("audio chunk of %1 bytes is not a multiple of %2 bytes").arg(n).arg(limits.audioSizeMultiple);
        else if (limits.minAudioBytes > 0 && n < limits.minAudioBytes)
            why = QStringLiteral("audio chunk of %1 bytes is below the smallest accepted (%2 bytes)").arg(n).arg(limits.minAudioBytes);
        else if (limits.maxAudioBytes > 0 && n > limits.maxAudioBytes)
            why = QStringLiteral("audio chunk of %1 bytes is above the largest accepted (%2 bytes)").arg(n).arg(limits.maxAudioBytes);
        if (!why.isEmpty()) {
            r.error = provider::ParseError::BadAudioSize;
            r.code = m_profile->codeFor(provider::Fault::BadAudioSize);
            r.detail = why;
        }
    }
    if (!r.ok()) {
        reportInvalid(t, r, data, binary);
        return;
    }
    switch (r.message.event) {
    case provider::Event::Media:
        onMedia(t, r.message.audio);
        break;
    case provider::Event::Mark:
        m_marksReceived++;
        m_playout.mark(t, r.message.markName);
        break;
    case provider::Event::Clear:
        m_clearsReceived++;
        m_analytics.reanchor();
        m_playout.clear(t, m_profile->clearEchoesPendingMarks());
        if (const auto ack = m_profile->encodeClearAck(m_params, &m_seq))
            send(*ack);
        if (m_bargeActive && m_bargeIn.startedUs >= 0 && !m_bargeIn.clearReceived && t >= m_bargeIn.startedUs) {
            m_bargeIn.clearReceived = true;
            m_bargeIn.clearLatencyMs = (t - m_bargeIn.startedUs) / 1000.0;
        }
        log(QStringLiteral("info"), QStringLiteral("clear received at %1 s").arg(ms((t - m_sessionStartUs) / 1e6, 3)));
        if (m_events)
            m_events->clearReceived();
        break;
    default:
        break;
    }
    updateBargeIn(t);
}

void EmulatedCall::onMedia(qint64 t, const QByteArray &audio)
{
    if (!m_playout.feed(t, audio.size())) {
        m_discardedFrames++;
        if (!m_discarding) {
            m_discarding = true;
            const PlayoutConfig &pc = m_playout.config();
            const QString why = m_playout.lastRefusal() == PlayoutModel::Refusal::Messages
                ? QStringLiteral("media discarded: %1 messages already buffered (%2's limit)")
                      .arg(pc.maxBufferedMessages).arg(m_profile->displayName())
                : QStringLiteral("media discarded: more than %1 s of audio buffered").arg(pc.maxBufferedUs / 1'000'000);
            addViolation(m_profile->codeFor(provider::Fault::MediaDiscarded), why, t);
        }
        return;
    }
    m_discarding = false;
    m_analytics.addFrame(t, audio.size());
    m_lastMediaUs = t;
    if (!m_recordTruncated) {
        if (m_recorded.size() + audio.size() <= m_options.maxRecordBytes) {
            m_recorded += audio;
        } else {
            m_recordTruncated = true;
            log(QStringLiteral("warning"), QStringLiteral("recording stopped at %1 s of audio (limit)")
                                            .arg(qint64(mediaFormat().bytesToMs(m_recorded.size()) / 1000)));
        }
    }
    if (m_events)
        m_events->mediaReceived(audio);
}

bool EmulatedCall::sendDtmf(const QString &digit)
{
    static const QString valid = QStringLiteral("0123456789*#ABCD");
    if (!m_active || digit.size() != 1 || !valid.contains(digit.toUpper()))
        return false;
    const provider::WireMessage m = m_profile->encodeDtmf(m_params, &m_seq, digit.toUpper());
    if (m.data.isEmpty())
        return false; // the provider does not send DTMF on the stream
    send(m);
    if (m_events)
        m_events->dtmfSent(digit.toUpper());
    return true;
}

bool EmulatedCall::sendStop()
{
    if (!m_active || m_stopSent)
        return false;
    m_stopSent = true;
    if (const auto stop = m_profile->encodeStop(m_params, &m_seq))
        send(*stop);
    else if (m_events)
        m_events->closeToBot(QStringLiteral("stream stopped"));
    return true;
}

bool EmulatedCall::startBargeIn(qint64 now, const PcmBuffer &speech, int tailMs, QString *error)
{
    if (!m_active || m_stopSent || !m_options.sendInboundMedia) {
        *error = QStringLiteral("barge-in needs a running stream");
        return false;
    }
    QVector<qint16> mono;
    QString err;
    if (!pcmToMono(speech, m_inFormat.sampleRate, &mono, &err) || mono.isEmpty()) {
        *error = QStringLiteral("barge-in speech unusable: %1").arg(err.isEmpty() ? QStringLiteral("no samples") : err);
        return false;
    }
    advanceTo(now);
    m_bargeIn = BargeInResult();
    m_bargeIn.sent = true;
    m_bargeIn.bufferedAtStartSec = m_playout.bufferedSec();
    m_bargeIn.botWasTalking = m_playout.bufferedUs() > 0 || (m_lastMediaUs >= 0 && now - m_lastMediaUs < kStopHoldUs);
    m_bargeSpeech = m_inFormat.encode(mono);
    m_bargePos = 0;
    m_bargeTailMs = std::max(0, tailMs);
    m_bargeEndUs = -1;
    m_bargePlayedAtStartUs = m_playout.playedUs();
    m_bargeActive = true;
    log(QStringLiteral("info"), QStringLiteral("barge-in: %1 ms of caller speech (bot %2, %3 s buffered)")
                                    .arg(qint64(mono.size()) * 1000 / m_inFormat.sampleRate)
                                    .arg(m_bargeIn.botWasTalking ? QStringLiteral("talking") : QStringLiteral("silent"))
                                    .arg(ms(m_bargeIn.bufferedAtStartSec, 2)));
    return true;
}

void EmulatedCall::updateBargeIn(qint64 now)
{
    if (!m_bargeActive || m_bargeIn.startedUs < 0)
        return;
    const qint64 start = m_bargeIn.startedUs;
    const qint64 end = m_playout.audioEndsAtUs();
    const qint64 silentFrom = std::max(end, start);
    if (m_playout.bufferedUs() == 0 && now >= silentFrom + kStopHoldUs
        && (m_lastMediaUs < 0 || now - m_lastMediaUs >= kStopHoldUs)) {
        m_bargeIn.audioStopped = true;
        m_bargeIn.audioStoppedLatencyMs = (silentFrom - start) / 1000.0;
        finishBargeIn(now);
        return;
    }
    if (m_bargeEndUs >= 0 && now >= m_bargeEndUs)
        finishBargeIn(now);
}

void EmulatedCall::finishBargeIn(qint64 now)
{
    if (!m_bargeActive)
        return;
    m_bargeActive = false;
    m_bargeIn.finished = true;
    if (m_bargeIn.startedUs >= 0 && (m_lastMediaUs < 0 || now - m_lastMediaUs >= kStopHoldUs))
        m_bargeIn.mediaStoppedLatencyMs = std::max<qint64>(0, m_lastMediaUs - m_bargeIn.startedUs) / 1000.0;
    m_bargeIn.staleAudioHeardMs = (m_playout.playedUs() - m_bargePlayedAtStartUs) / 1000.0;
    BargeInResult &b = m_bargeIn;
    if (b.startedUs < 0) {
        b.verdict = QStringLiteral("probe ended before any caller speech was sent");
    } else if (!b.botWasTalking) {
        b.verdict = QStringLiteral("the bot was not talking when the probe began: nothing to interrupt");
    } else if (b.clearReceived && b.audioStopped) {
        b.verdict = QStringLiteral("clear after %1 ms; the caller hears silence after %2 ms")
                        .arg(ms(b.clearLatencyMs, 0), ms(b.audioStoppedLatencyMs, 0));
    } else if (!b.clearReceived && b.audioStopped) {
        b.verdict = QStringLiteral("no clear: the bot stopped sending, but %1 ms of buffered stale speech played out")
                        .arg(ms(b.audioStoppedLatencyMs, 0));
    } else if (b.clearReceived) {
        b.verdict = QStringLiteral("clear after %1 ms, but the bot kept sending: still audible when the probe ended")
                        .arg(ms(b.clearLatencyMs, 0));
    } else {
        b.verdict = QStringLiteral("no clear and the bot kept talking: %1 s of stale speech heard during the probe")
                        .arg(ms(b.staleAudioHeardMs / 1000.0, 2));
    }
    log(QStringLiteral("info"), QStringLiteral("barge-in: %1").arg(b.verdict));
    if (m_events)
        m_events->bargeInFinished(b);
}

double EmulatedCall::sessionSeconds(qint64 now) const
{
    if (m_sessionStartUs == 0)
        return 0.0;
    const qint64 end = m_sessionEndUs >= 0 ? m_sessionEndUs : now;
    return (end - m_sessionStartUs) / 1e6;
}

} // namespace pacelab
