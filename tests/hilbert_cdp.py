#!/usr/bin/python3
"""Opens a memlens HTML map in headless Chromium over the DevTools protocol,
moves the mouse to the centre of curve cell (X, Y) of a SIDE x SIDE map,
and prints what the page then shows, as JSON: the tooltip text and
whether it is visible, the <h1> text, the number of images, and whether
any injected script ran (window.pwned).

  hilbert_cdp.py PAGE.html X Y SIDE [X Y ...]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


def chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        p = shutil.which(name)
        if p:
            return p
    sys.exit('no chromium')


def main():
    page = os.path.abspath(sys.argv[1])
    side = int(sys.argv[4])
    cells = [(int(sys.argv[i]), int(sys.argv[i + 1])) for i in range(2, len(sys.argv) - 1, 3)]
    prof = tempfile.mkdtemp(prefix='memlens-cdp.')
    proc = subprocess.Popen([chromium(), '--headless=new', '--no-sandbox', '--disable-gpu',
                             '--no-first-run', '--no-default-browser-check',
                             '--remote-debugging-port=0', '--remote-allow-origins=*',
                             '--user-data-dir=' + prof, '--window-size=1400,1400', 'about:blank'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(prof, 'DevToolsActivePort')
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        targets = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list'))
        url = next(t['webSocketDebuggerUrl'] for t in targets if t.get('type') == 'page')
        ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        seq = [0]

        def call(method, **params):
            seq[0] += 1
            ws.send(json.dumps({'id': seq[0], 'method': method, 'params': params}))
            while True:
                m = json.loads(ws.recv())
                if m.get('id') == seq[0]:
                    if 'error' in m:
                        raise RuntimeError(m['error'])
                    return m.get('result', {})

        def js(expr):
            r = call('Runtime.evaluate', expression=expr, returnByValue=True)
            return r['result'].get('value')

        call('Page.navigate', url='file://' + page)
        for _ in range(300):
            if js("document.readyState") == 'complete' and js("!!document.getElementById('map') && document.getElementById('map').complete"):
                break
            time.sleep(0.1)
        out = {'h1': js("document.querySelector('h1').textContent"),
               'images': js("document.images.length"),
               'title': js("document.title"),
               'hovers': []}
        for x, y in cells:
            # the map is the top square of the picture; the legend is below it
            rect = js("(function(){var b=document.getElementById('map').getBoundingClientRect();"
                      "return [b.left,b.top,b.width,b.height];})()")
            nat = js("document.getElementById('map').naturalWidth")
            cell = nat / side * rect[2] / nat
            px = rect[0] + (x + 0.5) * cell
            py = rect[1] + (y + 0.5) * cell
            call('Input.dispatchMouseEvent', type='mouseMoved', x=px, y=py)
            time.sleep(0.05)
            out['hovers'].append({
                'tip': js("document.getElementById('tip').textContent"),
                'visible': js("getComputedStyle(document.getElementById('tip')).display != 'none'"),
            })
        out['pwned'] = js("typeof window.pwned != 'undefined'")
        ws.close()
        print(json.dumps(out))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(prof, ignore_errors=True)


if __name__ == '__main__':
    main()
