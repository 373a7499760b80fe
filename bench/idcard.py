"""ID card figures: detection ms/frame at 640×480, read time per card, per-field accuracy.

    uv run python bench/idcard.py [--synthetic 24] [--json] [--glare-sweep] [--scenes 22]

Each run also reads the same webcam scenes (scene_sets.py: blur, JPEG 60, lamp light,
fingers, card filling the frame, small card; 1280×720 and 640×360) with `read_card` and with
raw RapidOCR + a regex, printing number accuracy and CPU/wall seconds per card side by side,
and times the chip-reader path on the SAM-V simulator (card laid → fields parsed).

--glare-sweep also places highlights of several strengths over each region of the card,
reads every scene, and prints the confusion of the detector's `glare` against "OCR misread a
field" (the calibration behind DetectorTuning's glare numbers; ≈ 3 min).

Synthetic scenes are made here with known ground truth (fictional people); the shared set
(../shared/data/idcard) is read in place, its ground truth taken from labels.csv and the
MANIFEST's hand transcription of the synthetic sheet. Nothing personal is printed.
Goals (DESIGN.md, issue 18): detection ≤ 10 ms/frame at 640×480, read ≤ 0.25 s/card on
2 cores and ≥ 3× faster than raw RapidOCR on the same images. Where the time goes, route by
route: bench/idcard_profile.py.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.idcard import evaluate  # noqa: E402
from kiosk.idcard import synthetic as syn  # noqa: E402
from kiosk.idcard.detect import CardDetector  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "idcard"
# Hand transcription of the synthetic, fictional sheet airob0t/bw.png (from its MANIFEST).
BW_FRONT = {"name": "AIRobot", "sex": "男", "ethnicity": "瓦尔肯", "birth": "1999-09-09",
            "address": "加利福尼亚州旧金山市星际舰队总部", "id_number": "123456789012345678"}


def scene_params(rng: random.Random, size: tuple[int, int]) -> syn.SceneParams:
    return syn.SceneParams(size=size, card_width=rng.uniform(0.55, 0.8),
                           angle=rng.uniform(-15, 15), tilt=rng.uniform(0.0, 0.07),
                           blur=rng.choice([0.0, 0.6, 1.0, 1.4]), shadow=rng.uniform(0, 0.4),
                           glare=rng.choice([0.0, 0.0, 0.3]), noise=rng.uniform(2, 6))


def bench_detection(frames: int = 200) -> dict[str, float]:
    rng = random.Random(1)
    det = CardDetector()
    cards = [syn.render_front(syn.fake_resident(i), seed=i) for i in range(4)]
    with_card = [syn.place_in_scene(cards[i % 4], scene_params(rng, (640, 480)), seed=i)[0]
                 for i in range(20)]
    empty = [syn.place_in_scene(cards[0], syn.SceneParams(size=(640, 480), card_width=0.001),
                                seed=i)[0] for i in range(10)]
    out = {}
    for name, pool in (("card", with_card), ("no_card", empty)):
        times = []
        for i in range(frames):
            t0 = time.perf_counter()
            det.detect(pool[i % len(pool)])
            times.append((time.perf_counter() - t0) * 1000)
        out[f"{name}_ms_mean"] = round(statistics.mean(times), 2)
        out[f"{name}_ms_p95"] = round(sorted(times)[int(0.95 * len(times))], 2)
    out["reasons_of_20_random_scenes"] = dict(Counter(det.detect(f).reason for f in with_card))
    return out


GLARE_SPOTS = {"default": None, "number": (0.55, 0.85), "number_end": (0.85, 0.85),
               "name": (0.25, 0.17), "portrait": (0.78, 0.42), "address": (0.35, 0.62),
               "birth": (0.3, 0.45), "top_blank": (0.45, 0.06), "left_edge": (0.06, 0.5)}
GLARE_STRENGTHS = (0.0, 0.15, 0.3, 0.45, 0.6, 0.8, 1.0)


def bench_glare_sweep(ocr: object, seed: int = 5) -> dict[str, object]:
    """Detector `glare` vs. whether OCR read the fields that matter (name and number, so the
    card is accepted with the right number) and every field, per highlight spot/strength."""
    from kiosk.idcard.read import read_card

    rng = random.Random(seed)
    det = CardDetector()
    conf = {"critical": Counter(), "all_fields": Counter()}
    wrong_accepted = 0
    i = 0
    for at in GLARE_SPOTS.values():
        for strength in GLARE_STRENGTHS:
            for size in (0.7, 1.0):
                i += 1
                person = syn.fake_resident(3000 + i)
                p = syn.SceneParams(size=(640, 480), card_width=rng.uniform(0.6, 0.8),
                                    angle=rng.uniform(-12, 12), tilt=rng.uniform(0, 0.06),
                                    blur=rng.choice([0.0, 0.6, 1.0]),
                                    shadow=rng.uniform(0, 0.3), glare=strength, glare_at=at,
                                    glare_size=size, noise=rng.uniform(2, 5))
                frame, _ = syn.place_in_scene(syn.render_front(person, seed=i), p, seed=i)
                d = det.detect(frame, want="front")
                if d.reason not in ("ok", "glare"):
                    continue
                r = read_card(frame, ocr=ocr, want="front")
                truth = {"name": person.name, "sex": person.sex,
                         "ethnicity": person.ethnicity, "birth": person.birth.isoformat(),
                         "address": person.address, "id_number": person.id_number}
                crit = bool(r.ok and r.accepted_number == person.id_number
                            and r.fields.get("name") == person.name)
                every = all(r.fields.get(k) == v for k, v in truth.items())
                wrong_accepted += r.accepted_number not in (None, person.id_number)
                said = "glare" if d.reason == "glare" else "no_glare"
                conf["critical"][f"{said}/{'read' if crit else 'misread'}"] += 1
                conf["all_fields"][f"{said}/{'read' if every else 'misread'}"] += 1
    return {k: dict(sorted(v.items())) for k, v in conf.items()} | {
        "scenes": i, "wrong_number_accepted": wrong_accepted}


def bench_read(ocr: object, n: int = 8) -> dict[str, float]:
    """Wall and CPU time per read; CPU/2 is what an otherwise idle 2-core machine would take."""
    from kiosk.idcard.read import read_card

    rng = random.Random(3)
    frames = [syn.place_in_scene(syn.render_front(syn.fake_resident(500 + i), seed=i),
                                 scene_params(rng, (1280, 720)), seed=i)[0] for i in range(n)]
    read_card(frames[0], ocr=ocr, address=False)       # warm (as the kiosk calls it)
    wall, cpu = [], []
    for f in frames:
        w0, c0 = time.perf_counter(), time.process_time()
        read_card(f, ocr=ocr, address=False)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return {"wall_s_mean": round(statistics.mean(wall), 3),
            "wall_s_max": round(max(wall), 3),
            "cpu_s_mean": round(statistics.mean(cpu), 3),
            "load_avg_1min": round(os.getloadavg()[0], 2)}


def bench_versus_raw(ocr: object, n: int, *, seed: int = 1,
                     sizes: tuple[tuple[int, int], ...] = ((1280, 720), (640, 360)),
                     raw_default: object | None = None) -> dict[str, dict[str, object]]:
    """Ours (as the kiosk calls it: no address) vs raw RapidOCR + regex on the same frames,
    per resolution, in the same run. `raw` is the same engine as ours (one ONNX thread);
    `raw_default`, when given, is RapidOCR with onnxruntime's default threads, as shipped."""
    from kiosk.idcard.read import read_card
    from kiosk.idcard.scene_sets import raw_number, webcam_scenes

    engines = {"ours": ocr, "raw": ocr}
    if raw_default is not None:
        engines["raw_default"] = raw_default
    out: dict[str, dict[str, object]] = {}
    for size in sizes:
        scenes = list(webcam_scenes(n, size, seed=seed))
        for engine in {id(e): e for e in engines.values()}.values():   # warm at this size
            read_card(scenes[0].frame, ocr=engine)
        row: dict[str, object] = {"cards": n}
        for name, engine in engines.items():
            right = wrong = 0
            wall = cpu = 0.0
            reasons: Counter = Counter()
            routes: Counter = Counter()
            for sc in scenes:
                w0, c0 = time.perf_counter(), time.process_time()
                if name == "ours":
                    r = read_card(sc.frame, ocr=engine, want="front", address=False)
                    number, reason = r.accepted_number, r.reason
                    routes[r.route] += 1
                else:
                    number = raw_number([ln.text for ln in engine.lines(sc.frame)])
                    reason = "ok" if number else "none"
                wall += time.perf_counter() - w0
                cpu += time.process_time() - c0
                right += number == sc.person.id_number
                wrong += number not in (None, sc.person.id_number)
                reasons[reason] += 1
            row[name] = {"number_exact": f"{right}/{n}", "wrong_number": wrong,
                         "wall_s_per_card": round(wall / n, 3),
                         "cpu_s_per_card": round(cpu / n, 3), "reasons": dict(reasons)}
            if routes:
                row[name]["routes"] = dict(routes)
        out[f"{size[0]}x{size[1]} seed {seed}"] = row
    out["load_avg_1min"] = {"value": round(os.getloadavg()[0], 2)}
    return out


