#include "LoadTypes.h"

#include "provider/Provider.h"

#include <QJsonArray>

#include <cmath>
#include <limits>

namespace pacelab {

namespace {

const QString kFormat = QStringLiteral("pacelab-load");
const int kVersion = 1;

// Reads fields of one JSON object; the first problem is kept (with the field's path) and every
// later read is a no-op, so a reader function is a flat list of fields.
class FieldReader
{
public:
    FieldReader(const QJsonObject &o, const QString &prefix) : m_o(o), m_prefix(prefix) {}

    bool ok() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }
    void fail(const QString &field, const QString &problem)
    {
        if (m_error.isEmpty())
            m_error = m_prefix + field + QStringLiteral(": ") + problem;
    }

    void str(const char *key, QString *v)
    {
        const QJsonValue j = value(key);
        if (j.isUndefined())
            return;
        if (!j.isString())
            return fail(QLatin1String(key), QStringLiteral("expected a string"));
        *v = j.toString();
    }
    void boolean(const char *key, bool *v)
    {
        const QJsonValue j = value(key);
        if (j.isUndefined())
            return;
        if (!j.isBool())
            return fail(QLatin1String(key), QStringLiteral("expected true or false"));
        *v = j.toBool();
    }
    // A finite number >= min.
    void number(const char *key, double *v, double min = -std::numeric_limits<double>::max())
    {
        const QJsonValue j = value(key);
        if (j.isUndefined())
            return;
        if (!j.isDouble() || !std::isfinite(j.toDouble()))
            return fail(QLatin1String(key), QStringLiteral("expected a number"));
        if (j.toDouble() < min)
            return fail(QLatin1String(key), QStringLiteral("must be >= %1, got %2").arg(min).arg(j.toDouble()));
        *v = j.toDouble();
    }
    // A whole number in [0, max].
    template <typename Int>
    void count(const char *key, Int *v, double max = std::numeric_limits<int>::max())
    {
        const QJsonValue j = value(key);
        if (j.isUndefined())
            return;
        const double d = j.toDouble();
        if (!j.isDouble() || !std::isfinite(d) || d != std::floor(d))
            return fail(QLatin1String(key), QStringLiteral("expected a whole number"));
        if (d < 0 || d > max)
            return fail(QLatin1String(key), QStringLiteral("out of range (0..%1): %2").arg(max, 0, 'g', 16).arg(d, 0, 'g', 16));
        *v = Int(d);
    }

private:
    QJsonValue value(const char *key) const { return ok() ? m_o.value(QLatin1String(key)) : QJsonValue(QJsonValue::Undefined); }

