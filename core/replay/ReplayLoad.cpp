// Loading a recorded call: PaceLab captures and JSON Lines dumps (CaptureReader), pcap/pcapng
// (PcapReader, through tshark) and WAV files, all into one LoadedCall, the messages read with the
// provider's profile (named, from the capture header, or detected).
#include "Replay.h"

#include "audio/G711.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <limits>

namespace pacelab::replay {

namespace {

void appendCapped(QByteArray &audio, const QByteArray &payload, qint64 cap, bool &truncated)
{
    if (truncated)
        return;
    if (audio.size() + payload.size() > cap) {
        truncated = true;
        return;
    }
    audio += payload;
}

LoadResult loadWav(const QString &path, const LoadOptions &opt)
{
    LoadResult res;
    const wav::ReadResult w = wav::readFile(path);
    if (!w.ok) {
        res.error = QStringLiteral("%1: not a usable WAV file: %2").arg(path, w.error);
        return res;
    }
    LoadedCall &c = res.call;
    c.source = LoadedCall::Source::Wav;
    c.path = path;
    c.wavPcm = w.pcm;
    c.wavInfo = w.info;
    if (w.pcm.channels == 2 && opt.callerChannel >= 0) {
        if (opt.callerChannel > 1) {
            res.error = QStringLiteral("%1 has 2 channels: the caller's channel is 1 or 2, not %2").arg(path).arg(opt.callerChannel + 1);
            return res;
        }
        c.wavCallerChannel = opt.callerChannel;
        c.notes << QStringLiteral("a two-channel WAV is taken as a dual-channel call recording: channel %1 is the caller "
                                  "(inbound), channel %2 the bot (outbound); --caller-channel chooses, 'mix' mixes both")
                       .arg(opt.callerChannel + 1).arg(2 - opt.callerChannel);
    } else if (w.pcm.channels > 2 && opt.callerChannel >= 0 && opt.callerChannel < w.pcm.channels) {
        c.wavCallerChannel = opt.callerChannel;
        c.notes << QStringLiteral("%1 channels: channel %2 is taken as the caller, the others are not used")
                       .arg(w.pcm.channels).arg(opt.callerChannel + 1);
    }
    c.notes << QStringLiteral("a WAV has audio but no message timing: it can be re-sent, used as the caller "
                              "or exported, not analysed for pacing");
    res.ok = true;
    return res;
}

// How many messages of each direction provider detection looks at before deciding.
constexpr int kDetectMessagesPerDirection = 20;
// A message the chosen profile cannot read counts as another provider's when that profile is at
// least this sure of it (Profile::recognize, 0..100).
constexpr int kForeignScore = 50;

// Turns message and telemetry records, in file order, into the call. Messages are held back
// until the provider is known (the first kDetectMessagesPerDirection of each direction, or the
// end), then read with that provider's profile.
class CallBuilder
{
public:
    CallBuilder(LoadedCall &call, const LoadOptions &opt, QString where)
        : c(call), m_opt(opt), m_where(std::move(where))
    {
    }

    void add(const capture::Record &r)
    {
        if (r.type == capture::Record::Type::TxTelemetry) {
            if (c.txTelemetry.size() < m_opt.maxTelemetryRecords) {
                QJsonObject o = r.fields;
                o.insert(QStringLiteral("t_us"), r.tUs);
                c.txTelemetry.append(o);
            }
            return;
        }
        if (r.type == capture::Record::Type::RxSecond) {
            if (c.rxSeconds.size() < m_opt.maxTelemetryRecords) {
                QJsonObject o = r.fields;
                o.insert(QStringLiteral("t_us"), r.tUs);
                c.rxSeconds.append(o);
            }
            return;
        }
        if (r.type != capture::Record::Type::Message)
            return;
        if (m_profile) {
            addMessage(r);
            return;
        }
        m_held.append(r);
        ++m_heldPerDir[r.dir == capture::Dir::Out ? 0 : 1];
        if ((m_heldPerDir[0] >= kDetectMessagesPerDirection && m_heldPerDir[1] >= kDetectMessagesPerDirection)
            || m_held.size() >= 20 * kDetectMessagesPerDirection)
            decide();
    }

