"""The table of examples/validate.sh (docs/validation.md, "The figures"): for every case measured,
each run beside the prediction of its own replication (the same users and edits), the largest of
those paired differences, and the mean of the runs against the mean of their own replications'
predictions, with the predicted mean and spread over every replication as context.

    python3 examples/validation-summary.py OUT CASE...

OUT/CASE holds `predicted/` (isrsim run, many replications), `measured-R/` (isrsim load, one
replication each), `predicted-layers.csv` (examples/layer_mix.rs: a row per replication, then
`mean`) and `measured-R-layers.csv` (the --log's shares after the warm-up). The runs.csv metrics
come from `isrsim compare OUT/CASE/predicted OUT/CASE/measured-R... --format markdown`, its
paired table (the one implementation of the pairing: each measured folder paired by the
replication its runs.csv names); the layer rows are computed here with the same columns. The
binary is $ISRSIM, else target/release/isrsim, else isrsim on the PATH.
"""
import csv
import math
import os
import shutil
import subprocess
import sys

# The runs.csv metrics every case shows, and those shown where measured and not zero throughout
# (the tags case's over-invalidation, the time an edit takes to be seen, the purges sent).
METRICS = ["stale_ratio", "stale_age_p50_s", "stale_age_p99_s", "regen_per_request",
           "cdn_hit_ratio"]
EXTRA = ["regenerations_wasted", "edit_visible_p50_s", "purge_requests"]
LAYERS = ["cdn_hit", "cdn_stale", "origin_hit", "origin_stale", "origin_miss", "error"]
# A layer's share below this (1% of responses) has too few responses for a relative difference.
SMALL_SHARE = 0.01
HEADING = ["case", "policy", "metric", "predicted mean (context)", "predicted spread (context)",
           "each run: measured / predicted for its replication (difference)",
           "largest paired difference", "paired means: measured / predicted",
           "difference of paired means"]
# The heading of isrsim compare's paired table (`report::compare::MARKDOWN_HEADING`).
COMPARE_HEADING = "| scenario | policy | metric | predicted mean (context) |"


def isrsim():
    found = os.environ.get("ISRSIM")
    if found:
        return found
    if os.path.exists("target/release/isrsim"):
        return "target/release/isrsim"
    return shutil.which("isrsim") or "isrsim"


def cells(line):
    """The cells of a Markdown table row (isrsim escapes a `|` inside a cell as `\\|`)."""
    inner = line.strip()[1:-1].replace("\\|", "\x00")
    return [c.strip().replace("\x00", "|") for c in inner.split(" | ")]


def compare(d, measured):
    """isrsim compare's paired rows of the case in `d`, by metric; None when it fails."""
    args = [isrsim(), "compare", os.path.join(d, "predicted"),
            *(os.path.join(d, m) for m in measured), "--format", "markdown"]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr}")
        return None
    lines = done.stdout.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(COMPARE_HEADING))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        row = cells(line)
        rows[row[2]] = row
    return rows


def read_runs(folder):
    return list(csv.DictReader(open(os.path.join(folder, "runs.csv"))))


def number(row, metric):
    v = row.get(metric, "")
    return float(v) if v not in ("", None) else None


def shown(measured, predicted, metric):
    """Whether an EXTRA metric is measured in every measured run and not zero throughout."""
    values = [number(r, metric) for r in measured]
    every = values + [number(r, metric) for r in predicted]
    return all(v is not None for v in values) and any(v for v in every)


def significant(x):
    """Three significant digits, never fewer than the whole part (isrsim's `significant`)."""
    a = abs(x)
    decimals = 0 if a == 0 or a >= 100 else min(max(2 - math.floor(math.log10(a)), 0), 6)
    return f"{x:,.{decimals}f}"


def share(x):
    return "n/a" if x is None else f"{significant(x * 100)}%"


