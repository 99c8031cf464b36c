// Judging a load run: per-call verdicts, the E-model estimate, distributions across calls, the
// knee and the live line. The reports (text, JSON, JUnit, HTML) are in LoadReportWrite.cpp,
// reading and merging shards' files in Shard.cpp.
#include "LoadReport.h"

#include <QHash>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace pacelab {

namespace {

// Short numbers for reasons and lines: 4 significant digits, no exponent.
QString num(double v)
{
    if (std::fabs(v) >= 1000.0)
        return QString::number(v, 'f', 0);
    return QString::number(v, 'g', 4);
}

struct Item
{
    double severity; // how far past its limit; larger = worse
    QString text;
};

// The order checks are listed in when two are equally bad, and failureCounts ties.
const QStringList kKeys = {QStringLiteral("connect"),   QStringLiteral("dropped"),   QStringLiteral("audio"),
                           QStringLiteral("violations"), QStringLiteral("buffered"), QStringLiteral("underruns"),
                           QStringLiteral("fps"),       QStringLiteral("drift"),     QStringLiteral("clear"),
                           QStringLiteral("frames")};

// How far past its limit a value is: relative to the limit, or the plain excess for a limit
// of 0 (counts).
double excess(double value, double limit)
{
    return limit > 0 ? (value - limit) / limit : value - limit;
}

} // namespace

// ---- verdicts ---------------------------------------------------------------------------------

QString failureKeyOf(const QString &reasonItem)
{
    QString word = reasonItem.section(QLatin1Char(' '), 0, 0);
    if (word.endsWith(QLatin1Char(':')))
        word.chop(1);
    return kKeys.contains(word) ? word : QString();
}

void judgeCall(CallResult &call, const Thresholds &limits)
{
    estimateMos(call);
    QList<Item> items;
    if (!call.connected) {
        items.append({1e9, QStringLiteral("connect failed: %1")
                               .arg(call.failReason.isEmpty() ? QStringLiteral("no handshake") : call.failReason)});
    } else {
        if (call.droppedMidCall)
            items.append({1e8, QStringLiteral("dropped after %1 s: %2")
                                   .arg(num(call.durationSec))
                                   .arg(call.failReason.isEmpty() ? QStringLiteral("connection lost") : call.failReason)});
        if (call.violations > 0)
            items.append({1e7 + call.violations,
                          QStringLiteral("violations %1%2")
                              .arg(call.violations)
                              .arg(call.firstViolation.isEmpty() ? QString()
                                                                 : QStringLiteral(" (first: %1)").arg(call.firstViolation))});
        if (call.frames <= 0) {
            items.append({1e7, QStringLiteral("audio: none received from the bot")});
        } else {
            // fps p1 within botFpsTolerance of the target: the slowest seconds must still carry
            // (nearly) real time, and even they must not run fast.
            const double dev = std::fabs(call.fpsP1 - limits.fpsTarget);
            if (dev > limits.botFpsTolerance) {
                const bool low = call.fpsP1 < limits.fpsTarget;
                items.append({excess(dev, limits.botFpsTolerance),
                              QStringLiteral("fps p1 %1 %2 %3 (%4 ± %5)")
                                  .arg(num(call.fpsP1), low ? QStringLiteral("<") : QStringLiteral(">"))
                                  .arg(limits.fpsTarget + (low ? -1 : 1) * limits.botFpsTolerance)
                                  .arg(limits.fpsTarget)
                                  .arg(limits.botFpsTolerance)});
            }
        }
        // Like the bot set's B2: drift only on enough audio (an opening lead bends a short fit).
        if (call.driftValid && call.audioSec >= limits.botMinDriftAudioSec && std::fabs(call.driftPpm) > limits.maxDriftPpm)
            items.append({excess(std::fabs(call.driftPpm), limits.maxDriftPpm),
                          QStringLiteral("drift %1 ppm beyond ±%2 ppm").arg(num(call.driftPpm), num(limits.maxDriftPpm))});
        if (call.maxBufferedSec > limits.maxBufferedSec)
            items.append({excess(call.maxBufferedSec, limits.maxBufferedSec),
                          QStringLiteral("buffered %1 s > %2 s").arg(num(call.maxBufferedSec), num(limits.maxBufferedSec))});
        if (call.underruns > limits.maxUnderruns)
            items.append({excess(call.underruns, limits.maxUnderruns),
                          QStringLiteral("underruns %1 > %2").arg(call.underruns).arg(limits.maxUnderruns)});
        if (call.nonStandardFrames > 0)
            items.append({excess(call.nonStandardFrames, 0),
                          QStringLiteral("frames %1 not %2 B").arg(call.nonStandardFrames).arg(limits.frameBytes)});
        if (call.bargeIns > 0) {
            if (call.clears <= 0 || call.clearLatencyMsMax < 0)
                items.append({1e6, QStringLiteral("clear never came after %1 barge-in%2")
                                       .arg(call.bargeIns)
                                       .arg(call.bargeIns == 1 ? QString() : QStringLiteral("s"))});
            else if (call.clearLatencyMsMax > limits.bargeInClearMs)
                items.append({excess(call.clearLatencyMsMax, limits.bargeInClearMs),
                              QStringLiteral("clear %1 ms > %2 ms after barge-in")
                                  .arg(num(call.clearLatencyMsMax), num(limits.bargeInClearMs))});
        }
    }
    std::stable_sort(items.begin(), items.end(), [](const Item &a, const Item &b) { return a.severity > b.severity; });
    QStringList texts;
    for (const Item &i : items)
        texts.append(i.text);
    call.pass = items.isEmpty();
    call.verdictReason = texts.join(QStringLiteral("; "));
}

