"""Benchmark live capture: preview rate, analysis rate, time to a confirmed read, CPU and memory.

Each source runs in a fresh child process (this script re-run with
``--child``), so CPU time and peak RSS belong to that scenario alone:

- ``demo``: the built-in demo camera, 1280x720 at 30 fps, passport;
- ``file``: a generated MJPG video of the passport sliding in and held
  (1280x720, 30 fps), played in real time and looped.

Two phases per source, with the onnx engine:

1. sustained: a scan that never completes (it keeps reading every steady
   frame), so OCR runs all the time; measured: frames delivered to the
   preview callback per second (which also converts each frame to RGB, as a
   UI would), analyses per second, CPU (cores busy) and the mean quality
   measurement time per frame;
2. time to read: ``--scans`` scans, each begun while the desk is empty;
   measured from the passport first fully in view, and from it first steady,
   to the confirmed read (every check digit holds).

Peak RSS (``ru_maxrss``) covers the whole child, models included. The numbers
depend on what else runs on the machine: run it on an idle one.

    .venv/bin/python bench/capture.py
    .venv/bin/python bench/capture.py --sources demo --seconds 20 --scans 5 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from measure import peak_rss_mb, table

ROOT = Path(__file__).resolve().parents[1]
SHORT_HOLD = 3.0
"""Seconds the passport is held in the time-to-read phase (then it leaves and comes back)."""
LONG_HOLD = 20.0
"""Seconds it is held in the sustained phase (longer than that phase)."""
sys.path.insert(0, str(ROOT))


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def make_video(path: Path, hold: float, fps: float = 30.0) -> Path:
    import cv2

    from kiosk.capture.demo import DemoSource, DemoTimeline

    timeline = DemoTimeline(empty=1.0, slide_in=1.0, hold=hold, slide_out=0.8)
    source = DemoSource(document="passport", fps=fps, realtime=False, timeline=timeline, duration=timeline.cycle + 0.5)
    source.open()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (1280, 720))
    while (frame := source.read()) is not None:
        writer.write(frame.image)
    writer.release()
    return path


def open_bench_source(kind: str, video: str | None, hold: float):
    """The demo or the video (played in real time, looped); the passport is held for `hold` seconds."""
    from kiosk.capture.demo import DemoSource, DemoTimeline
    from kiosk.capture.sources import FileSource

    if kind == "demo":
        return DemoSource(document="passport", timeline=DemoTimeline(empty=1.0, slide_in=1.0, hold=hold, slide_out=0.8))
    assert video is not None
    return FileSource(video.replace("HOLD", f"{hold:g}"), realtime=True, loop=True)


def run_child(kind: str, seconds: float, scans: int, video: str | None) -> None:
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    import cv2

    from kiosk.capture.auto import AutoCapture
    from kiosk.capture.pipeline import CapturePipeline, create_analyser
    from kiosk.config import Settings

    settings = Settings()
    loaded = time.perf_counter()
    analyser = create_analyser("passport", settings)
    analyser.warm()
    load_seconds = time.perf_counter() - loaded

    frames = [0]

    def preview(frame, quality):
        cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)  # what a UI does before painting
        frames[0] += 1

    # phase 1: OCR all the time (a scan that cannot complete)
    never = AutoCapture(analyser, timeout=3600, min_reads=10**9)
    pipeline = CapturePipeline(open_bench_source(kind, video, LONG_HOLD), never, on_frame=preview)
    pipeline.start()
    time.sleep(3.0)  # the document arrives and settles
    f0, a0, c0, t0 = frames[0], pipeline.stats().analysed, cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    f1, a1, c1, t1 = frames[0], pipeline.stats().analysed, cpu_seconds(), time.monotonic()
    quality_ms = pipeline.stats().quality_ms
    pipeline.stop()
    sustained = {
        "preview_fps": (f1 - f0) / (t1 - t0),
        "analysis_per_s": (a1 - a0) / (t1 - t0),
        "cpu_cores": (c1 - c0) / (t1 - t0),
        "quality_ms": quality_ms,
        "reads": never.consensus.frames,
        "read_seconds_mean": never.read_seconds / max(1, never.status.analysed),
    }

    # phase 2: scans begun on an empty desk, timed from the passport in view to the confirmed read
    pipeline = CapturePipeline(open_bench_source(kind, video, SHORT_HOLD), None, on_frame=preview, mode="passport")
    pipeline.start()
    timings: list[dict[str, Any]] = []
    while pipeline.latest() is None:  # rates count from the first frame, not from opening the source
        time.sleep(0.01)
    c0, t0, f0 = cpu_seconds(), time.monotonic(), frames[0]
    deadline = time.monotonic() + 60 + 15 * scans
    while len(timings) < scans and time.monotonic() < deadline:
        latest = pipeline.latest()
        if latest is None or latest[1].in_view or latest[1].document is not None:
            time.sleep(0.02)  # wait for an empty desk
            continue
        scan = AutoCapture(analyser, timeout=30)
        pipeline.begin(scan)
        result = pipeline.wait(40)
        if result is None:
            break
        timings.append(
            {
                "state": result.state,
                "from_view_s": result.seconds_from_view,
                "from_steady_s": result.seconds_from_steady,
                "analysed": result.analysed,
                "read_s": result.read_seconds,
                "lines_ok": bool(result.mrz and result.mrz.ok),
            }
        )
    scans_cpu = (cpu_seconds() - c0) / (time.monotonic() - t0)
    scans_fps = (frames[0] - f0) / (time.monotonic() - t0)
    pipeline.stop()
    json.dump(
        {
            "source": kind,
            "load_s": load_seconds,
            "sustained": sustained,
            "scans": timings,
            "scans_cpu_cores": scans_cpu,
            "scans_preview_fps": scans_fps,
            "peak_rss_mb": peak_rss_mb(),
        },
        out,
    )
    out.write("\n")
    out.flush()


def bench(kind: str, seconds: float, scans: int, video: str | None) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", kind, "--seconds", str(seconds), "--scans", str(scans)]
    if video:
        cmd += ["--video", video]
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=errors, text=True)
        if proc.returncode != 0 or not proc.stdout.strip():
            errors.seek(0)
            raise SystemExit(f"{kind}: child failed (exit {proc.returncode}):\n{''.join(errors.readlines()[-20:])}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summarise(row: dict[str, Any]) -> dict[str, Any]:
    done = [s for s in row["scans"] if s["state"] == "done"]
    view = [s["from_view_s"] for s in done if s["from_view_s"] is not None]
    steady = [s["from_steady_s"] for s in done if s["from_steady_s"] is not None]
    return {
        "source": row["source"],
        "preview_fps": row["sustained"]["preview_fps"],
        "analysis_per_s": row["sustained"]["analysis_per_s"],
        "cpu_cores": row["sustained"]["cpu_cores"],
        "quality_ms": row["sustained"]["quality_ms"],
        "scans_done": f"{len(done)}/{len(row['scans'])}",
        "view_to_read_median_s": statistics.median(view) if view else None,
        "view_to_read_max_s": max(view) if view else None,
        "steady_to_read_median_s": statistics.median(steady) if steady else None,
        "steady_to_read_max_s": max(steady) if steady else None,
        "scans_preview_fps": row["scans_preview_fps"],
        "peak_rss_mb": row["peak_rss_mb"],
    }


def format_table(rows: list[dict[str, Any]]) -> str:
    def f(value: Any, digits: int = 2) -> str:
        return "-" if value is None else (f"{value:.{digits}f}" if isinstance(value, float) else str(value))

    header = ["source", "preview fps", "analyses/s", "CPU cores", "quality ms", "scans", "view->read med/max s", "steady->read med/max s", "fps in scans", "peak RSS MB"]
    body = [
        [
            r["source"],
            f(r["preview_fps"], 1),
            f(r["analysis_per_s"]),
            f(r["cpu_cores"]),
            f(r["quality_ms"], 1),
            r["scans_done"],
            f"{f(r['view_to_read_median_s'])} / {f(r['view_to_read_max_s'])}",
            f"{f(r['steady_to_read_median_s'])} / {f(r['steady_to_read_max_s'])}",
            f(r["scans_preview_fps"], 1),
            f(r["peak_rss_mb"], 0),
        ]
        for r in rows
    ]
    return table(header, body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default="demo,file", help="comma-separated: demo, file (default: both)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the sustained phase (default 10, at most 15)")
    parser.add_argument("--scans", type=int, default=5, help="timed scans per source (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--video", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.seconds = min(args.seconds, LONG_HOLD - 5.0)
    if args.child:
        run_child(args.child, args.seconds, args.scans, args.video)
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        video = None
        kinds = [k.strip() for k in args.sources.split(",") if k.strip()]
        if "file" in kinds:
            for hold in (SHORT_HOLD, LONG_HOLD):
                make_video(Path(folder) / f"passport-{hold:g}.avi", hold)
            video = str(Path(folder) / "passport-HOLD.avi")
        for kind in kinds:
            rows.append(bench(kind, args.seconds, args.scans, video))
    if args.json:
        print(json.dumps({"nproc": os.cpu_count(), "load_avg": os.getloadavg(), "rows": rows, "summary": [summarise(r) for r in rows]}, indent=2))
    else:
        load = os.getloadavg()
        print(f"1280x720 @ 30 fps, onnx engine; {os.cpu_count()} CPUs; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        print(format_table([summarise(r) for r in rows]))


if __name__ == "__main__":
    main()