    void finish()
    {
        if (!m_profile)
            decide();
        if (m_reordered > 0)
            c.notes << QStringLiteral("%1 outbound message(s) were recorded slightly out of time order and were kept in file order").arg(m_reordered);
        if (c.outAudioTruncated || c.inAudioTruncated)
            c.notes << QStringLiteral("audio kept only up to %1 s per direction").arg(m_opt.maxAudioBytesPerDirection / kTwilioRate);
        if (m_formatChanges > 0)
            c.notes << QStringLiteral("%1 media message(s) announced another audio format than the stream's (%2): their audio is "
                                      "kept as if it were the stream's")
                           .arg(m_formatChanges).arg(c.outFormat.describe());
        if (c.inInvalid > 0)
            c.notes << QStringLiteral("%1 inbound message(s) are not %2 messages (first: %3)")
                           .arg(c.inInvalid).arg(c.providerLabel(), c.firstInInvalid);
        if (!c.foreignMessages.isEmpty()) {
            QStringList parts;
            qint64 total = 0;
            for (auto it = c.foreignMessages.cbegin(); it != c.foreignMessages.cend(); ++it) {
                parts << QStringLiteral("%1 look like %2").arg(it.value()).arg(provider::profile(it.key()).displayName());
                total += it.value();
            }
            c.notes << QStringLiteral("the recording mixes providers: it is read as %1, but %2 message(s) it cannot read are "
                                      "another provider's (%3) — two recordings joined? Outbound ones count as invalid "
                                      "messages; --provider chooses the protocol")
                           .arg(c.profile().displayName()).arg(total).arg(parts.join(QStringLiteral(", ")));
        }
    }

private:
    // The provider: --provider, else the capture header's, else detected from the held messages,
    // else Twilio. The reason is kept for the report.
    void decide()
    {
        QList<provider::WireMessage> sample;
        int perDir[2] = {0, 0};
        for (const capture::Record &r : std::as_const(m_held)) {
            int &n = perDir[r.dir == capture::Dir::Out ? 0 : 1];
            if (n++ < kDetectMessagesPerDirection)
                sample.append({r.data, r.kind == capture::MsgKind::Binary});
        }
        std::optional<provider::Id> detected = provider::detect(sample);
        // Detection needs one message that names its provider (a handshake, a JSON message with
        // the provider's fields): bare binary frames only lean weakly towards Vonage, and a
        // recording of a bot sending binary junk to Twilio must stay Twilio's.
        std::optional<provider::Id> weak;
        if (detected) {
            int strongest = 0;
            for (const provider::WireMessage &m : std::as_const(sample))
                strongest = std::max(strongest, provider::profile(*detected).recognize(m.data, m.binary));
            if (strongest < kForeignScore) {
                weak = detected;
                detected.reset();
            }
        }
        auto recognised = [&](provider::Id id) {
            int n = 0;
            for (const provider::WireMessage &m : std::as_const(sample))
                n += provider::profile(id).recognize(m.data, m.binary) > 0 ? 1 : 0;
            return QStringLiteral("%1 of the first %2 message(s) recognised").arg(n).arg(sample.size());
        };
        const QString headerName = c.header.value(QLatin1String(capture::kProviderField)).toString();
        const std::optional<provider::Id> fromHeader = provider::idFromName(headerName);
        if (!headerName.isEmpty() && !fromHeader)
            c.notes << QStringLiteral("the capture header names an unknown provider '%1' (known: %2): ignored")
                           .arg(headerName.left(40), provider::namesJoined(QStringLiteral(", ")));
        if (m_opt.provider) {
            c.provider = *m_opt.provider;
            c.providerFrom = LoadedCall::ProviderFrom::Option;
            c.providerReason = QStringLiteral("chosen with --provider");
            if (fromHeader && *fromHeader != c.provider)
                c.providerReason += QStringLiteral("; the capture header says %1").arg(provider::name(*fromHeader));
            else if (!fromHeader && detected && *detected != c.provider)
                c.providerReason += QStringLiteral("; the messages look like %1's").arg(provider::name(*detected));
        } else if (fromHeader) {
            c.provider = *fromHeader;
            c.providerFrom = LoadedCall::ProviderFrom::Header;
            c.providerReason = QStringLiteral("named by the capture header");
            if (detected && *detected != c.provider)
                c.providerReason += QStringLiteral("; the messages look like %1's, --provider overrides").arg(provider::name(*detected));
        } else if (detected) {
            c.provider = *detected;
            c.providerFrom = LoadedCall::ProviderFrom::Detected;
            c.providerReason = QStringLiteral("detected from the messages: %1").arg(recognised(*detected));
        } else {
            c.provider = provider::Id::Twilio;
            c.providerFrom = LoadedCall::ProviderFrom::Assumed;
            c.providerReason = sample.isEmpty() ? QStringLiteral("no messages to recognise: Twilio assumed")
                                                : QStringLiteral("no provider recognised in the first %1 message(s): Twilio assumed, "
                                                                 "--provider chooses").arg(sample.size());
            // No messages at all: loadRecords reports that; else say what was not recognised.
            if (!sample.isEmpty() && weak)
                c.notes << QStringLiteral("no message names its provider (the first %1 only lean towards %2, e.g. bare binary "
                                          "frames): they are read as Twilio's; --provider %3 if the call was %2's")
                               .arg(sample.size()).arg(provider::profile(*weak).displayName(), provider::name(*weak));
            else if (!sample.isEmpty())
                c.notes << QStringLiteral("the messages are not recognised as any provider's (%1): they are read as Twilio's; "
                                          "--provider %2 names the protocol")
                               .arg(provider::namesJoined(QStringLiteral(", ")), provider::namesJoined());
        }
        m_profile = &provider::profile(c.provider);
        c.outFormat = m_profile->outboundFormat();
        c.inFormat = m_profile->inboundFormat();
        m_outCap = capFor(c.outFormat);
        m_inCap = capFor(c.inFormat);
        const QList<capture::Record> held = std::move(m_held);
        m_held.clear();
        for (const capture::Record &r : held)
            addMessage(r);
    }

