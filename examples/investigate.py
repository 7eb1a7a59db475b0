# %% [markdown]
# # Investigating a heist from Python
#
# Run cell by cell in Jupyter or VS Code (`# %%` cells), or as a script:
# `python examples/investigate.py` (with `pip install ./python pandas matplotlib`). It builds the
# demo store with the `chaintrail` CLI when `CHAINTRAIL_DATA` (default `./chaintrail-data`)
# holds none, traces the Ronin-like heist under two taint policies, compares where the money
# went in pandas and plots the value reaching endpoints per hop. Its outputs are committed
# beside it: `investigate.out.txt` and `investigate-flow-per-hop.png`.

# %%
import json
import os
import pathlib
import subprocess

import matplotlib

matplotlib.use("Agg")  # a file, not a window, when run as a script
import matplotlib.pyplot as plt
import pandas as pd

import chaintrail

HERE = pathlib.Path(__file__).resolve().parent
DATA = pathlib.Path(os.environ.get("CHAINTRAIL_DATA", "chaintrail-data"))
CLI = os.environ.get("CHAINTRAIL_BIN", "chaintrail")

if not (DATA / "chaintrail.json").exists():
    subprocess.run([CLI, "--data-dir", str(DATA), "demo"], check=True, stdout=subprocess.DEVNULL)
store = chaintrail.open(DATA)
print([f"{s['chain']}: {s['records']} records" for s in store.stats()])

# %% The heist: the simulator's ground truth names its exploit transactions.
truth = json.loads((DATA / "sim" / "ground_truth.json").read_text())
heist = next(h for h in truth["heists"] if h["variant"] == "ronin")
seed = f"{heist['victim_address']['chain']}:{heist['exploit_txs'][0]}"
print(heist["name"], "—", seed)

# %% Trace it under two policies.
traces = {policy: store.trace(seed, policy=policy) for policy in ("fifo", "haircut")}
for policy, trace in traces.items():
    print(policy, trace, "seeded", [f"{v['units']} {v['asset']}" for v in trace.seeded])

# %% Where the money went, per entity, side by side (USD).
by_entity = pd.concat(
    {
        policy: trace.to_pandas("by_entity").groupby(["entity", "kind"])["usd"].sum()
        for policy, trace in traces.items()
    },
    axis=1,
).fillna(0)
by_entity["difference"] = by_entity["haircut"] - by_entity["fifo"]
comparison = by_entity.sort_values("fifo", ascending=False).round(0)
print(comparison.to_string())

# %% The flow per hop: USD reaching an endpoint after each number of hops.
per_hop = pd.concat(
    {policy: trace.to_pandas().groupby("hops")["usd"].sum() / 1e6 for policy, trace in traces.items()},
    axis=1,
).fillna(0).sort_index()
axes = per_hop.plot.bar(figsize=(7, 3.5), title=f"{heist['name']}: value reaching endpoints per hop")
axes.set_xlabel("hops from the exploit")
axes.set_ylabel("USD (millions)")
plt.tight_layout()
plt.savefig(HERE / "investigate-flow-per-hop.png", dpi=80)
print(per_hop.round(1).to_string())