void judgeRun(LoadRun &run, const Thresholds &limits)
{
    for (LoadStep &s : run.steps)
        for (CallResult &c : s.calls)
            judgeCall(c, limits);
}

// ---- E-model estimate -------------------------------------------------------------------------

// The simplification of ITU-T G.107 that Twilio's browser SDK uses for its call-quality MOS:
// twilio/twilio-voice.js, lib/twilio/rtc/mos.ts, calculate(rtt, jitter, fractionLost), where
// statsMonitor.ts passes the loss as a percentage (packetsLost / inbound packets × 100).
// Constants as in that source: r0 = 94.768, effective latency = rtt + 2·jitter + 10 ms,
// R = r0 − L/40 below 160 ms, r0 − (L − 120)/10 below 1000 ms, else 0; then R = max(R − 2.5·loss,
// 6.52) when loss ≤ R/2.5, else 0; MOS = 1 + 0.035·R + 7e-6·R·(R − 60)·(100 − R).
double estimateRFactor(double rttMs, double jitterMs, double lossPercent)
{
    if (!std::isfinite(rttMs) || !std::isfinite(jitterMs) || !std::isfinite(lossPercent) || rttMs < 0
        || jitterMs < 0 || lossPercent < 0)
        return 0.0;
    constexpr double r0 = 94.768;
    const double effectiveLatency = rttMs + jitterMs * 2 + 10;
    double r = 0.0;
    if (effectiveLatency < 160)
        r = r0 - effectiveLatency / 40;
    else if (effectiveLatency < 1000)
        r = r0 - (effectiveLatency - 120) / 10;
    if (lossPercent <= r / 2.5)
        r = std::max(r - lossPercent * 2.5, 6.52);
    else
        r = 0.0;
    return r;
}

double mosFromRFactor(double r)
{
    if (!std::isfinite(r))
        return 1.0;
    r = std::clamp(r, 0.0, 100.0); // mos.ts never leaves this range; the polynomial does outside it
    return 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r);
}

void estimateMos(CallResult &call)
{
    if (!call.connected) {
        call.rFactor = 0.0;
        call.mos = 0.0;
        return;
    }
    const double heard = double(call.frames) + std::max(call.underruns, 0);
    const double lossPercent = heard > 0 ? 100.0 * std::max(call.underruns, 0) / heard : 100.0;
    call.rFactor = estimateRFactor(std::max(call.maxBufferedSec, 0.0) * 1000.0, std::max(call.jitterMs, 0.0), lossPercent);
    call.mos = mosFromRFactor(call.rFactor);
}

// ---- distributions ----------------------------------------------------------------------------

double percentileNearestRank(QList<double> values, double p)
{
    if (values.isEmpty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const double rank = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * values.size());
    const qsizetype i = std::clamp<qsizetype>(qsizetype(rank) - 1, 0, values.size() - 1);
    return values.at(i);
}

