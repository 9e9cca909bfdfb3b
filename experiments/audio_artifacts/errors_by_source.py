"""Which clean content an audio-artifact model mistakes for a defect, by source kind and layer.

    python experiments/audio_artifacts/errors_by_source.py experiments/audio_artifacts/results/cues_eval_simulated_test.json \
        --experiment audio_artifacts_cues_cpu30 --predicted hiss

Re-synthesises the simulated test split of the experiment that produced the eval report (samples
are a pure function of seed, split and index), then counts, for every source kind and layer of
the clean (``none``) segments, how many the report lists as predicted ``--predicted``. Prints a
table and writes it as JSON beside the report (``<report>.errors_by_source.json``).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import hydra
import numpy as np
from hydra import compose, initialize_config_dir

import vqa_train  # noqa: F401  (environment defaults)
from synth.core import sample_rng
from vqa_train.utils.atomic import write_json
from vqa_train.utils.config import CONF_DIR


def experiment_data(experiment: str, *overrides: str):
    """The composed run config of ``experiment`` (plus ``overrides``) and its instantiated data module."""
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=[f"experiment={experiment}", *overrides])
    return cfg, hydra.utils.instantiate(cfg.data, _convert_="partial")


def checkpoint_parser(doc: str, out_default: str) -> argparse.ArgumentParser:
    """The command line of the scripts here that score checkpoints: ``CKPT...``, ``--experiment``
    (whose test split they use) and ``--out`` (``results/<OUT>.json``)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--experiment", default="audio_artifacts_bands4_cpu30")
    ap.add_argument("--out", default=out_default, help="results/<OUT>.json")
    return ap


def command_line(script: str, inputs: list[str], experiment: str, out_name: str, *extra: str) -> str:
    """How to rerun a script here that takes ``inputs`` (checkpoints or eval reports) and
    ``--experiment``: what its results JSON records as ``command``; ``--out`` only where it is not
    the script's own name."""
    name = Path(script).stem
    words = ["python", f"experiments/audio_artifacts/{name}.py", *inputs, "--experiment", experiment]
    if out_name != name:
        words += ["--out", out_name]
    return " ".join([*words, *extra])


def predictions(checkpoints: list[str], conditions: dict, classes: list[str]):
    """Per checkpoint, ``(ckpt, {condition: predicted class names})`` for each named condition (a
    list or array of float32 segments), scored in batches of 64."""
    # imported here: the scripts that only re-synthesise data need no model code
    from vqa_train.checkpoint import load_detector
    from vqa_train.evaluation.audio_segments import predict_probs

    for ckpt in checkpoints:
        net, _ = load_detector(ckpt)
        predicted = {}
        for name, segments in conditions.items():
            probs = predict_probs(net, np.stack(segments), 64, desc=f"scoring {name}")
            predicted[name] = [classes[p] for p in probs.argmax(1)]
        yield ckpt, predicted


def test_synth(experiment: str):
    """The segment synthesizer of ``experiment`` and the size of its test split."""
    cfg, dm = experiment_data(experiment)
    return dm.synth, int(cfg.data.test_size)


def defect_segments(synth, test_size: int, label: str):
    """Every ``label`` segment of the test split, re-drawn: ``(index, clean, info, out, target)``.

    The clean segment comes from the sample's own generator, and the defect from the same generator
    after it, exactly as ``synth.sample`` draws them.
    """
    for index in range(test_size):
        if synth.label_of(index) != label:
            continue
        rng = sample_rng(synth.seed, "test", index)
        clean, info = synth.source.segment(rng, "test", synth.num_samples, synth.sample_rate)
        out, target = synth.defects[label](clean, rng, synth.meta)
        yield index, clean, info, out, target


def main(report_path: str, experiment: str, predicted: str, clean: str = "none") -> dict:
    report = json.loads(Path(report_path).read_text())
    wrong = {e["index"] for e in report["errors"] if e["label"] == clean and e["predicted"] == predicted}
    synth, test_size = test_synth(experiment)
    total, errors = Counter(), Counter()
    for index in range(test_size):
        if synth.label_of(index) != clean:
            continue
        _, target = synth.sample("test", index)
        source = target.stats.get("source", {})
        tags = {f"kind:{source.get('kind')}"} | {f"layer:{layer}" for layer in source.get("layers") or []}
        for tag in tags:
            total[tag] += 1
            errors[tag] += index in wrong
    rows = sorted(
        ({"tag": t, "clean_segments": total[t], f"called_{predicted}": errors[t]} for t in total),
        key=lambda r: -r[f"called_{predicted}"] / r["clean_segments"],
    )
    print(f"{'source tag':24} {'clean':>6} {'called ' + predicted:>14} {'rate':>6}")
    for r in rows:
        n, k = r["clean_segments"], r[f"called_{predicted}"]
        print(f"{r['tag']:24} {n:6d} {k:14d} {k / n:6.1%}")
    result = {
        "command": f"python experiments/audio_artifacts/errors_by_source.py {report_path} "
        f"--experiment {experiment} --predicted {predicted}",
        "clean_called": predicted,
        "errors": len(wrong),
        "rows": rows,
    }
    write_json(Path(report_path).with_suffix(".errors_by_source.json"), result)
    return result


def save_beside(report_path: str, script: str, experiment: str, fields: dict) -> dict:
    """Write ``fields`` with the command that made them to ``<report>.<script>.json``; return them."""
    result = {
        "command": f"python experiments/audio_artifacts/{script}.py {report_path} --experiment {experiment}",
        **fields,
    }
    write_json(Path(report_path).with_suffix(f".{script}.json"), result)
    return result


def run(main, doc: str) -> None:
    """Command line of a script that re-reads an eval report: ``main(report, experiment)``."""
    a = report_parser(doc).parse_args()
    main(a.report, a.experiment)


def report_parser(
    doc: str, experiment_default: str = "audio_artifacts_cues_cpu30", many: bool = False
) -> argparse.ArgumentParser:
    """The arguments of the scripts that re-read eval reports: the report (``many``: one or more, as
    ``reports``) and the experiment whose test split produced it."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    help_ = "metrics.json of eval.py on the simulated test split"
    if many:
        ap.add_argument("reports", nargs="+", help=help_)
    else:
        ap.add_argument("report", help=help_)
    ap.add_argument("--experiment", default=experiment_default, help="the experiment that trained it")
    return ap


if __name__ == "__main__":
    ap = report_parser(__doc__)
    ap.add_argument("--predicted", default="hiss", help="the wrong class to break down")
    a = ap.parse_args()
    main(a.report, a.experiment, a.predicted)
