"""How good is a checkpoint? `python -m charlm.evaluate CKPT --help`.

Prints, for one checkpoint:
- its validation loss in nats and bits per character, on the same by-posting split it
  was trained with (recomputed from the corpus, the seed and --val-frac it saved), next
  to what gzip, bz2 and lzma spend on the same val split once they have seen the train
  split; with --precision, the same loss through the sampler's own step at that
  precision (charlm/steppers.py), to show what reduced-precision sampling costs;
- over n sampled postings (with the guard of charlm/guard.py, as the gallery samples,
  unless --no-guard): the share that is well-formed HTML, the share with the
  title/company/location frame, the share of generated words found in the training
  split's vocabulary, the share whose <title> line agrees with its h1/h2/h3
  (coherent frame; charlm/frame.py), novelty (the share of samples sharing a verbatim stretch of more
  than 200 characters with the corpus, and the median longest shared stretch), and
  length against the corpus's postings (median and quantiles of both), with the
  share of samples the model ended before the guard's wrap-up began;
- realism: how often a discriminator (char 1-4-grams, logistic regression, 5-fold
  cross-validated; charlm/realism.py) tells the samples from as many real val postings,
  beside the same figure for real train postings against real val ones (0.5: it cannot
  tell them apart);
- with the job classifier (jobclass/, shipped as checkpoints/demo/jobclass.skops): the
  share of samples whose body reads as the family their own title maps to, beside the
  same share of the val split's real postings.

A transformer's val loss scores each character with the context it has when sampled: the
rolling cache of the window before it (charlm/transformer.py).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from dataclasses import asdict, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from common.cli import run_cli
from jobclass import JobClassifier, agreement
from jobclass.train import DEFAULT_OUT as CLASSIFIER

from . import checkpoint as ckpt_io
from .data import Split, eval_streams, read_corpus, split_by_document, split_documents, text_fingerprint
from .errors import CharLMError
from .generate import Generator, SampleSettings
from .metrics import COPY_LIMIT, CopyIndex, coherent_frame, compression_bpc, has_frame, vocab_share, well_formed, words
from .steppers import PRECISIONS
from .objective import evaluate_loss
from .realism import FOLDS, Discrimination, realism

QUANTILES = (10, 25, 50, 75, 90)


def quantiles(values: list[int]) -> list[float]:
    """The QUANTILES percentiles of values."""
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else list(values) * 99
    return [cuts[q - 1] for q in QUANTILES]


def training_split(ckpt: dict, text: str) -> Split:
    cfg = ckpt.get("train_config") or {}
    if "seed" not in cfg or "val_frac" not in cfg:
        raise CharLMError("the checkpoint does not record how its data was split (no train_config)")
    return split_by_document(split_documents(text), cfg["val_frac"], cfg["seed"])


def sampler_loss(gen: Generator, ids: torch.Tensor, n_streams: int, progress=None) -> float:
    """evaluate_loss's streams and targets, stepped one character at a time through the sampler's own step."""
    x, y = eval_streams(ids, n_streams)
    stepper = gen.engine.stepper(x.shape[0])
    total = 0.0
    for t in range(x.shape[1]):
        logits = stepper.step(x[:, t].to(torch.int32))
        total += F.cross_entropy(logits, y[:, t], ignore_index=-100, reduction="sum").item()
        if progress:
            progress(x.shape[0])
    return total / int((y != -100).sum())


def agreement_rate(postings: list[str], classifier: JobClassifier) -> float | None:
    """The share of titled postings whose body the classifier reads as the family their title maps to."""
    found = [a for a in map(agreement, postings, classifier.predict(postings)) if a is not None]
    return sum(found) / len(found) if found else None


def evaluate(ckpt_path: str, data: str | None, n: int, temperature: float, length: int, seed: int,
             skip_compression: bool = False, guard: bool = True, precisions: tuple[str, ...] = (),
             classifier: JobClassifier | None = None, skip_val: bool = False) -> dict:
    ckpt = ckpt_io.load(ckpt_path)
    data = data or (ckpt.get("train_config") or {}).get("data") or "corpus/input.txt"
    text = read_corpus(data)
    note = None
    if ckpt.get("data_sha256") and ckpt["data_sha256"] != text_fingerprint(text):
        note = f"{data} is not the corpus this checkpoint was trained on; its split differs from training's"
        print(f"warning: {note}", file=sys.stderr)
    split = training_split(ckpt, text)
    gen = Generator.from_checkpoint(ckpt_path)
    val_text = "".join(split.val)
    gen.vocab.check(val_text, f"the val split of {data}")
    val_ids = gen.vocab.encode(val_text)
    batch = (ckpt.get("train_config") or {}).get("batch_size", 50)

    result = {"checkpoint": str(ckpt_path), "data": str(data), "epoch": ckpt.get("epoch"),
              "model": describe_model(ckpt), "val_postings": len(split.val), "val_chars": len(val_text)}
    if not skip_val:
        with tqdm(total=len(val_ids), unit="char", unit_scale=True, desc="val loss", file=sys.stderr) as bar:
            val = evaluate_loss(gen.model, val_ids, batch, 512, torch.device("cpu"), progress=bar.update)
        result.update(val_loss=val, val_bpc=val / math.log(2))
    if note:
        result["note"] = note
    for precision in precisions:
        stepped = Generator.from_checkpoint(ckpt_path, precision=precision)
        with tqdm(total=len(val_ids), unit="char", unit_scale=True, desc=f"val loss, sampler {precision}",
                  file=sys.stderr) as bar:
            result.setdefault("sampler_val_loss", {})[precision] = sampler_loss(stepped, val_ids, batch, bar.update)
    if not skip_compression:
        with tqdm(total=3, desc="compressors", file=sys.stderr) as bar:
            result["compression_bpc"] = compression_bpc("".join(split.train), val_text)
            bar.update(3)
    samples, figures = sample_figures(gen, split, text, n, SampleSettings(temperature=temperature, max_length=length,
                                                                          seed=seed, guard=guard))
    result.update(figures)
    if n >= FOLDS:
        with tqdm(total=1, desc="realism", file=sys.stderr) as bar:
            found = realism(samples, split.val, split.train, seed)
            bar.update(1)
        result["realism"] = {k: asdict(v) for k, v in found.items()}
    if classifier is not None:
        result["family_agreement"] = agreement_rate(samples, classifier)
        result["real_family_agreement"] = agreement_rate(split.val, classifier)
    return result


def sample_figures(gen: Generator, split: Split, corpus: str, n: int,
                   settings: SampleSettings) -> tuple[list[str], dict]:
    """n postings sampled with settings (seeds seed, seed+1, ...), and what they look like against the corpus."""
    temperature, length, seed, guard = settings.temperature, settings.max_length, settings.seed, settings.guard
    samples = []
    with tqdm(total=n, unit="posting", desc="sampling", file=sys.stderr) as bar:
        for start in range(0, n, 10):
            k = min(10, n - start)
            samples += gen.generate(k, replace(settings, seed=seed + start))
            bar.update(k)

    train_words = {w for doc in split.train for w in words(doc)}
    shares = [s for s in (vocab_share(t, train_words) for t in samples) if s is not None]
    with tqdm(total=1, desc="indexing corpus", file=sys.stderr) as bar:
        index = CopyIndex(corpus)
        bar.update(1)
    copies = [index.longest_copy(t) for t in tqdm(samples, desc="novelty", file=sys.stderr)]
    wrap_up = settings.wrap_up() if guard else None
    ended = [t.endswith(settings.stop) and (wrap_up is None or len(t) - len(settings.prime) <= wrap_up)
             for t in samples]
    return samples, {
        "samples": n, "temperature": temperature, "max_length": length, "seed": seed, "guard": guard,
        "well_formed": sum(map(well_formed, samples)) / n,
        "frame": sum(map(has_frame, samples)) / n,
        "coherent_frame": sum(map(coherent_frame, samples)) / n,
        "vocab_words": statistics.fmean(shares) if shares else 0.0,
        "copy_rate": sum(c > COPY_LIMIT for c in copies) / n,
        "median_longest_copy": statistics.median(copies),
        "median_length": statistics.median(len(t) for t in samples),
        "corpus_median_length": statistics.median(len(d) for d in split.train + split.val),
        "length_quantiles": quantiles([len(t) for t in samples]),
        "corpus_length_quantiles": quantiles([len(d) for d in split.train + split.val]),
        "wrap_up": wrap_up, "ended_by_model": sum(ended) / n,
    }


def describe_model(ckpt: dict) -> str:
    c = ckpt["config"]
    if c.get("model") == "transformer":
        return f"transformer {c['num_layers']}x{c['rnn_size']}, {c['n_head']} heads, window {c['block_size']}"
    return f"{c.get('model', 'lstm')} {c['num_layers']}x{c['rnn_size']}"


def report(r: dict) -> str:
    lines = [f"checkpoint {r['checkpoint']} ({r['model']}, epoch {r['epoch']}) on {r['data']}",
             f"val split: {r['val_postings']:,} postings, {r['val_chars']:,} characters"]
    if "val_loss" in r:
        lines.append(f"val loss: {r['val_loss']:.4f} nats/char = {r['val_bpc']:.3f} bits/char")
    else:
        lines.append("val loss: not scored (--no-val)")
    for precision, loss in r.get("sampler_val_loss", {}).items():
        lines.append(f"  through the sampler's step at {precision}: {loss:.4f} nats/char "
                     f"({loss - r['val_loss']:+.5f} against the float32 model)")
    if "compression_bpc" in r:
        lines.append("  compressors on the same val split given the train split (bits/char): "
                     + ", ".join(f"{k} {v:.3f}" for k, v in r["compression_bpc"].items()))
    lines += [f"{r['samples']} samples at temperature {r['temperature']} (seed {r['seed']}, "
              f"at most {r['max_length']:,} characters; guard {'on' if r['guard'] else 'off'}):",
              f"  well-formed HTML:               {r['well_formed']:.0%}",
              f"  title/company/location frame:   {r['frame']:.0%}",
              f"  coherent frame (title = h1-h3): {r['coherent_frame']:.0%}",
              f"  words found in train vocabulary: {r['vocab_words']:.1%}",
              f"  copies > {COPY_LIMIT} chars from the corpus: {r['copy_rate']:.0%}",
              f"  median longest verbatim copy:   {r['median_longest_copy']:.0f} characters",
              f"  median length:                  {r['median_length']:,.0f} characters "
              f"(corpus postings {r['corpus_median_length']:,.0f}, "
              f"{r['median_length'] / r['corpus_median_length'] - 1:+.0%})",
              "  length percentiles " + "/".join(map(str, QUANTILES)) + ":",
              "    samples " + " / ".join(f"{v:,.0f}" for v in r["length_quantiles"]),
              "    corpus  " + " / ".join(f"{v:,.0f}" for v in r["corpus_length_quantiles"])]
    where = f" (before the wrap-up at {r['wrap_up']:,} characters)" if r["wrap_up"] is not None else ""
    lines.append(f"  ended by the model alone:       {r['ended_by_model']:.0%}{where}")
    if "realism" in r:
        g, c = (Discrimination(**r["realism"][k]) for k in ("generated", "control"))
        lines.append(f"  realism: a char n-gram classifier tells them from real val postings at {g} "
                     f"(real train against real val: {c}; 0.5 = indistinguishable)")
    if r.get("family_agreement") is not None:
        lines.append(f"  body reads as its title's family: {r['family_agreement']:.0%} (job classifier; real postings "
                     f"of the val split: {r['real_family_agreement']:.0%}, which it was trained on)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m charlm.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="a .pt file written by python -m charlm.train")
    p.add_argument("--data", help="the corpus (default: the one the checkpoint was trained on)")
    p.add_argument("-n", type=int, default=50, help="postings to sample (default 50)")
    p.add_argument("--temperature", type=float, default=SampleSettings.temperature,
                   help="sampling temperature (default %(default)s)")
    p.add_argument("--length", type=int, default=20000,
                   help="most characters per sample (default 20000; the longest corpus posting has 15k)")
    p.add_argument("--seed", type=int, default=1, help="seed of the first sample; sample i uses seed+i (default 1)")
    p.add_argument("--no-compression", action="store_true", help="skip the gzip/bz2/lzma reference")
    p.add_argument("--no-val", action="store_true",
                   help="skip scoring the val split (minutes on a CPU for a large model); sample figures only")
    p.add_argument("--no-guard", action="store_true",
                   help="sample the model unconstrained (default: the guard of charlm/guard.py, as the gallery)")
    p.add_argument("--precision", action="append", choices=list(PRECISIONS), default=[],
                   help="also score the val split through the sampler's step at this precision (repeatable)")
    p.add_argument("--classifier", default=CLASSIFIER,
                   help=f"job classifier for the family agreement (default {CLASSIFIER}; skipped when absent)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    args = p.parse_args(argv)
    if not 1 <= args.n <= 10_000 or not 1 <= args.length <= 1_000_000:
        p.error("-n must be 1..10,000 and --length 1..1,000,000")
    if args.no_val and args.precision:
        p.error("--precision compares the sampler's val loss with the model's: it needs the val split (drop --no-val)")
    classifier = JobClassifier.load(args.classifier) if Path(args.classifier).is_file() else None
    result = evaluate(args.checkpoint, args.data, args.n, args.temperature, args.length, args.seed,
                      args.no_compression, not args.no_guard, tuple(args.precision), classifier, args.no_val)
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    run_cli(main)
