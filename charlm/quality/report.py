"""charlm.evaluate's report: the figures of one checkpoint as lines of text."""

from __future__ import annotations

from ..copies import COPY_LIMIT
from ..models import ModelConfig, family
from .bleed import HEADER_REACH, TOP_COMPANIES
from .copies import COPY_WINDOW
from .figures import QUANTILES
from .realism import DISCRIMINATORS, Discrimination

DISCRIMINATOR_NAMES = {"char": "char 1-4-grams + LR", "word": "word 1-2-grams + LR", "doc": "document features + RF"}


def describe_model(config: dict) -> str:
    """A checkpoint's model config in a few words, e.g. "LSTM 3x512"."""
    config = ModelConfig.from_dict(config)
    return family(config).details(config)


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


def settings_words(r: dict) -> str:
    """The sampling settings a report's samples were drawn with, in a few words."""
    s = r["settings"]
    parts = [f"temperature {s['temperature']}"]
    if s.get("frame_temperature") is not None:
        parts.append(f"the frame at {s['frame_temperature']}")
    parts += [f"{k} {s[k]}" for k in ("top_k", "top_p", "min_p") if s.get(k) is not None]
    parts += [f"guard {'on' if s['guard'] else 'off'}", f"real words {'on' if s['real_words'] else 'off'}"]
    if "word_shares" in s:  # reports from before word shares have none
        parts.append(f"word shares {'on' if s['word_shares'] else 'off'}")
    return ", ".join(parts)


def sample_lines(r: dict) -> list[str]:
    lines = [f"{r['samples']} samples ({settings_words(r)}; seed {r['seed']}, at most {r['max_length']:,} characters):",
             f"  well-formed HTML:               {r['well_formed']:.0%}",
             f"  title/company/location frame:   {r['frame']:.0%}",
             f"  coherent frame (title = h1-h3): {r['coherent_frame']:.0%}",
             f"  words found in train vocabulary: {r['vocab_words']:.1%}",
             f"  copies > {COPY_LIMIT} chars from the corpus: {r['copy_rate']:.0%}",
             f"  median longest verbatim copy:   {r['median_longest_copy']:.0f} characters",
             f"  copy share (characters in a {COPY_WINDOW}-character stretch of the train split): "
             f"{r['copy_share']:.3f} (real val postings {r['val_copy_share']:.3f})",
             f"  median length:                  {r['median_length']:,.0f} characters "
             f"(real val postings {r['val_median_length']:,.0f}, "
             f"{r['median_length'] / r['val_median_length'] - 1:+.0%})",
             "  length percentiles " + "/".join(map(str, QUANTILES)) + ":",
             "    samples  " + " / ".join(f"{v:,.0f}" for v in r["length_quantiles"]),
             "    real val " + " / ".join(f"{v:,.0f}" for v in r["val_length_quantiles"]),
             f"  cut off at the length cap:      {r['cut_off']:.0%}"]
    if "bleed" in r:
        b, v = r["bleed"], r["val_bleed"]
        lines.append(f"  bleed (the body names another of the corpus's {TOP_COMPANIES} commonest companies): "
                     f"{b['bleed']:.1%} (within {HEADER_REACH} characters of the header {b['near']:.1%}, beyond "
                     f"{b['far']:.1%}; real val postings {v['bleed']:.1%})")
        if "own" in b:  # a realism.json saved before this share was measured lacks it
            lines.append(f"  the body names its own company: {b['own']:.1%} (real val postings {v['own']:.1%})")
    if "realism" in r:
        lines += realism_lines(r["realism"])
    return lines


def realism_lines(found: dict) -> list[str]:
    """The three discriminators beside the control, the tells, the gaps and the document features."""
    lines = ["  realism: how often a discriminator tells them from real val postings (5-fold; 0.5 = it cannot):",
             f"    {'':24} {'generated':>28}   real train (the control)"]
    for kind in DISCRIMINATORS:
        g, c = (Discrimination(**found[side][kind]) for side in ("generated", "control"))
        lines.append(f"    {DISCRIMINATOR_NAMES[kind]:24} {g!s:>28}   {c.accuracy:.2f} ± {c.spread:.2f}")
    if found.get("tells"):
        lines.append("  what gives them away most (+: more in generated; share of generated / real postings):")
        lines += [f"    {t['kind']:4} {t['feature']!r:28} {t['weight']:+.2f}  {t['generated']:.0%} / {t['real']:.0%}"
                  for t in found["tells"]]
    if found.get("gaps"):
        lines.append("  the widest gaps in what postings say (share of generated / real postings):")
        lines += [f"    {t['feature']!r:33} {t['generated']:.0%} / {t['real']:.0%}" for t in found["gaps"]]
    if found.get("features"):
        lines.append("  document features, median of generated / real (the forest's importance):")
        lines += [f"    {f['feature']:20} {f['generated']:10,.3f} / {f['real']:10,.3f}   ({f['importance']:.2f})"
                  for f in found["features"]]
    return lines


def report(r: dict) -> str:
    """The whole report, as charlm.evaluate prints it (or, cut short by Ctrl-C, what was done)."""
    lines = loss_lines(r)
    if "samples" in r and "well_formed" in r:
        lines += sample_lines(r)
    if r.get("interrupted"):
        lines.append(f"interrupted: {r['interrupted']}")
    return "\n".join(lines)