    // LoadOptions::maxAudioBytesPerDirection is in 8 kHz mu-law bytes: the same time in `f`.
    qint64 capFor(const MediaFormat &f) const
    {
        const double scale = double(f.sampleRate) * f.bytesPerSample() / kTwilioRate;
        const double cap = double(m_opt.maxAudioBytesPerDirection) * scale;
        return cap >= double(std::numeric_limits<qint64>::max() / 2) ? std::numeric_limits<qint64>::max() / 2 : qint64(cap);
    }

    // A message the profile could not read: another provider's? (mixing two recordings)
    void checkForeign(const capture::Record &r)
    {
        const bool binary = r.kind == capture::MsgKind::Binary;
        std::optional<provider::Id> best;
        int bestScore = kForeignScore - 1;
        for (provider::Id id : provider::allIds()) {
            if (id == c.provider)
                continue;
            const int score = provider::profile(id).recognize(r.data, binary);
            if (score > bestScore) {
                bestScore = score;
                best = id;
            }
        }
        if (best)
            c.foreignMessages[*best]++;
    }

    void takeFormat(const provider::Message &m, MediaFormat &format, bool &announced)
    {
        if (!m.format || !m.format->isValid())
            return;
        if (!announced) {
            // The message names the encoding and rate; the paced unit stays the profile's.
            announced = true;
            const int frameMs = format.frameMs;
            format = *m.format;
            format.frameMs = frameMs;
        } else if (m.format->encoding != format.encoding || m.format->sampleRate != format.sampleRate) {
            ++m_formatChanges;
        }
    }