namespace {

struct MetricDef
{
    const char *name;
    const char *unit;
    bool higherIsWorse;
    bool (*counts)(const CallResult &);
    double (*value)(const CallResult &);
};

bool hasAudio(const CallResult &c) { return c.connected && c.frames > 0; }
bool isConnected(const CallResult &c) { return c.connected; }

const MetricDef kMetrics[] = {
    {"fps p1", "fps", false, hasAudio, [](const CallResult &c) { return c.fpsP1; }},
    {"fps p50", "fps", false, hasAudio, [](const CallResult &c) { return c.fpsP50; }},
    {"jitter", "ms", true, hasAudio, [](const CallResult &c) { return c.jitterMs; }},
    {"inter-arrival p99", "ms", true, hasAudio, [](const CallResult &c) { return c.deltaP99Ms; }},
    {"|drift|", "ppm", true, [](const CallResult &c) { return c.connected && c.driftValid; },
     [](const CallResult &c) { return std::fabs(c.driftPpm); }},
    {"buffered max", "s", true, isConnected, [](const CallResult &c) { return c.maxBufferedSec; }},
    {"underruns", "", true, isConnected, [](const CallResult &c) { return double(c.underruns); }},
    {"violations", "", true, isConnected, [](const CallResult &c) { return double(c.violations); }},
    {"connect", "ms", true, [](const CallResult &c) { return c.connected && c.connectMs >= 0; },
     [](const CallResult &c) { return c.connectMs; }},
    {"clear latency", "ms", true, [](const CallResult &c) { return c.connected && c.clearLatencyMsMax >= 0; },
     [](const CallResult &c) { return c.clearLatencyMsMax; }},
    {"MOS (estimate)", "", false, isConnected, [](const CallResult &c) { return c.mos; }},
};

MetricSpread spreadOf(const MetricDef &d, const QList<CallResult> &calls)
{
    MetricSpread m;
    m.name = QString::fromUtf8(d.name);
    m.unit = QString::fromUtf8(d.unit);
    m.higherIsWorse = d.higherIsWorse;
    QList<double> v;
    for (const CallResult &c : calls)
        if (d.counts(c))
            v.append(d.value(c));
    m.calls = int(v.size());
    if (v.isEmpty())
        return m;
    auto at = [&](double p) { return percentileNearestRank(v, d.higherIsWorse ? p : 100.0 - p); };
    m.p50 = at(50);
    m.p95 = at(95);
    m.p99 = at(99);
    m.worst = d.higherIsWorse ? *std::max_element(v.cbegin(), v.cend()) : *std::min_element(v.cbegin(), v.cend());
    return m;
}

// How bad a call is on one check, to pick the example shown next to a reason's count.
double badnessOn(const QString &key, const CallResult &c)
{
    if (key == QLatin1String("buffered"))
        return c.maxBufferedSec;
    if (key == QLatin1String("fps"))
        return std::fabs(c.fpsP1 - 50.0);
    if (key == QLatin1String("drift"))
        return std::fabs(c.driftPpm);
    if (key == QLatin1String("underruns"))
        return c.underruns;
    if (key == QLatin1String("violations"))
        return c.violations;
    if (key == QLatin1String("frames"))
        return double(c.nonStandardFrames);
    if (key == QLatin1String("clear"))
        return c.clearLatencyMsMax < 0 ? 1e12 : c.clearLatencyMsMax;
    return 0.0;
}

} // namespace

bool callWorseThan(const CallResult &a, const CallResult &b)
{
    if (a.pass != b.pass)
        return !a.pass;
    if (a.connected != b.connected)
        return !a.connected;
    if (a.droppedMidCall != b.droppedMidCall)
        return a.droppedMidCall;
    const int ia = int(a.verdictReason.count(QLatin1String("; "))), ib = int(b.verdictReason.count(QLatin1String("; ")));
    if (!a.pass && ia != ib)
        return ia > ib;
    if (a.mos != b.mos)
        return a.mos < b.mos;
    return a.index < b.index;
}

