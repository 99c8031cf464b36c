// The knee of a ramp: per-second breaks from consecutive live snapshots of one step, and the
// call count at which the first call broke while calls were being added (LoadReport.h).
#include "LoadReport.h"

#include <QHash>

#include <algorithm>
#include <cmath>

namespace pacelab {

namespace {

// The check a call broke between two snapshots of it, or empty. `before` is null for a call not
// yet placed at the earlier snapshot.
QString brokeIn(const CallResult *before, const CallResult &after, double dtSec, const Thresholds &l)
{
    const bool wasFailed = before && (before->droppedMidCall || (!before->connected && !before->failReason.isEmpty()));
    if (wasFailed)
        return {}; // counted in the second it failed
    if (!after.connected && !after.failReason.isEmpty())
        return QStringLiteral("connect");
    if (after.droppedMidCall)
        return QStringLiteral("dropped");
    if (!after.connected)
        return {}; // still connecting
    const int violations0 = before ? before->violations : 0;
    const int underruns0 = before ? before->underruns : 0;
    const double buffered0 = before ? before->maxBufferedSec : 0.0;
    if (after.violations > violations0)
        return QStringLiteral("violations");
    if (after.maxBufferedSec > l.maxBufferedSec && buffered0 <= l.maxBufferedSec)
        return QStringLiteral("buffered");
    if (after.underruns > underruns0)
        return QStringLiteral("underruns");
    // Faster than real time over a whole second (the call had audio before it).
    if (before && before->frames > 0 && dtSec >= 0.5) {
        const double fps = double(after.frames - before->frames) / dtSec;
        if (fps > l.fpsTarget + l.botFpsTolerance)
            return QStringLiteral("fps");
    }
    return {};
}

} // namespace

RampSecond rampSecondOf(const LoadStep &before, const LoadStep &after, const Thresholds &limits)
{
    RampSecond r;
    r.atSec = after.durationSec;
    QHash<int, const CallResult *> earlier;
    for (const CallResult &c : before.calls)
        earlier.insert(c.index, &c);
    const double dt = after.durationSec - before.durationSec;
    QHash<QString, int> keys;
    for (const CallResult &c : after.calls) {
        const CallResult *b = earlier.value(c.index, nullptr);
        if (c.connected && !c.droppedMidCall && c.failReason.isEmpty())
            ++r.callsUp;
        const bool wasFailed = b && (b->droppedMidCall || (!b->connected && !b->failReason.isEmpty()));
        if (wasFailed || (!c.connected && c.failReason.isEmpty()))
            continue; // failed earlier, or still connecting: nothing to judge this second
        ++r.callsJudged;
        const QString key = brokeIn(b, c, dt, limits);
        if (!key.isEmpty()) {
            ++r.callsBroken;
            ++keys[key];
        }
    }
    int most = 0;
    for (auto it = keys.cbegin(); it != keys.cend(); ++it)
        if (it.value() > most || (it.value() == most && it.key() < r.topKey)) {
            most = it.value();
            r.topKey = it.key();
        }
    return r;
}

void RampRecorder::add(const LoadStep &snapshot)
{
    // The first snapshot is judged against an empty step (calls placed in the first second).
    m_seconds.append(rampSecondOf(m_haveLast ? m_last : LoadStep(), snapshot, m_limits));
    m_last = snapshot;
    m_haveLast = true;
}

QList<RampSecond> RampRecorder::take()
{
    QList<RampSecond> out;
    out.swap(m_seconds);
    m_last = LoadStep();
    m_haveLast = false;
    return out;
}

namespace {

QString rampPhrase(const QString &key, const Thresholds &l)
{
    if (key == QLatin1String("fps"))
        return QStringLiteral("received faster than %1 fps").arg(l.fpsTarget + l.botFpsTolerance);
    if (key == QLatin1String("buffered"))
        return QStringLiteral("went past %1 s buffered").arg(l.maxBufferedSec);
    if (key == QLatin1String("underruns"))
        return QStringLiteral("had underruns");
    if (key == QLatin1String("violations"))
        return QStringLiteral("had protocol violations");
    return kneeFailurePhrase(key, l);
}

QString pct(int part, int whole)
{
    const double p = whole > 0 ? 100.0 * part / whole : 0.0;
    return p >= 10.0 ? QString::number(qRound(p)) : QString::number(p, 'g', 2);
}

} // namespace

KneeResult findRampKnee(const LoadStep &step, const Thresholds &limits)
{
    KneeResult k;
    const int target = step.targetCalls > 0 ? step.targetCalls : int(step.calls.size());
    if (step.rampPerSec == 0.0) {
        k.sentence = QStringLiteral("no knee: all %1 calls were placed at once (--ramp 0); "
                                    "use --ramp CALLS_PER_S or --steps")
                         .arg(target);
        return k;
    }
    if (step.ramp.size() < 2) {
        k.sentence = QStringLiteral("no knee: fewer than 2 seconds were recorded");
        return k;
    }
    // The ramp: the seconds until the first one with every call up.
    qsizetype rampEnd = step.ramp.size() - 1;
    for (qsizetype i = 0; i < step.ramp.size(); ++i)
        if (step.ramp.at(i).callsUp >= target) {
            rampEnd = i;
            break;
        }
    if (rampEnd == 0) {
        k.sentence = QStringLiteral("no knee: all %1 calls were up within the ramp's first second "
                                    "(a slower --ramp, or --steps, places a knee)")
                         .arg(target);
        return k;
    }
    qsizetype first = -1;
    for (qsizetype i = 0; i < step.ramp.size(); ++i)
        if (step.ramp.at(i).callsBroken > 0) {
            first = i;
            break;
        }
    int most = 0;
    for (const RampSecond &s : step.ramp)
        most = std::max(most, s.callsUp);
    if (first < 0) {
        k.found = true;
        k.holdsAt = most;
        k.sentence = QStringLiteral("no knee: every call held while calls were added, up to %1 concurrent calls "
                                    "(more calls, or --steps, would find one)")
                         .arg(most);
        return k;
    }
    const RampSecond &b = step.ramp.at(first);
    const QString clause = QStringLiteral("%1 % of calls %2 (%3 of %4, %5 s into the step)")
                               .arg(pct(b.callsBroken, b.callsJudged), rampPhrase(b.topKey, limits))
                               .arg(b.callsBroken)
                               .arg(b.callsJudged)
                               .arg(b.atSec, 0, 'f', 1);
    if (first > rampEnd) {
        k.sentence = QStringLiteral("no knee: every call held while calls were added (up to %1); "
                                    "quality broke later at the full count: %2. A ramp cannot place that; use --steps")
                         .arg(step.ramp.at(rampEnd).callsUp)
                         .arg(clause);
        return k;
    }
    k.breaksAt = std::max(1, b.callsUp);
    if (first == 0 || step.ramp.at(first - 1).callsUp == 0) {
        k.sentence = QStringLiteral("during the ramp quality broke with the first calls: at %1 calls, %2")
                         .arg(k.breaksAt)
                         .arg(clause);
        return k;
    }
    k.found = true;
    k.holdsAt = step.ramp.at(first - 1).callsUp;
    k.sentence = QStringLiteral("during the ramp this bot held %1 concurrent calls; at %2, %3")
                     .arg(k.holdsAt)
                     .arg(k.breaksAt)
                     .arg(clause);
    return k;
}

} // namespace pacelab