    const QJsonObject &m_o;
    QString m_prefix;
    QString m_error;
};

bool readCall(const QJsonObject &o, const QString &prefix, CallResult *c, QString *error)
{
    FieldReader r(o, prefix);
    r.count("index", &c->index);
    r.str("callSid", &c->callSid);
    r.str("streamSid", &c->streamSid);
    r.str("shard", &c->shard);
    r.boolean("connected", &c->connected);
    r.number("connectMs", &c->connectMs, -1.0);
    r.str("failReason", &c->failReason);
    r.boolean("droppedMidCall", &c->droppedMidCall);
    r.number("durationSec", &c->durationSec, 0.0);
    r.count("frames", &c->frames, 9e15);
    r.number("audioSec", &c->audioSec, 0.0);
    r.number("firstAudioMs", &c->firstAudioMs, -1.0);
    r.number("fpsP1", &c->fpsP1, 0.0);
    r.number("fpsP50", &c->fpsP50, 0.0);
    r.number("fpsMin", &c->fpsMin, 0.0);
    r.number("fpsMax", &c->fpsMax, 0.0);
    r.number("jitterMs", &c->jitterMs, 0.0);
    r.number("jitterMaxMs", &c->jitterMaxMs, 0.0);
    r.number("deltaP99Ms", &c->deltaP99Ms, 0.0);
    r.number("driftPpm", &c->driftPpm);
    r.boolean("driftValid", &c->driftValid);
    r.count("bursts", &c->bursts);
    r.number("maxBufferedSec", &c->maxBufferedSec, 0.0);
    r.count("underruns", &c->underruns);
    r.count("nonStandardFrames", &c->nonStandardFrames);
    r.count("violations", &c->violations);
    r.str("firstViolation", &c->firstViolation);
    r.count("marksSent", &c->marksSent);
    r.count("marksEchoed", &c->marksEchoed);
    r.count("bargeIns", &c->bargeIns);
    r.count("clears", &c->clears);
    r.number("clearLatencyMsMax", &c->clearLatencyMsMax, -1.0);
    r.boolean("pass", &c->pass);
    r.str("verdictReason", &c->verdictReason);
    r.number("mos", &c->mos, 0.0);
    r.number("rFactor", &c->rFactor, 0.0);
    if (error)
        *error = r.error();
    return r.ok();
}

bool readStep(const QJsonObject &o, const QString &prefix, LoadStep *s, QString *error)
{
    FieldReader r(o, prefix);
    r.count("targetCalls", &s->targetCalls);
    r.count("callsUp", &s->callsUp);
    r.count("callsFailed", &s->callsFailed);
    r.number("durationSec", &s->durationSec, 0.0);
    r.number("cpuPerCallPct", &s->cpuPerCallPct, -1.0);
    r.number("rampPerSec", &s->rampPerSec, -1.0);
    if (r.ok() && o.contains(QLatin1String("ramp"))) {
        const QJsonValue ramp = o.value(QLatin1String("ramp"));
        if (!ramp.isArray()) {
            r.fail(QStringLiteral("ramp"), QStringLiteral("expected an array"));
        } else {
            const QJsonArray a = ramp.toArray();
            for (qsizetype i = 0; i < a.size() && r.ok(); ++i) {
                const QString at = prefix + QStringLiteral("ramp[%1]").arg(i);
                if (!a.at(i).isObject()) {
                    if (error)
                        *error = at + QStringLiteral(": expected an object");
                    return false;
                }
                FieldReader sr(a.at(i).toObject(), at + QLatin1Char('.'));
                RampSecond rs;
                sr.number("atSec", &rs.atSec, 0.0);
                sr.count("callsUp", &rs.callsUp);
                sr.count("callsJudged", &rs.callsJudged);
                sr.count("callsBroken", &rs.callsBroken);
                sr.str("topKey", &rs.topKey);
                if (!sr.ok()) {
                    if (error)
                        *error = sr.error();
                    return false;
                }
                s->ramp.append(rs);
            }
        }
    }
    if (r.ok() && o.contains(QLatin1String("calls"))) {
        const QJsonValue calls = o.value(QLatin1String("calls"));
        if (!calls.isArray()) {
            r.fail(QStringLiteral("calls"), QStringLiteral("expected an array"));
        } else {
            const QJsonArray a = calls.toArray();
            for (qsizetype i = 0; i < a.size(); ++i) {
                const QString at = prefix + QStringLiteral("calls[%1]").arg(i);
                if (!a.at(i).isObject()) {
                    if (error)
                        *error = at + QStringLiteral(": expected an object");
                    return false;
                }
                CallResult c;
                if (!readCall(a.at(i).toObject(), at + QLatin1Char('.'), &c, error))
                    return false;
                s->calls.append(c);
            }
        }
    }
    if (error)
        *error = r.error();
    return r.ok();
}

} // namespace

QJsonObject CallResult::toJson() const
{
    return QJsonObject{
        {QStringLiteral("index"), index},
        {QStringLiteral("callSid"), callSid},
        {QStringLiteral("streamSid"), streamSid},
        {QStringLiteral("shard"), shard},
        {QStringLiteral("connected"), connected},
        {QStringLiteral("connectMs"), connectMs},
        {QStringLiteral("failReason"), failReason},
        {QStringLiteral("droppedMidCall"), droppedMidCall},
        {QStringLiteral("durationSec"), durationSec},
        {QStringLiteral("frames"), double(frames)},
        {QStringLiteral("audioSec"), audioSec},
        {QStringLiteral("firstAudioMs"), firstAudioMs},
        {QStringLiteral("fpsP1"), fpsP1},
        {QStringLiteral("fpsP50"), fpsP50},
        {QStringLiteral("fpsMin"), fpsMin},
        {QStringLiteral("fpsMax"), fpsMax},
        {QStringLiteral("jitterMs"), jitterMs},
        {QStringLiteral("jitterMaxMs"), jitterMaxMs},
        {QStringLiteral("deltaP99Ms"), deltaP99Ms},
        {QStringLiteral("driftPpm"), driftPpm},
        {QStringLiteral("driftValid"), driftValid},
        {QStringLiteral("bursts"), bursts},
        {QStringLiteral("maxBufferedSec"), maxBufferedSec},
        {QStringLiteral("underruns"), underruns},
        {QStringLiteral("nonStandardFrames"), nonStandardFrames},
        {QStringLiteral("violations"), violations},
        {QStringLiteral("firstViolation"), firstViolation},
        {QStringLiteral("marksSent"), marksSent},
        {QStringLiteral("marksEchoed"), marksEchoed},
        {QStringLiteral("bargeIns"), bargeIns},
        {QStringLiteral("clears"), clears},
        {QStringLiteral("clearLatencyMsMax"), clearLatencyMsMax},
        {QStringLiteral("pass"), pass},
        {QStringLiteral("verdictReason"), verdictReason},
        {QStringLiteral("mos"), mos},
        {QStringLiteral("rFactor"), rFactor},
    };
}

