"""Train the MRZ row recogniser (a small CRNN with CTC) and export it to ONNX.

    python -m venv .venv-train && .venv-train/bin/pip install ".[train]"
    PYTHONPATH=. .venv-train/bin/python training/train_mrz_rows.py --steps 3000 --out resources/models/mrz_rows.onnx

Rows are rendered on the fly (`mrz_row_data`, a worker process) from `--seed`;
validation rows come from `--seed + 1000`, which training never draws. Every
`--every` steps: a checkpoint (`--work`), the validation figures and the ONNX
export, checked against ONNX Runtime. `--resume` continues from the checkpoint.
The model card (`resources/models/mrz_rows.md`) records the command, seed,
time, hardware and figures of the shipped model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mrz_row_data import encode, sample  # noqa: E402

from kiosk.ocr.engine.ctc import decode as ctc_decode  # noqa: E402
from kiosk.ocr.mrz.row_input import ALPHABET, CHARSET, HEIGHT, batch_inputs  # noqa: E402

CLASSES = len(CHARSET)


def block(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class RowNet(nn.Module):
    """[N, 1, 32, W] rows -> [N, W/4, CLASSES] log-probabilities (class 0 the CTC blank)."""

    def __init__(self, hidden: int = 96) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *block(1, 32), nn.MaxPool2d(2, 2),  # 16 x W/2
            *block(32, 64), nn.MaxPool2d(2, 2),  # 8 x W/4
            *block(64, 96), *block(96, 96), nn.MaxPool2d((2, 1), (2, 1)),  # 4 x W/4
            nn.Conv2d(96, 128, (4, 3), padding=(0, 1), bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True),  # 1 x W/4
        )
        self.rnn = nn.LSTM(128, hidden, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x).squeeze(2).permute(0, 2, 1)  # N, T, C
        out, _ = self.rnn(f)
        return self.head(out).log_softmax(-1)


class Rows(torch.utils.data.IterableDataset):
    """Endless batches of `batch` rendered rows, seeded per worker."""

    def __init__(self, seed: int, batch: int) -> None:
        self.seed, self.batch = seed, batch

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = np.random.default_rng([self.seed, info.id if info else 0, int(time.time()) if self.seed < 0 else 0])
        while True:
            yield make_batch(rng, self.batch)


def make_batch(rng: np.random.Generator, size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    rows, texts = zip(*(sample(rng) for _ in range(size)))
    order = np.argsort([r.shape[1] for r in rows])
    rows, texts = [rows[i] for i in order], [texts[i] for i in order]
    x, steps = batch_inputs(rows)
    targets = torch.tensor([c for t in texts for c in encode(t)], dtype=torch.long)
    lengths = torch.tensor([len(t) for t in texts], dtype=torch.long)
    return torch.from_numpy(x), torch.from_numpy(steps), targets, lengths


def validation_set(seed: int, count: int) -> list[tuple[np.ndarray, str]]:
    rng = np.random.default_rng(seed)
    return [sample(rng) for _ in range(count)]


def decode(logp: np.ndarray) -> str:
    return ctc_decode(np.exp(logp), CHARSET)[0]


def evaluate(model: RowNet, rows: list[tuple[np.ndarray, str]]) -> dict[str, float]:
    """Share of rows read exactly and of characters right (edit distance), one row at a time as the reader runs it."""
    model.eval()
    exact, errors, chars = 0, 0, 0
    with torch.no_grad():
        for row, text in rows:
            read = decode(model(torch.from_numpy(row[None, None]))[0].numpy())
            exact += read == text
            errors += edit_distance(read, text)
            chars += len(text)
    model.train()
    return {"rows_exact": exact / len(rows), "char_accuracy": 1 - errors / chars}


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def export(model: RowNet, path: Path, check_rows: list[tuple[np.ndarray, str]]) -> str:
    """ONNX with a dynamic batch and width; the same argmax as torch on `check_rows` or it raises. Returns the sha256."""
    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.onnx")
    dummy = torch.zeros(1, 1, HEIGHT, 200)
    torch.onnx.export(
        model, (dummy,), str(tmp), input_names=["rows"], output_names=["logp"],
        dynamic_axes={"rows": {0: "n", 3: "width"}, "logp": {0: "n", 1: "steps"}}, opset_version=17, dynamo=False,
    )
    import onnxruntime

    session = onnxruntime.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        for row, _ in check_rows:
            x = row[None, None].astype(np.float32)
            ours = model(torch.from_numpy(x))[0].numpy().argmax(-1)
            theirs = session.run(None, {"rows": x})[0][0].argmax(-1)
            if not np.array_equal(ours, theirs):
                raise RuntimeError("ONNX export disagrees with torch")
    tmp.replace(path)
    model.train()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def init_from_onnx(model: RowNet, path: Path, calibration: torch.Tensor) -> None:
    """Start from an exported model's weights (e.g. the shipped `mrz_rows.onnx`), so a lost checkpoint costs nothing.

    The export folds each batch norm into its convolution. Each fused
    convolution is loaded without its bias, and its batch norm set to give back
    exactly the fused output on `calibration` rows: running mean and variance
    those rows' own, scale their standard deviation, shift their mean plus the
    fused bias. The LSTM's gates are reordered from ONNX's (i, o, f, c) to
    torch's (i, f, c, o).
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    nodes = {node.op_type: [] for node in graph.node}
    for node in graph.node:
        nodes[node.op_type].append(node)
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.features if isinstance(m, nn.BatchNorm2d)]
    if len(nodes["Conv"]) != len(convs):
        raise ValueError(f"{path}: {len(nodes['Conv'])} convolutions, the model has {len(convs)}")
    model.eval()
    with torch.no_grad():
        for conv, norm, node in zip(convs, norms, nodes["Conv"]):
            conv.weight.copy_(torch.from_numpy(weights[node.input[1]]))
            bias = torch.from_numpy(weights[node.input[2]])
            index = list(model.features).index(conv)
            before = model.features[:index + 1](calibration)
            mean, var = before.mean((0, 2, 3)), before.var((0, 2, 3), unbiased=False)
            norm.running_mean.copy_(mean)
            norm.running_var.copy_(var)
            norm.weight.copy_((var + norm.eps).sqrt())
            norm.bias.copy_(mean + bias)
        [lstm] = nodes["LSTM"]
        w, r, b = (torch.from_numpy(weights[name]) for name in lstm.input[1:4])
        hidden = model.rnn.hidden_size
        order = torch.cat([torch.arange(g * hidden, (g + 1) * hidden) for g in (0, 2, 3, 1)])
        for direction, suffix in enumerate(("", "_reverse")):
            getattr(model.rnn, f"weight_ih_l0{suffix}").copy_(w[direction][order])
            getattr(model.rnn, f"weight_hh_l0{suffix}").copy_(r[direction][order])
            getattr(model.rnn, f"bias_ih_l0{suffix}").copy_(b[direction][: 4 * hidden][order])
            getattr(model.rnn, f"bias_hh_l0{suffix}").copy_(b[direction][4 * hidden :][order])
        [matmul] = nodes["MatMul"]
        model.head.weight.copy_(torch.from_numpy(weights[matmul.input[1]]).T)
        model.head.bias.copy_(torch.from_numpy(weights["head.bias"]))
    model.train()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="processes rendering rows (0: in the training process)")
    parser.add_argument("--every", type=int, default=250)
    parser.add_argument("--validate", type=int, default=400, help="validation rows")
    parser.add_argument("--out", type=Path, default=Path("resources/models/mrz_rows.onnx"))
    parser.add_argument("--work", type=Path, default=Path("build/mrz_rows"))
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--init", type=Path, metavar="ONNX", help="start from this exported model's weights (not with --resume)")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    args.work.mkdir(parents=True, exist_ok=True)
    model = RowNet()
    optimiser = torch.optim.Adam(model.parameters(), lr=args.lr)
    warmup = min(200, args.steps // 10 + 1)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, args.steps) / args.steps)))
    )
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    checkpoint = args.work / "checkpoint.pt"
    step, seconds = 0, 0.0
    if args.resume and checkpoint.exists():
        state = torch.load(checkpoint)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        step, seconds = state["step"], state["seconds"]
    valid = validation_set(args.seed + 1000, args.validate)
    if args.init is not None and step == 0:
        init_from_onnx(model, args.init, torch.from_numpy(batch_inputs([row for row, _ in valid[:64]])[0]))
        print(f"from {args.init}: {json.dumps(evaluate(model, valid))}", flush=True)
    data = torch.utils.data.DataLoader(Rows(args.seed * 1000 + step, args.batch), batch_size=None, num_workers=args.workers)
    print(f"{sum(p.numel() for p in model.parameters())} parameters; from step {step}", flush=True)
    started, losses = time.perf_counter() - seconds, []
    for x, steps, targets, lengths in data:
        if step >= args.steps:
            break
        logp = model(x)
        loss = ctc(logp.permute(1, 0, 2), targets, steps.clamp(max=logp.shape[1]), lengths)
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        schedule.step()
        step += 1
        losses.append(float(loss))
        if step % 25 == 0:
            print(f"step {step} loss {np.mean(losses[-25:]):.3f} lr {schedule.get_last_lr()[0]:.5f} {time.perf_counter() - started:.0f} s", flush=True)
        if step % args.every == 0 or step == args.steps:
            seconds = time.perf_counter() - started
            torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "schedule": schedule.state_dict(), "step": step, "seconds": seconds}, checkpoint)
            figures = evaluate(model, valid)
            sha = export(model, args.out, valid[:16])
            report = {"step": step, "rows": step * args.batch, "seconds": round(seconds), "loss": round(float(np.mean(losses[-100:])), 4), **figures, "sha256": sha}
            (args.work / "report.json").write_text(json.dumps(report, indent=1))
            print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
