#!/usr/bin/env python3
"""Turns the raw results of benchmarks/e2e/run.sh into docs/benchmarks.md and its SVG chart.

Both come from the same results.tsv: one row per (round, target, scenario). Standard library only.
"""
import argparse
import csv
import html
import statistics
from collections import defaultdict

MIB = 1024 * 1024
GIB = 1024 * MIB

TARGETS = [
    ("direct", "direct to origin", "peer"),
    ("haproxy", "HAProxy `mode tcp`", "peer"),
    ("haproxy-splice", "HAProxy `mode tcp`, forced splice", "peer"),
    ("nginx-stream", "nginx `stream`", "peer"),
    ("scg", "Spring Cloud Gateway (WebFlux)", "peer"),
    ("vertx", "Vert.x http-proxy", "peer"),
    ("vconn-pass", "VConn pass-through (per-transaction)", "vconn"),
    ("vconn-conn", "VConn connection mode (splice)", "vconn"),
    ("vconn-vio", "VConn server intercept, VIO style", "vconn"),
    ("vconn-tunnel", "VConn server intercept, tunnel style", "vconn"),
]
LABEL = {key: label for key, label, _ in TARGETS}
KIND = {key: kind for key, _, kind in TARGETS}

REQUEST_SCENARIOS = [
    ("ka-1k", "1 KiB, keep-alive"),
    ("close-1k", "1 KiB, new connection per request (`Connection: close`)"),
    ("ka-64k", "64 KiB, keep-alive"),
]
BULK_SCENARIOS = [
    ("bulk-1", "100 MiB, one stream"),
    ("bulk-4", "100 MiB × 4 parallel streams"),
]


def load_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def load_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                key, value = line.rstrip("\n").split("=", 1)
                meta[key] = value
    return meta


def warmed_up(meta):
    """How long each JVM target was warmed up, and whether its CPU per request settled in that time."""
    parts = []
    for key, value in meta.items():
        seconds, _, settled = value.partition(" ")
        if key.startswith("warmed.") and settled:  # native targets have no verdict
            target = key[len("warmed."):]
            part = f"{LABEL.get(target, target)} {seconds} s" + ("" if settled == "yes" else ", not settled")
            transfers, _, bulk_settled = meta.get("warmed_bulk." + target, "").partition(" ")
            if bulk_settled:
                part += f", then {transfers} × 100 MiB" + ("" if bulk_settled == "yes" else ", not settled")
            parts.append(part)
    return "; ".join(parts) if parts else "no JVM target"


def num(value, default=0.0):
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class Runs:
    """The rounds of one target in one scenario."""

    def __init__(self, rows):
        self.rows = rows

    def values(self, fn):
        return [v for v in (fn(r) for r in self.rows) if v is not None]

    def rate(self):  # requests per second
        return self.values(lambda r: num(r["requests"]) / num(r["seconds"], 1) if num(r["seconds"]) > 0 else None)

    def mibs(self):
        return self.values(lambda r: num(r["bytes"]) / MIB / num(r["seconds"]) if num(r["seconds"]) > 0 else None)

    def p50_ms(self):
        return self.values(lambda r: num(r["p50_us"]) / 1000 if num(r["requests"]) > 0 else None)

    def p99_ms(self):
        return self.values(lambda r: num(r["p99_us"]) / 1000 if num(r["requests"]) > 0 else None)

    def cpu_us_per_request(self):
        return self.values(lambda r: num(r["cpu_s"]) * 1e6 / num(r["requests"])
                           if r["cpu_s"] and num(r["requests"]) > 0 else None)

    def cpu_s_per_gib(self):
        return self.values(lambda r: num(r["cpu_s"]) / (num(r["bytes"]) / GIB)
                           if r["cpu_s"] and num(r["bytes"]) > 0 else None)

    def errors(self):
        return int(sum(num(r["errors"]) for r in self.rows))

    def error_detail(self):
        details = sorted({r["error_detail"] for r in self.rows if num(r["errors"]) > 0})
        return "; ".join(details)


