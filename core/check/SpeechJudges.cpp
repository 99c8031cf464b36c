// The judges of E2 (long TTS) and E3 (an emulated call).
#include "Judges.h"

#include "CheckUtil.h"

#include <algorithm>

namespace pacelab::check {

void judgeE2(const E2Observation &o, const Thresholds &th, Judgement &j)
{
    j.check(QStringLiteral("speech synthesized"), o.speechSec >= o.minSpeechSec,
            QStringLiteral("%1 s in %2 sentences").arg(o.speechSec, 0, 'f', 1).arg(o.sentences),
            QStringLiteral("≥ %1 s").arg(o.minSpeechSec, 0, 'f', 0));
    const double synthSec = std::max(1e-3, o.wallSec - o.blockedSec);
    j.note(QStringLiteral("synthesis speed"), QStringLiteral("%1× real time (%2 s of speech in %3 s of synthesis; %4 s waiting on back-pressure)")
                                                  .arg(o.speechSec / synthSec, 0, 'f', 1)
                                                  .arg(o.speechSec, 0, 'f', 1).arg(synthSec, 0, 'f', 2).arg(o.blockedSec, 0, 'f', 1));
    judgeFps(j, th, th.fpsTolerance, o.txFps, QStringLiteral("fps sent"));
    if (o.peer)
        judgeFps(j, th, th.fpsTolerance, o.rxFps, QStringLiteral("fps at the peer"));
    j.check(QStringLiteral("tx queue peak"), o.queuePeak <= o.highWater, QString::number(o.queuePeak),
            QStringLiteral("≤ high-water mark %1").arg(o.highWater));
    j.check(QStringLiteral("drops"), o.drops == 0, QString::number(o.drops), QStringLiteral("0"));
    j.setLimit(QStringLiteral("queueCapacity"), o.highWater);
    if (o.peer) {
        const PeerObservation &p = *o.peer;
        const double maxBuf = p.maxBufferedUs / 1e6;
        j.setLimit(QStringLiteral("bufferedMaxSec"), th.maxBufferedSec);
        j.check(QStringLiteral("audio buffered at the peer"), maxBuf < th.maxBufferedSec,
                QStringLiteral("max %1 s").arg(maxBuf, 0, 'f', 3), QStringLiteral("< %1 s").arg(th.maxBufferedSec));
        judgeDrift(j, th, p.stats, QStringLiteral("clock drift at the peer"));
        judgeUnderruns(j, th, p, QStringLiteral("underruns while speech lasts"));
    }
    j.figure(QStringLiteral("speechSec"), o.speechSec);
    j.figure(QStringLiteral("sentences"), o.sentences);
    j.figure(QStringLiteral("synthesisSec"), synthSec);
    j.figure(QStringLiteral("blockedSec"), o.blockedSec);
}

void judgeE3(const E3Observation &o, const Thresholds &th, Judgement &j)
{
    judgeFps(j, th, th.fpsTolerance, o.txFps, QStringLiteral("fps sent while speaking"));
    if (o.peer)
        judgeFps(j, th, th.fpsTolerance, o.rxFps, QStringLiteral("fps at the peer while speaking"));
    int under = 0, peak = 0;
    for (int q : o.txQueueMax) {
        under += q < th.callDepthLimit ? 1 : 0;
        peak = std::max(peak, q);
    }
    const int seconds = int(o.txQueueMax.size());
    const double share = seconds ? double(under) / seconds : 0.0;
    j.check(QStringLiteral("queue depth"), seconds > 0 && share >= th.callDepthShare,
            QStringLiteral("< %1 in %2 of %3 s (%4), peak %5").arg(th.callDepthLimit).arg(under).arg(seconds).arg(fmtPct(share)).arg(peak),
            QStringLiteral("< %1 in ≥ %2 of seconds").arg(th.callDepthLimit).arg(fmtPct(th.callDepthShare)));
    j.setLimit(QStringLiteral("queueLimit"), th.callDepthLimit);
    j.check(QStringLiteral("drops"), o.drops == 0, QString::number(o.drops), QStringLiteral("0"));

    if (o.peer) {
        const PeerObservation &p = *o.peer;
        // fps while speaking cannot see a slow clock (49.4 fps counts 49 or 50): the fit can.
        // Each turn and each clear starts a new talk spurt, so pauses between turns do not count.
        judgeDrift(j, th, p.stats, QStringLiteral("clock drift at the peer"));
        const BargeInResult &br = p.bargeIn;
        const QString limit = QStringLiteral("silence ≤ %1 after clear").arg(fmtMs(th.clearToSilenceMs, 0));
        if (!o.bargedIn) {
            j.check(QStringLiteral("barge-in"), false, QStringLiteral("the caller never barged in"), QStringLiteral("a barge-in"));
        } else if (p.clears.isEmpty()) {
            j.check(QStringLiteral("silence after clear"), false,
                    br.finished ? QStringLiteral("no clear: the caller heard %1 of stale speech after barging in").arg(fmtMs(br.staleAudioHeardMs, 0))
                                : QStringLiteral("no clear in the %1 s since the caller barged in").arg(o.sinceBargeInSec, 0, 'f', 1),
                    limit);
        } else {
            const ClearEvent &c = p.clears.first();
            const double ms = c.clearToSilenceUs / 1000.0;
            j.check(QStringLiteral("silence after clear"), c.clearToSilenceUs >= 0 && ms <= th.clearToSilenceMs,
                    c.clearToSilenceUs >= 0 ? fmtMs(ms, 1) : QStringLiteral("audio kept coming after the clear"), limit);
            j.note(QStringLiteral("stale speech discarded by the clear"), fmtMs(c.discardedUs / 1000.0, 0));
        }
        if (br.sent) {
            // The bot has to notice the caller too: a clear 1 s after the caller spoke is 1 s of
            // the caller talking over stale speech, however fast the silence follows it.
            j.check(QStringLiteral("caller speech to clear"), br.clearReceived && br.clearLatencyMs <= th.bargeInClearMs,
                    br.clearReceived ? fmtMs(br.clearLatencyMs, 0) : QStringLiteral("no clear"),
                    QStringLiteral("≤ %1").arg(fmtMs(th.bargeInClearMs, 0)));
        }
        j.figure(QStringLiteral("bargeIn"), br.toJson());
    } else {
        j.note(QStringLiteral("clears sent"), QString::number(o.clearsSent));
        if (o.bargedIn)
            j.check(QStringLiteral("clear on caller speech"), o.clearsSent > 0 || !o.neverClearsTwin,
                    o.clearsSent > 0 ? QStringLiteral("%1 ms after detection").arg(o.clearAfterSpeechMs) : QStringLiteral("never"),
                    QStringLiteral("clear"));
        else
            j.note(QStringLiteral("barge-in"), QStringLiteral("the caller did not speak over the bot"));
    }
    j.note(QStringLiteral("speech queued by the bot"), QStringLiteral("%1 s in %2 turns, %3 marks")
                                                           .arg(o.speechQueuedSec, 0, 'f', 1).arg(o.turns).arg(o.marks));
}

} // namespace pacelab::check
