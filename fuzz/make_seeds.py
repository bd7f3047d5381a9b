#!/usr/bin/env python3
"""Writes the seeds of the fuzz targets whose input is a binary layout read with libFuzzer's
FuzzedDataProvider (integers taken from the back of the input, texts from the front):
fuzz/seeds/ws_frames/ and fuzz/seeds/journal/. Run from anywhere; it rewrites the seed
files it owns (gen-*) and leaves the others (found-*: inputs a fuzzer found) alone.

  python3 fuzz/make_seeds.py

The layouts are described at the head of fuzz/fuzz_ws_frames.cpp and fuzz/fuzz_journal.cpp.
The market messages come from fuzz/seeds/market_message/ (the tests' own cases)."""
import os
import struct

FUZZ = os.path.dirname(os.path.abspath(__file__))


class Provider:
    """Builds an input the way FuzzedDataProvider will take it apart."""

    def __init__(self):
        self.front = b""
        self.back = []  # bytes in the order they are consumed (from the end of the input)

    def u8(self, v):
        self.back.append(v & 0xFF)
        return self

    def uint(self, v, nbytes):  # ConsumeIntegral of an nbytes-wide type: high byte first
        for i in reversed(range(nbytes)):
            self.back.append((v >> (8 * i)) & 0xFF)
        return self

    def text(self, s):  # ConsumeRandomLengthString: '\\' doubled, "\\;" ends it
        if isinstance(s, str):
            s = s.encode()
        self.front += s.replace(b"\\", b"\\\\") + b"\\;"
        return self

    def rest(self, b):  # ConsumeRemainingBytes: what is left, from the front
        self.front += b
        return self

    def bytes(self):
        return self.front + bytes(reversed(self.back))


def write(target, name, data):
    d = os.path.join(FUZZ, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "gen-" + name), "wb") as f:
        f.write(data)


def message(name):
    with open(os.path.join(FUZZ, "seeds", "market_message", name), "rb") as f:
        return f.read().strip()


# ---- ws_frames ---------------------------------------------------------------------------
TEXT, BINARY, CONT, CLOSE, PING, PONG = 1, 2, 0, 8, 9, 10
FIN = 0x80


def ws_input(frames, cuts=(), flags=0, extra=None):
    """frames: (first byte, form byte, payload[, declared length][, mask key])."""
    p = Provider().u8(flags).u8(len(cuts))
    for c in cuts:
        p.u8(c - 1)
    if flags & 2:
        p.text(extra)
    for f in frames:
        head, form, payload = f[0], f[1], f[2]
        p.u8(head).u8(form).text(payload)
        rest = list(f[3:])
        if form & 8:
            p.uint(rest.pop(0), 8 if (form >> 1) & 3 == 2 else 2)
        if form & 1:
            p.uint(rest.pop(0), 4)
    return p.bytes()


def raw_frame(opcode_byte, payload):
    n = len(payload)
    if n < 126:
        head = bytes([opcode_byte, n])
    elif n <= 0xFFFF:
        head = bytes([opcode_byte, 126]) + struct.pack(">H", n)
    else:
        head = bytes([opcode_byte, 127]) + struct.pack(">Q", n)
    return head + payload