def bench_chip_reader(cards: int = 20) -> dict[str, float] | None:
    """Card laid on the simulated SAM-V module → fields parsed, over a real pty and pyserial.
    The simulator paces replies at 115200 baud; the card's own radio time is not modelled."""
    if sys.platform == "win32":
        return None
    from kiosk.idcard.reader_sim import SamvSimulator
    from kiosk.idcard.samv import SamvReader

    times, sizes = [], []
    with SamvSimulator() as sim:
        reader = SamvReader(sim.path)
        reader.open()
        for i in range(cards):
            p = syn.fake_resident(7000 + i)
            sim.present(p.chip_card())
            t0 = time.perf_counter()
            data = reader.read(timeout_s=2)
            times.append(time.perf_counter() - t0)
            sizes.append(data is not None and data.accepted_number == p.id_number)
        reader.close()
    return {"ms_mean": round(1000 * statistics.mean(times), 1),
            "ms_max": round(1000 * max(times), 1), "read_right": f"{sum(sizes)}/{cards}",
            "line_time_ms_at_115200": round(1000 * (10 + 10 + 10 + 1295 + 30) * 10 / 115200, 1)}


def synthetic_manifest(folder: Path, n: int) -> Path:
    rng = random.Random(7)
    rows = []
    for i in range(n):
        person = syn.fake_resident(1000 + i)
        size = (1280, 720) if i % 2 == 0 else (640, 480)
        card = syn.render_front(person, seed=i)
        if i % 6 == 5:
            card = cv2.rotate(card, cv2.ROTATE_180)
        frame, _ = syn.place_in_scene(card, scene_params(rng, size), seed=i)
        cv2.imwrite(str(folder / f"s{i:03d}.png"), frame)
        rows.append({"path": f"s{i:03d}.png", "side": "front", "name": person.name,
                     "sex": person.sex, "ethnicity": person.ethnicity,
                     "birth": person.birth.isoformat(), "address": person.address,
                     "id_number": person.id_number})
    return _write(folder / "synthetic.csv", rows)


