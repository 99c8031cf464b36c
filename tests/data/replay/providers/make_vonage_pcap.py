#!/usr/bin/env python3
"""Writes vonage-call.pcap for tst_replay_providers, deterministically (no capture hardware, no
clock): a Vonage Voice API WebSocket call as tcpdump would record it behind the TLS terminator.
Vonage connects to the bot (port 5050), sends its JSON `websocket:connected` message with the
stream's content-type, then binary frames of 16 kHz L16 (640 B = 20 ms) both ways. Run from this
directory: python3 make_vonage_pcap.py (reuses the TCP/WebSocket framing of
../pcap/make_pcaps.py).

  vonage-call.pcap  inbound: 25 frames 20 ms apart; outbound: 50 frames paced at 20 ms, then
                    20 frames in one TCP segment (a burst of 400 ms of audio at once), a
                    {"action":"clear"} text message; two frames per segment once (binary
                    frames sharing a segment with a text one).
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcap"))
import make_pcaps  # noqa: E402


class BinConn(make_pcaps.Conn):
    def bframe(self, from_client, data, opcode=0x82):
        n = len(data)
        hdr = bytes([opcode])
        mask_bit = 0x80 if from_client else 0
        if n < 126:
            hdr += bytes([mask_bit | n])
        elif n < 65536:
            hdr += bytes([mask_bit | 126]) + struct.pack("!H", n)
        else:
            hdr += bytes([mask_bit | 127]) + struct.pack("!Q", n)
        if from_client:
            self.mask_n += 1
            key = struct.pack("!I", (0x9E3779B9 * self.mask_n) & 0xFFFFFFFF)
            data = bytes(b ^ key[i % 4] for i, b in enumerate(data))
            hdr += key
        return hdr + data

    def send_frames(self, t, from_client, frames):
        """frames: list of bytes (binary) or str (text), all in one TCP segment."""
        payload = b"".join(self.bframe(from_client, f) if isinstance(f, bytes)
                           else self.bframe(from_client, f.encode(), 0x81) for f in frames)
        self._pkt(t, from_client, 0x18, payload)


def l16(n_samples, seed):
    # a ramp that is not silence, different per frame
    return b"".join(struct.pack("<h", ((seed * 97 + i * 13) % 2000) - 1000) for i in range(n_samples))


def main():
    packets = []
    t0 = make_pcaps.EPOCH
    c = BinConn(packets, 40100, isn=4010000)
    c.open(t0)
    t = t0 + 0.01
    c.send_frames(t, True, [json.dumps({"event": "websocket:connected", "content-type": "audio/l16;rate=16000"},
                                       separators=(",", ":"))])
    start = t + 0.1
    events = []
    for i in range(25):
        events.append((start + i * 0.02, True, [l16(320, i)]))
    for i in range(50):
        events.append((start + 0.005 + i * 0.02, False, [l16(320, 1000 + i)]))
    tb = start + 0.005 + 50 * 0.02
    events.append((tb, False, [l16(320, 2000 + i) for i in range(20)]))
    events.append((tb + 0.5, False, [l16(320, 3000), json.dumps({"action": "clear"}, separators=(",", ":"))]))
    events.sort(key=lambda e: e[0])
    for te, from_client, frames in events:
        c.send_frames(te, from_client, frames)
    c.close(tb + 1.0)
    packets.sort(key=lambda p: p[0])
    make_pcaps.write_pcap("vonage-call.pcap", packets)


if __name__ == "__main__":
    main()
