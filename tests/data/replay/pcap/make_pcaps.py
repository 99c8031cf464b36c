#!/usr/bin/env python3
"""Writes the test captures of tst_pcap, deterministically (no capture hardware, no clock):
WebSocket traffic of Twilio Media Streams calls as tcpdump would record it on the plain side
of a TLS terminator. Run from this directory: python3 make_pcaps.py

  two-calls.pcap     two calls on two TCP connections to a bot on port 5050 (not a port
                     Wireshark knows): call A paced at 20 ms with a mark, call B bursty (half a
                     second of audio at once every half second, three times); several
                     WebSocket frames in one TCP segment and one frame split over two segments.
  two-calls.pcapng   the same packets as pcapng.
  tls.pcap           a TLS connection to port 443: nothing readable without keys.
  not-a-pcap.pcap    text with a .pcap name.
  cut.pcap           two-calls.pcap cut in the middle of a packet.

engine-emulator.pcap is not made here: it is a real loopback capture (kept as recorded) of
PaceLab's engine sending 2 s of tone to its emulator, the engine being the WebSocket client:
  tcpdump -i lo -s 0 -U -w engine-emulator.pcap tcp port 18765 &
  pacelab emulate --listen 127.0.0.1:18765 --once --tone 440 \
      --stream-sid MZ00000000000000000000000000000e2e &
  pacelab --headless --duration 2 --target ws://127.0.0.1:18765/
"""
import base64
import hashlib
import json
import struct

TWILIO_IP = bytes([10, 0, 0, 1])   # the TLS terminator / Twilio side
BOT_IP = bytes([10, 0, 0, 2])      # the bot
BOT_PORT = 5050
EPOCH = 1_795_000_000.0            # 2026-11-19, an arbitrary fixed wall clock


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_tcp(src, dst, sport, dport, seq, ack, flags, payload):
    tcp_len = 20 + len(payload)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, tcp_len)
    csum = checksum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    total = 20 + tcp_len
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp + payload


class Conn:
    """One TCP connection: the Twilio side (client) connects to the bot (server)."""

    def __init__(self, packets, cport, isn):
        self.p = packets
        self.cport = cport
        self.cseq = isn
        self.sseq = isn + 100000
        self.mask_n = 0

    def _pkt(self, t, from_client, flags, payload=b""):
        if from_client:
            f = ip_tcp(TWILIO_IP, BOT_IP, self.cport, BOT_PORT, self.cseq, self.sseq, flags, payload)
            self.cseq += len(payload) + (1 if flags & 0x03 else 0)
        else:
            f = ip_tcp(BOT_IP, TWILIO_IP, BOT_PORT, self.cport, self.sseq, self.cseq, flags, payload)
            self.sseq += len(payload) + (1 if flags & 0x03 else 0)
        self.p.append((t, f))

    def open(self, t):
        self._pkt(t, True, 0x02)            # SYN
        self._pkt(t + 0.0001, False, 0x12)  # SYN ACK
        self._pkt(t + 0.0002, True, 0x10)   # ACK
        key = base64.b64encode(hashlib.md5(b"%d" % self.cport).digest()).decode()
        req = ("GET /media HTTP/1.1\r\nHost: bot.example:5050\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nUser-Agent: TwilioProxy/1.1\r\n\r\n" % key)
        self._pkt(t + 0.0003, True, 0x18, req.encode())
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        resp = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: %s\r\n\r\n" % accept)
        self._pkt(t + 0.0004, False, 0x18, resp.encode())

    def frame(self, from_client, text):
        data = text.encode()
        n = len(data)
        hdr = bytes([0x81])
        mask_bit = 0x80 if from_client else 0
        if n < 126:
            hdr += bytes([mask_bit | n])
        elif n < 65536:
            hdr += bytes([mask_bit | 126]) + struct.pack("!H", n)
        else:
            hdr += bytes([mask_bit | 127]) + struct.pack("!Q", n)
        if from_client:  # clients mask (RFC 6455); a fixed, varying key keeps the file deterministic
            self.mask_n += 1
            key = struct.pack("!I", (0x9E3779B9 * self.mask_n) & 0xFFFFFFFF)
            data = bytes(b ^ key[i % 4] for i, b in enumerate(data))
            hdr += key
        return hdr + data

    def send(self, t, from_client, texts, split_at=None):
        """texts in one TCP segment (several WebSocket frames), or split in two at split_at."""
        payload = b"".join(self.frame(from_client, x) for x in texts)
        if split_at is None:
            self._pkt(t, from_client, 0x18, payload)
        else:
            self._pkt(t, from_client, 0x18, payload[:split_at])
            self._pkt(t + 0.000005, from_client, 0x18, payload[split_at:])

    def close(self, t):
        self._pkt(t, True, 0x11)
        self._pkt(t + 0.0001, False, 0x11)
        self._pkt(t + 0.0002, True, 0x10)


def payload(n, seed):
    # mu-law bytes that are not silence, different per frame
    return base64.b64encode(bytes(((seed * 31 + i * 7) % 200) + 20 for i in range(n))).decode()


def j(o):
    return json.dumps(o, separators=(",", ":"))


