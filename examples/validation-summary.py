"""The table of examples/validate.sh (docs/validation.md): for every case measured, the predicted
mean and spread over 200 replications; each measured run beside the prediction of its own
replication (the same users and edits); and the measured mean against the predicted mean. Then
the layer mix, predicted (examples/layer_mix.rs) against measured (from the --log files).

    python3 examples/validation-summary.py OUT CASE...
"""
import csv
import os
import sys

METRICS = ["stale_ratio", "stale_age_p50_s", "stale_age_p99_s", "regen_per_request",
           "cdn_hit_ratio"]
LAYERS = ["cdn_hit", "cdn_stale", "origin_hit", "origin_stale", "origin_miss", "error"]


def runs(folder):
    rows = list(csv.DictReader(open(os.path.join(folder, "runs.csv"))))
    for r in rows:
        req, regen = float(r["requests"] or 0), float(r["regenerations"] or 0)
        r["regen_per_request"] = str(regen / req) if req else ""
    return rows


def value(row, metric):
    v = row.get(metric, "")
    return float(v) if v not in ("", None) else None


def fmt(v):
    return "n/a" if v is None else f"{v:.4g}"


def diff(measured, predicted):
    if measured is None or not predicted:
        return "n/a"
    return f"{(measured - predicted) / predicted * 100:+.1f}%"


def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def main(out, cases):
    print("| case | metric | predicted mean | predicted spread | each run: measured / predicted "
          "for its replication (difference) | measured mean | difference of means |")
    print("|---|---|---:|---:|---|---:|---:|")
    for name in cases:
        d = os.path.join(out, name)
        if not os.path.isdir(os.path.join(d, "predicted")):
            continue
        measured = sorted(x for x in os.listdir(d)
                          if x.startswith("measured-") and os.path.isdir(os.path.join(d, x)))
        if not measured:
            continue
        predicted = runs(os.path.join(d, "predicted"))
        by_replication = {r["replication"]: r for r in predicted}
        measured_rows = [runs(os.path.join(d, m))[0] for m in measured]
        for metric in METRICS:
            pv = [v for v in (value(r, metric) for r in predicted) if v is not None]
            pm = mean(pv)
            spread = f"{fmt(min(pv))} – {fmt(max(pv))}" if pv else "n/a"
            each = []
            for r in measured_rows:
                mv = value(r, metric)
                same = value(by_replication.get(r["replication"], {}), metric)
                each.append(f"r{r['replication']}: {fmt(mv)} / {fmt(same)} ({diff(mv, same)})")
            mm = mean(value(r, metric) for r in measured_rows)
            print(f"| {name} | {metric} | {fmt(pm)} | {spread} | {'; '.join(each)} | {fmt(mm)} "
                  f"| {diff(mm, pm)} |")
        layers = {r["replication"]: r
                  for r in csv.DictReader(open(os.path.join(d, "predicted-layers.csv")))}
        m_layers = [list(csv.DictReader(open(os.path.join(d, f"{m}-layers.csv"))))[0]
                    for m in measured]
        for layer in LAYERS:
            pm = float(layers["mean"][layer])
            each, mv = [], []
            for r, row in zip(measured_rows, m_layers):
                v = float(row[layer])
                same = float(layers.get(r["replication"], layers["mean"])[layer])
                mv.append(v)
                shown = diff(v, same) if same >= 0.01 else "n/a"
                each.append(f"r{r['replication']}: {fmt(v)} / {fmt(same)} ({shown})")
            mm = mean(mv)
            if pm < 0.001 and mm < 0.001:
                continue
            shown = diff(mm, pm) if pm >= 0.01 else "n/a"
            print(f"| {name} | layer `{layer}` | {fmt(pm)} | | {'; '.join(each)} | {fmt(mm)} "
                  f"| {shown} |")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
