// pcap/pcapng through tshark: one run with "-T ek" (one JSON document per packet) and the
// fields below; the WebSocket text and binary frames (websocket.payload.text, and data.data under
// opcode 2: Vonage's audio) become capture::Records per TCP connection and stream id, with the
// direction read from what each side says (providers number their messages and send connected/
// start/stop; the bot does not).
#include "PcapReader.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>

#include <algorithm>

namespace pacelab::pcap {

namespace {

const QString kInstallHint = QStringLiteral(
    "reading pcap/pcapng captures needs tshark, Wireshark's command-line tool: install the Debian "
    "package tshark (sudo apt-get install tshark), or convert the capture to a PaceLab capture "
    "or a Twilio-style dump");

struct Message
{
    qint64 tUs = 0;
    QString src, dst;
    QByteArray text; // the frame's payload: UTF-8 text, or the binary frame's bytes
    bool binary = false;
};

struct TcpStream
{
    QList<Message> messages;
    QString client; // the side that sent the HTTP upgrade request, if seen
};

QString firstString(const QJsonObject &layers, const char *key)
{
    const QJsonValue v = layers.value(QLatin1String(key));
    const QJsonValue x = !v.isArray() ? v : v.toArray().isEmpty() ? QJsonValue() : v.toArray().first();
    if (x.isString())
        return x.toString();
    if (x.isDouble())
        return QString::number(x.toDouble(), 'f', 0);
    return QString();
}

QStringList strings(const QJsonObject &layers, const char *key)
{
    QStringList out;
    const QJsonValue v = layers.value(QLatin1String(key));
    if (v.isArray()) {
        for (const QJsonValue &x : v.toArray())
            out << (x.isString() ? x.toString() : QString::number(x.toDouble(), 'f', 0));
    } else if (v.isString()) {
        out << v.toString();
    }
    return out;
}

// "1795000000.010000000" -> µs since the epoch, exactly (a double would round the µs away).
qint64 epochUs(const QString &s, bool *ok)
{
    const qsizetype dot = s.indexOf(QLatin1Char('.'));
    bool okSec = false;
    const qint64 sec = (dot < 0 ? s : s.left(dot)).toLongLong(&okSec);
    qint64 frac = 0;
    if (dot >= 0) {
        const QString f = s.mid(dot + 1).left(6).leftJustified(6, QLatin1Char('0'));
        bool okFrac = false;
        frac = f.toLongLong(&okFrac);
        okSec = okSec && okFrac;
    }
    *ok = okSec && sec >= 0 && sec < capture::kMaxTimeUs / 1'000'000;
    return *ok ? sec * 1'000'000 + frac : 0;
}

QString endpoint(const QString &ip, const QString &port)
{
    return ip.contains(QLatin1Char(':')) ? QStringLiteral("[%1]:%2").arg(ip, port) : QStringLiteral("%1:%2").arg(ip, port);
}

// +1: the sender is the provider, -1: the sender is the bot, 0: cannot tell (a binary frame,
// which Vonage sends both ways). The names of every provider (docs/capture-format.md).
int twilioVote(const QJsonObject &o)
{
    const QString event = o.value(QStringLiteral("event")).toString();
    if (event == QLatin1String("connected") || event == QLatin1String("start") || event == QLatin1String("stop")
        || event == QLatin1String("dtmf") || event == QLatin1String("playedStream") || event == QLatin1String("clearedAudio")
        || event.startsWith(QLatin1String("websocket:")) || o.contains(QStringLiteral("sequenceNumber"))
        || o.contains(QStringLiteral("sequence_number")))
        return 1;
    const QJsonObject media = o.value(QStringLiteral("media")).toObject();
    if (event == QLatin1String("media"))
        return media.contains(QStringLiteral("track")) || media.contains(QStringLiteral("chunk"))
                || media.contains(QStringLiteral("timestamp"))
            ? 1
            : -1;
    if (event == QLatin1String("clear") || event == QLatin1String("mark") || event == QLatin1String("playAudio")
        || event == QLatin1String("checkpoint") || event == QLatin1String("clearAudio") || o.value(QStringLiteral("action")).isString())
        return -1;
    return 0;
}

// The stream id under any provider's name, at the top or in `start`.
QString sidOf(const QJsonObject &o)
{
    for (const QJsonObject &x : {o, o.value(QStringLiteral("start")).toObject()})
        for (const char *k : {"streamSid", "stream_sid", "stream_id", "streamId"}) {
            const QString sid = x.value(QLatin1String(k)).toString();
            if (!sid.isEmpty())
                return sid;
        }
    return QString();
}

QString callIdOf(const QJsonObject &o)
{
    const QJsonObject start = o.value(QStringLiteral("start")).toObject();
    for (const char *k : {"callSid", "call_sid", "call_control_id", "callId", "call_id"}) {
        const QString id = start.value(QLatin1String(k)).toString();
        if (!id.isEmpty())
            return id;
    }
    return QString();
}

class EkParser
{
public:
    explicit EkParser(const Options &opt) : m_opt(opt) {}