def call(packets, cport, sid, csid, t0, bursty):
    c = Conn(packets, cport, isn=1000 * cport)
    c.open(t0)
    t = t0 + 0.01
    c.send(t, True, [j({"event": "connected", "protocol": "Call", "version": "1.0.0"})])
    c.send(t + 0.001, True, [j({"event": "start", "sequenceNumber": "1", "streamSid": sid,
                                  "start": {"streamSid": sid, "callSid": csid, "accountSid": "AC" + "0" * 32,
                                            "tracks": ["inbound"], "customParameters": {},
                                            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                                            "channels": 1}}})])
    start = t + 0.1
    seq = 2
    # inbound caller audio: 1 s, 20 ms apart
    events = []
    for i in range(50):
        events.append((start + i * 0.02, True, [j({"event": "media", "sequenceNumber": str(seq + i), "streamSid": sid,
                                                   "media": {"track": "inbound", "chunk": str(i + 1),
                                                             "timestamp": str(100 + i * 20),
                                                             "payload": payload(160, i)}})], None))
    seq += 50
    out = lambda i: j({"event": "media", "streamSid": sid, "media": {"payload": payload(160, 1000 + i)}})
    if not bursty:
        # 100 frames paced at 20 ms; frame 40 and 41 in one segment 20 ms late (two frames, one segment)
        for i in range(100):
            if i == 41:
                continue
            if i == 40:
                events.append((start + 0.005 + 41 * 0.02, False, [out(40), out(41)], None))
            else:
                events.append((start + 0.005 + i * 0.02, False, [out(i)], None))
        events.append((start + 0.005 + 100 * 0.02, False, [j({"event": "mark", "streamSid": sid,
                                                                 "mark": {"name": "end-of-turn"}})], None))
        events.append((start + 0.005 + 100 * 0.02 + 0.5, True, [j({"event": "mark", "sequenceNumber": str(seq),
                                                                      "streamSid": sid,
                                                                      "mark": {"name": "end-of-turn"}})], None))
        seq += 1
        end = start + 2.6
    else:
        # three bursts of 25 frames (0.5 s of audio), 10 frames per TCP segment; the second
        # segment of the second burst split in the middle of a frame
        for b in range(3):
            tb = start + 0.005 + b * 0.5
            for s in range(0, 25, 10):
                texts = [out(b * 25 + i) for i in range(s, min(s + 10, 25))]
                split = 1234 if (b == 1 and s == 10) else None
                events.append((tb + s * 0.00001, False, texts, split))
        end = start + 1.6
    events.append((end, True, [j({"event": "stop", "sequenceNumber": str(seq), "streamSid": sid,
                                  "stop": {"accountSid": "AC" + "0" * 32, "callSid": csid}})], None))
    return c, events, end


def write_pcap(path, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, data in packets:
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)


def write_pcapng(path, packets):
    def block(btype, body):
        pad = (-len(body)) % 4
        n = 12 + len(body) + pad
        return struct.pack("<II", btype, n) + body + b"\0" * pad + struct.pack("<I", n)
    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(block(0x00000001, struct.pack("<HHI", 1, 0, 65535)))  # Ethernet, µs resolution
        for t, data in packets:
            ts = int(round(t * 1e6))
            body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + data
            f.write(block(0x00000006, body + b"\0" * ((-len(data)) % 4)))


def main():
    packets = []
    all_events = []
    conns = []
    for cport, sid, csid, t0, bursty in ((40001, "MZ" + "a" * 32, "CA" + "a" * 32, EPOCH, False),
                                         (40002, "MZ" + "b" * 32, "CA" + "b" * 32, EPOCH + 0.3, True)):
        c, events, end = call(packets, cport, sid, csid, t0, bursty)
        conns.append((c, end))
        all_events += [(t, c, fc, texts, split) for (t, fc, texts, split) in events]
    # interleave the two connections in time; the TCP state of each advances in its own order
    for t, c, fc, texts, split in sorted(all_events, key=lambda e: (e[0], e[1].cport)):
        c.send(t, fc, texts, split)
    for c, end in conns:
        c.close(end + 0.05)
    packets.sort(key=lambda p: p[0])
    write_pcap("two-calls.pcap", packets)
    write_pcapng("two-calls.pcapng", packets)
    raw = open("two-calls.pcap", "rb").read()
    open("cut.pcap", "wb").write(raw[:3007])  # inside a packet

    # TLS: a ClientHello and a server reply of application data, unreadable without keys
    tls = []
    c = Conn(tls, 40443, isn=7)
    c._pkt(EPOCH, True, 0x02)
    c._pkt(EPOCH + 0.0001, False, 0x12)
    c._pkt(EPOCH + 0.0002, True, 0x10)
    hello_body = b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    hs = b"\x01" + struct.pack("!I", len(hello_body))[1:] + hello_body
    c._pkt(EPOCH + 0.001, True, 0x18, b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs)
    for i in range(5):
        app = bytes((i * 13 + k * 5) & 0xFF for k in range(300))
        c._pkt(EPOCH + 0.02 * (i + 1), False, 0x18, b"\x17\x03\x03" + struct.pack("!H", len(app)) + app)
    # the same on 443 so Wireshark dissects TLS without help
    tls = [(t, f.replace(struct.pack("!H", BOT_PORT), struct.pack("!H", 443))) for t, f in tls]
    write_pcap("tls.pcap", tls)
    open("not-a-pcap.pcap", "w").write("this is a text file, not a packet capture\n")


if __name__ == "__main__":
    main()