StepSummary summarizeStep(const LoadStep &step)
{
    StepSummary s;
    s.targetCalls = step.targetCalls > 0 ? step.targetCalls : int(step.calls.size());
    s.callsUp = step.callsUp;
    s.callsFailed = step.callsFailed;
    for (const MetricDef &d : kMetrics)
        s.metrics.append(spreadOf(d, step.calls));

    QHash<QString, int> counts;
    QHash<QString, QPair<double, QString>> example; // key -> (badness, reason item)
    for (const CallResult &c : step.calls) {
        if (c.pass) {
            ++s.callsPassed;
            continue;
        }
        QSet<QString> seen;
        for (const QString &item : c.verdictReason.split(QStringLiteral("; "), Qt::SkipEmptyParts)) {
            QString key = failureKeyOf(item);
            if (key.isEmpty())
                key = QStringLiteral("other");
            if (seen.contains(key))
                continue;
            seen.insert(key);
            ++counts[key];
            const double bad = badnessOn(key, c);
            if (!example.contains(key) || bad > example.value(key).first)
                example.insert(key, {bad, item});
        }
        if (c.verdictReason.isEmpty())
            ++counts[QStringLiteral("other")];
    }
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        s.failureCounts.append({it.key(), it.value()});
    std::sort(s.failureCounts.begin(), s.failureCounts.end(), [](const auto &a, const auto &b) {
        if (a.second != b.second)
            return a.second > b.second;
        const auto rank = [](const QString &k) { const qsizetype i = kKeys.indexOf(k); return i < 0 ? kKeys.size() : i; };
        return rank(a.first) < rank(b.first);
    });
    for (const auto &f : s.failureCounts) {
        const QString ex = example.value(f.first).second;
        s.topReasons.append(QStringLiteral("%1: %2 call%3%4")
                                .arg(f.first)
                                .arg(f.second)
                                .arg(f.second == 1 ? QString() : QStringLiteral("s"))
                                .arg(ex.isEmpty() ? QString() : QStringLiteral(" (worst: %1)").arg(ex)));
    }
    // A call that never reached the results (the emulator could not place it) is a failure too.
    const int missing = std::max(0, s.targetCalls - int(step.calls.size()));
    s.holds = !step.calls.isEmpty() && step.callsFailed == 0 && missing == 0 && s.callsPassed == step.calls.size();
    return s;
}

// ---- the knee ---------------------------------------------------------------------------------

namespace {

QString pctText(double pct)
{
    if (pct >= 10.0 || pct == 0.0)
        return QString::number(qRound(pct));
    return QString::number(pct, 'g', 2);
}

QString failurePhrase(const QString &key, const Thresholds &l)
{
    if (key == QLatin1String("connect"))
        return QStringLiteral("did not connect");
    if (key == QLatin1String("dropped"))
        return QStringLiteral("dropped mid-call");
    if (key == QLatin1String("audio"))
        return QStringLiteral("received no audio");
    if (key == QLatin1String("fps"))
        return QStringLiteral("have fps p1 outside %1 ± %2").arg(l.fpsTarget).arg(l.botFpsTolerance);
    if (key == QLatin1String("drift"))
        return QStringLiteral("drift beyond ±%1 ppm").arg(num(l.maxDriftPpm));
    if (key == QLatin1String("buffered"))
        return QStringLiteral("have > %1 s buffered").arg(num(l.maxBufferedSec));
    if (key == QLatin1String("underruns"))
        return l.maxUnderruns == 0 ? QStringLiteral("have underruns") : QStringLiteral("have > %1 underruns").arg(l.maxUnderruns);
    if (key == QLatin1String("violations"))
        return QStringLiteral("have protocol violations");
    if (key == QLatin1String("frames"))
        return QStringLiteral("have frames other than %1 B").arg(l.frameBytes);
    if (key == QLatin1String("clear"))
        return QStringLiteral("clear later than %1 ms after barge-in").arg(num(l.bargeInClearMs));
    return QStringLiteral("fail");
}

QString breakClause(const StepSummary &s, const Thresholds &limits)
{
    const double base = std::max(1, s.targetCalls);
    if (!s.failureCounts.isEmpty()) {
        const auto &top = s.failureCounts.first();
        return QStringLiteral("at %1, %2 % of calls %3")
            .arg(s.targetCalls)
            .arg(pctText(100.0 * top.second / base), failurePhrase(top.first, limits));
    }
    return QStringLiteral("at %1, %2 of %1 calls failed").arg(s.targetCalls).arg(std::max(1, s.callsFailed));
}

} // namespace