    void line(const QByteArray &raw)
    {
        const QByteArray l = raw.trimmed();
        if (l.isEmpty() || l.startsWith("{\"index\""))
            return;
        const QJsonDocument doc = QJsonDocument::fromJson(l);
        if (!doc.isObject()) {
            ++m_badLines;
            return;
        }
        const QJsonObject layers = doc.object().value(QStringLiteral("layers")).toObject();
        if (layers.isEmpty())
            return;
        ++res.packets;
        const QString protocols = firstString(layers, "frame_protocols");
        const QStringList texts = strings(layers, "websocket_payload_text");
        const QStringList opcodes = strings(layers, "websocket_opcode");
        // Binary frames' payloads: Wireshark hands them to the data dissector (hex).
        const QStringList binaries = opcodes.contains(QStringLiteral("2")) ? strings(layers, "data_data") : QStringList();
        const bool tcp = layers.contains(QStringLiteral("tcp_stream"));
        const int stream = firstString(layers, "tcp_stream").toInt();
        QString srcIp = firstString(layers, "ip_src"), dstIp = firstString(layers, "ip_dst");
        if (srcIp.isEmpty()) {
            srcIp = firstString(layers, "ipv6_src");
            dstIp = firstString(layers, "ipv6_dst");
        }
        const QString src = endpoint(srcIp, firstString(layers, "tcp_srcport"));
        const QString dst = endpoint(dstIp, firstString(layers, "tcp_dstport"));
        if (tcp && layers.contains(QStringLiteral("http_request_method")) && opcodes.isEmpty())
            m_tcp[stream].client = src;
        if (texts.isEmpty() && binaries.isEmpty()) {
            if (protocols.split(QLatin1Char(':')).contains(QStringLiteral("tls")))
                ++res.tlsPackets;
            return;
        }
        bool okT = false;
        const qint64 t = epochUs(firstString(layers, "frame_time_epoch"), &okT);
        if (!okT || !tcp) {
            ++m_badTimes;
            return;
        }
        // In frame order when the opcodes account for every payload; else (a message reassembled
        // from fragments of earlier packets) the texts, then the binary frames: they share the
        // packet's time either way.
        QList<std::pair<bool, QString>> frames;
        if (opcodes.count(QStringLiteral("1")) == texts.size() && opcodes.count(QStringLiteral("2")) == binaries.size()) {
            qsizetype ti = 0, bi = 0;
            for (const QString &op : opcodes) {
                if (op == QLatin1String("1"))
                    frames.append({false, texts[ti++]});
                else if (op == QLatin1String("2"))
                    frames.append({true, binaries[bi++]});
            }
        } else {
            for (const QString &x : texts)
                frames.append({false, x});
            for (const QString &x : binaries)
                frames.append({true, x});
        }
        for (const auto &[binary, payload] : frames) {
            ++(binary ? res.binaryFrames : res.textMessages);
            if (m_kept >= m_opt.maxMessages)
                continue;
            ++m_kept;
            const QByteArray data = binary ? QByteArray::fromHex(QString(payload).remove(QLatin1Char(':')).toLatin1()) : payload.toUtf8();
            m_tcp[stream].messages.append(Message{t, src, dst, data, binary});
            if (m_opt.progress && m_kept % 2000 == 0)
                m_opt.progress(m_kept);
        }
    }

