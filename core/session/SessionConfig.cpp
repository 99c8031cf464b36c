#include "session/SessionConfig.h"

#include <QSettings>

#include <algorithm>
#include <limits>

namespace pacelab {

namespace {

using Group = SessionSetting::Group;
using Kind = SessionSetting::Kind;

// int fields take values the option parser already bounded to the int range.
template<typename T>
T narrow(qint64 v)
{
    return T(qBound(qint64(std::numeric_limits<T>::min()), v, qint64(std::numeric_limits<T>::max())));
}

SessionSetting intSetting(const char *key, Group g, const QString &label, const QString &unit, const QString &help,
                          std::function<qint64(const SessionConfig &)> get,
                          std::function<void(SessionConfig &, qint64)> set)
{
    return SessionSetting{QString::fromLatin1(key), g, Kind::Int, label, unit, help, std::move(get), std::move(set)};
}

// A field kept in µs but shown in ms (the emulator's model works in µs).
SessionSetting playoutMs(const char *key, const QString &label, const QString &help, qint64 PlayoutConfig::*field)
{
    return intSetting(key, Group::Emulator, label, QStringLiteral("ms"), help,
                      [field](const SessionConfig &c) { return c.emulator.playout.*field / 1000; },
                      [field](SessionConfig &c, qint64 v) { c.emulator.playout.*field = v * 1000; });
}

SessionSetting analyticsMs(const char *key, const QString &label, const QString &help, qint64 ArrivalAnalyticsConfig::*field)
{
    return intSetting(key, Group::Emulator, label, QStringLiteral("ms"), help,
                      [field](const SessionConfig &c) { return c.emulator.analytics.*field / 1000; },
                      [field](SessionConfig &c, qint64 v) { c.emulator.analytics.*field = v * 1000; });
}

#define PL_SENDER_INT(key, field, label, unit, help)                                                                    \
    intSetting(key, Group::Sender, QStringLiteral(label), QStringLiteral(unit), QStringLiteral(help),                  \
               [](const SessionConfig &c) { return qint64(c.sender.field); },                                          \
               [](SessionConfig &c, qint64 v) { c.sender.field = narrow<decltype(c.sender.field)>(v); })

QList<SessionSetting> buildSettings()
{
    QList<SessionSetting> s{
        PL_SENDER_INT("queue-capacity", queueCapacity, "Tx queue capacity", "frames",
                      "Frames the tx queue holds before real-time producers drop the oldest (0 = unbounded)."),
        PL_SENDER_INT("high-water", highWater, "High-water mark", "frames",
                      "Blocking producers (TTS, files, tones) wait while the tx queue holds this many frames."),
        PL_SENDER_INT("send-queue-capacity", sendQueueCapacity, "Send queue capacity", "frames",
                      "Frames between the clock and the socket writer (0 = unbounded)."),
        PL_SENDER_INT("frame-interval-us", frameIntervalUs, "Frame interval", "us",
                      "The pacer's period; --provider sets it to the provider's frame duration (Twilio: 20000 us)."),
        PL_SENDER_INT("max-late-frames", maxLateFrames, "Late frames before re-anchoring", "frames",
                      "Late by more than this many frames: the clock re-anchors to now instead of bursting."),
        PL_SENDER_INT("wake-lead-us", wakeLeadUs, "Wake lead", "us",
                      "How long before a deadline the sender thread wakes to wait precisely."),
        PL_SENDER_INT("spin-us", spinUs, "Spin time", "us",
                      "The last part of that wait spent spinning instead of sleeping."),
        PL_SENDER_INT("rt-priority", realtimePriority, "Real-time priority", "",
                      "1..99: the SCHED_FIFO priority the sender thread asks for (0 = the default, 50)."),
        SessionSetting{QStringLiteral("no-realtime"), Group::Sender, Kind::Bool, QStringLiteral("No real-time scheduling"),
                       QString(), QStringLiteral("Do not ask for real-time scheduling (SCHED_FIFO, RealtimeKit or a raised nice value) for the sender thread."),
                       [](const SessionConfig &c) { return qint64(!c.sender.realtime); },
                       [](SessionConfig &c, qint64 v) { c.sender.realtime = v == 0; }},
        PL_SENDER_INT("ping-interval-ms", pingIntervalMs, "Ping interval", "ms",
                      "WebSocket keep-alive ping period (0 = no pings)."),
        PL_SENDER_INT("max-missed-pongs", maxMissedPongs, "Missed pongs before giving up", "",
                      "This many pings in a row without a pong: the peer is gone (0 = only count them)."),
        PL_SENDER_INT("max-bytes-to-write", maxBytesToWrite, "Socket write limit", "bytes",
                      "The writer stops handing frames to the socket while this much is unsent."),
        PL_SENDER_INT("drop-warning-interval-ms", dropWarnIntervalMs, "Drop warning interval", "ms",
                      "At most one 'frames dropped' warning per this period."),
        PL_SENDER_INT("drain-timeout-ms", drainTimeoutMs, "Drain timeout", "ms",
                      "Stopping sends what is queued at pace, then gives up after this long."),
        PL_SENDER_INT("connect-timeout-ms", connectTimeoutMs, "Connect timeout", "ms",
                      "Give up on a connection attempt (TCP + TLS + upgrade) after this long (0 = OS default)."),
        SessionSetting{QStringLiteral("reconnect"), Group::Sender, Kind::Bool, QStringLiteral("Reconnect after a drop"),
                       QString(), QStringLiteral("Client mode: reconnect with exponential backoff when the connection drops."),
                       [](const SessionConfig &c) { return qint64(c.sender.reconnect); },
                       [](SessionConfig &c, qint64 v) { c.sender.reconnect = v != 0; }},
        PL_SENDER_INT("reconnect-initial-ms", reconnectInitialMs, "First reconnect delay", "ms",
                      "The backoff starts here and doubles after each failed attempt."),
        PL_SENDER_INT("reconnect-max-ms", reconnectMaxMs, "Longest reconnect delay", "ms",
                      "The backoff never waits longer than this."),
        PL_SENDER_INT("reconnect-attempts", reconnectMaxAttempts, "Reconnect attempts", "",
                      "Give up after this many attempts in a row (0 = no limit)."),
        SessionSetting{QStringLiteral("comfort-silence"), Group::Sender, Kind::Bool, QStringLiteral("Comfort silence"),
                       QString(), QStringLiteral("Send a frame of silence (Twilio: 160 B of mu-law) when the queue is empty instead of nothing."),
                       [](const SessionConfig &c) { return qint64(c.sender.comfortSilence); },
                       [](SessionConfig &c, qint64 v) { c.sender.comfortSilence = v != 0; }},

        playoutMs("jitter-buffer-ms", QStringLiteral("Jitter buffer"),
               QStringLiteral("The modelled Twilio jitter buffer: a run of audio starts playing this long after it arrives."),
               &PlayoutConfig::jitterBufferUs),
        playoutMs("pause-threshold-ms", QStringLiteral("Pause threshold"),
               QStringLiteral("A dry buffer refilled within this long counts as an underrun; later, as a pause."),
               &PlayoutConfig::pauseThresholdUs),
        playoutMs("silence-hold-ms", QStringLiteral("Silence after clear"),
               QStringLiteral("After a clear, the buffer must stay empty this long for the caller to hear silence."),
               &PlayoutConfig::silenceHoldUs),
        playoutMs("max-buffered-ms", QStringLiteral("Twilio buffer limit"),
               QStringLiteral("More audio than this buffered: further media is discarded (31931); Twilio's is 10 minutes."),
               &PlayoutConfig::maxBufferedUs),
        analyticsMs("burst-window-ms", QStringLiteral("Burst window"),
               QStringLiteral("The sliding window in which audio arriving faster than real time is a burst."),
               &ArrivalAnalyticsConfig::burstWindowUs),
        analyticsMs("burst-tolerance-ms", QStringLiteral("Burst tolerance"),
               QStringLiteral("Audio ahead of real time tolerated within the burst window."),
               &ArrivalAnalyticsConfig::burstToleranceUs),
        analyticsMs("spurt-gap-ms", QStringLiteral("Talk-spurt gap"),
               QStringLiteral("A longer silence starts a new talk spurt (pacing is judged per spurt)."),
               &ArrivalAnalyticsConfig::spurtGapUs),
        intSetting("max-message-bytes", Group::Emulator, QStringLiteral("Largest message"), QStringLiteral("bytes"),
                   QStringLiteral("Larger WebSocket messages from the bot are refused and reported."),
                   [](const SessionConfig &c) { return c.emulator.maxIncomingMessageBytes; },
                   [](SessionConfig &c, qint64 v) { c.emulator.maxIncomingMessageBytes = v; }),
        intSetting("emulator-connect-timeout-ms", Group::Emulator, QStringLiteral("Connect timeout (test a bot)"),
                   QStringLiteral("ms"), QStringLiteral("Test-your-bot: give up on reaching the bot after this long."),
                   [](const SessionConfig &c) { return qint64(c.emulator.connectTimeoutMs); },
                   [](SessionConfig &c, qint64 v) { c.emulator.connectTimeoutMs = narrow<int>(v); }),
        intSetting("max-record-bytes", Group::Emulator, QStringLiteral("Recording limit"), QStringLiteral("bytes"),
                   QStringLiteral("Recording what the bot sent stops after this much audio."),
                   [](const SessionConfig &c) { return c.emulator.maxRecordBytes; },
                   [](SessionConfig &c, qint64 v) { c.emulator.maxRecordBytes = v; }),
    };
    return s;
}

#undef PL_SENDER_INT

// The emulator's numbers (the engine checks its own in SenderConfig::validate()).
struct EmulatorLimit
{
    const char *key;
    qint64 min, max;
    const char *what;
};

const EmulatorLimit kEmulatorLimits[] = {
    {"jitter-buffer-ms", 0, 2000, "jitter buffer must be 0..2000 ms, got %1"},
    {"pause-threshold-ms", 100, 60000, "pause threshold must be 100..60000 ms, got %1"},
    {"silence-hold-ms", 20, 10000, "silence after clear must be 20..10000 ms, got %1"},
    {"max-buffered-ms", 1000, 3600000, "Twilio buffer limit must be 1000..3600000 ms, got %1"},
    {"burst-window-ms", 100, 60000, "burst window must be 100..60000 ms, got %1"},
    {"burst-tolerance-ms", 0, 10000, "burst tolerance must be 0..10000 ms, got %1"},
    {"spurt-gap-ms", 100, 600000, "talk-spurt gap must be 100..600000 ms, got %1"},
    {"max-message-bytes", 1024, 1LL << 30, "largest message must be 1024..1073741824 bytes, got %1"},
    {"emulator-connect-timeout-ms", 0, 600000, "emulator connect timeout must be 0..600000 ms (0 = none), got %1"},
    {"max-record-bytes", 0, 2147483647, "recording limit must be 0..2147483647 bytes, got %1"},
};

} // namespace

const QList<SessionSetting> &sessionSettings()
{
    static const QList<SessionSetting> settings = buildSettings();
    return settings;
}

const SessionSetting *findSessionSetting(const QString &key)
{
    for (const SessionSetting &s : sessionSettings())
        if (s.key == key)
            return &s;
    return nullptr;
}

QString loadSessionSettings(QSettings &settings, SessionConfig *cfg)
{
    SessionConfig loaded = *cfg;
    for (const SessionSetting &s : sessionSettings()) {
        const QString key = QStringLiteral("session/") + s.key;
        if (!settings.contains(key))
            continue;
        const QVariant v = settings.value(key);
        bool ok = false;
        qint64 n = 0;
        const QString text = v.toString().trimmed().toLower();
        if (s.kind == SessionSetting::Kind::Bool && (text == QLatin1String("true") || text == QLatin1String("false"))) {
            n = text == QLatin1String("true"); // a settings file keeps a switch as text
            ok = true;
        } else {
            n = v.toLongLong(&ok);
        }
        if (!ok || n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max())
            return QStringLiteral("setting %1: '%2' is not a whole number").arg(s.key, v.toString());
        s.set(loaded, n);
    }
    if (const QString problem = loaded.validate(); !problem.isEmpty())
        return problem;
    *cfg = loaded;
    return {};
}

void saveSessionSettings(QSettings &settings, const SessionConfig &cfg)
{
    for (const SessionSetting &s : sessionSettings()) {
        const qint64 v = s.get(cfg);
        if (s.kind == SessionSetting::Kind::Bool)
            settings.setValue(QStringLiteral("session/") + s.key, v != 0);
        else
            settings.setValue(QStringLiteral("session/") + s.key, v);
    }
}

void SessionConfig::setProvider(provider::Id id)
{
    // The queue bounds count frames; a frame of the new provider may hold more or less audio
    // than one of the old (Exotel's 100 ms against Twilio's 20 ms). Rescaled so that each bound
    // keeps meaning the same audio duration: 120 frames x 20 ms = 2.4 s stay 2.4 s as 24 frames
    // x 100 ms. Rounded to the nearest frame; a bound stays at least 1 frame, 0 (unbounded)
    // stays 0. Values set afterwards (--queue-capacity ...) are taken as they are, in frames of
    // the new provider. docs/engine.md "Providers".
    const int oldMs = provider::profile(sender.provider).outboundFormat().frameMs;
    const int newMs = provider::profile(id).outboundFormat().frameMs;
    auto rescale = [oldMs, newMs](int frames) {
        if (frames <= 0 || oldMs == newMs)
            return frames;
        const qint64 scaled = (qint64(frames) * oldMs + newMs / 2) / newMs;
        return int(std::clamp<qint64>(scaled, 1, 1000000)); // 1000000: validate()'s own maximum
    };
    const bool highWaterIsCapacity = sender.highWater == sender.queueCapacity;
    sender.queueCapacity = rescale(sender.queueCapacity);
    // A high-water mark that equalled the capacity still does; one below it stays at most it.
    sender.highWater = rescale(sender.highWater);
    if (highWaterIsCapacity || (sender.queueCapacity > 0 && sender.highWater > sender.queueCapacity))
        sender.highWater = sender.queueCapacity;
    sender.sendQueueCapacity = rescale(sender.sendQueueCapacity);
    sender.provider = id;
    emulator.provider = id;
    sender.frameIntervalUs = provider::profile(id).outboundFormat().frameUs();
}

QString SessionConfig::validate(QString *badKey) const
{
    if (badKey)
        badKey->clear();
    for (const EmulatorLimit &l : kEmulatorLimits) {
        const SessionSetting *s = findSessionSetting(QString::fromLatin1(l.key));
        const qint64 v = s->get(*this);
        if (v < l.min || v > l.max) {
            if (badKey)
                *badKey = s->key;
            return QString::fromLatin1(l.what).arg(v);
        }
    }
    const QString problem = sender.validate();
    if (problem.isEmpty())
        return {};
    // SenderConfig words the problem; find which setting it is about: the one whose default
    // value makes the message go away or change. Some rules join two fields (the high-water
    // mark and the capacity): the table lists the bound before what it bounds, so probing from
    // the end names the dependent one, which the message is about.
    if (badKey) {
        const SessionConfig defaults;
        const QList<SessionSetting> &all = sessionSettings();
        for (auto it = all.crbegin(); it != all.crend(); ++it) {
            const SessionSetting &s = *it;
            if (s.group != SessionSetting::Group::Sender || s.get(*this) == s.get(defaults))
                continue;
            SessionConfig probe = *this;
            s.set(probe, s.get(defaults));
            if (probe.sender.validate() != problem) {
                *badKey = s.key;
                break;
            }
        }
    }
    return problem;
}

} // namespace pacelab