QString kneeFailurePhrase(const QString &key, const Thresholds &limits)
{
    return failurePhrase(key, limits);
}

KneeResult findKnee(const QList<StepSummary> &steps, const Thresholds &limits)
{
    KneeResult k;
    QList<StepSummary> sorted = steps;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const StepSummary &a, const StepSummary &b) { return a.targetCalls < b.targetCalls; });
    if (sorted.isEmpty()) {
        k.sentence = QStringLiteral("no steps were run");
        return k;
    }
    qsizetype firstBreak = -1;
    for (qsizetype i = 0; i < sorted.size(); ++i)
        if (!sorted.at(i).holds) {
            firstBreak = i;
            break;
        }
    if (firstBreak < 0) {
        k.found = true;
        k.holdsAt = sorted.last().targetCalls;
        k.sentence = QStringLiteral("this bot holds %1 concurrent calls (the largest step tried; no step broke)")
                         .arg(k.holdsAt);
        return k;
    }
    const StepSummary &b = sorted.at(firstBreak);
    k.breaksAt = b.targetCalls;
    if (firstBreak == 0) {
        k.sentence = QStringLiteral("this bot does not hold even %1 concurrent calls; %2")
                         .arg(b.targetCalls)
                         .arg(breakClause(b, limits));
    } else {
        k.found = true;
        k.holdsAt = sorted.at(firstBreak - 1).targetCalls;
        k.sentence = QStringLiteral("this bot holds %1 concurrent calls; %2").arg(k.holdsAt).arg(breakClause(b, limits));
    }
    QStringList heldAgain;
    for (qsizetype i = firstBreak + 1; i < sorted.size(); ++i)
        if (sorted.at(i).holds)
            heldAgain.append(QString::number(sorted.at(i).targetCalls));
    if (!heldAgain.isEmpty())
        k.sentence += QStringLiteral(" (but %1 held again: the limit is noisy, repeat the run)").arg(heldAgain.join(QStringLiteral(", ")));
    return k;
}

// ---- live line --------------------------------------------------------------------------------

QString liveLine(const LoadStep &snapshot)
{
    QList<double> p1, p50, jit;
    double buffered = 0.0;
    qint64 underruns = 0, violations = 0;
    int up = 0, failed = 0;
    for (const CallResult &c : snapshot.calls) {
        if (c.connected && !c.droppedMidCall)
            ++up;
        if (!c.connected || c.droppedMidCall)
            ++failed;
        if (!c.connected)
            continue;
        buffered = std::max(buffered, c.maxBufferedSec);
        underruns += c.underruns;
        violations += c.violations;
        if (c.frames > 0) {
            p1.append(c.fpsP1);
            p50.append(c.fpsP50);
            jit.append(std::max(0.0, c.deltaP99Ms - 20.0));
        }
    }
    // The emulator's own counters win when it keeps them (calls not yet in the list).
    if (snapshot.callsUp > 0 || snapshot.callsFailed > 0) {
        up = snapshot.callsUp;
        failed = snapshot.callsFailed;
    }
    const int target = snapshot.targetCalls > 0 ? snapshot.targetCalls : int(snapshot.calls.size());
    QString line = QStringLiteral("[LOAD] calls=%1/%2").arg(up).arg(target);
    if (failed > 0)
        line += QStringLiteral(" failed=%1").arg(failed);
    if (p1.isEmpty()) {
        line += QStringLiteral(" fps p1=- p50=- jit99 p50=- worst=-");
    } else {
        line += QStringLiteral(" fps p1=%1 p50=%2 jit99 p50=%3ms worst=%4ms")
                    .arg(percentileNearestRank(p1, 1), 0, 'f', 1)
                    .arg(percentileNearestRank(p50, 50), 0, 'f', 1)
                    .arg(percentileNearestRank(jit, 50), 0, 'f', 1)
                    .arg(*std::max_element(jit.cbegin(), jit.cend()), 0, 'f', 1);
    }
    line += QStringLiteral(" buffered max=%1s underruns=%2 violations=%3").arg(buffered, 0, 'f', 1).arg(underruns).arg(violations);
    return line;
}

} // namespace pacelab
