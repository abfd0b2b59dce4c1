#!/usr/bin/env python3
"""Per-login STARTTLS timing from a capture made by run.sh (CAPTURE=1).

  bench/tsung/tls_timing.py FILE.pcapng SERVER_PORT

For each TCP connection: <proceed/> -> ClientHello -> server flight ->
client Finished flight -> the server's next segment (a pure ACK or data,
e.g. NewSessionTicket) and the client's next data (its new stream header).
Prints mean / median / max per gap, in ms. Needs tshark.
"""
import collections
import statistics
import subprocess
import sys


def main():
    pcap, port = sys.argv[1], sys.argv[2]
    out = subprocess.run(
        ["tshark", "-r", pcap, "-T", "fields", "-E", "separator=|", "-e", "tcp.stream",
         "-e", "frame.time_relative", "-e", "tcp.srcport", "-e", "tcp.len", "-e", "tcp.payload"],
        capture_output=True, text=True, check=True).stdout
    streams = collections.defaultdict(list)
    for line in out.splitlines():
        sid, t, sport, length, payload = line.split("|")
        streams[int(sid)].append((float(t), sport == port, int(length or 0),
                                  bytes.fromhex(payload) if payload else b""))
    rows = []
    for frames in streams.values():
        def after(i, from_server, data=True):
            return next(k for k in range(i + 1, len(frames))
                        if frames[k][1] == from_server and (frames[k][2] > 0 or not data))
        try:
            proceed = next(k for k, f in enumerate(frames) if f[1] and b"<proceed" in f[3])
            hello = after(proceed, False)
            flight = after(hello, True)
            finished = after(flight, False)
            server_next = after(finished, True, data=False)
            client_next = after(finished, False)
        except StopIteration:
            continue
        t = lambda k: frames[k][0]
        rows.append({
            "proceed -> ClientHello": t(hello) - t(proceed),
            "ClientHello -> server flight": t(flight) - t(hello),
            "server flight -> client Finished": t(finished) - t(flight),
            "client Finished -> server's next segment": t(server_next) - t(finished),
            "client Finished -> client's next data": t(client_next) - t(finished),
            "_server_next_bytes": frames[server_next][2],
            "_finished_bytes": frames[finished][2],
        })
    print(f"{len(rows)} STARTTLS logins in {pcap}")
    if not rows:
        return
    for key in rows[0]:
        if key.startswith("_"):
            continue
        v = [r[key] * 1e3 for r in rows]
        print(f"  {key:<42} mean {statistics.mean(v):7.2f}  median {statistics.median(v):7.2f}"
              f"  max {max(v):7.2f} ms")
    print("  client Finished flight, bytes:",
          dict(collections.Counter(r["_finished_bytes"] for r in rows).most_common(3)))
    print("  server's next segment after it, payload bytes (0 = pure ACK):",
          dict(collections.Counter(r["_server_next_bytes"] for r in rows).most_common(3)))


if __name__ == "__main__":
    main()