def ws_seeds():
    mark = message("mark-combined.json")
    book = message("book.json")
    agg = message("aggtrade.json")
    kline = message("kline.json")  # over 125 bytes: a 16-bit length
    write("ws_frames", "mark-bytewise", ws_input([(FIN | TEXT, 0, mark)]))
    write("ws_frames", "three-and-ping",
          ws_input([(FIN | TEXT, 0, mark), (FIN | PING, 0, b"hb"), (FIN | TEXT, 0, book),
                    (FIN | PONG, 0, b""), (FIN | TEXT, 0, agg)], cuts=(3, 7, 1, 64)))
    write("ws_frames", "kline-16bit", ws_input([(FIN | TEXT, 0, kline)], cuts=(2, 200)))
    write("ws_frames", "fragmented",
          ws_input([(TEXT, 0, mark[:40]), (FIN | PING, 0, b""), (CONT, 0, mark[40:90]),
                    (FIN | CONT, 0, mark[90:])], cuts=(5,)))
    write("ws_frames", "close-normal",
          ws_input([(FIN | TEXT, 0, message("result.json")), (FIN | CLOSE, 0, b"\x03\xe8"),
                    (FIN | TEXT, 0, mark)], cuts=(9, 2)))
    write("ws_frames", "close-reason",
          ws_input([(FIN | TEXT, 0, book), (FIN | CLOSE, 0, b"\x03\xe9going away")], cuts=(4,)))
    write("ws_frames", "binary", ws_input([(FIN | BINARY, 0, mark), (FIN | TEXT, 0, b"")]))
    write("ws_frames", "masked", ws_input([(FIN | TEXT, 1, mark, 0x1234ABCD)], cuts=(16,)))
    write("ws_frames", "long-form",
          ws_input([(FIN | TEXT, 2, mark), (FIN | TEXT, 4, agg)], cuts=(11,)))
    write("ws_frames", "length-lie",
          ws_input([(FIN | TEXT, 8, mark, 300), (FIN | TEXT, 0, book)], cuts=(33,)))
    write("ws_frames", "utf8", ws_input([(FIN | TEXT, 0, "{\"s\":\"\u00e9\u20ac\U0001F600\"}")]))
    write("ws_frames", "rsv1", ws_input([(FIN | 0x40 | TEXT, 0, mark)], cuts=(1, 1, 200)))
    write("ws_frames", "extra-header",
          ws_input([(FIN | TEXT, 0, mark)], cuts=(13,), flags=2,
                   extra="Sec-WebSocket-Extensions: permessage-deflate\r\n"))
    write("ws_frames", "raw-bytes",
          Provider().u8(1).u8(2).u8(6 - 1).u8(1 - 1).rest(
              raw_frame(FIN | TEXT, mark) + raw_frame(FIN | PING, b"x") +
              raw_frame(FIN | TEXT, message("mark-array.json"))).bytes())


# ---- journal -----------------------------------------------------------------------------
HEADER = 34  # magic, format, account, config, version length, "fuzz-1"
RECORD = 18  # length, CRC, seq, kind


def in_range(p, v, lo, hi):  # ConsumeIntegralInRange(lo, hi) that gives v
    r, n = hi - lo, 0
    while n < 8 and (r >> (8 * n)) > 0:
        n += 1
    return p.uint(v - lo, n)


class State:
    """Damage mode: what the target's writer will write, and the damage, as input bytes."""

    def __init__(self, payloads, segment_byte=255, batch=8, snapshots=(), refuse=None):
        n = len(payloads)
        self.p = Provider().u8(2 if refuse else 0)
        in_range(self.p, n, 1, 32)
        self.p.u8(segment_byte)
        in_range(self.p, batch, 1, 8)
        # The writer's segments: a new one after a flush that filled the current one.
        seg_bytes, segs, pending = 40 + 4 * segment_byte, [[1, HEADER]], 0
        for i, payload in enumerate(payloads):
            self.p.uint(0x100 + i, 2).text(payload)
            pending += RECORD + len(payload)
            if (i + 1) % batch == 0 or i + 1 == n:
                segs[-1][1] += pending
                pending = 0
                if segs[-1][1] >= seg_bytes:
                    segs.append([i + 2, HEADER])
        in_range(self.p, len(snapshots), 0, 2)
        snaps = {}
        for seq, payload in snapshots:
            in_range(self.p, seq, 1, n)
            self.p.text(payload)
            snaps[seq] = HEADER + 16 + len(payload)
        if refuse:
            in_range(self.p, refuse, 1, n)
        self.files = [("journal-%020d.seg" % first, size) for first, size in segs]
        self.files += [("snapshot-%020d.snap" % seq, size) for seq, size in sorted(snaps.items())]
        self.sizes = dict(self.files)
        self.names = [f for f, _ in self.files]

    def segment(self, i):
        return [f for f in self.names if f.startswith("journal-")][i]

    def pick(self, name):
        return self.p.u8(self.names.index(name))

    def cut(self, name, at):
        self.pick(name).u8(0)
        in_range(self.p, at, 0, self.sizes[name])
        self.sizes[name] = at
        return self

    def flip(self, name, at, masks):
        self.pick(name).u8(1)
        in_range(self.p, at, 0, self.sizes[name] - 1)
        in_range(self.p, len(masks), 1, 4)
        for m in masks:
            self.p.u8(m)
        return self

    def append_random(self, name, n, seed):
        self.pick(name).u8(2)
        in_range(self.p, n, 1, 64)
        self.p.uint(seed, 4)
        self.sizes[name] += n
        return self

    def append_copy(self, name, source, at, n):
        self.pick(name).u8(3)
        self.pick(source)
        in_range(self.p, at, 0, dict(self.files)[source])
        in_range(self.p, n, 1, 128)
        self.sizes[name] += n
        return self

    def bytes(self):
        return self.p.bytes()


