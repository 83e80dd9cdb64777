#!/usr/bin/python3
"""heap_render: the pictures of `memlens heap` against heap_target's record.

  heap_render.py png REC JSON OUT.png      (Pillow decodes the PNG)
  heap_render.py term REC JSON MAP.txt     (the --color never terminal map)

png: the colours come from the PNG's own Legend text; every granule of
each recorded chunk must have the colour of the kind the target knows it
has (either in-use gray for live chunks), and the image is laid out as the
man page says: 256 granules a row, each heap from the 4 KiB boundary below
its start, then each mmapped chunk, each followed by a white row.
term: each cell covers 8 granules; a cell inside a recorded live chunk of
the main heap must show at least as many granules in use as the chunk
covers there, and a cell wholly inside a recorded free chunk shows ' '.
JSON gives only the heaps' bounds (and which chunks are mmapped); what each
chunk is comes from the record.
"""
import json
import sys

KIND = {"tcache": "free: tcache", "fastbin": "free: fastbin", "unsorted": "free: unsorted bin",
        "small": "free: small bin", "large": "free: large bin", "mmapped": "in use: mmapped chunk"}
SHADES = " .:-=+*#@"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def load(rec_path, json_path):
    recs = []
    for line in open(rec_path):
        if line.startswith("#") or not line.strip():
            continue
        p, size, expect, _ = line.split()
        recs.append((int(p, 16) - 16, int(size), expect))
    doc = json.load(open(json_path))
    return recs, doc


def sections(doc):
    out = []
    for a in doc["arenas"]:
        for h in a["heaps"]:
            out.append((int(h["start"], 16), int(h["end"], 16)))
    mm = sorted(int(c["chunk"], 16) for c in doc["arenas"][0]["chunks"] if c["bin"] == "mmapped")
    sizes = {int(c["chunk"], 16): c["size"] for c in doc["arenas"][0]["chunks"] if c["bin"] == "mmapped"}
    for c in mm:
        out.append((c, c + sizes[c]))
    return out


def check_png(recs, doc, path):
    from PIL import Image
    im = Image.open(path)
    legend = {}
    for item in im.info["Legend"].split(", "):
        name, col = item.rsplit("=#", 1)
        legend[name] = tuple(int(col[i:i + 2], 16) for i in (0, 2, 4))
    # the map's place in the picture (its "Map" text); address labels and a caption around it
    box = dict(kv.split("=") for kv in im.info["Map"].split())
    x0, y0, w, h = (int(box[k]) for k in ("x", "y", "width", "height"))
    rgb = im.convert("RGB").crop((x0, y0, x0 + w, y0 + h))
    if w != 256:
        fail("picture is %d wide, expected 256" % w)
    px = rgb.load()
    rowbytes = 256 * 16
    # Where each section's first row is.
    y = 0
    secs = []
    for s, e in sections(doc):
        base = s - s % rowbytes
        secs.append((s, e, base, y))
        y += (e - base + rowbytes - 1) // rowbytes
        for x in range(w):
            if px[x, y] != legend["separator between heaps"]:
                fail("row %d should separate sections" % y)
        y += 1
    if y != h:
        fail("picture is %d rows, the layout gives %d" % (h, y))
    used = (legend["in use"], legend["in use (next chunk)"])
    checked = 0
    for chunk, size, expect in recs:
        sec = [t for t in secs if t[0] <= chunk < t[1]]
        if not sec:
            fail("chunk 0x%x is in no section of the picture" % chunk)
        _, _, base, y0 = sec[0]
        want = used if expect == "used" else (legend[KIND[expect]],)
        first = None
        for g in range(0, size, 16):
            off = (chunk + g - base) // 16
            c = px[off % w, y0 + off // w]
            if c not in want:
                fail("chunk 0x%x (%s): granule +0x%x is %s, expected %s" % (chunk, expect, g, c, want))
            if first is None:
                first = c
            elif c != first:
                fail("chunk 0x%x changes colour inside" % chunk)
            checked += 1
    print("ok: %d granules of %d chunks have their colours" % (checked, len(recs)))


def check_term(recs, doc, path):
    cells = {}
    for line in open(path):
        parts = line.rstrip("\n").split("  ", 2)
        if len(parts) < 3 or not parts[0] == "" or len(parts[1]) != 16:
            continue
        try:
            addr = int(parts[1], 16)
        except ValueError:
            continue
        for i, ch in enumerate(parts[2]):
            if ch not in SHADES:
                fail("unexpected character %r in the map" % ch)
            cells[addr + 128 * i] = SHADES.index(ch)
    main = doc["arenas"][0]["heaps"][0]
    hs, he = int(main["start"], 16), int(main["end"], 16)
    n = 0
    for chunk, size, expect in recs:
        if not hs <= chunk < he:
            continue
        for cell in range(chunk - chunk % 128, chunk + size, 128):
            if cell not in cells:
                continue	# folded into a "more lines like this" line
            lo, hi = max(cell, chunk), min(cell + 128, chunk + size)
            if expect == "used" and cells[cell] < (hi - lo) // 16:
                fail("cell 0x%x shows %d granules in use, chunk 0x%x alone uses %d" % (cell, cells[cell], chunk, (hi - lo) // 16))
            if expect != "used" and lo == cell and hi == cell + 128 and cells[cell] != 0:
                fail("cell 0x%x inside free chunk 0x%x shows %d in use" % (cell, chunk, cells[cell]))
            n += 1
    if n < 100:
        fail("only %d cells checked" % n)
    print("ok: %d cells agree with the record" % n)


def main():
    mode, rec, js, out = sys.argv[1:5]
    recs, doc = load(rec, js)
    if mode == "png":
        check_png(recs, doc, out)
    else:
        check_term(recs, doc, out)


main()
