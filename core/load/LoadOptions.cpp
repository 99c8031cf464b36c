#include "LoadOptions.h"

#include <QStringList>
#include <QThread>
#include <algorithm>
#include <cmath>

namespace pacelab {

namespace {
constexpr int kMaxCalls = 100000;
constexpr double kMaxSec = 7 * 24 * 3600.0;
}

int LoadOptions::maxCalls() const
{
    const QList<int> s = effectiveSteps();
    return s.isEmpty() ? 0 : *std::max_element(s.cbegin(), s.cend());
}

double LoadOptions::rampSec(int stepCalls) const
{
    return rampPerSec > 0 ? stepCalls / rampPerSec : 0.0;
}

double LoadOptions::stepSec(int stepCalls) const
{
    return durationSec > 0 ? durationSec : rampSec(stepCalls) + holdSec;
}

int LoadOptions::workerCount() const
{
    if (workers > 0)
        return workers;
    return std::max(2, QThread::idealThreadCount());
}

bool LoadOptions::validate(QString *error) const
{
    const QString scheme = botUrl.scheme().toLower();
    if (!botUrl.isValid() || (scheme != QLatin1String("ws") && scheme != QLatin1String("wss")) || botUrl.host().isEmpty()) {
        *error = QStringLiteral("--bot: '%1' is not a ws:// or wss:// URL with a host").arg(botUrl.toString());
        return false;
    }
    if (steps.isEmpty() && (calls < 1 || calls > kMaxCalls)) {
        *error = QStringLiteral("--calls must be 1..%1, got %2").arg(kMaxCalls).arg(calls);
        return false;
    }
    for (int s : steps)
        if (s < 1 || s > kMaxCalls) {
            *error = QStringLiteral("--steps: every step must be 1..%1 calls, got %2").arg(kMaxCalls).arg(s);
            return false;
        }
    if (!steps.isEmpty() && calls > 0 && calls != steps.last()) {
        *error = QStringLiteral("--calls %1 and --steps ending at %2 disagree (give one, or make the last step --calls)")
                     .arg(calls).arg(steps.last());
        return false;
    }
    if (!(rampPerSec >= 0 && rampPerSec <= 10000)) {
        *error = QStringLiteral("--ramp must be 0..10000 calls per second, got %1").arg(rampPerSec);
        return false;
    }
    if (!(holdSec >= 0 && holdSec <= kMaxSec) || !(durationSec >= 0 && durationSec <= kMaxSec)) {
        *error = QStringLiteral("--hold and --duration must be 0..%1 s").arg(kMaxSec);
        return false;
    }
    for (int s : effectiveSteps())
        if (durationSec > 0 && durationSec < rampSec(s)) {
            *error = QStringLiteral("--duration %1 s is shorter than the ramp (%2 calls at %3/s take %4 s)")
                         .arg(durationSec).arg(s).arg(rampPerSec).arg(rampSec(s));
            return false;
        }
    if (stepSec(maxCalls()) < 1.0) {
        *error = QStringLiteral("each step must last at least 1 s (--hold or --duration)");
        return false;
    }
    if (bargeInEverySec != 0 && !(bargeInEverySec >= 1 && bargeInEverySec <= 3600)) {
        *error = QStringLiteral("--barge-in-every must be 1..3600 s, got %1").arg(bargeInEverySec);
        return false;
    }
    if (shard.count < 1 || shard.index < 0 || shard.index >= shard.count) {
        *error = QStringLiteral("--shard: i must be 0..n-1, got %1/%2").arg(shard.index).arg(shard.count);
        return false;
    }
    if (realtimePriority < 0 || realtimePriority > 99) {
        *error = QStringLiteral("real-time priority must be 0..99, got %1").arg(realtimePriority);
        return false;
    }
    if (workers < 0 || workers > 256) {
        *error = QStringLiteral("workers must be 0..256, got %1").arg(workers);
        return false;
    }
    return true;
}

bool parseSteps(const QString &text, QList<int> *steps, QString *error)
{
    QList<int> out;
    const QStringList parts = text.split(QLatin1Char(','));
    for (const QString &p : parts) {
        bool ok = false;
        const int v = p.trimmed().toInt(&ok);
        if (!ok || v < 1 || v > kMaxCalls || (!out.isEmpty() && v <= out.last())) {
            *error = QStringLiteral("--steps wants ascending call counts 1..%1 separated by commas (e.g. 10,50,100), got '%2'")
                         .arg(kMaxCalls).arg(text);
            return false;
        }
        out.append(v);
    }
    if (out.size() > 50) {
        *error = QStringLiteral("--steps: at most 50 steps, got %1").arg(out.size());
        return false;
    }
    *steps = out;
    return true;
}

} // namespace pacelab
