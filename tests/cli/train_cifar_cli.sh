#!/usr/bin/env bash
# train_cifar rejects bad flags (exit 2) and bad data (exit 1) with a clear message, never a
# signal or an uncaught exception. usage: train_cifar_cli.sh PATH/TO/train_cifar
# docs/reliability.md quotes the messages; keep the two in step.
set -u
exe="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
total=0
pass() { echo "ok: $*"; total=$((total + 1)); }
fail() { echo "FAIL: $*"; cat "$tmp/err"; total=$((total + 1)); fails=$((fails + 1)); }
expect() {  # expect CODE PATTERN -- ARGS...
  local code="$1" pattern="$2"
  shift 3
  "$exe" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -ne "$code" ] || ! grep -q -- "$pattern" "$tmp/err"; then
    fail "train_cifar $* -> exit $got (want $code), stderr:"
  else
    pass "train_cifar $* -> $code: $(head -1 "$tmp/err")"
  fi
}
mkdir -p "$tmp/empty" "$tmp/short"
head -c 3073 /dev/zero > "$tmp/short/data_batch_1.bin"
expect 2 "--model is required" -- --data "$tmp/empty"
expect 2 "--data is required" -- --model module_fc
expect 2 "unknown flag --bogus" -- --model module_fc --data "$tmp/empty" --bogus 1
expect 2 "bad value 'abc' for --epochs" -- --model module_fc --data "$tmp/empty" --epochs abc
expect 2 "missing value for --lr" -- --model module_fc --data "$tmp/empty" --lr
expect 2 "--lr must be a positive number" -- --model module_fc --data "$tmp/empty" --lr -1
expect 2 "--batch-size must be at least 1" -- --model module_fc --data "$tmp/empty" --batch-size 0
expect 2 "--device must be cpu or cuda" -- --model module_fc --data "$tmp/empty" --device tpu
expect 2 "--epochs must be at least 1" -- --model module_fc --data "$tmp/empty" --epochs 0
expect 2 "--print-every must be at least 1" -- --model module_fc --data "$tmp/empty" --print-every 0
expect 2 "--threads must be 0 (all cores) or more" -- --model module_fc --data "$tmp/empty" --threads -1
expect 2 "--momentum must be in \[0, 1)" -- --model module_fc --data "$tmp/empty" --momentum 1.5
# module_fc's default momentum is 0, so Nesterov has nothing to work with.
expect 2 "--nesterov needs a positive --momentum" -- --model module_fc --data "$tmp/empty" --device cpu --nesterov
expect 2 "unknown model 'resnet' (expected barebones_fc, " -- --model resnet --data "$tmp/empty"
expect 2 "bad value '-1' for --seed (expected an integer in \[0, 2^63))" -- --model module_fc --data "$tmp/empty" --seed -1
expect 2 "bad value '9223372036854775808' for --seed" -- --model module_fc --data "$tmp/empty" --seed 9223372036854775808
expect 2 "--threads 100000 is more than 4 x the .* hardware threads of this machine" -- --model module_fc --data "$tmp/empty" --threads 100000
expect 2 "--lr 1e-50 rounds to 0 in float32, the parameters' type" -- --model module_fc --data "$tmp/empty" --lr 1e-50
expect 2 "--lr 1e+39 overflows float32, the parameters' type, to inf" -- --model module_fc --data "$tmp/empty" --lr 1e39
expect 2 "--save-every needs --save FILE" -- --model module_fc --data "$tmp/empty" --save-every 5
expect 2 "--save-every must be at least 0" -- --model module_fc --data "$tmp/empty" --save-every -1 --save "$tmp/x.st"
# --save and --log are checked before the data loads (the empty folder would fail later), and
# the check leaves no file behind.
expect 1 "cannot open --save file '$tmp/no/such/dir/x.st' for writing: the folder '$tmp/no/such/dir' does not exist" -- --model module_fc --data "$tmp/empty" --device cpu --save "$tmp/no/such/dir/x.st"
expect 1 "cannot open --save file '$tmp/empty' for writing: it is a folder" -- --model module_fc --data "$tmp/empty" --device cpu --save "$tmp/empty"
expect 1 "cannot open --log file '$tmp/empty/' for writing: it is a folder" -- --model module_fc --data "$tmp/empty" --device cpu --log "$tmp/empty/"
expect 1 "cannot open --log file '$tmp/short/data_batch_1.bin/log.csv' for writing: '$tmp/short/data_batch_1.bin' is not a folder" -- --model module_fc --data "$tmp/empty" --device cpu --log "$tmp/short/data_batch_1.bin/log.csv"
if [ -z "$(ls -A "$tmp/empty")" ]; then pass "the --save/--log checks left no file"; else fail "the --save/--log checks left files: $(ls -A "$tmp/empty")"; fi
# --help names every flag's default.
"$exe" --help >"$tmp/out" 2>"$tmp/err"
missing=""
for flag in --device --epochs --batch-size --lr --momentum --nesterov --print-every --seed --threads --log --max-steps --save --save-every --strict-resume; do
  # the flag's paragraph: its line and the indented lines after it
  awk -v f="$flag" '$1 == f { on = 1; print; next } /^[^ ]/ { on = 0 } on' "$tmp/out" | grep -q default || missing="$missing $flag"