def difference(measured, predicted):
    """(measured - predicted) / predicted, as isrsim compare writes it; n/a for a share too small
    to compare."""
    if measured is None or predicted is None or predicted < SMALL_SHARE:
        return None
    return (measured - predicted) / abs(predicted)


def percent(d):
    if d is None:
        return "n/a"
    pct = d * 100
    return f"{'+' if pct > 0 else ''}{significant(pct)}%"


def mean(values):
    return sum(values) / len(values) if values else None


def labels(replications):
    """r0, r1, and `r0 #2` for a replication measured a second time (isrsim compare's labels)."""
    seen = {}
    out = []
    for r in replications:
        seen[r] = seen.get(r, 0) + 1
        out.append(f"r{r}" if seen[r] == 1 else f"r{r} #{seen[r]}")
    return out


def layer_rows(d, name, policy, measured):
    """The layer mix with the paired columns: each run's share against its replication's."""
    predicted = {r["replication"]: r
                 for r in csv.DictReader(open(os.path.join(d, "predicted-layers.csv")))}
    # (replication, argument order, measured shares), in isrsim compare's order.
    runs = []
    for k, m in enumerate(measured):
        replication = int(read_runs(os.path.join(d, m))[0]["replication"])
        row = list(csv.DictReader(open(os.path.join(d, f"{m}-layers.csv"))))[0]
        runs.append((replication, k, row))
    runs.sort(key=lambda x: (x[0], x[1]))
    names = labels([r for r, _, _ in runs])
    for layer in LAYERS:
        every = [float(r[layer]) for k, r in predicted.items() if k != "mean"]
        pairs = []
        for (replication, _, row), label in zip(runs, names):
            own = predicted.get(str(replication))
            if own is None:
                sys.exit(f"{d}/predicted-layers.csv has no replication {replication}")
            pairs.append((label, float(row[layer]), float(own[layer])))
        predicted_mean = float(predicted["mean"][layer])
        mm, pm = mean([m for _, m, _ in pairs]), mean([p for _, _, p in pairs])
        # A layer that answered (almost) nothing, predicted and measured, has no row.
        if predicted_mean < 0.001 and mm < 0.001:
            continue
        each = "; ".join(f"{label}: {share(m)} / {share(p)} ({percent(difference(m, p))})"
                         for label, m, p in pairs)
        differences = [(difference(m, p), label) for label, m, p in pairs]
        differences = [(x, label) for x, label in differences if x is not None]
        largest = "n/a"
        if differences:
            x, label = max(differences, key=lambda d: abs(d[0]))
            largest = f"{percent(x)} ({label})"
        yield [name, policy, f"layer `{layer}`", share(predicted_mean),
               f"{share(min(every))} – {share(max(every))}", each, largest,
               f"{share(mm)} / {share(pm)}", percent(difference(mm, pm))]


def row(line):
    return "| " + " | ".join(line) + " |"


def main(out, cases):
    print(row(HEADING))
    print("|---|---|---|---:|---:|---|---:|---:|---:|")
    failed = False
    for name in cases:
        d = os.path.join(out, name)
        if not os.path.isdir(os.path.join(d, "predicted")):
            continue
        measured = sorted(x for x in os.listdir(d)
                          if x.startswith("measured-") and os.path.isdir(os.path.join(d, x)))
        if not measured:
            continue
        rows = compare(d, measured)
        if rows is None:
            failed = True
            continue
        measured_runs = [r for m in measured for r in read_runs(os.path.join(d, m))]
        policy = measured_runs[0]["policy"]
        predicted_runs = read_runs(os.path.join(d, "predicted"))
        extra = [m for m in EXTRA if shown(measured_runs, predicted_runs, m)]
        for metric in METRICS + extra:
            print(row([name] + rows[metric][1:]))
        if os.path.exists(os.path.join(d, "predicted-layers.csv")):
            for line in layer_rows(d, name, policy, measured):
                print(row(line))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
