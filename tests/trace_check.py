#!/usr/bin/env python3
"""Checks of trace-report's outputs against what the tests know
independently: trace_prog's ledger of its own leaks, the program's
timeline, Pillow's reading of the heatmap, the JSON schema.

  trace_check.py leaks REPORT.json LEDGER exact|subset
  trace_check.py field REPORT.json DOTTED.PATH VALUE
  trace_check.py heatmap HEAT.png W H
  trace_check.py html PAGE.html HEAT.png REPORT.json
  trace_check.py folded FOLDED.txt REPORT.json WEIGHT
  trace_check.py schema SCHEMA REPORT.json
"""
import base64
import io
import json
import re
import sys


def load(path):
    return json.load(open(path))


def leaks(report, ledger, mode):
    d = load(report)
    ours = {}
    other = []
    for leak in d["leaks"]:
        f = leak["stack"][0]
        key = (f["function"], f["line"])
        b, c = ours.get(key, (0, 0))
        ours[key] = (b + leak["bytes"], c + leak["count"])
        other.append((key, f["module"] or ""))
    want = {}
    for line in open(ledger):
        _, fn, ln, nbytes, count = line.split()
        key = (fn, int(ln))
        b, c = want.get(key, (0, 0))
        want[key] = (b + int(nbytes), c + int(count))
    if mode == "exact":
        assert ours == want, "leaks %s, ledger %s" % (ours, want)
    else:
        for k, v in want.items():
            assert ours.get(k) == v, "ledger %s %s, report %s" % (k, v, ours.get(k))
        for key, module in other:
            if key in want:
                continue
            base = module.rsplit("/", 1)[-1]
            assert base.startswith(("ld-linux", "libc.so")), "a leak the program did not make: %s in %s" % (key, module)
    print("leaks agree with the ledger (%s): %s" % (mode, sorted(want)))


def field(report, path, value):
    x = load(report)
    for p in path.split("."):
        x = x[p]
    assert str(x) == value, "%s is %r, not %r" % (path, x, value)


def heatmap(path, w, h):
    from PIL import Image
    im = Image.open(path)
    assert im.format == "PNG" and im.size == (int(w), int(h)), (im.format, im.size)
    im = im.convert("RGB")
    W, H = im.size
    px = im.load()
    # The layout's margins (trace_heat.c): plot from x 96 to W-120, y 22 to H-36.
    x0, x1, y0, y1 = 96, W - 120, 22, H - 36
    lit = sum(1 for y in range(y0, y1) for x in range(x0, x1, 4) if px[x, y] != (0, 0, 0))
    assert lit > 0, "nothing drawn in the plot"
    # The legend: a colour bar whose top is the brightest colour and bottom the darkest.
    lx = W - 120 + 14 + 8
    top, bottom = px[lx, y0], px[lx, y1 - 21]
    assert sum(top) > sum(bottom) + 200, ("legend bar", top, bottom)
    # Labels: light text in the left margin (addresses) and below the plot (times).
    def text_pixels(box):
        a, b, c, d = box
        return sum(1 for y in range(b, d) for x in range(a, c) if min(px[x, y]) > 200)
    assert text_pixels((0, y0, x0 - 2, y1)) > 20, "no address labels"
    assert text_pixels((x0, y1 + 2, x1, H)) > 40, "no time labels"
    assert text_pixels((0, 0, W, y0)) > 40, "no title"
    return im


def timeline(path, w, h):
    """trace_prog heat: small blocks all along, one 32 MiB block only in the second half."""
    im = heatmap(path, w, h).load()
    W, H = int(w), int(h)
    x0, x1, y0, y1 = 96, W - 120, 22, H - 36
    pw = x1 - x0
    left = range(x0 + 1, x0 + pw * 3 // 10)
    right = range(x0 + pw * 7 // 10, x0 + pw * 9 // 10)
    late_only = early = 0
    for y in range(y0, y1):
        l = any(im[x, y] != (0, 0, 0) for x in left)
        r = all(im[x, y] != (0, 0, 0) for x in right)
        late_only += r and not l
        early += l
    # the big block takes most rows (rows follow the bytes) and only late
    assert late_only > (y1 - y0) // 2, ("rows lit only in the second half", late_only, y1 - y0)
    assert early > 0, "the small blocks of the first half are not drawn"
    print("heatmap: %d rows lit only late, %d early" % (late_only, early))


def html(page, png, report):
    text = open(page, encoding="utf-8").read()
    m = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert m, "no embedded heatmap"
    assert base64.b64decode(m.group(1)) == open(png, "rb").read(), "the page's heatmap is not -o's"
    d = load(report)
    s = d["summary"]
    assert "allocation calls: %d" % s["calls"] in text, "summary calls missing"
    assert "peak heap: %d bytes" % s["peak"] in text, "summary peak missing"
    top = d["sites"][0]
    assert "<td class=n>%d</td>" % top["bytes"] in text, "top site missing"
    assert top["stack"][0]["function"] in text
    assert text.count("<details>") == text.count("</details>") > 0, "no call tree"


def folded(path, report, weight):
    d = load(report)
    total = 0
    for line in open(path):
        m = re.fullmatch(r"([^ ;\n]+(?:;[^ ;\n]+)*) (\d+)\n", line)
        assert m, "not a folded line: %r" % line
        total += int(m.group(2))
    want = {"bytes": d["summary"]["bytes"], "calls": d["summary"]["calls"], "leaked": d["summary"]["leaked"]}[weight]
    assert total == want, "folded %s add up to %d, the summary says %d" % (weight, total, want)


def schema(schema_path, report):
    import jsonschema
    sch = load(schema_path)
    jsonschema.Draft202012Validator(sch).validate(load(report))
    sub = {"$schema": sch["$schema"], "$defs": sch["$defs"], "$ref": "#/$defs/trace_report"}
    jsonschema.Draft202012Validator(sub).validate(load(report))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"leaks": leaks, "field": field, "heatmap": heatmap, "timeline": timeline, "html": html,
     "folded": folded, "schema": schema}[cmd](*args)


if __name__ == "__main__":
    main()