    void addMessage(const capture::Record &r)
    {
        const provider::Profile &p = *m_profile;
        const bool binary = r.kind == capture::MsgKind::Binary;
        if (c.originUs < 0 || r.tUs < c.originUs)
            c.originUs = r.tUs;
        c.lastUs = std::max(c.lastUs, r.tUs);
        if (r.dir == capture::Dir::In) {
            ++c.inMessages;
            const provider::ParseResult pr = p.parseFromProvider(r.data, binary);
            if (!pr.ok()) {
                if (c.inInvalid++ == 0)
                    c.firstInInvalid = QStringLiteral("%1 %2: %3").arg(m_where).arg(r.lineNo).arg(pr.detail);
                checkForeign(r);
                return;
            }
            const provider::Message &m = pr.message;
            if (m.event == provider::Event::Media) {
                takeFormat(m, c.inFormat, m_inAnnounced);
                appendCapped(c.inAudio, m.audio, m_inCap, c.inAudioTruncated);
            } else if (m.event == provider::Event::Start || m.event == provider::Event::Connected) {
                if (c.streamSid.isEmpty())
                    c.streamSid = m.streamId;
                // The stream's format (Twilio/Plivo `start`, Vonage's `websocket:connected`
                // content-type): inbound, and outbound too when the provider uses one format both
                // ways and the bot announced none.
                const bool symmetric = p.outboundFormat() == p.inboundFormat();
                takeFormat(m, c.inFormat, m_inAnnounced);
                if (symmetric && !m_outAnnounced && m.format && m.format->isValid()) {
                    const int frameMs = c.outFormat.frameMs;
                    c.outFormat = *m.format;
                    c.outFormat.frameMs = frameMs;
                }
            }
            return;
        }
        ++c.outMessages;
        OutEvent ev;
        // Writers on several threads may log a hair out of order: the model needs time to move
        // forward, so such a message is placed at the previous one's time (and counted).
        ev.tUs = r.tUs;
        if (ev.tUs < m_lastOutT) {
            ev.tUs = m_lastOutT;
            ++m_reordered;
        }
        m_lastOutT = ev.tUs;
        // Not checking the stream id: a dump may come from any stream.
        const provider::ParseResult pr = p.parseFromBot(r.data, binary);
        if (!pr.ok()) {
            const int code = pr.code != 0 ? pr.code : p.codeFor(pr.error);
            if (binary && pr.error == provider::ParseError::WrongFrameType) {
                ev.type = OutEvent::Type::Binary;
                ev.code = code;
                ev.detail = pr.detail;
            } else {
                ev.type = OutEvent::Type::Invalid;
                ev.code = code;
                ev.detail = QStringLiteral("%1 %2: %3").arg(m_where).arg(r.lineNo).arg(pr.detail);
            }
            checkForeign(r);
            c.out.append(ev);
            return;
        }
        const provider::Message &m = pr.message;
        if (c.streamSid.isEmpty())
            c.streamSid = m.streamId;
        switch (m.event) {
        case provider::Event::Media:
            ev.type = OutEvent::Type::Media;
            ev.bytes = int(m.audio.size());
            takeFormat(m, c.outFormat, m_outAnnounced);
            appendCapped(c.outAudio, m.audio, m_outCap, c.outAudioTruncated);
            break;
        case provider::Event::Mark:
            ev.type = OutEvent::Type::Mark;
            ev.name = m.markName;
            break;
        case provider::Event::Clear:
            ev.type = OutEvent::Type::Clear;
            break;
        default:
            ev.type = OutEvent::Type::Other;
            break;
        }
        c.out.append(ev);
    }

