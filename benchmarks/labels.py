"""Label models: winnow vs Snorkel and crowd-kit, fit time and accuracy, in one run.

Data:
- synthetic: 1,000,000 items x 20 conditionally independent sources x 3 classes (seeded; source
  accuracies 0.55-0.90, coverages 0.2-0.9, class balance 0.5/0.3/0.2); accuracy against the
  true labels of all items;
- tennis: the 6-LF FlyingSquid benchmark (tests/labeling/data/tennis), fit on the 6,959
  training frames, accuracy on the 746 gold dev frames.

winnow runs in the project's environment. The peers (Snorkel 0.10 LabelModel and
MajorityLabelVoter, crowd-kit DawidSkene and MajorityVote) are not winnow dependencies: they run
in benchmarks/data/venv-labels, created on first use from benchmarks/requirements-labels.txt, as
a worker subprocess of this script that reads the same .npy files. Every model predicts with a
random tie-break. Before anything is timed, each process fits every model once on a tiny matrix,
so lazy imports (torch's optimiser pulls in torch._dynamo on first use) are not counted as fit
time. Fit times are wall-clock ("fit s") and CPU time of the process ("cpu s", all threads); the
machine is shared, so wall times are noisy and the CPU column says how much work was done.

Usage: python benchmarks/labels.py [--n 1000000] [--skip-crowdkit-synthetic]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
VENV = HERE / "data" / "venv-labels"
REQUIREMENTS = HERE / "requirements-labels.txt"
DATA = HERE / "data" / "labels"
TENNIS = HERE.parent / "tests" / "labeling" / "data" / "tennis"
SEED = 0


# ---------------------------------------------------------------------------- shared data
def make_synthetic(n: int, *, m: int = 20, k: int = 3, seed: int = SEED) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    acc = rng.uniform(0.55, 0.90, m)
    cov = rng.uniform(0.2, 0.9, m)
    balance = np.array([0.5, 0.3, 0.2])
    y = rng.choice(k, size=n, p=balance)
    L = np.empty((n, m), dtype=np.int64)
    for j in range(m):
        votes = rng.random(n) < cov[j]
        right = rng.random(n) < acc[j]
        wrong = (y + rng.integers(1, k, n)) % k
        L[:, j] = np.where(votes, np.where(right, y, wrong), -1)
    return {"L": L, "y": y.astype(np.int64), "acc": acc, "balance": balance}


def tennis() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    def convert(a: np.ndarray) -> np.ndarray:
        return np.where(a == 1, 1, np.where(a == -1, 0, -1)).astype(np.int64)

    return tuple(convert(np.load(TENNIS / f"{name}.npy"))  # type: ignore[return-value]
                 for name in ("L_train_video", "L_dev_video", "Y_dev_video"))


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(pred == y))


class Timer:
    """Wall-clock and process CPU seconds of a ``with`` block."""

    def __enter__(self) -> Timer:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


TINY = np.array([[0, 1, -1, 2], [1, 1, 0, -1], [2, 2, 2, 0], [0, -1, 0, 0]] * 25)


# ---------------------------------------------------------------------------- peers (worker)
def peer_worker(data_dir: Path, skip_crowdkit_synthetic: bool) -> None:
    """Runs inside benchmarks/.venv-labels: Snorkel and crowd-kit on the saved matrices."""
    import warnings

    import pandas as pd

    warnings.filterwarnings("ignore")
    results: list[dict[str, object]] = []
    L_syn = np.load(data_dir / "L_syn.npy")
    datasets = {
        "synthetic": (L_syn, L_syn, np.load(data_dir / "y_syn.npy"), 3),
        "tennis": (np.load(data_dir / "L_train.npy"), np.load(data_dir / "L_dev.npy"),
                   np.load(data_dir / "Y_dev.npy"), 2),
    }
    import crowdkit
    import snorkel
    import torch
    from crowdkit.aggregation import DawidSkene, MajorityVote
    from snorkel.labeling.model import LabelModel, MajorityLabelVoter

    # Warm-up: the first fit imports torch's optimiser machinery; keep that out of the timings.
    LabelModel(cardinality=3, verbose=False).fit(TINY, n_epochs=5, seed=1, progress_bar=False)
    MajorityLabelVoter(cardinality=3).predict(TINY)
    r, c = np.nonzero(TINY != -1)
    tiny_long = pd.DataFrame({"task": r, "worker": c, "label": TINY[r, c]})
    DawidSkene(n_iter=2).fit(tiny_long)
    MajorityVote().fit_predict(tiny_long)
    versions = {"snorkel": snorkel.__version__, "torch": torch.__version__,
                "crowd-kit": getattr(crowdkit, "__version__", "?"),
                "numpy": np.__version__, "pandas": pd.__version__}
    for name, (L_fit, L_eval, y_eval, k) in datasets.items():
        lm = LabelModel(cardinality=k, verbose=False)
        with Timer() as t:
            lm.fit(L_fit, n_epochs=500, seed=123, log_freq=1000, progress_bar=False)
        pred = lm.predict(L_eval, tie_break_policy="random")
        results.append({"data": name, "model": "snorkel LabelModel (500 epochs)",
                        "fit_s": t.wall, "cpu_s": t.cpu, "accuracy": accuracy(pred, y_eval)})
        with Timer() as t:
            pred = MajorityLabelVoter(cardinality=k).predict(L_eval, tie_break_policy="random")
        results.append({"data": name, "model": "snorkel MajorityLabelVoter (predict)",
                        "fit_s": t.wall, "cpu_s": t.cpu, "accuracy": accuracy(pred, y_eval)})

        if name == "synthetic" and skip_crowdkit_synthetic:
            continue
        rows, cols = np.nonzero(L_fit != -1)
        long = pd.DataFrame({"task": rows, "worker": cols, "label": L_fit[rows, cols]})
        r, c = np.nonzero(L_eval != -1)
        dev_long = pd.DataFrame({"task": r, "worker": c, "label": L_eval[r, c]})
        if name == "tennis":
            # crowd-kit aggregates the tasks it is given: fit on train + dev together and read
            # the dev tasks (its usual transductive use).
            long = pd.concat([long, dev_long.assign(task=dev_long.task + len(L_fit))])
        with Timer() as t:
            agg = DawidSkene(n_iter=100).fit(long).labels_
        if name == "tennis":
            agg = agg[agg.index >= len(L_fit)]
            agg.index = agg.index - len(L_fit)
        results.append({"data": name, "model": "crowd-kit DawidSkene", "fit_s": t.wall,
                        "cpu_s": t.cpu, "accuracy": _accuracy_of(agg, y_eval)})
        with Timer() as t:
            agg = MajorityVote().fit_predict(dev_long if name == "tennis" else long)
        results.append({"data": name, "model": "crowd-kit MajorityVote", "fit_s": t.wall,
                        "cpu_s": t.cpu, "accuracy": _accuracy_of(agg, y_eval)})
    print(json.dumps({"results": results, "versions": versions}))


def _accuracy_of(agg: object, y: np.ndarray) -> float:
    """Accuracy of a crowd-kit label Series indexed by task; tasks it did not label count wrong."""
    pred = np.full(len(y), -1)
    pred[agg.index.to_numpy()] = agg.to_numpy()  # type: ignore[attr-defined]
    return accuracy(pred, y)


# ---------------------------------------------------------------------------- winnow
def run_winnow(data: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, int]]
               ) -> list[dict[str, object]]:
    import warnings

    from winnow.labeling import DawidSkene, LabelModel, LabelModelWarning, MajorityVote

    warnings.simplefilter("ignore", LabelModelWarning)
    for warm in (LabelModel, DawidSkene, MajorityVote):  # same warm-up as the peers get
        warm(cardinality=3).fit(TINY).predict(TINY)
    out: list[dict[str, object]] = []
    for name, (L_fit, L_eval, y_eval, k) in data.items():
        for label, model in (("winnow LabelModel", LabelModel(cardinality=k)),
                             ("winnow DawidSkene", DawidSkene(cardinality=k)),
                             ("winnow MajorityVote", MajorityVote(cardinality=k))):
            with Timer() as t:
                model.fit(L_fit)
            with Timer() as p:
                pred = model.predict(L_eval, tie_break="random", seed=123)
            out.append({"data": name, "model": label, "fit_s": t.wall, "cpu_s": t.cpu,
                        "predict_s": p.wall, "accuracy": accuracy(pred, y_eval)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="synthetic items")
    parser.add_argument("--skip-crowdkit-synthetic", action="store_true",
                        help="crowd-kit on the synthetic set takes minutes and GBs of RAM")
    parser.add_argument("--peer-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_worker is not None:
        peer_worker(args.peer_worker, args.skip_crowdkit_synthetic)
        return

    DATA.mkdir(parents=True, exist_ok=True)
    syn = make_synthetic(args.n)
    L_train, L_dev, Y_dev = tennis()
    np.save(DATA / "L_syn.npy", syn["L"])
    np.save(DATA / "y_syn.npy", syn["y"])
    np.save(DATA / "L_train.npy", L_train)
    np.save(DATA / "L_dev.npy", L_dev)
    np.save(DATA / "Y_dev.npy", Y_dev)
    L_syn = syn["L"]
    assert isinstance(L_syn, np.ndarray)
    print(f"synthetic: {L_syn.shape[0]:,} items x {L_syn.shape[1]} sources x 3 classes; "
          f"tennis: {L_train.shape[0]} train / {L_dev.shape[0]} dev frames", flush=True)

    results = run_winnow({"synthetic": (L_syn, L_syn, syn["y"], 3),  # type: ignore[dict-item]
                          "tennis": (L_train, L_dev, Y_dev, 2)})
    from harness import ensure_peer_venv  # the driver's import: the -P worker never needs it

    python = ensure_peer_venv(VENV, REQUIREMENTS, without="comparing winnow only")
    if python is not None:
        # -P: do not put benchmarks/ on sys.path, where profile.py would shadow the stdlib
        # module that torch imports.
        cmd = [str(python), "-P", str(Path(__file__).resolve()), "--peer-worker", str(DATA)]
        if args.skip_crowdkit_synthetic:
            cmd.append("--skip-crowdkit-synthetic")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode == 0:
            peer = json.loads(proc.stdout.strip().splitlines()[-1])
            results += peer["results"]
            print("peers: " + ", ".join(f"{k} {v}" for k, v in peer["versions"].items()))
        else:
            print(f"peer run failed:\n{proc.stderr[-2000:]}", flush=True)

    for name in ("synthetic", "tennis"):
        rows = [r for r in results if r["data"] == name]
        print(f"\n## {name}")
        print(f"{'model':38s} {'fit s':>9s} {'cpu s':>9s} {'accuracy':>9s}")
        for r in rows:
            print(f"{r['model']:38s} {r['fit_s']:9.3f} {r['cpu_s']:9.3f} {r['accuracy']:9.4f}")
        ours = next(r for r in rows if r["model"] == "winnow LabelModel")
        snorkel = next((r for r in rows if r["model"].startswith("snorkel LabelModel")), None)
        if snorkel is not None:
            speed = snorkel["fit_s"] / ours["fit_s"]
            work = snorkel["cpu_s"] / ours["cpu_s"]
            print(f"winnow LabelModel vs snorkel LabelModel: fit {speed:.1f}x faster "
                  f"(wall), {work:.1f}x less CPU, accuracy "
                  f"{ours['accuracy'] - snorkel['accuracy']:+.4f}")
    (DATA / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