done
if [ -z "$missing" ] && grep -q "sequential_conv  lr 0.01, momentum 0.9, nesterov" "$tmp/out"; then
  pass "--help gives every flag's default and each model's lr, momentum, nesterov"
else
  fail "--help lacks the default of:$missing"
fi
expect 1 "data_batch_1.bin" -- --model module_fc --data "$tmp/empty" --device cpu
expect 1 "does not exist\|not a folder\|missing" -- --model module_fc --data "$tmp/nope" --device cpu
expect 1 "data_batch_1.bin" -- --model module_fc --data "$tmp/short" --device cpu
# --data-format images: a folder of class subfolders, with enough images for the split.
expect 2 "bad value 'jpeg' for --data-format (binary or images)" -- --model module_fc --data "$tmp/empty" --data-format jpeg
expect 1 "ImageFolder: '$tmp/empty' has no class subfolders" -- --model module_fc --data "$tmp/empty" --device cpu --data-format images
mkdir -p "$tmp/few/cat" "$tmp/few/dog"
printf 'x' > "$tmp/few/cat/1.png"
expect 1 "ImageFolder: class 'dog' ($tmp/few/dog) has no .jpg, .jpeg or .png file" -- --model module_fc --data "$tmp/few" --device cpu --data-format images
printf 'x' > "$tmp/few/dog/1.jpg"
expect 1 "--data-format images: '$tmp/few' holds 2 images; the split needs 49000 to train and 1000 to validate" -- --model module_fc --data "$tmp/few" --device cpu --data-format images

# --device cuda without a usable GPU (a build without CUDA, no driver, no device) stops before
# touching the data. Where a GPU is usable, the run gets past that check to the empty folder.
"$exe" --model module_fc --data "$tmp/empty" --device cuda >"$tmp/out" 2>"$tmp/err"
got=$?
if [ "$got" -eq 1 ] && grep -q -- "--device cuda, but no GPU is usable: ." "$tmp/err"; then
  pass "train_cifar --device cuda without a usable GPU -> 1: $(head -1 "$tmp/err")"
elif [ "$got" -eq 1 ] && grep -q -- "data_batch_1.bin" "$tmp/err"; then
  pass "train_cifar --device cuda: a GPU is usable here, and the run got past the device check to the data"
else
  fail "train_cifar --device cuda without a usable GPU -> exit $got (want 1, 'no GPU is usable'), stderr:"
fi

# A folder of the official shape (5 x 10,000 records) built by doubling one record.
data="$tmp/cifar"
mkdir -p "$data"
{ printf '\003'; head -c 3072 /dev/urandom; } > "$tmp/rec"
for _ in $(seq 14); do cat "$tmp/rec" "$tmp/rec" > "$tmp/rec2"; mv "$tmp/rec2" "$tmp/rec"; done
for i in 1 2 3 4 5; do head -c 30730000 "$tmp/rec" > "$data/data_batch_$i.bin"; done
rm -f "$tmp/rec"
run() { "$exe" --model sequential_conv --data "$data" --device cpu --threads 1 --print-every 1000 "$@" >"$tmp/out" 2>"$tmp/err"; }