    // Splits the TCP connections into streams and decides each one's direction.
    void finish()
    {
        for (auto it = m_tcp.cbegin(); it != m_tcp.cend(); ++it)
            buildStreams(it.key(), it.value());
        std::stable_sort(res.streams.begin(), res.streams.end(), [](const Stream &a, const Stream &b) {
            return a.records.value(0).tUs < b.records.value(0).tUs;
        });
        if (m_badLines > 0)
            res.notes << QStringLiteral("%1 line(s) of tshark's output could not be read").arg(m_badLines);
        if (m_badTimes > 0)
            res.notes << QStringLiteral("%1 packet(s) with WebSocket text had no usable capture time or TCP connection, skipped").arg(m_badTimes);
        if (res.textMessages + res.binaryFrames > m_kept)
            res.notes << QStringLiteral("only the first %1 of %2 WebSocket messages were kept").arg(m_kept).arg(res.textMessages + res.binaryFrames);
        if (res.tlsPackets > 0 && res.textMessages > 0)
            res.notes << QStringLiteral("%1 TLS packet(s) could not be read (other connections behind TLS?)").arg(res.tlsPackets);
    }

    ReadResult res;

private:
    void buildStreams(int tcpIndex, const TcpStream &tcp)
    {
        // Who is Twilio: the side whose messages look like Twilio's.
        QMap<QString, int> votes;
        QList<QJsonObject> parsed;
        parsed.reserve(tcp.messages.size());
        for (const Message &m : tcp.messages) {
            const QJsonDocument d = m.binary ? QJsonDocument() : QJsonDocument::fromJson(m.text);
            parsed.append(d.isObject() ? d.object() : QJsonObject());
            votes[m.src] += twilioVote(parsed.last());
            votes[m.dst] += 0;
        }
        // The side that looks most like Twilio, else the other side of the one that looks most
        // like a bot (a capture of one direction only).
        QString twilio, bot, best, worst;
        for (auto it = votes.cbegin(); it != votes.cend(); ++it) {
            if (best.isEmpty() || it.value() > votes.value(best))
                best = it.key();
            if (worst.isEmpty() || it.value() < votes.value(worst))
                worst = it.key();
        }
        bool fromContent = true;
        if (votes.value(best) > 0) {
            twilio = best;
        } else if (votes.value(worst) < 0) {
            for (auto it = votes.cbegin(); it != votes.cend(); ++it)
                if (it.key() != worst)
                    twilio = it.key();
        } else {
            fromContent = false;
            // Real deployments: Twilio connects to the bot, so the client is Twilio.
            twilio = !tcp.client.isEmpty() ? tcp.client : tcp.messages.first().src;
        }
        for (auto it = votes.cbegin(); it != votes.cend(); ++it)
            if (it.key() != twilio)
                bot = it.key();
        if (!fromContent)
            res.notes << QStringLiteral("TCP connection %1: no message says which side is Twilio; %2 taken as the bot "
                                        "(the side that was connected to)").arg(tcpIndex).arg(bot);

        // One stream per streamSid; messages before the first streamSid belong to the first.
        QHash<QString, qsizetype> bySid;
        qsizetype current = -1;
        QList<qsizetype> pending;
        const qsizetype firstNew = res.streams.size();
        auto newStream = [&](const QString &sid) {
            Stream s;
            s.tcpStream = tcpIndex;
            s.streamSid = sid;
            s.botEndpoint = bot;
            s.twilioEndpoint = twilio;
            s.directionFromContent = fromContent;
            res.streams.append(s);
            bySid.insert(sid, res.streams.size() - 1);
            return res.streams.size() - 1;
        };
        auto add = [&](qsizetype streamIdx, qsizetype msgIdx) {
            const Message &m = tcp.messages[msgIdx];
            Stream &s = res.streams[streamIdx];
            const capture::Dir dir = m.src == twilio ? capture::Dir::In : capture::Dir::Out;
            capture::Record r = capture::Record::message(m.tUs, dir, m.binary ? capture::MsgKind::Binary : capture::MsgKind::Text, m.text);
            r.lineNo = msgIdx + 1;
            s.records.append(r);
            (dir == capture::Dir::Out ? s.outMessages : s.inMessages)++;
            if (s.callSid.isEmpty())
                s.callSid = callIdOf(parsed[msgIdx]);
        };
        for (qsizetype i = 0; i < tcp.messages.size(); ++i) {
            const QString sid = sidOf(parsed[i]);
            if (!sid.isEmpty()) {
                const auto it = bySid.constFind(sid);
                current = it != bySid.cend() ? it.value() : newStream(sid);
                if (!pending.isEmpty()) {
                    for (qsizetype p : std::as_const(pending))
                        add(current, p);
                    pending.clear();
                }
            }
            if (current < 0)
                pending.append(i);
            else
                add(current, i);
        }
        if (!pending.isEmpty()) {
            current = res.streams.size() > firstNew ? current : newStream(QString());
            for (qsizetype p : std::as_const(pending))
                add(current, p);
        }
        // a message placed out of order by the pending list: keep capture order per stream
        for (qsizetype i = firstNew; i < res.streams.size(); ++i)
            std::stable_sort(res.streams[i].records.begin(), res.streams[i].records.end(),
                             [](const capture::Record &a, const capture::Record &b) { return a.lineNo < b.lineNo; });
    }

