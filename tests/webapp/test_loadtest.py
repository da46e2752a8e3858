"""The bounded load command, small: a tiny model, 8 clients, a few seconds, all on 127.0.0.1."""

import re

from conftest import run_module


def test_eight_clients_are_all_served_with_no_503_and_no_5xx(checkpoints_dir):
    proc = run_module("webapp.loadtest", "--checkpoints", str(checkpoints_dir), "--clients", "8",
                      "--length", "600", "--rows", "8", timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "served: 8 of 8; 503: 0; 5xx other: 0; errors: 0" in out
    total = re.search(r"= ([\d,]+) chars/s", out)
    per_client = re.search(r"per client: min ([\d,]+), median ([\d,]+) chars/s", out)
    first = re.search(r"first character: median ([\d.]+) s, max ([\d.]+) s", out)
    assert total and per_client and first, out
    assert int(total.group(1).replace(",", "")) > 0 and int(per_client.group(1).replace(",", "")) > 0


def test_bad_options_are_refused_before_anything_starts(tmp_path):
    proc = run_module("webapp.loadtest", "--clients", "0")
    assert proc.returncode == 2 and "--clients must be 1-256" in proc.stderr
    proc = run_module("webapp.loadtest", "--checkpoints", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "no such folder" in proc.stderr
