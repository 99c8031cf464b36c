// Judgement, the peer's figures, the criteria several scenarios share, and B1-B5.
#include "Judges.h"

#include "CheckUtil.h"

#include "ProfileAudio.h"

#include <QJsonDocument>

#include <algorithm>
#include <cmath>

namespace pacelab::check {

// ---- Judgement ----------------------------------------------------------------------------

void Judgement::check(const QString &name, bool pass, const QString &measured, const QString &limit)
{
    criteria.append(Criterion{name, measured, limit, pass, false});
}

void Judgement::note(const QString &name, const QString &measured)
{
    criteria.append(Criterion{name, measured, QString(), true, true});
}

void Judgement::detail(const QString &line)
{
    if (!details.isEmpty())
        details += QLatin1Char('\n');
    details += line;
}

void Judgement::figure(const QString &key, const QJsonValue &value)
{
    figures.insert(key, value);
}

void Judgement::setLimit(const QString &key, double value)
{
    limits.insert(key, value);
}

void Judgement::conclude(Verdict v, const QString &why)
{
    if (!m_forced)
        m_forced = std::pair{v, why};
}

const Criterion *Judgement::criterion(const QString &nameStart) const
{
    for (const Criterion &c : criteria)
        if (c.name.startsWith(nameStart))
            return &c;
    return nullptr;
}

Verdict Judgement::verdict(QString *reason, const QString &passSummary) const
{
    QString dummy;
    QString &r = reason ? *reason : dummy;
    if (m_forced) {
        r = m_forced->second;
        return m_forced->first;
    }
    QStringList failing;
    for (const Criterion &c : criteria)
        if (!c.pass && !c.informational)
            failing << QStringLiteral("%1: %2 (limit %3)").arg(c.name, c.measured, c.limit);
    if (criteria.isEmpty()) {
        r = QStringLiteral("nothing was judged");
        return Verdict::Error;
    }
    if (!failing.isEmpty()) {
        r = failing.join(QStringLiteral("; "));
        return Verdict::Fail;
    }
    if (!passSummary.isEmpty()) {
        r = passSummary;
    } else {
        QStringList parts;
        for (const Criterion &c : criteria)
            if (!c.informational)
                parts << QStringLiteral("%1 %2").arg(c.name, c.measured);
        r = parts.join(QStringLiteral("; "));
    }
    return Verdict::Pass;
}

// ---- the peer -----------------------------------------------------------------------------

void RejectedMedia::add(const QString &reason)
{
    ++rejected;
    reasons[reason]++;
}

void RejectedMedia::observe(bool binary, const QByteArray &data, const QString &streamSid)
{
    const provider::Profile &profile = provider::profile(provider);
    const provider::ParseResult pr = profile.parseFromBot(data, binary, streamSid);
    const QString reason = pr.ok() ? QString()
                                   : QStringLiteral("%1 %2").arg(pr.code != 0 ? pr.code : profile.codeFor(provider::Fault::InvalidMessage))
                                         .arg(pr.detail.isEmpty() ? provider::parseErrorName(pr.error) : pr.detail);
    if (binary) {
        if (profile.outboundAudioIsBinary()) {
            // Vonage: binary frames are the media; one the provider refuses (size) is rejected media.
            if (pr.ok() && pr.message.event != provider::Event::Media)
                return;
            ++mediaMessages;
        } else {
            ++binaryFrames;
        }
        if (!pr.ok())
            add(reason);
        return;
    }
    if (pr.ok()) {
        if (pr.message.event == provider::Event::Media)
            ++mediaMessages;
        return; // marks, clears: B1's business
    }
    // It did not parse: a media message only if it says so (garbage is B1's business).
    static const QList<provider::Id> ids = provider::allIds();
    static QList<MediaName> names = [] {
        QList<MediaName> n;
        for (provider::Id id : ids)
            n << mediaName(provider::profile(id));
        return n;
    }();
    // Audio sent as text to a provider that takes it only as binary frames (Vonage) is media too.
    const bool textAudio = profile.outboundAudioIsBinary()
                           && (pr.error == provider::ParseError::WrongFrameType || pr.error == provider::ParseError::PayloadIsRiff);
    if (!textAudio && !looksLikeMedia(data, names.value(ids.indexOf(provider))))
        return;
    ++mediaMessages;
    add(reason);
}

QString RejectedMedia::firstReason() const
{
    QString best;
    int n = 0;
    for (auto it = reasons.cbegin(); it != reasons.cend(); ++it)
        if (it.value() > n) {
            n = it.value();
            best = it.key();
        }
    return best;
}

namespace {
// What the playout model knows, whoever fed it (the live emulator or a synthesized timeline).
PeerObservation fromPlayout(const ArrivalStats &stats, const PlayoutModel &p)
{
    PeerObservation o;
    o.stats = stats;
    o.maxBufferedUs = p.maxBufferedUs();
    o.bufferedUs = p.bufferedUs();
    o.underruns = p.underrunCount();
    o.underrunTotalUs = p.underrunTotalUs();
    o.marksEchoed = p.marksEchoed();
    o.marksPending = p.marksPending();
    o.clears = p.clears();
    return o;
}
} // namespace

PeerObservation PeerObservation::fromModels(const ArrivalAnalytics &a, const PlayoutModel &p)
{
    PeerObservation o = fromPlayout(a.stats(), p);
    for (const MarkEcho &e : p.echoes())
        o.marksEchoedInOrder << e.name;
    return o;
}

PeerObservation PeerObservation::fromEmulator(const TwilioEmulator &emu)
{
    PeerObservation o = fromPlayout(emu.stats(), emu.playout());
    o.violations = emu.violations();
    o.violationCount = emu.violationCount();
    o.marksEchoedInOrder = emu.marksEchoedInOrder();
    o.bargeIn = emu.bargeIn();
    return o;
}

// ---- shared criteria ------------------------------------------------------------------------

void judgeFps(Judgement &j, const Thresholds &th, int tolerance, const QList<int> &fps, const QString &name)
{
    const int lo = th.fpsTarget - tolerance, hi = th.fpsTarget + tolerance;
    j.setLimit(QStringLiteral("fpsMin"), lo);
    j.setLimit(QStringLiteral("fpsMax"), hi);
    const QString limit = QStringLiteral("%1 ± %2 in every active second").arg(th.fpsTarget).arg(tolerance);
    if (fps.isEmpty()) {
        j.check(name, false, QStringLiteral("no whole second of audio to judge"), limit);
        return;
    }
    const auto [mn, mx] = std::minmax_element(fps.begin(), fps.end());
    int outside = 0;
    for (int f : fps)
        outside += (f < lo || f > hi) ? 1 : 0;
    j.check(name, outside == 0,
            QStringLiteral("%1 over %2 s%3").arg(fmtRange(*mn, *mx)).arg(fps.size())
                .arg(outside ? QStringLiteral(", %1 s outside").arg(outside) : QString()),
            limit);
}

void judgeDrift(Judgement &j, const Thresholds &th, const ArrivalStats &st, const QString &name, double minAudioSec)
{
    // Too little audio: a legitimate lead at the start (up to the 100 ms burst tolerance) bends
    // the fit more than the limit, and a slow clock has not yet drained the jitter buffer
    // (1.3 % slow loses 39 ms in 3 s): what the caller could hear is judged by the underruns.
    if (minAudioSec < 0)
        minAudioSec = th.minDriftAudioSec;
    if (!st.driftValid || st.audioMs < minAudioSec * 1000.0) {
        j.note(name, QStringLiteral("not judged: %1 s of audio, needs ≥ %2 s%3")
                         .arg(st.audioMs / 1000.0, 0, 'f', 2).arg(minAudioSec)
                         .arg(st.driftValid ? QStringLiteral(" (fit: %1 ppm)").arg(st.driftPpm, 0, 'f', 0) : QString()));
        return;
    }
    j.check(name, std::fabs(st.driftPpm) <= th.maxDriftPpm,
            QStringLiteral("%1 ppm (%2 over %3 s of audio)")
                .arg(st.driftPpm, 0, 'f', 0)
                .arg(fmtMs(st.driftMs, 1))
                .arg(st.audioMs / 1000.0, 0, 'f', 1),
            QStringLiteral("|drift| ≤ %1 ppm").arg(th.maxDriftPpm, 0, 'f', 0));
}

void judgeUnderruns(Judgement &j, const Thresholds &th, const PeerObservation &peer, const QString &name)
{
    j.check(name, peer.underruns <= th.maxUnderruns,
            peer.underruns == 0 ? QStringLiteral("0")
                                : QStringLiteral("%1 (%2 of silence the caller hears)").arg(peer.underruns).arg(fmtMs(peer.underrunTotalUs / 1000.0, 0)),
            QString::number(th.maxUnderruns));
}

// ---- B1-B5 ----------------------------------------------------------------------------------

void judgeBot(const BotObservation &o, const Thresholds &th, Judgement &j)
{
    const PeerObservation &peer = o.peer;
    const ArrivalStats &st = peer.stats;
    const QString &id = o.id;
    if (id == QLatin1String("B1")) {
        QStringList first;
        for (int i = 0; i < peer.violations.size() && i < 3; ++i)
            first << QStringLiteral("%1 %2").arg(peer.violations[i].code).arg(peer.violations[i].message);
        j.check(QStringLiteral("schema violations"), peer.violationCount == 0,
                peer.violationCount == 0 ? QStringLiteral("0 in %1 frames").arg(st.frames)
                                         : QStringLiteral("%1 (%2)").arg(peer.violationCount).arg(first.join(QStringLiteral("; "))),
                QStringLiteral("0"));
        for (const Violation &x : peer.violations)
            j.detail(QStringLiteral("%1 s: %2 %3").arg(x.sessionSec, 0, 'f', 2).arg(x.code).arg(x.message));
        return;
    }
    // B2-B5 judge the audio: audio the emulator refused is a schema failure, not "no audio".
    const RejectedMedia &rej = peer.rejected;
    if (rej.rejected > 0) {
        const int total = rej.mediaMessages + rej.binaryFrames;
        j.check(QStringLiteral("media accepted"), false,
                st.frames == 0 ? QStringLiteral("all %1 media messages rejected: %2").arg(rej.rejected).arg(rej.firstReason())
                               : QStringLiteral("%1 of %2 media messages rejected: %3").arg(rej.rejected).arg(total).arg(rej.firstReason()),
                QStringLiteral("every media message valid (B1 lists each violation)"));
        for (auto it = rej.reasons.cbegin(); it != rej.reasons.cend(); ++it)
            j.detail(QStringLiteral("rejected %1 ×: %2").arg(it.value()).arg(it.key()));
        if (st.frames == 0)
            return;
    }
    if (st.frames == 0) {
        j.conclude(Verdict::Error, QStringLiteral("the bot sent no audio in %1 s: %2 needs a bot that speaks when the call starts")
                                       .arg(o.sessionSec).arg(id));
        return;
    }
    if (id == QLatin1String("B2")) {
        // fps over the inner seconds of each talk run only: a bot may pause between turns, and
        // the seconds where it starts or stops are partial. fps alone cannot see a slow clock
        // (49.4 fps counts 49 or 50 each second): drift and underruns can.
        const QList<int> &fps = st.fpsPerSecond;
        QList<int> inner;
        for (qsizetype i = 1; i + 1 < fps.size(); ++i)
            if (fps[i - 1] > 0 && fps[i] > 0 && fps[i + 1] > 0)
                inner << fps[i];
        const int tol = th.botFpsTolerance;
        j.setLimit(QStringLiteral("fpsMin"), th.fpsTarget - tol);
        j.setLimit(QStringLiteral("fpsMax"), th.fpsTarget + tol);
        int outside = 0;
        for (int f : std::as_const(inner))
            outside += std::abs(f - th.fpsTarget) > tol ? 1 : 0;
        const auto [mn, mx] = inner.isEmpty() ? std::pair{0, 0}
                                              : std::pair{*std::min_element(inner.begin(), inner.end()), *std::max_element(inner.begin(), inner.end())};
        j.check(QStringLiteral("fps at the peer"), !inner.isEmpty() && outside == 0,
                inner.isEmpty() ? QStringLiteral("no whole second of talking")
                                : QStringLiteral("%1 over %2 s%3").arg(fmtRange(mn, mx)).arg(inner.size())
                                      .arg(outside ? QStringLiteral(", %1 s outside").arg(outside) : QString()),
                QStringLiteral("%1 ± %2").arg(th.fpsTarget).arg(tol));
        judgeDrift(j, th, st, QStringLiteral("clock drift at the peer"), std::max(th.minDriftAudioSec, th.botMinDriftAudioSec));
        judgeUnderruns(j, th, peer, QStringLiteral("underruns at the peer"));
        j.check(QStringLiteral("bursts"), st.burstCount == 0,
                st.burstCount == 0 ? QStringLiteral("0")
                                   : QStringLiteral("%1 (first: %2 frames, %3 ahead of real time)").arg(st.burstCount)
                                         .arg(st.bursts.value(0).frames).arg(fmtMs(st.bursts.value(0).excessMs, 0)),
                QStringLiteral("0"));
        const double maxBuf = peer.maxBufferedUs / 1e6;
        j.setLimit(QStringLiteral("bufferedMaxSec"), th.maxBufferedSec);
        j.check(QStringLiteral("audio buffered at the peer"), maxBuf <= th.maxBufferedSec,
                QStringLiteral("max %1 s").arg(maxBuf, 0, 'f', 3), QStringLiteral("≤ %1 s").arg(th.maxBufferedSec));
    } else if (id == QLatin1String("B3")) {
        QStringList hist;
        for (auto it = st.sizeHistogram.cbegin(); it != st.sizeHistogram.cend(); ++it)
            hist << QStringLiteral("%1 B × %2").arg(it.key()).arg(it.value());
        // The frame size is the provider's (Thresholds::forFormat): 160 B for Twilio, 640 B
        // for Vonage's 20 ms of 16 kHz L16, 1600 B for Exotel's 100 ms chunks.
        const int fb = th.frameBytes;
        j.check(QStringLiteral("frames of %1 B").arg(fb), st.nonStandardFrames == 0,
                st.nonStandardFrames == 0 ? QStringLiteral("%1 of %1").arg(st.frames)
                                          : QStringLiteral("%1 of %2 were not %3 B (%4)").arg(st.nonStandardFrames).arg(st.frames).arg(fb).arg(hist.join(QStringLiteral(", "))),
                QStringLiteral("every frame %1 B").arg(fb));
        if (o.provider != provider::Id::Twilio)
            j.note(QStringLiteral("frame format"), provider::profile(o.provider).outboundFormat().describe());
    } else if (id == QLatin1String("B4")) {
        const BargeInResult &br = peer.bargeIn;
        if (!br.sent)
            return j.conclude(Verdict::Error, QStringLiteral("the barge-in probe could not be sent"));
        if (!br.botWasTalking)
            return j.conclude(Verdict::Error, QStringLiteral("the bot was not talking when the caller barged in at %1 s: nothing to interrupt")
                                                  .arg(o.bargeInAtSec));
        j.check(QStringLiteral("clear after caller speech"), br.clearReceived && br.clearLatencyMs <= th.bargeInClearMs,
                br.clearReceived ? fmtMs(br.clearLatencyMs, 0)
                : br.finished    ? QStringLiteral("no clear: the caller heard %1 of stale speech").arg(fmtMs(br.staleAudioHeardMs, 0))
                                 : QStringLiteral("no clear in the %1 s since the caller spoke").arg(o.sinceBargeInSec, 0, 'f', 1),
                QStringLiteral("≤ %1").arg(fmtMs(th.bargeInClearMs, 0)));
        // A clear that the bot follows with more of the stale reply is no barge-in: the caller
        // must hear silence right after it.
        if (br.clearReceived && !peer.clears.isEmpty()) {
            const ClearEvent &c = peer.clears.first();
            const double ms = c.clearToSilenceUs / 1000.0;
            j.check(QStringLiteral("silence after clear"), c.clearToSilenceUs >= 0 && ms <= th.clearToSilenceMs,
                    c.clearToSilenceUs >= 0 ? fmtMs(ms, 1) : QStringLiteral("audio kept coming after the clear"),
                    QStringLiteral("≤ %1").arg(fmtMs(th.clearToSilenceMs, 0)));
        }
        if (br.audioStopped)
            j.note(QStringLiteral("caller speech to silence"), fmtMs(br.audioStoppedLatencyMs, 0));
        j.note(QStringLiteral("audio buffered when the caller spoke"), QStringLiteral("%1 s").arg(br.bufferedAtStartSec, 0, 'f', 2));
        j.figure(QStringLiteral("bargeIn"), br.toJson());
    } else if (id == QLatin1String("B5")) {
        const int echoed = peer.marksEchoed, pending = peer.marksPending;
        const int received = echoed + pending;
        if (received == 0)
            return j.conclude(Verdict::Skipped, QStringLiteral("the bot sent no mark in %1 s (nothing to judge)").arg(o.sessionSec));
        // Pending marks are fine while the audio before them is still playing.
        const bool pendingOk = pending == 0 || peer.bufferedUs > 0;
        j.check(QStringLiteral("marks echoed"), echoed > 0 && pendingOk,
                QStringLiteral("%1 of %2 echoed%3").arg(echoed).arg(received)
                    .arg(pending ? QStringLiteral(", %1 waiting behind %2 s of audio").arg(pending).arg(peer.bufferedUs / 1e6, 0, 'f', 2) : QString()),
                QStringLiteral("each once its audio has played"));
        const QStringList &order = peer.marksEchoedInOrder;
        if (o.knowsMarksSent) {
            const bool same = order == o.marksSent.mid(0, order.size());
            j.check(QStringLiteral("echo order"), same, same ? QStringLiteral("as sent") : QStringLiteral("differs from the send order"),
                    QStringLiteral("as sent"));
        }
        j.note(QStringLiteral("echoed marks"), order.mid(0, 8).join(QStringLiteral(", ")) + (order.size() > 8 ? QStringLiteral(", ...") : QString()));
    }
}

} // namespace pacelab::check