    Options m_opt;
    QMap<int, TcpStream> m_tcp;
    qint64 m_kept = 0;
    qint64 m_badLines = 0;
    qint64 m_badTimes = 0;
};

// The overall verdict once every packet is in.
void conclude(ReadResult &res, const QString &what)
{
    if (!res.streams.isEmpty()) {
        res.ok = true;
        return;
    }
    if (res.tlsPackets > 0) {
        res.error = QStringLiteral("%1 holds %2 TLS-encrypted packet(s) and no readable WebSocket message: capture behind "
                                   "the TLS terminator (plain ws:// between it and the bot) or provide the TLS keys "
                                   "(--tls-keylog FILE written via SSLKEYLOGFILE)")
                        .arg(what).arg(res.tlsPackets);
        return;
    }
    res.error = QStringLiteral("no WebSocket text messages (nor binary frames) in %1 (%2 HTTP/WebSocket packet(s)): was the bot's traffic "
                               "captured? If the capture starts after the WebSocket handshake, name the bot's port with "
                               "--ws-port PORT")
                    .arg(what).arg(res.packets);
}

} // namespace

bool looksLikePcap(QByteArrayView head)
{
    if (head.size() < 4)
        return false;
    static const char *magics[] = {"\xd4\xc3\xb2\xa1", "\xa1\xb2\xc3\xd4", "\x4d\x3c\xb2\xa1", "\xa1\xb2\x3c\x4d",
                                   "\x0a\x0d\x0d\x0a"};
    for (const char *m : magics)
        if (head.first(4) == QByteArrayView(m, 4))
            return true;
    return false;
}

QString findTshark()
{
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (env.contains(QStringLiteral("PACELAB_TSHARK"))) {
        const QString p = env.value(QStringLiteral("PACELAB_TSHARK"));
        return p.isEmpty() || !QFileInfo(p).isExecutable() ? QString() : p;
    }
    return QStandardPaths::findExecutable(QStringLiteral("tshark"));
}

QString Stream::label() const
{
    QString s = streamSid.isEmpty() ? QStringLiteral("(no streamSid)") : streamSid;
    if (!callSid.isEmpty())
        s += QStringLiteral(" (%1)").arg(callSid);
    return s + QStringLiteral(", TCP %1, %2 -> %3 (bot), %4 out / %5 in")
                   .arg(tcpStream).arg(twilioEndpoint, botEndpoint).arg(outMessages).arg(inMessages);
}

ReadResult parseEk(QIODevice *dev, const Options &options)
{
    EkParser p(options);
    while (dev && !dev->atEnd()) {
        const QByteArray l = dev->readLine();
        if (l.isEmpty() && !dev->waitForReadyRead(1000))
            break;
        p.line(l);
    }
    p.finish();
    conclude(p.res, QStringLiteral("the capture"));
    return p.res;
}

ReadResult readFile(const QString &path, const Options &options)
{
    ReadResult res;
    QFile f(path);
    if (!QFileInfo::exists(path)) {
        res.error = QStringLiteral("%1: no such file").arg(path);
        return res;
    }
    if (!f.open(QIODevice::ReadOnly)) {
        res.error = QStringLiteral("cannot open %1: %2").arg(path, f.errorString());
        return res;
    }
    const QByteArray head = f.read(4);
    f.close();
    if (!looksLikePcap(head)) {
        bool printable = !head.isEmpty();
        for (char ch : head)
            printable = printable && ch >= 0x20 && ch < 0x7f;
        const QString start = head.isEmpty() ? QStringLiteral("nothing: the file is empty")
            : printable                      ? QStringLiteral("the text '%1'").arg(QString::fromLatin1(head))
                                             : QStringLiteral("bytes %1").arg(QString::fromLatin1(head.toHex()));
        res.error = QStringLiteral("the file is not a pcap or pcapng file (it starts with %1; a pcap starts with bytes "
                                   "d4c3b2a1 or a1b2c3d4, a pcapng with 0a0d0d0a)").arg(start);
        return res;
    }
    const QString tshark = options.tsharkPath.isEmpty() ? findTshark() : options.tsharkPath;
    if (tshark.isEmpty() || !QFileInfo(tshark).isExecutable()) {
        res.error = kInstallHint;
        return res;
    }
    QStringList args{QStringLiteral("-r"), path, QStringLiteral("-n"),
                     QStringLiteral("-o"), QStringLiteral("tcp.desegment_tcp_streams:TRUE"),
                     QStringLiteral("-Y"), QStringLiteral("websocket || tls || http.request || http.response"),
                     QStringLiteral("-T"), QStringLiteral("ek")};
    for (const char *field : {"frame.time_epoch", "frame.protocols", "tcp.stream", "ip.src", "ip.dst", "ipv6.src",
                              "ipv6.dst", "tcp.srcport", "tcp.dstport", "http.request.method", "websocket.opcode",
                              "websocket.payload.text", "data.data"})
        args << QStringLiteral("-e") << QLatin1String(field);
    if (!options.tlsKeyLogFile.isEmpty())
        args << QStringLiteral("-o") << QStringLiteral("tls.keylog_file:%1").arg(options.tlsKeyLogFile);
    for (int port : options.websocketPorts)
        args << QStringLiteral("-d") << QStringLiteral("tcp.port==%1,websocket").arg(port);

    QProcess proc;
    proc.start(tshark, args, QIODevice::ReadOnly);
    if (!proc.waitForStarted(30000)) {
        res.error = QStringLiteral("cannot run %1: %2 (%3)").arg(tshark, proc.errorString(), kInstallHint);
        return res;
    }
    EkParser p(options);
    QByteArray err;
    for (;;) {
        while (proc.canReadLine())
            p.line(proc.readLine());
        err += proc.readAllStandardError();
        if (proc.state() == QProcess::NotRunning)
            break;
        proc.waitForReadyRead(1000);
    }
    proc.waitForFinished(-1);
    p.line(proc.readAll());
    err += proc.readAllStandardError();
    p.finish();
    res = p.res;

    QStringList errLines;
    for (const QByteArray &l : err.split('\n'))
        if (!l.trimmed().isEmpty() && !l.contains("Running as user"))
            errLines << QString::fromUtf8(l.trimmed());
    const QString tsharkSays = errLines.join(QStringLiteral("; "));
    if (proc.exitStatus() != QProcess::NormalExit) {
        res.ok = false;
        res.error = QStringLiteral("tshark crashed reading the file%1").arg(tsharkSays.isEmpty() ? QString() : QStringLiteral(": ") + tsharkSays);
        return res;
    }
    if (proc.exitCode() != 0) {
        if (tsharkSays.contains(QLatin1String("cut short"))) {
            res.notes.prepend(QStringLiteral("the capture file is cut short in the middle of a packet (tcpdump stopped "
                                             "hard?): the packets before the cut are used"));
        } else if (tsharkSays.contains(QLatin1String("isn't a capture file")) || tsharkSays.contains(QLatin1String("unknown file format"))
                   || tsharkSays.contains(QLatin1String("not a capture file"))) {
            res.ok = false;
            res.streams.clear();
            res.error = QStringLiteral("the file is not a capture tshark can read: %1").arg(tsharkSays);
            return res;
        } else if (res.textMessages + res.binaryFrames == 0) {
            res.ok = false;
            res.error = QStringLiteral("tshark failed (exit %1): %2").arg(proc.exitCode()).arg(tsharkSays);
            return res;
        } else {
            res.notes << QStringLiteral("tshark reported: %1").arg(tsharkSays);
        }
    }
    conclude(res, QStringLiteral("the capture"));
    return res;
}

} // namespace pacelab::pcap
