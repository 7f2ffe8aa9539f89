#!/usr/bin/env bash
# A sweep over n Slurm nodes: a job array whose every task runs one shard (`sm4 sweep --shard
# auto` reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT) into a database of its own, then one
# dependent job that merges the shards' databases with `sm4 runs merge`. Run it from the sm4
# checkout on the cluster's shared file system (the run folders must stay where they are written):
#
#   scripts/slurm-sweep.sh EXPERIMENT SHARDS [sweep options...]
#   scripts/slurm-sweep.sh minibench-ablation 4 --jobs 2 --set train.epochs=5
#
# Each array task gets one node (`sbatch` options below, or SBATCH_* variables such as
# SBATCH_PARTITION); the merged database is results/<experiment>.db and the shards stay in
# results/shards/<experiment>/ (a shard that failed can be run again by resubmitting its task:
# `sm4 sweep` skips the runs it already finished).
set -euo pipefail
cd "$(dirname "$0")/.."

if (($# < 2)); then
  echo "usage: $0 EXPERIMENT SHARDS [sweep options...]" >&2
  exit 2
fi
experiment=$1
shards=$2
shift 2
if ! [[ $shards =~ ^[1-9][0-9]*$ ]]; then
  echo "slurm-sweep: SHARDS must be a positive integer, got '$shards'" >&2
  exit 2
fi
command -v sbatch >/dev/null || { echo "slurm-sweep: sbatch not found (is this a Slurm login node?)" >&2; exit 1; }

name=$(basename "$experiment" .toml)
shard_dir="results/shards/$name"
mkdir -p "$shard_dir" "$shard_dir/logs"
sweep_args=$(printf ' %q' "$@")

array_job=$(sbatch --parsable --job-name="sm4-$name" --array="0-$((shards - 1))" --nodes=1 --ntasks=1 \
  --output="$shard_dir/logs/shard-%a.log" \
  --wrap="./build/sm4 sweep $(printf %q "$experiment") --shard auto \
          --set output.database=$shard_dir/shard-\${SLURM_ARRAY_TASK_ID}.db$sweep_args")

shard_dbs=""
for ((i = 0; i < shards; i++)); do shard_dbs+=" $shard_dir/shard-$i.db"; done
merge_job=$(sbatch --parsable --job-name="sm4-$name-merge" --dependency="afterok:$array_job" --ntasks=1 \
  --output="$shard_dir/logs/merge.log" \
  --wrap="rm -f results/$name.db.merging && ./build/sm4 runs merge$shard_dbs --out results/$name.db.merging && mv results/$name.db.merging results/$name.db")

echo "slurm-sweep: shards in job array $array_job ($shards tasks), merge in job $merge_job -> results/$name.db"