# Resume equivalence: 4 steps straight == 2 steps, save, resume, 2 more (byte-identical checkpoints).
if run --max-steps 4 --save "$tmp/a.st" && run --max-steps 2 --save "$tmp/b.st" &&
   run --max-steps 4 --resume "$tmp/b.st" --save "$tmp/c.st" && cmp -s "$tmp/a.st" "$tmp/c.st"; then
  pass "a run resumed after 2 of 4 steps ends byte-identical to an uninterrupted one"
else
  fail "resume equivalence"
fi
cpu=(--data "$data" --device cpu --threads 1)
# Rewrites a checkpoint's JSON header with a perl substitution (the header may change length).
edit_header() {  # edit_header IN OUT 's/old/new/'
  perl -e 'local $/; open(my $f, "<:raw", $ARGV[0]) or die; my $b = <$f>; my $n = unpack("Q<", substr($b, 0, 8));
    my ($h, $d) = (substr($b, 8, $n), substr($b, 8 + $n)); eval "\$h =~ $ARGV[2]" or die "no match: $ARGV[2]\n";
    $h .= " " x ((8 - length($h) % 8) % 8); open(my $o, ">:raw", $ARGV[1]) or die; print $o pack("Q<", length($h)), $h, $d;' "$@"
}
# Writes a float32 NaN over the first element of a tensor.
poison() {  # poison IN OUT TENSOR
  perl -e 'local $/; open(my $f, "<:raw", $ARGV[0]) or die; my $b = <$f>; my $n = unpack("Q<", substr($b, 0, 8));
    substr($b, 8, $n) =~ /"\Q$ARGV[2]\E":\{[^}]*"data_offsets":\[(\d+),/ or die "no tensor $ARGV[2]\n";
    substr($b, 8 + $n + $1, 4) = pack("V", 0x7fc00000); open(my $o, ">:raw", $ARGV[1]) or die; print $o $b;' "$@"
}

# The first line, before any work: model, device and why, threads, steps per epoch, data folder.
if run --max-steps 0 && head -1 "$tmp/out" | grep -q "^train_cifar: sequential_conv on cpu (--device cpu), 1 threads, 766 steps per epoch, data $data\$"; then
  pass "first line: $(head -1 "$tmp/out")"
else
  fail "first line: $(head -1 "$tmp/out")"
fi

# Explicit flags win over the checkpoint's lr and momentum, with a line each, and the next
# checkpoint records them; a resume without flags keeps the checkpoint's values.
if run --max-steps 3 --resume "$tmp/b.st" --lr 0.005 --momentum 0.5 --save "$tmp/o.st" &&
   grep -q "^--lr 0.005 overrides the checkpoint's lr 0.01\$" "$tmp/out" &&
   grep -q "^--momentum 0.5 overrides the checkpoint's momentum 0.9\$" "$tmp/out" &&
   grep -aq '"optimizer.param_groups.0.lr":"0.005"' "$tmp/o.st" && grep -aq '"optimizer.param_groups.0.momentum":"0.5"' "$tmp/o.st" &&
   run --max-steps 3 --resume "$tmp/o.st" --save "$tmp/o2.st" && ! grep -q "overrides" "$tmp/out" && cmp -s "$tmp/o.st" "$tmp/o2.st"; then
  pass "--lr and --momentum override a checkpoint's values, and the next checkpoint keeps them"
else
  fail "--lr/--momentum on --resume"
fi
# A barebones checkpoint records its lr, and a resume without --lr trains on with it.
bare=(--model barebones_conv "${cpu[@]}" --print-every 1000)
if "$exe" "${bare[@]}" --max-steps 1 --lr 0.001 --save "$tmp/bb.st" >"$tmp/out" 2>"$tmp/err" &&
   "$exe" "${bare[@]}" --max-steps 1 --resume "$tmp/bb.st" --save "$tmp/bb2.st" >"$tmp/out" 2>"$tmp/err" &&
   grep -aq '"lr":"0.001"' "$tmp/bb2.st" && ! grep -q "overrides" "$tmp/out" &&
   "$exe" "${bare[@]}" --max-steps 1 --resume "$tmp/bb.st" --lr 0.002 >"$tmp/out" 2>"$tmp/err" &&
   grep -q "^--lr 0.002 overrides the checkpoint's lr 0.001\$" "$tmp/out"; then
  pass "a barebones checkpoint keeps its lr across a resume; --lr overrides it"
else
  fail "barebones lr on --resume"
fi

# --save-every N writes the checkpoint every N steps: after 1 and 2 steps, the same bytes as a
# run that stopped after 2. The progress line of a run whose stderr is a file has no \r.
if run --max-steps 2 --save-every 1 --save "$tmp/e.st" && [ "$(grep -c "^Saved $tmp/e.st: " "$tmp/out")" -eq 2 ] &&
   grep -q "^Saved $tmp/e.st: epoch 1, batch 1, 1 steps" "$tmp/out" && cmp -s "$tmp/e.st" "$tmp/b.st"; then
  pass "--save-every 1 wrote after steps 1 and 2, and the last equals a run stopped at 2"
else
  fail "--save-every"
fi
if grep -q "images/s, ETA " "$tmp/err" && ! grep -q $'\r' "$tmp/err"; then
  pass "progress to a file: full lines with elapsed time, images/s and ETA, no carriage returns"
else
  fail "progress to a file"
fi

# A run that diverges (one step at an lr float32 barely holds) stops with 1, names the first bad
# parameter, saves nothing and reports no accuracy.
expect 1 "the training diverged: after step 1, model\.[0-9]*\.[a-z]* holds a NaN or an infinity (nothing saved); lower --lr (now 3.4e+38) or resume from an earlier checkpoint" -- --model sequential_conv "${cpu[@]}" --print-every 1000 --max-steps 1 --lr 3.4e38 --save "$tmp/div.st"
if [ ! -e "$tmp/div.st" ] && ! grep -q "Validation" "$tmp/out"; then pass "a diverged run saved nothing and reported no accuracy"; else fail "a diverged run saved or reported"; fi
# A checkpoint with a NaN parameter is refused at once, and nothing is re-saved from it.
poison "$tmp/b.st" "$tmp/nan.st" model.0.weight
expect 1 "--resume '$tmp/nan.st' holds non-finite parameters (model.0.weight has a NaN or an infinity); resume from an earlier checkpoint" -- --model sequential_conv "${cpu[@]}" --max-steps 2 --resume "$tmp/nan.st" --save "$tmp/nan2.st"
if [ ! -e "$tmp/nan2.st" ]; then pass "nothing re-saved from a NaN checkpoint"; else fail "a NaN checkpoint was re-saved"; fi

# Values the command line refuses are refused from a checkpoint too, naming the file.
# (--max-steps 2: a run that wrongly accepted one would not train on.)
# refused_from NAME SED MESSAGE: a copy of checkpoint b.st with its header edited by SED is
# refused on --resume with "--resume '<it>' MESSAGE".
refused_from() {
  edit_header "$tmp/b.st" "$tmp/$1.st" "$2"
  expect 1 "--resume '$tmp/$1.st' $3" -- --model sequential_conv "${cpu[@]}" --max-steps 2 --resume "$tmp/$1.st"
}
refused_from lr0 's/"optimizer.param_groups.0.lr":"0.01"/"optimizer.param_groups.0.lr":"0"/' "holds a value the command line refuses: lr must be a positive number"
refused_from lrtiny 's/"optimizer.param_groups.0.lr":"0.01"/"optimizer.param_groups.0.lr":"1e-50"/' "holds a value the command line refuses: lr 1e-50 rounds to 0 in float32"
refused_from mom 's/"optimizer.param_groups.0.momentum":"0.9"/"optimizer.param_groups.0.momentum":"1.5"/' "holds a value the command line refuses: momentum must be in \[0, 1)"
refused_from steps 's/"steps":"2"/"steps":"3"/' "holds an impossible position for this run: steps 3, but epoch 1, batch 2 make 2 at 766 batches per epoch"
refused_from batch 's/"batch":"2"/"batch":"800"/' "holds an impossible position for this run: batch 800 is not below the 766 batches of an epoch"
refused_from epoch 's/"epoch":"0"/"epoch":"1"/' "holds an impossible position for this run: epoch 2, batch 2 is beyond --epochs 1"
refused_from images 's/"images":"128"/"images":"100"/' "holds an impossible position for this run: images 100, but epoch 1, batch 2 make 128 at 49000 images per epoch"

# What a byte-exact resume also needs (threads on the CPU, the data files) is recorded; a
# resume that differs warns in one line, or with --strict-resume stops.
if run --max-steps 2 --resume "$tmp/b.st" --threads 2 &&
   grep -q "^train_cifar: warning: this run differs from the one that saved '$tmp/b.st' in threads (saved 1, now 2); it will not end as an uninterrupted run would (--strict-resume refuses)\$" "$tmp/err"; then
  pass "a resume with other --threads warns: $(grep warning "$tmp/err")"
else
  fail "a resume with other --threads did not warn"
fi
expect 1 "--strict-resume: this run differs from the one that saved '$tmp/b.st' in threads (saved 1, now 2)" -- --model sequential_conv "${cpu[@]}" --max-steps 2 --resume "$tmp/b.st" --threads 2 --strict-resume
data2="$tmp/cifar2"
mkdir -p "$data2"
for i in 2 3 4 5; do ln -s "$data/data_batch_$i.bin" "$data2/data_batch_$i.bin"; done
cp "$data/data_batch_1.bin" "$data2/data_batch_1.bin"
printf '\001' | dd of="$data2/data_batch_1.bin" bs=1 seek=3073 count=1 conv=notrunc 2>/dev/null  # the 2nd label
expect 1 "--strict-resume: this run differs from the one that saved '$tmp/b.st' in data.data_batch_1.bin (saved 30730000 bytes, fnv1a64 sample [0-9a-f]*, now 30730000 bytes, fnv1a64 sample [0-9a-f]*)\$" -- --model sequential_conv --data "$data2" --device cpu --threads 1 --max-steps 2 --resume "$tmp/b.st" --strict-resume
rm -rf "$data2"

# SIGTERM (a scheduler's time limit) finishes the step, writes --save, exits 143; SIGINT without
# --save exits 130 and says that nothing was saved.
stop_run() {  # stop_run SIGNAL ARGS...: starts a run, signals it after its first step, waits
  local sig="$1"
  shift
  "$exe" --model sequential_conv "${cpu[@]}" --print-every 1 --max-steps 100 "$@" >"$tmp/out" 2>"$tmp/err" &
  local pid=$!
  for _ in $(seq 600); do grep -q "^Iteration 0" "$tmp/out" && break; sleep 0.2; done
  kill -"$sig" "$pid"
  wait "$pid"
}
stop_run TERM --save "$tmp/sig.st"
got=$?
if [ "$got" -eq 143 ] && grep -q "^train_cifar: stopped by SIGTERM after step [0-9]*; continue with --resume $tmp/sig.st\$" "$tmp/err" &&
   grep -q "^Saved $tmp/sig.st: epoch 1, batch [1-9][0-9]*, [1-9][0-9]* steps\$" "$tmp/out" && [ -f "$tmp/sig.st" ]; then
  pass "SIGTERM -> 143 after saving: $(grep stopped "$tmp/err")"
else
  fail "SIGTERM -> exit $got (want 143 and a checkpoint), stdout: $(tail -3 "$tmp/out")"
fi
stop_run INT
got=$?
if [ "$got" -eq 130 ] && grep -q "^train_cifar: stopped by SIGINT after step [0-9]*; nothing saved (no --save)\$" "$tmp/err"; then
  pass "SIGINT -> 130: $(grep stopped "$tmp/err")"
else
  fail "SIGINT -> exit $got (want 130)"
fi

# A failed write of stdout or of --log (a full disk) is an error, not a silent exit 0.
if [ -w /dev/full ]; then
  "$exe" --model sequential_conv "${cpu[@]}" --max-steps 0 >/dev/full 2>"$tmp/err"
  got=$?
  if [ "$got" -eq 1 ] && grep -q "error: writing to stdout failed: No space left on device" "$tmp/err"; then
    pass "stdout on a full disk -> 1: $(head -1 "$tmp/err")"
  else
    fail "stdout on a full disk -> exit $got (want 1)"
  fi
  expect 1 "error: writing --log file '/dev/full' failed: No space left on device" -- --model sequential_conv "${cpu[@]}" --max-steps 1 --log /dev/full
fi

# On a terminal the progress line is redrawn in place and erased before each stdout line, so no
# line of the screen holds both (script(1) gives the run a terminal; the screen is rendered from
# the carriage returns).
if command -v script >/dev/null; then
  script -qc "'$exe' --model sequential_conv --data '$data' --device cpu --threads 1 --print-every 1 --max-steps 3" /dev/null >"$tmp/tty" 2>&1
  perl -ne 's/\n//; my @row; for my $seg (split /\r/, $_, -1) { my @c = split //, $seg; @row[0 .. $#c] = @c if @c; } print join("", map { defined ? $_ : " " } @row), "\n";' "$tmp/tty" > "$tmp/screen"
  if grep -q "^Iteration 2, loss" "$tmp/screen" && grep -q "batches, .* images/s, ETA" "$tmp/screen" &&
     ! grep -q "batches.*\(Iteration\|Got\)\|\(Iteration\|Got\).*batches" "$tmp/screen"; then
    pass "on a terminal the progress line never shares a line with the Iteration lines"
  else
    fail "progress on a terminal: $(cat -A "$tmp/screen" | head -20)"
  fi
fi

expect 1 "cannot open '$tmp/nope.st': No such file or directory" -- --model sequential_conv "${cpu[@]}" --resume "$tmp/nope.st"
expect 1 "was saved by a run with model sequential_conv" -- --model module_conv "${cpu[@]}" --resume "$tmp/b.st"
expect 1 "was saved by a run with seed 0, but this run has seed 1" -- --model sequential_conv "${cpu[@]}" --seed 1 --resume "$tmp/b.st"
expect 1 "with batch_size 64, but this run has batch_size 32" -- --model sequential_conv "${cpu[@]}" --batch-size 32 --resume "$tmp/b.st"
head -c 100 "$tmp/b.st" > "$tmp/short.st"
expect 1 "short.st.*(the file is truncated)" -- --model sequential_conv "${cpu[@]}" --resume "$tmp/short.st"
# Cut inside the data section (an interrupted copy): the last tensor runs past the end.
head -c $(($(wc -c < "$tmp/b.st") - 10)) "$tmp/b.st" > "$tmp/cut.st"
expect 1 "cut.st': tensor \"rng_state\": data_offsets .* run past the data section" -- --model sequential_conv "${cpu[@]}" --resume "$tmp/cut.st"
printf 'not a checkpoint, just text\n' > "$tmp/text.st"
expect 1 "text.st.*-byte limit (not a safetensors file, or a corrupt one)" -- --model sequential_conv "${cpu[@]}" --resume "$tmp/text.st"
# A checkpoint whose header is valid JSON but whose position is not a number (same length, so
# the header length still fits).
perl -0777 -pe 's/"steps":"2"/"steps":"x"/' "$tmp/b.st" > "$tmp/meta.st"
expect 1 "metadata \"steps\" is 'x', expected a non-negative integer" -- --model sequential_conv "${cpu[@]}" --resume "$tmp/meta.st"
# A safetensors file that is not a train_cifar checkpoint (no "model" metadata).
perl -0777 -pe 's/"model":"/"mode1":"/' "$tmp/b.st" > "$tmp/nomodel.st"
expect 1 "nomodel.st' has no metadata \"model\"" -- --model sequential_conv "${cpu[@]}" --resume "$tmp/nomodel.st"
expect 2 "--max-steps must be at least 0" -- --model sequential_conv --data "$data" --max-steps -1

# Runtime failures once the data has loaded: a --log path that cannot be created, and a loss
# that overflows (the CPU reads the loss every step, so the first non-finite one stops the run).
expect 1 "cannot open --log file '$tmp/no/such/dir/log.csv' for writing" -- --model module_fc "${cpu[@]}" --max-steps 1 --log "$tmp/no/such/dir/log.csv"
expect 1 "the loss became .* lower --lr (now " -- --model module_fc "${cpu[@]}" --max-steps 20 --lr 1e30
echo "$((total - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