CallResult CallResult::fromJson(const QJsonObject &o, QString *error)
{
    CallResult c;
    if (!readCall(o, QString(), &c, error))
        return CallResult();
    return c;
}

QJsonObject LoadStep::toJson() const
{
    QJsonArray a;
    for (const CallResult &c : calls)
        a.append(c.toJson());
    QJsonObject o{
        {QStringLiteral("targetCalls"), targetCalls},
        {QStringLiteral("callsUp"), callsUp},
        {QStringLiteral("callsFailed"), callsFailed},
        {QStringLiteral("durationSec"), durationSec},
        {QStringLiteral("cpuPerCallPct"), cpuPerCallPct},
        {QStringLiteral("calls"), a},
    };
    if (rampPerSec >= 0)
        o[QStringLiteral("rampPerSec")] = rampPerSec;
    if (!ramp.isEmpty()) {
        QJsonArray r;
        for (const RampSecond &rs : ramp)
            r.append(QJsonObject{{QStringLiteral("atSec"), rs.atSec},
                                 {QStringLiteral("callsUp"), rs.callsUp},
                                 {QStringLiteral("callsJudged"), rs.callsJudged},
                                 {QStringLiteral("callsBroken"), rs.callsBroken},
                                 {QStringLiteral("topKey"), rs.topKey}});
        o[QStringLiteral("ramp")] = r;
    }
    return o;
}

LoadStep LoadStep::fromJson(const QJsonObject &o, QString *error)
{
    LoadStep s;
    if (!readStep(o, QString(), &s, error))
        return LoadStep();
    return s;
}

QJsonObject LoadRun::toJson() const
{
    QJsonArray a;
    for (const LoadStep &s : steps)
        a.append(s.toJson());
    return QJsonObject{
        {QStringLiteral("format"), kFormat},
        {QStringLiteral("version"), kVersion},
        {QStringLiteral("botUrl"), botUrl},
        {QStringLiteral("startedUtc"), startedUtc},
        {QStringLiteral("host"), host},
        {QStringLiteral("shard"), shard},
        {QStringLiteral("provider"), provider},
        {QStringLiteral("steps"), a},
    };
}

LoadRun LoadRun::fromJson(const QJsonObject &o, QString *error)
{
    auto failed = [error](const QString &message) {
        if (error)
            *error = message;
        return LoadRun();
    };
    if (o.value(QLatin1String("format")).toString() != kFormat)
        return failed(QStringLiteral("format: not a PaceLab load report (expected \"format\": \"%1\")").arg(kFormat));
    const QJsonValue version = o.value(QLatin1String("version"));
    if (!version.isDouble() || version.toDouble() != kVersion)
        return failed(QStringLiteral("version: expected %1, got %2")
                          .arg(kVersion)
                          .arg(version.isDouble() ? QString::number(version.toDouble()) : QStringLiteral("no number")));
    LoadRun run;
    FieldReader r(o, QString());
    r.str("botUrl", &run.botUrl);
    r.str("startedUtc", &run.startedUtc);
    r.str("host", &run.host);
    r.str("shard", &run.shard);
    if (!r.ok())
        return failed(r.error());
    // Reports written before providers existed have no "provider": they were Twilio runs.
    const QJsonValue prov = o.value(QLatin1String("provider"));
    if (!prov.isUndefined()) {
        if (!prov.isString() || !provider::idFromName(prov.toString()))
            return failed(QStringLiteral("provider: expected one of %1").arg(provider::namesJoined()));
        run.provider = prov.toString().toLower();
    }
    const QJsonValue steps = o.value(QLatin1String("steps"));
    if (!steps.isArray())
        return failed(QStringLiteral("steps: expected an array"));
    const QJsonArray a = steps.toArray();
    for (qsizetype i = 0; i < a.size(); ++i) {
        const QString at = QStringLiteral("steps[%1]").arg(i);
        if (!a.at(i).isObject())
            return failed(at + QStringLiteral(": expected an object"));
        LoadStep s;
        QString stepError;
        if (!readStep(a.at(i).toObject(), at + QLatin1Char('.'), &s, &stepError))
            return failed(stepError);
        run.steps.append(s);
    }
    if (error)
        error->clear();
    return run;
}

} // namespace pacelab
