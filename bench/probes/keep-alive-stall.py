# Client for keep-alive-stall.ts: one kept-alive connection, 100 GETs, without and with TCP_QUICKACK.
import socket, sys, time, statistics
port = int(sys.argv[1])
def run(quickack, n=100):
    s = socket.create_connection(('127.0.0.1', port))
    times = []
    for i in range(n):
        t = time.perf_counter()
        s.sendall(f'GET /p/{i} HTTP/1.1\r\nHost: www.gov.uk\r\n\r\n'.encode())
        buf = b''
        while b'\r\n\r\n' not in buf:
            if quickack: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            buf += s.recv(65536)
        head, body = buf.split(b'\r\n\r\n', 1)
        length = int([l for l in head.split(b'\r\n') if l.lower().startswith(b'content-length')][0].split(b':')[1]) if b'content-length' in head.lower() else None
        if length is None:  # chunked: read until 0-chunk
            while not body.endswith(b'0\r\n\r\n'):
                if quickack: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                body += s.recv(65536)
        else:
            while len(body) < length:
                if quickack: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                body += s.recv(65536)
        times.append((time.perf_counter() - t) * 1000)
    s.close()
    return times
for q in (False, True, False, True):
    t = run(q)
    print(f"quickack={q}: p50 {statistics.median(t):.2f} ms, over 35 ms: {sum(1 for x in t if x > 35)}/100")
