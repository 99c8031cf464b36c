#include "CheckTypes.h"

#include <algorithm>
#include <cmath>

#include <QJsonArray>

namespace pacelab::check {

QString verdictName(Verdict v)
{
    switch (v) {
    case Verdict::Pass: return QStringLiteral("PASS");
    case Verdict::Fail: return QStringLiteral("FAIL");
    case Verdict::Error: return QStringLiteral("ERROR");
    case Verdict::Skipped: return QStringLiteral("SKIPPED");
    }
    return QStringLiteral("ERROR");
}

static Verdict verdictFromName(const QString &s)
{
    for (Verdict v : {Verdict::Pass, Verdict::Fail, Verdict::Error, Verdict::Skipped})
        if (verdictName(v) == s)
            return v;
    return Verdict::Error;
}

QString targetModeName(TargetMode m)
{
    switch (m) {
    case TargetMode::Embedded: return QStringLiteral("embedded");
    case TargetMode::Target: return QStringLiteral("target");
    case TargetMode::Listen: return QStringLiteral("listen");
    case TargetMode::Bot: return QStringLiteral("bot");
    }
    return QStringLiteral("embedded");
}

// ---- per-second records ---------------------------------------------------------------------

QJsonObject TxSecond::toJson() const
{
    return QJsonObject{
        {QStringLiteral("second"), second},
        {QStringLiteral("wallTimeMs"), double(wallTimeMs)},
        {QStringLiteral("fps"), fps},
        {QStringLiteral("queueDepth"), queueDepth},
        {QStringLiteral("queueMax"), queueMax},
        {QStringLiteral("drops"), drops},
        {QStringLiteral("dropsTotal"), double(dropsTotal)},
        {QStringLiteral("lateResets"), lateResets},
        {QStringLiteral("latenessP50Ms"), latenessP50Ms},
        {QStringLiteral("latenessP99Ms"), latenessP99Ms},
        {QStringLiteral("latenessMaxMs"), latenessMaxMs},
        {QStringLiteral("pingRttMs"), pingRttMs},
        {QStringLiteral("idle"), idle},
    };
}

TxSecond TxSecond::fromJson(const QJsonObject &o)
{
    TxSecond s;
    s.second = o.value(QStringLiteral("second")).toInt();
    s.wallTimeMs = qint64(o.value(QStringLiteral("wallTimeMs")).toDouble());
    s.fps = o.value(QStringLiteral("fps")).toInt();
    s.queueDepth = o.value(QStringLiteral("queueDepth")).toInt();
    s.queueMax = o.value(QStringLiteral("queueMax")).toInt();
    s.drops = o.value(QStringLiteral("drops")).toInt();
    s.dropsTotal = quint64(qMax(0.0, o.value(QStringLiteral("dropsTotal")).toDouble()));
    s.lateResets = o.value(QStringLiteral("lateResets")).toInt();
    s.latenessP50Ms = o.value(QStringLiteral("latenessP50Ms")).toDouble();
    s.latenessP99Ms = o.value(QStringLiteral("latenessP99Ms")).toDouble();
    s.latenessMaxMs = o.value(QStringLiteral("latenessMaxMs")).toDouble();
    s.pingRttMs = o.value(QStringLiteral("pingRttMs")).toDouble(-1.0);
    s.idle = o.value(QStringLiteral("idle")).toBool();
    return s;
}

QJsonObject RxSecond::toJson() const
{
    return QJsonObject{
        {QStringLiteral("second"), second},
        {QStringLiteral("fps"), fps},
        {QStringLiteral("bufferedSec"), bufferedSec},
        {QStringLiteral("jitterMs"), jitterMs},
        {QStringLiteral("underruns"), underruns},
        {QStringLiteral("bursts"), bursts},
        {QStringLiteral("violations"), violations},
    };
}

RxSecond RxSecond::fromJson(const QJsonObject &o)
{
    RxSecond s;
    s.second = o.value(QStringLiteral("second")).toInt();
    s.fps = o.value(QStringLiteral("fps")).toInt();
    s.bufferedSec = o.value(QStringLiteral("bufferedSec")).toDouble();
    s.jitterMs = o.value(QStringLiteral("jitterMs")).toDouble();
    s.underruns = o.value(QStringLiteral("underruns")).toInt();
    s.bursts = o.value(QStringLiteral("bursts")).toInt();
    s.violations = o.value(QStringLiteral("violations")).toInt();
    return s;
}

QJsonObject Criterion::toJson() const
{
    QJsonObject o{
        {QStringLiteral("name"), name},
        {QStringLiteral("measured"), measured},
        {QStringLiteral("limit"), limit},
        {QStringLiteral("pass"), pass},
    };
    if (informational)
        o.insert(QStringLiteral("informational"), true);
    return o;
}

Criterion Criterion::fromJson(const QJsonObject &o)
{
    Criterion c;
    c.name = o.value(QStringLiteral("name")).toString();
    c.measured = o.value(QStringLiteral("measured")).toString();
    c.limit = o.value(QStringLiteral("limit")).toString();
    c.pass = o.value(QStringLiteral("pass")).toBool();
    c.informational = o.value(QStringLiteral("informational")).toBool();
    return c;
}

QJsonObject ScenarioResult::toJson() const
{
    QJsonArray crit, txa, rxa;
    for (const Criterion &c : criteria)
        crit.append(c.toJson());
    for (const TxSecond &s : tx)
        txa.append(s.toJson());
    for (const RxSecond &s : rx)
        rxa.append(s.toJson());
    return QJsonObject{
        {QStringLiteral("id"), id},
        {QStringLiteral("title"), title},
        {QStringLiteral("verdict"), verdictName(verdict)},
        {QStringLiteral("reason"), reason},
        {QStringLiteral("details"), details},
        {QStringLiteral("durationSec"), durationSec},
        {QStringLiteral("criteria"), crit},
        {QStringLiteral("figures"), figures},
        {QStringLiteral("limits"), limits},
        {QStringLiteral("tx"), txa},
        {QStringLiteral("rx"), rxa},
    };
}

ScenarioResult ScenarioResult::fromJson(const QJsonObject &o)
{
    ScenarioResult r;
    r.id = o.value(QStringLiteral("id")).toString();
    r.title = o.value(QStringLiteral("title")).toString();
    r.verdict = verdictFromName(o.value(QStringLiteral("verdict")).toString());
    r.reason = o.value(QStringLiteral("reason")).toString();
    r.details = o.value(QStringLiteral("details")).toString();
    r.durationSec = o.value(QStringLiteral("durationSec")).toDouble();
    r.figures = o.value(QStringLiteral("figures")).toObject();
    r.limits = o.value(QStringLiteral("limits")).toObject();
    for (const QJsonValue &v : o.value(QStringLiteral("criteria")).toArray())
        r.criteria.append(Criterion::fromJson(v.toObject()));
    for (const QJsonValue &v : o.value(QStringLiteral("tx")).toArray())
        r.tx.append(TxSecond::fromJson(v.toObject()));
    for (const QJsonValue &v : o.value(QStringLiteral("rx")).toArray())
        r.rx.append(RxSecond::fromJson(v.toObject()));
    return r;
}

// ---- configuration --------------------------------------------------------------------------

Thresholds Thresholds::forFormat(const MediaFormat &format) const
{
    Thresholds t = *this;
    if (!format.isValid() || format.frameMs <= 0)
        return t;
    const Thresholds twilio;
    const int fps = std::max(1, 1000 / format.frameMs);
    if (t.fpsTarget == twilio.fpsTarget)
        t.fpsTarget = fps;
    if (t.frameBytes == twilio.frameBytes)
        t.frameBytes = format.frameBytes();
    if (t.botFpsTolerance == twilio.botFpsTolerance)
        t.botFpsTolerance = std::max(1, int(std::lround(twilio.botFpsTolerance * fps / double(twilio.fpsTarget))));
    if (t.e1Frames == twilio.e1Frames)
        t.e1Frames = std::max(10, 5000 / format.frameMs);
    // Bounds and depth limits count frames: they keep their duration, rounded as
    // SessionConfig::setProvider rescales the engine's bounds (120 x 20 ms = 24 x 100 ms).
    const int tw = 1000 / twilio.fpsTarget;
    auto rescale = [tw, &format](int frames) {
        return format.frameMs == tw ? frames : std::max(1, (frames * tw + format.frameMs / 2) / format.frameMs);
    };
    if (t.queueCapacity == twilio.queueCapacity)
        t.queueCapacity = rescale(t.queueCapacity);
    if (t.sendQueueCapacity == twilio.sendQueueCapacity)
        t.sendQueueCapacity = rescale(t.sendQueueCapacity);
    if (t.steadyDepthLimit == twilio.steadyDepthLimit)
        t.steadyDepthLimit = rescale(t.steadyDepthLimit);
    // E3's "q < 10" leaves a bot at its 160 ms high-water mark room for a queued mark or two; in
    // longer frames the same room is a whole frame more (Exotel: q < 3 with 1 frame queued + a mark).
    if (t.callDepthLimit == twilio.callDepthLimit)
        t.callDepthLimit = rescale(t.callDepthLimit) + (format.frameMs > tw ? 1 : 0);
    return t;
}

QJsonObject Thresholds::toJson() const
{
    return QJsonObject{
        {QStringLiteral("fpsTarget"), fpsTarget},
        {QStringLiteral("fpsTolerance"), fpsTolerance},
        {QStringLiteral("latenessP99MaxMs"), latenessP99MaxMs},
        {QStringLiteral("latenessMaxMs"), latenessMaxMs},
        {QStringLiteral("maxDriftPpm"), maxDriftPpm},
        {QStringLiteral("minDriftAudioSec"), minDriftAudioSec},
        {QStringLiteral("botMinDriftAudioSec"), botMinDriftAudioSec},
        {QStringLiteral("maxUnderruns"), maxUnderruns},
        {QStringLiteral("maxLateResets"), maxLateResets},
        {QStringLiteral("dropWarnIntervalSec"), dropWarnIntervalSec},
        {QStringLiteral("queueCapacity"), queueCapacity},
        {QStringLiteral("sendQueueCapacity"), sendQueueCapacity},
        {QStringLiteral("steadyDepthLimit"), steadyDepthLimit},
        {QStringLiteral("steadyDepthShare"), steadyDepthShare},
        {QStringLiteral("frameBytes"), frameBytes},
        {QStringLiteral("pingMinSec"), pingMinSec},
        {QStringLiteral("pingMaxSec"), pingMaxSec},
        {QStringLiteral("e1Frames"), e1Frames},
        {QStringLiteral("e1SpanToleranceSec"), e1SpanToleranceSec},
        {QStringLiteral("maxBufferedSec"), maxBufferedSec},
        {QStringLiteral("callDepthLimit"), callDepthLimit},
        {QStringLiteral("callDepthShare"), callDepthShare},
        {QStringLiteral("clearToSilenceMs"), clearToSilenceMs},
        {QStringLiteral("botFpsTolerance"), botFpsTolerance},
        {QStringLiteral("bargeInClearMs"), bargeInClearMs},
    };
}

QJsonObject Durations::toJson() const
{
    return QJsonObject{
        {QStringLiteral("s1Sec"), s1Sec},
        {QStringLiteral("s2Sec"), s2Sec},
        {QStringLiteral("s3Sec"), s3Sec},
        {QStringLiteral("s4Sec"), s4Sec},
        {QStringLiteral("s5SecPerRate"), s5SecPerRate},
        {QStringLiteral("s6Sec"), s6Sec},
        {QStringLiteral("s6PingIntervalMs"), s6PingIntervalMs},
        {QStringLiteral("e2MinSpeechSec"), e2MinSpeechSec},
        {QStringLiteral("e3Sec"), e3Sec},
        {QStringLiteral("botSec"), botSec},
        {QStringLiteral("connectTimeoutSec"), connectTimeoutSec},
        {QStringLiteral("listenTimeoutSec"), listenTimeoutSec},
    };
}

namespace {
struct TwinName
{
    const char *name;
    const char *what;
};
// Order = the order names() reports them in.
constexpr TwinName kTwins[] = {
    {"fixed-sleep", "pacer sleeps a fixed 20 ms after each send"},
    {"cpu-load", "a thread burns a core while scenarios run"},
    {"unbounded-queue", "tx queue without a bound"},
    {"320-byte-frames", "frames of 320 bytes (40 ms)"},
    {"pings-off", "no WebSocket keep-alive"},
    {"ignore-back-pressure", "producers push without waiting"},
    {"never-clear", "the bot ignores barge-in"},
    {"second-sender", "a second writer besides the sender thread"},
};
} // namespace

bool BrokenTwins::any() const
{
    return !names().isEmpty();
}

QStringList BrokenTwins::names() const
{
    QStringList out;
    if (fixedSleepPacer) out << QStringLiteral("fixed-sleep");
    if (cpuLoad) out << QStringLiteral("cpu-load");
    if (unboundedQueue) out << QStringLiteral("unbounded-queue");
    if (frameBytes != 160) out << QStringLiteral("%1-byte-frames").arg(frameBytes);
    if (pingsOff) out << QStringLiteral("pings-off");
    if (ignoreBackPressure) out << QStringLiteral("ignore-back-pressure");
    if (botNeverClears) out << QStringLiteral("never-clear");
    if (secondTransmitPath) out << QStringLiteral("second-sender");
    return out;
}

QStringList BrokenTwins::allNames()
{
    QStringList out;
    for (const TwinName &t : kTwins)
        out << QStringLiteral("%1 (%2)").arg(QLatin1String(t.name), QLatin1String(t.what));
    return out;
}

bool BrokenTwins::parse(const QString &list, BrokenTwins *out, QString *error)
{
    BrokenTwins b;
    const QStringList parts = list.split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (parts.isEmpty()) {
        *error = QStringLiteral("--break wants a comma-separated list of: fixed-sleep, cpu-load, "
                                "unbounded-queue, 320-byte-frames, pings-off, ignore-back-pressure, "
                                "never-clear, second-sender");
        return false;
    }
    for (const QString &raw : parts) {
        const QString p = raw.trimmed().toLower();
        if (p == QLatin1String("fixed-sleep")) b.fixedSleepPacer = true;
        else if (p == QLatin1String("cpu-load")) b.cpuLoad = true;
        else if (p == QLatin1String("unbounded-queue")) b.unboundedQueue = true;
        else if (p == QLatin1String("320-byte-frames")) b.frameBytes = 320;
        else if (p == QLatin1String("pings-off")) b.pingsOff = true;
        else if (p == QLatin1String("ignore-back-pressure")) b.ignoreBackPressure = true;
        else if (p == QLatin1String("never-clear")) b.botNeverClears = true;
        else if (p == QLatin1String("second-sender")) b.secondTransmitPath = true;
        else {
            *error = QStringLiteral("unknown broken twin '%1' in --break; known: fixed-sleep, cpu-load, "
                                    "unbounded-queue, 320-byte-frames, pings-off, ignore-back-pressure, "
                                    "never-clear, second-sender")
                         .arg(raw.trimmed());
            return false;
        }
    }
    *out = b;
    return true;
}

QJsonObject BrokenTwins::toJson() const
{
    QJsonArray arr;
    for (const QString &n : names())
        arr.append(n);
    return QJsonObject{{QStringLiteral("broken"), arr}};
}

QString CheckConfig::describeTarget() const
{
    switch (mode) {
    case TargetMode::Embedded: return QStringLiteral("PaceLab sender -> built-in emulator on 127.0.0.1");
    case TargetMode::Target: return QStringLiteral("PaceLab sender -> %1").arg(targetUrl.toString());
    case TargetMode::Listen:
        return QStringLiteral("PaceLab sender listening on %1:%2")
            .arg(listenAddress.toString())
            .arg(listenPort);
    case TargetMode::Bot:
        return botUrl.isEmpty() ? QStringLiteral("built-in emulator -> built-in reference bot")
                                : QStringLiteral("built-in emulator -> bot %1").arg(botUrl.toString());
    }
    return {};
}

QJsonObject CheckConfig::toJson() const
{
    QJsonObject o{
        {QStringLiteral("mode"), targetModeName(mode)},
        {QStringLiteral("target"), describeTarget()},
        {QStringLiteral("thresholds"), thresholds.toJson()},
        {QStringLiteral("durations"), durations.toJson()},
        {QStringLiteral("provider"), provider::name(provider)},
        {QStringLiteral("format"), provider::profile(provider).outboundFormat().describe()},
    };
    QJsonArray broken;
    for (const QString &n : this->broken.names())
        broken.append(n);
    o.insert(QStringLiteral("broken"), broken);
    if (mode == TargetMode::Target)
        o.insert(QStringLiteral("targetUrl"), targetUrl.toString());
    if (mode == TargetMode::Listen) {
        o.insert(QStringLiteral("listenAddress"), listenAddress.toString());
        o.insert(QStringLiteral("listenPort"), listenPort);
    }
    if (!botUrl.isEmpty())
        o.insert(QStringLiteral("botUrl"), botUrl.toString());
    return o;
}

} // namespace pacelab::check