    LoadedCall &c;
    const LoadOptions &m_opt;
    QString m_where;
    const provider::Profile *m_profile = nullptr;
    QList<capture::Record> m_held;
    int m_heldPerDir[2] = {0, 0};
    qint64 m_outCap = 0, m_inCap = 0;
    bool m_outAnnounced = false, m_inAnnounced = false;
    qint64 m_formatChanges = 0;
    qint64 m_lastOutT = std::numeric_limits<qint64>::min();
    qint64 m_reordered = 0;
};

LoadResult loadRecords(capture::CaptureReader &reader, const LoadOptions &opt, const QString &path)
{
    LoadResult res;
    LoadedCall &c = res.call;
    c.path = path;
    c.source = reader.format() == capture::CaptureReader::Format::PaceLab ? LoadedCall::Source::Capture
                                                                           : LoadedCall::Source::JsonDump;
    c.header = reader.header();
    CallBuilder builder(c, opt, QStringLiteral("line"));
    qint64 nextProgress = 1 << 20;
    while (std::optional<capture::Record> r = reader.next()) {
        if (opt.progress && reader.bytesRead() >= nextProgress) {
            opt.progress(reader.bytesRead(), reader.totalBytes());
            nextProgress = reader.bytesRead() + (1 << 20);
        }
        builder.add(*r);
    }
    if (!reader.fatalError().isEmpty()) {
        res.error = reader.fatalError();
        return res;
    }
    c.errors = reader.errors();
    c.errorCount = reader.errorCount();
    if (!reader.notes().isEmpty())
        c.notes << reader.notes();
    builder.finish();
    if (c.errorCount > 0)
        c.notes << QStringLiteral("%1 bad line(s) skipped (first: %2)").arg(c.errorCount).arg(c.errors.value(0).message);
    if (c.outMessages == 0 && c.inMessages == 0) {
        res.error = c.errorCount > 0 ? QStringLiteral("no usable messages: %1 bad line(s), first: %2").arg(c.errorCount).arg(c.errors.value(0).message)
                                     : QStringLiteral("the file holds no WebSocket messages");
        if (reader.truncatedTailAt() >= 0)
            res.error += QStringLiteral(" (the file ends inside a line at byte %1: the recording was cut short)").arg(reader.truncatedTailAt());
        return res;
    }
    res.ok = true;
    return res;
}

// The stream LoadOptions::stream names: a streamSid, a callSid or a number from 1; -1 if none.
int pickStream(const QList<pcap::Stream> &streams, const QString &which)
{
    if (which.isEmpty())
        return 0;
    bool isNumber = false;
    const int n = which.toInt(&isNumber);
    if (isNumber)
        return n >= 1 && n <= streams.size() ? n - 1 : -1;
    for (int i = 0; i < streams.size(); ++i)
        if (streams[i].streamSid == which || streams[i].callSid == which)
            return i;
    return -1;
}

LoadResult loadPcap(const QString &path, const LoadOptions &opt)
{
    LoadResult res;
    const pcap::ReadResult pr = pcap::readFile(path, opt.pcap);
    if (!pr.ok) {
        res.error = pr.error;
        return res;
    }
    const int idx = pickStream(pr.streams, opt.stream);
    QStringList labels;
    for (int i = 0; i < pr.streams.size(); ++i)
        labels << QStringLiteral("#%1 %2").arg(i + 1).arg(pr.streams[i].label());
    if (idx < 0) {
        res.error = QStringLiteral("no stream '%1' in the capture; it holds %2: %3")
                        .arg(opt.stream).arg(pr.streams.size()).arg(labels.join(QStringLiteral("; ")));
        return res;
    }
    const pcap::Stream &s = pr.streams[idx];
    LoadedCall &c = res.call;
    c.source = LoadedCall::Source::Pcap;
    c.path = path;
    c.streamsInFile = labels;
    c.streamIndex = idx;
    c.header = QJsonObject{{QStringLiteral("type"), QStringLiteral("pcap")},
                           {QStringLiteral("streamSid"), s.streamSid},
                           {QStringLiteral("callSid"), s.callSid},
                           {QStringLiteral("tcpStream"), s.tcpStream},
                           {QStringLiteral("bot"), s.botEndpoint},
                           {QStringLiteral("twilio"), s.twilioEndpoint},
                           {QStringLiteral("streams"), int(pr.streams.size())}};
    CallBuilder builder(c, opt, QStringLiteral("message"));
    for (const capture::Record &r : s.records)
        builder.add(r);
    builder.finish();
    c.notes << pr.notes;
    if (pr.streams.size() > 1)
        c.notes << QStringLiteral("the capture holds %1 streams (%2); this is #%3, choose another with --stream N, a streamSid or a callSid")
                       .arg(pr.streams.size()).arg(labels.join(QStringLiteral("; "))).arg(idx + 1);
    if (!s.directionFromContent)
        c.notes << QStringLiteral("which side is the bot was guessed: %1 (the side that was connected to)").arg(s.botEndpoint);
    res.ok = true;
    return res;
}

bool hasPcapName(const QString &path)
{
    const QString l = path.toLower();
    return l.endsWith(QLatin1String(".pcap")) || l.endsWith(QLatin1String(".pcapng")) || l.endsWith(QLatin1String(".cap"));
}

} // namespace

LoadResult loadCall(const QString &path, const LoadOptions &options)
{
    QFile f(path);
    if (f.open(QIODevice::ReadOnly)) {
        const QByteArray head = f.peek(12);
        if (head.startsWith("RIFF") || head.startsWith("RIFX") || head.startsWith("RF64"))
            return loadWav(path, options);
        if (pcap::looksLikePcap(head) || (hasPcapName(path) && !QFileInfo(path).isDir()))
            return loadPcap(path, options); // a .pcap that is none gets the pcap reader's message
        f.close();
    }
    capture::CaptureReader reader(options.read);
    if (!reader.open(path)) {
        LoadResult res;
        res.error = reader.fatalError();
        return res;
    }
    return loadRecords(reader, options, path);
}

LoadResult loadCall(QIODevice *device, const LoadOptions &options)
{
    capture::CaptureReader reader(options.read);
    if (!reader.open(device)) {
        LoadResult res;
        res.error = reader.fatalError();
        return res;
    }
    return loadRecords(reader, options, QString());
}

} // namespace pacelab::replay
