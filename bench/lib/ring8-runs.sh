# Shared by bench/penalty/run.sh and bench/consensus/run.sh (sourced, from the repository root): one ring8 training run
# of a method-by-seed table and what the tables read from its run folder.

# ring8_train WORK RUN STEPS SEED [train flags ...]: trains RUN into WORK/RUN (log WORK/RUN.log, shown on failure) and
# sets wall (s) and perstep (ms per generator step).
ring8_train() {
  local work="$1" run="$2" steps="$3" seed="$4"
  shift 4
  local t0 t1
  t0=$(date +%s.%N)
  nice -n 10 ./sparring train --data ring8 --steps "$steps" --seed "$seed" --device cpu --no-progress \
    --out "$work" --name "$run" "$@" > "$work/$run.log" 2>&1 || { cat "$work/$run.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')"
  perstep="$(awk -v a="$t0" -v b="$t1" -v n="$steps" 'BEGIN { printf "%.1f", 1000 * (b - a) / n }')"
}

# ring8_outcome DIR: from the last line of DIR/coverage.jsonl sets covered, modes, hq, hqpct, step and ok (yes when
# >= 7 of 8 modes are covered with >= 70 % high-quality samples, the bar of issue "Second-order training").
ring8_outcome() {
  local last
  last="$(tail -n 1 "$1/coverage.jsonl")"
  covered="$(ring8_json "$last" modes_covered)"; modes="$(ring8_json "$last" modes)"
  hq="$(ring8_json "$last" hq_share)"; step="$(ring8_json "$last" step)"
  hqpct="$(awk -v h="$hq" 'BEGIN { printf "%.1f", 100 * h }')"
  ok="$(awk -v c="$covered" -v h="$hq" 'BEGIN { print (c >= 7 && h >= 0.70) ? "yes" : "no" }')"
}

# ring8_json TEXT KEY: KEY's value in the one-line JSON object TEXT.
ring8_json() { echo "$1" | sed "s/.*\"$2\":\([^,}]*\).*/\1/"; }

# ring8_config DIR KEY: KEY's value in DIR/config.json.
ring8_config() { ring8_json "$(tr -d '\n ' < "$1/config.json")" "$2"; }

# ring8_tail_mean DIR KEY FORMAT: the mean of metrics.jsonl's KEY over its last 500 lines, printed with FORMAT ("-" when
# no line has it).
ring8_tail_mean() {
  tail -n 500 "$1/metrics.jsonl" | awk -F"\"$2\":" -v f="$3" 'NF > 1 { split($2, a, /[,}]/); s += a[1]; n++ }
    END { if (n) printf f, s / n; else printf "-" }'
}