def shared_manifest(folder: Path) -> Path | None:
    labels = SHARED / "labels.csv"
    if not labels.exists():
        return None
    rows = []
    for r in csv.DictReader(labels.open(encoding="utf-8")):
        path = SHARED / r["file"]
        if r["file"] == "airob0t/bw.png":
            sheet = cv2.imread(str(path))
            cv2.imwrite(str(folder / "bw_front.png"), sheet[490:1679, 287:2173])
            cv2.imwrite(str(folder / "bw_back.png"), sheet[1908:3096, 282:2169])
            rows.append({"path": "bw_front.png", "side": "front", **BW_FRONT})
            rows.append({"path": "bw_back.png", "side": "back"})
            continue
        if "blank" in r["kind"]:
            continue
        m = re.search(r"id_number=(\d{17}[\dX])", r["ground_truth"])
        rows.append({"path": str(path), "side": r["side"],
                     "id_number": m.group(1) if m else ""})
    return _write(folder / "shared.csv", rows)


def _write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["path", "side", *evaluate.SCORED])
        w.writeheader()
        w.writerows(rows)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--synthetic", type=int, default=24, help="synthetic scenes to read")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--glare-sweep", action="store_true", help="glare calibration sweep")
    ap.add_argument("--scenes", type=int, default=22, help="webcam scenes per resolution")
    ap.add_argument("--scene-seeds", default="1", help="comma-separated scene-set seeds")
    ap.add_argument("--versus-only", action="store_true",
                    help="only ours vs raw RapidOCR on the webcam scenes")
    ap.add_argument("--sizes", default="1280x720,640x360", help="scene sizes, WxH,...")
    ap.add_argument("--no-raw-default", action="store_true",
                    help="skip raw RapidOCR with onnxruntime's default threads")
    args = ap.parse_args()
    sizes = tuple(tuple(int(v) for v in s.split("x")) for s in args.sizes.split(","))
    seeds = [int(v) for v in args.scene_seeds.split(",")]
    from kiosk.idcard.ocr import CardOcr

    raw_default = None if args.no_raw_default else CardOcr(threads=0)
    if args.versus_only:
        from kiosk.idcard.ocr import get_ocr

        ocr = get_ocr()
        for seed in seeds:
            res = bench_versus_raw(ocr, args.scenes, seed=seed, sizes=sizes,  # type: ignore[arg-type]
                                   raw_default=raw_default)
            for key, row in res.items():
                print(f"{key}: {row}", flush=True)
        return 0
    results: dict[str, object] = {}
    t0 = time.perf_counter()
    from kiosk.idcard.ocr import get_ocr

    ocr = get_ocr()
    results["ocr_load_s"] = round(time.perf_counter() - t0, 2)
    results["detection_640x480"] = bench_detection()
    results["read_time"] = bench_read(ocr)
    results["versus_raw"] = {}
    for seed in seeds:
        results["versus_raw"].update(bench_versus_raw(ocr, args.scenes, seed=seed,  # type: ignore[union-attr]
                                                      sizes=sizes,  # type: ignore[arg-type]
                                                      raw_default=raw_default))
    results["chip_reader_sim"] = bench_chip_reader()
    if args.glare_sweep:
        results["glare_sweep"] = bench_glare_sweep(ocr)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, manifest in (("synthetic", synthetic_manifest(folder, args.synthetic)),
                               ("shared", shared_manifest(folder))):
            if manifest is None:
                continue
            report = evaluate.run_eval(manifest, ocr=ocr).as_dict()
            report.pop("per_file")
            results[name] = report
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
        return 0
    print(f"OCR engine load: {results['ocr_load_s']} s")
    print(f"detection 640x480: {results['detection_640x480']}")
    print(f"read time per card (1280x720 scenes): {results['read_time']}")
    for key, row in results["versus_raw"].items():
        print(f"{key}: {row}")
    print(f"chip reader (SAM-V simulator, card laid -> fields): {results['chip_reader_sim']}")
    if "glare_sweep" in results:
        print(f"glare sweep (detector said / OCR outcome): {results['glare_sweep']}")
    for name in ("synthetic", "shared"):
        r = results.get(name)
        if r:
            print(f"{name}: cards {r['cards']}, read {r['read']}, rejected {r['rejected']}, "
                  f"mean read {r['mean_read_s']} s")
            for key, (right, known) in r["field_counts"].items():
                print(f"   {key:<10} {right}/{known}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
