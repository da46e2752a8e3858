"""charlm.evaluate's report: the figures of one checkpoint as lines of text."""

from __future__ import annotations

from ..copies import COPY_LIMIT
from .figures import QUANTILES
from .realism import Discrimination


def describe_model(config: dict) -> str:
    """A checkpoint's model config in a few words, e.g. "lstm 3x512"."""
    if config.get("model") == "transformer":
        return (f"transformer {config['num_layers']}x{config['rnn_size']}, {config['n_head']} heads, "
                f"window {config['block_size']}")
    return f"{config.get('model', 'lstm')} {config['num_layers']}x{config['rnn_size']}"


def loss_lines(r: dict) -> list[str]:
    lines = [f"checkpoint {r['checkpoint']} ({r['model']}, epoch {r['epoch']}) on {r['data']}",
             f"val split: {r['val_postings']:,} postings, {r['val_chars']:,} characters"]
    if "val_loss" in r:
        lines.append(f"val loss: {r['val_loss']:.4f} nats/char = {r['val_bpc']:.3f} bits/char")
    else:
        lines.append("val loss: not scored (" + ("interrupted" if r.get("interrupted") else "--no-val") + ")")
    for precision, loss in r.get("sampler_val_loss", {}).items():
        lines.append(f"  through the sampler's step at {precision}: {loss:.4f} nats/char "
                     f"({loss - r['val_loss']:+.5f} against the float32 model)")
    if "compression_bpc" in r:
        lines.append("  compressors on the same val split given the train split (bits/char): "
                     + ", ".join(f"{k} {v:.3f}" for k, v in r["compression_bpc"].items()))
    return lines


def sample_lines(r: dict) -> list[str]:
    lines = [f"{r['samples']} samples at temperature {r['temperature']} (seed {r['seed']}, "
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
    return lines


def report(r: dict) -> str:
    """The whole report, as charlm.evaluate prints it (or, cut short by Ctrl-C, what was done)."""
    lines = loss_lines(r)
    if "samples" in r and "well_formed" in r:
        lines += sample_lines(r)
    if r.get("interrupted"):
        lines.append(f"interrupted: {r['interrupted']}")
    return "\n".join(lines)
