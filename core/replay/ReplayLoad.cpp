// Loading a recorded call: PaceLab captures and Twilio-style dumps (CaptureReader), pcap/pcapng
// (PcapReader, through tshark) and WAV files, all into one LoadedCall.
#include "Replay.h"

#include "audio/G711.h"
#include "twilio/TwilioMessages.h"

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

// Turns message and telemetry records, in file order, into the call.
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
        if (c.originUs < 0 || r.tUs < c.originUs)
            c.originUs = r.tUs;
        c.lastUs = std::max(c.lastUs, r.tUs);
        if (r.dir == capture::Dir::In) {
            ++c.inMessages;
            if (r.kind != capture::MsgKind::Text)
                return;
            const twilio::ParseResult p = twilio::parseFromTwilio(r.data);
            if (!p.ok())
                return;
            if (p.message.event == twilio::Event::Media)
                appendCapped(c.inAudio, p.message.payload, m_opt.maxAudioBytesPerDirection, c.inAudioTruncated);
            else if (p.message.event == twilio::Event::Start && c.streamSid.isEmpty())
                c.streamSid = p.message.start.streamSid.isEmpty() ? p.message.streamSid : p.message.start.streamSid;
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
        if (r.kind == capture::MsgKind::Binary) {
            const twilio::ParseResult p = twilio::binaryFrameFromBot(r.data.size());
            ev.type = OutEvent::Type::Binary;
            ev.code = p.twilioCode;
            ev.detail = p.detail;
            c.out.append(ev);
            return;
        }
        // Not checking the streamSid: a dump may come from any stream.
        const twilio::ParseResult p = twilio::parseFromBot(r.data);
        if (!p.ok()) {
            ev.type = OutEvent::Type::Invalid;
            ev.code = p.twilioCode != twilio::NoError ? p.twilioCode : int(twilio::InvalidMessage);
            ev.detail = QStringLiteral("%1 %2: %3").arg(m_where).arg(r.lineNo).arg(p.detail);
            c.out.append(ev);
            return;
        }
        if (c.streamSid.isEmpty())
            c.streamSid = p.message.streamSid;
        switch (p.message.event) {
        case twilio::Event::Media:
            ev.type = OutEvent::Type::Media;
            ev.bytes = int(p.message.payload.size());
            appendCapped(c.outAudio, p.message.payload, m_opt.maxAudioBytesPerDirection, c.outAudioTruncated);
            break;
        case twilio::Event::Mark:
            ev.type = OutEvent::Type::Mark;
            ev.name = p.message.markName;
            break;
        case twilio::Event::Clear:
            ev.type = OutEvent::Type::Clear;
            break;
        default:
            ev.type = OutEvent::Type::Other;
            break;
        }
        c.out.append(ev);
    }

    void finish()
    {
        if (m_reordered > 0)
            c.notes << QStringLiteral("%1 outbound message(s) were recorded slightly out of time order and were kept in file order").arg(m_reordered);
        if (c.outAudioTruncated || c.inAudioTruncated)
            c.notes << QStringLiteral("audio kept only up to %1 s per direction").arg(m_opt.maxAudioBytesPerDirection / kTwilioRate);
    }

private:
    LoadedCall &c;
    const LoadOptions &m_opt;
    QString m_where;
    qint64 m_lastOutT = std::numeric_limits<qint64>::min();
    qint64 m_reordered = 0;
};

LoadResult loadRecords(capture::CaptureReader &reader, const LoadOptions &opt, const QString &path)
{
    LoadResult res;
    LoadedCall &c = res.call;
    c.path = path;
    c.source = reader.format() == capture::CaptureReader::Format::PaceLab ? LoadedCall::Source::Capture
                                                                           : LoadedCall::Source::TwilioDump;
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