def median(values):
    return statistics.median(values) if values else None


def fmt(value, digits=0):
    if value is None:
        return "–"
    if digits == 0 and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def spread(values, digits=0):
    if not values:
        return "–"
    if len(values) == 1:
        return fmt(values[0], digits)
    return f"{fmt(min(values), digits)}–{fmt(max(values), digits)}"


def ratio(value, reference):
    if value is None or not reference:
        return "–"
    return f"{value / reference:.2f}×"


def error_cell(runs):
    n = runs.errors()
    if n == 0:
        return "0"
    return f"**⚠ {n:,}** ({runs.error_detail()})"


def reference(by, target, scenario, metric):
    """The median a ratio is taken against, or None when that target did not run."""
    return median(metric(by[(target, scenario)])) if (target, scenario) in by else None


def rows_of(by, targets, scenario):
    """(name, runs) of each target that ran the scenario; a name with errors is marked."""
    for target in targets:
        if (target, scenario) in by:
            runs = by[(target, scenario)]
            yield LABEL[target] + (" ⚠" if runs.errors() else ""), runs


def request_table(scenario, title, by, targets):
    lines = [f"### {title}", "",
             "| target | req/s median | min–max | × HAProxy | × direct | p50 ms | p99 ms "
             "| proxy CPU µs/request | MiB/s | errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    ref_haproxy = reference(by, "haproxy", scenario, Runs.rate)
    ref_direct = reference(by, "direct", scenario, Runs.rate)
    for name, runs in rows_of(by, targets, scenario):
        rate = median(runs.rate())
        lines.append(f"| {name} | {fmt(rate)} | {spread(runs.rate())} | {ratio(rate, ref_haproxy)} "
                     f"| {ratio(rate, ref_direct)} | {fmt(median(runs.p50_ms()), 2)} | {fmt(median(runs.p99_ms()), 2)} "
                     f"| {fmt(median(runs.cpu_us_per_request()))} | {fmt(median(runs.mibs()))} | {error_cell(runs)} |")
    return lines + [""]


def bulk_table(scenario, title, by, targets):
    lines = [f"### {title}", "",
             "| target | MiB/s median | min–max | × HAProxy (copy) | × HAProxy (splice) | × direct "
             "| proxy CPU s/GiB | errors |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    refs = {t: reference(by, t, scenario, Runs.mibs) for t in ("haproxy", "haproxy-splice", "direct")}
    for name, runs in rows_of(by, targets, scenario):
        mibs = median(runs.mibs())
        lines.append(f"| {name} | {fmt(mibs)} | {spread(runs.mibs())} | {ratio(mibs, refs['haproxy'])} "
                     f"| {ratio(mibs, refs['haproxy-splice'])} | {ratio(mibs, refs['direct'])} "
                     f"| {fmt(median(runs.cpu_s_per_gib()), 2)} | {error_cell(runs)} |")
    return lines + [""]


def chart(by, targets, path):
    """Three panels of horizontal bars (median, with a min–max whisker), peers grey, VConn blue."""
    panels = [("ka-1k", "1 KiB keep-alive, req/s", Runs.rate),
              ("close-1k", "1 KiB new connection, req/s", Runs.rate),
              ("bulk-1", "100 MiB one stream, MiB/s", Runs.mibs)]
    label_w, panel_w, row_h, top = 270, 230, 22, 58
    rows = [t for t in targets if any((t, s) in by for s, _, _ in panels)]
    width = label_w + len(panels) * (panel_w + 60) + 10
    height = top + len(rows) * row_h + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="20" font-size="14" font-weight="bold">VConn end to end on loopback: '
           f'medians, whiskers min–max; hatched = errors</text>',
           '<defs><pattern id="err" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#d62728" opacity="0.35"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#d62728" stroke-width="3"/></pattern></defs>']
    for i, target in enumerate(rows):
        y = top + i * row_h
        out.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{html.escape(LABEL[target].replace("`", ""))}</text>')
    for p, (scenario, title, metric) in enumerate(panels):
        x0 = label_w + p * (panel_w + 60)
        values = {t: metric(by[(t, scenario)]) for t in rows if (t, scenario) in by}
        top_value = max((max(v) for v in values.values() if v), default=1) or 1
        out.append(f'<text x="{x0}" y="{top - 12}" font-weight="bold">{html.escape(title)}</text>')
        out.append(f'<line x1="{x0}" y1="{top - 4}" x2="{x0}" y2="{top + len(rows) * row_h}" stroke="#888"/>')
        for i, target in enumerate(rows):
            v = values.get(target)
            if not v:
                continue
            y = top + i * row_h
            m = median(v)
            w = panel_w * m / top_value
            color = "#1f77b4" if KIND[target] == "vconn" else "#999999"
            out.append(f'<rect x="{x0}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{color}"/>')
            if by[(target, scenario)].errors():
                out.append(f'<rect x="{x0}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="url(#err)"/>')
            lo, hi = panel_w * min(v) / top_value, panel_w * max(v) / top_value
            out.append(f'<line x1="{x0 + lo:.1f}" y1="{y + row_h / 2}" x2="{x0 + hi:.1f}" y2="{y + row_h / 2}" '
                       f'stroke="black"/>')
            out.append(f'<text x="{x0 + max(w, hi) + 4:.1f}" y="{y + 15}" font-size="11">{fmt(m)}</text>')
    out.append(f'<text x="10" y="{height - 12}" font-size="11" fill="#555">Generated by benchmarks/e2e/report.py '
               f'from the same results as docs/benchmarks.md.</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", required=True)
    parser.add_argument("--meta", required=True)
    parser.add_argument("--rounds-log", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--chart", required=True)
    args = parser.parse_args()

    rows = load_rows(args.results)
    meta = load_meta(args.meta)
    by = defaultdict(list)
    for row in rows:
        by[(row["target"], row["scenario"])].append(row)
    by = {key: Runs(value) for key, value in by.items()}
    present = {row["target"] for row in rows}
    targets = [key for key, _, _ in TARGETS if key in present]

    loads = []
    with open(args.rounds_log) as f:
        for line in f:
            _, n, which, value = line.split()
            loads.append((int(n), which, float(value)))
    nproc = int(meta.get("nproc", "1"))
    busy_before = float(meta.get("busy_before", "0"))
    shared = meta.get("shared") == "1" or busy_before > 20

    chart_name = args.chart.rsplit("/", 1)[-1]
    md = ["# Benchmarks", "",
          "End-to-end figures of VConn beside the proxies a user would otherwise pick, generated by "
          "`benchmarks/e2e/run.sh` (this page and the chart are its output; do not edit by hand, except the section \"Where the time goes\", written from profiles and kept when the page is regenerated). "
          "The JMH suite (adoption, I/O paths, idle memory beside raw Netty) is described at the end.", ""]
    if meta.get("quick") == "1":
        md += ["> **A `--quick` run**: short wrk runs and few rounds, to show the harness works end to "
               "end. Its figures are indicative only; a full run replaces them.", ""]
    if shared:
        md += [f"> **Shared machine**: other builds and tests ran on this {nproc}-core machine during the run "
               f"(cores {busy_before:.0f}% busy in the 3 s before the harness started anything; load per round below), so "
               "figures are noisy and ratios between targets measured in the same round are more "
               "trustworthy than absolute values.", ""]
    md += ["## How it was measured", "",
           f"- Date: {meta.get('date')}; command: `{meta.get('command')}` "
           f"(took {int(meta.get('elapsed', '0')) // 60} min {int(meta.get('elapsed', '0')) % 60} s from the start of the origin to the report, builds not counted).",
           f"- Machine: {nproc} cores ({meta.get('cpu')}), Linux {meta.get('kernel')}, {meta.get('jdk')}, "
           f"Netty {meta.get('netty')}, HAProxy {meta.get('haproxy')}, nginx {meta.get('nginx')}. "
           "Load generator, origin and proxy share the cores.",
           "- Origin: a private nginx (1 worker, `sendfile`) on 127.0.0.1 serving 1 KiB, 64 KiB and "
           "100 MiB files. Every target listens on 127.0.0.1 on a port the OS picked.",
           f"- Load: `{meta.get('wrk')}` with a Lua summary (errors: connect, read, write, status, "
           "timeout); the new-connection run adds `-H 'Connection: close'`. Bulk: `curl` of the "
           "100 MiB file, alone and 4 at once (MiB/s = bytes over wall time).",
           f"- {meta.get('rounds')} interleaved rounds; the order of targets is shuffled in each round "
           f"(seed {meta.get('seed')}), so noise hits all alike. Every target runs for the whole "
           f"measurement and was warmed up before the first round: each JVM target (VConn, Spring Cloud Gateway, Vert.x) "
           "in 8 s cycles of keep-alive, new-connection and 64 KiB load (4, 2 and 2 s), at least three, until its CPU per "
           "keep-alive and per new-connection request stayed within 10 % over three cycles in a row (the JIT "
           f"compiling shows as CPU), for at most {meta.get('warmup')} s, then 100 MiB transfers until its CPU per "
           f"transfer stayed within 10 % three times in a row (at most {meta.get('bulk_warmup', 24)}) "
           f"({warmed_up(meta)}); each native target for 2 s, then one 100 MiB transfer; then every target 4 × 100 MiB at once.",
           "- Proxy CPU: user + system time of the proxy's processes (from `/proc/<pid>/stat`, "
           "children included) over the run, per request or per GiB moved; the origin's and wrk's "
           "CPU is not counted. RSS: `VmRSS`, the largest seen after a run.",
           "- Medians over the rounds, with min–max; ratios are of medians. A target with errors "
           "in any round is marked ⚠ and its errors are shown, never dropped.",
           "- Targets: HAProxy 1 thread, `nosplice` (copy), and a second instance with "
           "`option splice-request`/`splice-response` (bulk only); nginx `stream` 1 worker; "
           "Spring Cloud Gateway 5.0 (Boot 4, WebFlux, defaults, one route); Vert.x 5 "
           "`vertx-http-proxy` (one verticle, origin pool 128 instead of 5); the VConn demo jar on its "
           "defaults (`demo-app/src/main/resources/application.yml`), pointed at the origin: "
           "pass-through with `demo.intercept.pass-through=/` and `vconn.listener.origin`, connection "
           "mode with `vconn.listener.per-transaction=false` (splice on), the server intercept with "
           "`demo.origin.embedded=false`, `demo.origin.address` and `demo.intercept.style=vio|tunnel`.",
           "",
           f"![End-to-end results]({chart_name})", "",
           "## Requests", ""]
    for scenario, title in REQUEST_SCENARIOS:
        md += request_table(scenario, title, by, targets)
    md += ["## Bulk", ""]
    for scenario, title in BULK_SCENARIOS:
        md += bulk_table(scenario, title, by, targets)
    md += ["## Memory", "", "| target | RSS MiB (largest after a run) |", "|---|---:|"]
    for target in targets:
        rss = [num(r["rss_kib"]) for (t, _), runs in by.items() if t == target for r in runs.rows if r["rss_kib"]]
        if rss:
            md.append(f"| {LABEL[target]} | {fmt(max(rss) / 1024)} |")
    md += ["", "## Load during the run", "",
           f"Before the harness started anything, the cores were {busy_before:.0f}% busy (3 s sample). "
           "1-minute load average before and after each round (the harness itself keeps about "
           f"2 cores busy while it measures; {nproc} cores):", "",
           "| round | before | after |", "|---|---:|---:|"]
    for n in sorted({n for n, _, _ in loads}):
        before = next((v for m, w, v in loads if m == n and w == "load_before"), None)
        after = next((v for m, w, v in loads if m == n and w == "load_after"), None)
        md.append(f"| {n} | {fmt(before, 2)} | {fmt(after, 2)} |")
    md += ["", "<details><summary>Raw results (one row per round, target and scenario)</summary>", "",
           "| round | target | scenario | requests | bytes | s | p50 µs | p99 µs | errors | CPU s | RSS KiB "
           "| load before | load after |",
           "|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        errors = r["errors"] if r["errors"] == "0" else f"{r['errors']} ({r['error_detail']})"
        md.append(f"| {r['round']} | {r['target']} | {r['scenario']} | {r['requests']} | {r['bytes']} "
                  f"| {r['seconds']} | {r['p50_us']} | {r['p99_us']} | {errors} | {r['cpu_s']} "
                  f"| {r['rss_kib']} | {r['load_before']} | {r['load_after']} |")
    md += ["", "</details>", ""]
    md += kept_section(args.out, PROFILE_HEADING)
    md += JMH_SECTION
    with open(args.out, "w") as f:
        f.write("\n".join(md))
    chart(by, targets, args.chart)


# written by hand from profiles, not from the results: carried over each time the page is regenerated
PROFILE_HEADING = "## Where the time goes"


def kept_section(path, heading):
    """The lines of the section under `heading` in the page at `path`, up to the next `## ` heading."""
    try:
        with open(path) as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        return []
    if heading not in lines:
        return []
    start = lines.index(heading)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


JMH_SECTION = [
    "## JMH suite", "",
    "Micro-benchmarks in `benchmarks/` (see `benchmarks/README.md`), each beside the raw Netty "
    "equivalent where there is one. `./mvnw verify` only builds them. Run the whole suite with:", "",
    "```",
    "./mvnw -B -pl benchmarks -am package -DskipTests",
    "java -jar benchmarks/target/benchmarks.jar -prof gc -rf json -rff benchmarks/target/jmh.json",
    "```", "",
    "| Class | Measures |", "|---|---|",
    "| `AdoptionBenchmark`, `AdoptionTwoThreadsBenchmark` | `fdCreate(int)`, `adopt(SocketChannel)` and raw "
    "Netty `new EpollSocketChannel(fd)` + register, µs per adoption (batches of 500 sockets connected "
    "in setup), one and two threads |",
    "| `AdoptionFailureBenchmark`, `AdoptionFailureTwoThreadsBenchmark` | a refused `adopt(int)`: "
    "`NOT_CONNECTED`, `BAD_FD`, ns per call |",
    "| `RelayBenchmark` | a message's round trip through two socket VConns relayed by four VIOs, `Tunnel` "
    "copy and splice, against a direct connection; 128 B (per message) to 1 MiB (per byte) |",
    "| `PairBenchmark` | a message's round trip through an in-memory `VConnPair` |",
    "| `ListenerExchangeBenchmark` | one keep-alive HTTP exchange through the listener, per transaction, "
    "in connection mode and server-intercepted (a hook answering from its end of the pair), against the "
    "origin direct |",
    "| `ObservationBenchmark` | the starter's `vconn.transaction` observation of one transaction, timed by "
    "VConn's meter handler, by Micrometer's default meter handler alone, and with no handler |", "",
    "With `-prof gc`, `gc.alloc.rate.norm` counts every thread of the JVM, including the client and "
    "the raw Netty server at the far end: compare with the `direct` path, which has the same two.", "",
    "Idle memory (a main program, not JMH; 10,000 connections of each kind in one JVM, the other "
    "ends in a child JVM):", "",
    "```",
    "java -Xms1g -Xmx1g -XX:+AlwaysPreTouch -cp benchmarks/target/benchmarks.jar \\",
    "    dev.vconn.benchmarks.IdleFootprint 10000",
    "```", "",
    "An adopted VConn holds two descriptors (the caller's and the duplicate Netty drives), so "
    "10,000 VConns need `ulimit -n` above 20,256; below that the program says so and measures at "
    "the largest count that fits.", "",
]

if __name__ == "__main__":
    main()