def raw_input(segments, snapshots=(), refuse=None):
    """Raw mode: (seq of the name, valid header in front, bytes) per file."""
    p = Provider().u8(3 if refuse else 1)

    def add(files):
        for seq, header, body in files:
            in_range(p, seq, 1, 40)
            p.u8(1 if header else 0).text(body)

    in_range(p, len(segments), 1, 3)
    add(segments)
    in_range(p, len(snapshots), 0, 2)
    add(snapshots)
    if refuse:
        in_range(p, refuse, 1, 64)
    return p.bytes()


def journal_seeds():
    five = [b"run", b"symbol BTCUSDT", b"price 28155.1", b"", b"order 42 \\ done"]
    write("journal", "clean", State(five).bytes())
    # One record a segment (40-byte segments, a flush per record), the last one empty.
    write("journal", "segments-snapshot",
          State(five, segment_byte=0, batch=1, snapshots=[(3, b"stage at 3")]).bytes())
    s = State(five)
    write("journal", "cut-mid-record", s.cut(s.segment(0), s.sizes[s.segment(0)] - 5).bytes())
    s = State(five)
    write("journal", "cut-at-boundary",
          s.cut(s.segment(0), HEADER + 2 * RECORD + len(five[0]) + len(five[1])).bytes())
    s = State(five, segment_byte=0, batch=2)
    write("journal", "flip-payload", s.flip(s.segment(0), HEADER + RECORD + 1, [0x20]).bytes())
    s = State(five)
    write("journal", "random-tail", s.append_random(s.segment(0), 30, 7).bytes())
    s = State(five)
    write("journal", "record-again", s.append_copy(s.segment(0), s.segment(0), HEADER, 21).bytes())
    # The header's version length grown over the first record (6 -> 6 + 18 + 3).
    s = State(five)
    write("journal", "version-length", s.flip(s.segment(0), 24, [6 ^ 27]).bytes())
    # A cut at a record boundary of a segment that is not the last (the last one is empty).
    s = State(five[:3], segment_byte=0, batch=1)
    write("journal", "cut-before-empty-segment", s.cut(s.segment(2), HEADER).bytes())
    s = State(five, snapshots=[(2, b"older"), (4, b"newer")])
    write("journal", "newest-snapshot-flipped",
          s.flip(s.names[-1], HEADER + 3, [0x01, 0x80]).bytes())
    write("journal", "refused-record", State(five, refuse=3).bytes())
    # Empty payloads, in records and in a snapshot (their checksum once depended on a null
    # pointer: every such record read back as a bad checksum).
    write("journal", "empty-payloads",
          State([b"", b"", b"last"], snapshots=[(1, b"")]).bytes())
    write("journal", "raw-garbage",
          raw_input([(1, True, b"\x05\x00\x00\x00garbage"), (9, False, b"EXBJ")],
                    [(4, True, b"not a snapshot")]))
    write("journal", "raw-short-last", raw_input([(1, False, b"EXB")], refuse=2))


if __name__ == "__main__":
    ws_seeds()
    journal_seeds()
