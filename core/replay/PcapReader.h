#pragma once

#include "replay/Capture.h"

#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

// Packet captures (pcap / pcapng, e.g. tcpdump behind the TLS terminator) of any provider's
// media-stream traffic, read through Wireshark's own dissectors: tshark does the TCP reassembly,
// WebSocket unmasking and defragmentation; this turns its WebSocket text and binary frames into
// the replay's message records (capture timestamps, direction, text/binary), one stream per TCP
// connection and stream id.
namespace pacelab::pcap {

// pcap (either byte order, µs or ns) or pcapng, from the first 4 bytes.
bool looksLikePcap(QByteArrayView head);

// The tshark to run: $PACELAB_TSHARK if set (empty = none, for tests), else tshark on PATH.
// Empty when there is none.
QString findTshark();

struct Options
{
    QString tsharkPath;        // empty = findTshark()
    QString tlsKeyLogFile;     // an SSLKEYLOGFILE for TLS traffic (tls.keylog_file)
    QList<int> websocketPorts; // decode these TCP ports as WebSocket (no handshake in the file)
    qint64 maxMessages = 2'000'000; // the rest are counted, not kept
    // progress(messages read so far); called every ~2000 messages
    std::function<void(qint64)> progress;
};

struct Stream
{
    int tcpStream = -1;          // tshark's TCP connection index
    QString streamSid;           // empty when no message named one
    QString callSid;
    QString botEndpoint;         // "10.0.0.2:5050"
    QString twilioEndpoint;
    bool directionFromContent = true; // false: guessed (the TCP server side taken as the bot)
    qint64 outMessages = 0, inMessages = 0;
    QList<capture::Record> records; // Message records in capture order; tUs = capture time (µs since the epoch)

    QString label() const; // "MZ… (CA…), TCP 0, 10.0.0.1:40001 -> 10.0.0.2:5050"
};

struct ReadResult
{
    bool ok = false;
    QString error;          // tshark missing, not a capture, TLS only, no WebSocket, ...
    QList<Stream> streams;  // ordered by their first message
    QStringList notes;      // cut file, TLS packets skipped, binary frames, guessed directions
    qint64 packets = 0;     // packets tshark reported (WebSocket, TLS, HTTP)
    qint64 textMessages = 0;
    qint64 binaryFrames = 0; // kept as binary records (Vonage audio; a violation for Twilio)
    qint64 tlsPackets = 0;
    QString tsharkVersion;
};

// Runs tshark on path and collects the streams. Blocks until tshark is done.
ReadResult readFile(const QString &path, const Options &options = Options());

// The same from tshark's "-T ek" output (one JSON document per line): the parsing half of
// readFile, for tests and fuzzing without tshark.
ReadResult parseEk(QIODevice *ekOutput, const Options &options = Options());

} // namespace pacelab::pcap
